"""The whole-network page in a real Chromium against Voila: the sample control, the badge,
a new picture when the sample changes (and how long that takes), Play, no errors.

Screenshots go to ``test-artifacts/network-*.png``. The sample-change latency is printed
(target <= 300 ms; a timing is reported, not asserted: see bench/).
"""

from __future__ import annotations

import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIRST_PAINT = 120_000  # ms: a fresh kernel on a loaded 2-core CI machine
REACT = 30_000
ERROR_WORDS = ("Traceback", "Error", "could not be shown", "Exception")
STAGE_PICTURE = ".cnnviz-stage img.widget-image"


def _page(open_page, base: str):
    page = open_page(f"{base}/voila/render/network.ipynb", width=1366, height=900)
    page.wait_for_selector(STAGE_PICTURE, timeout=FIRST_PAINT)
    page.wait_for_function(
        f"document.querySelector('{STAGE_PICTURE}').naturalWidth > 0", timeout=FIRST_PAINT
    )
    return page


def _shot(page, path) -> None:
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": 3600})
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)


def _pictures(page) -> list[str]:
    return page.eval_on_selector_all(STAGE_PICTURE, "imgs => imgs.map(i => i.src)")


def test_network_page_renders_reacts_and_plays(voila_base_url, open_page, artifacts):
    page = _page(open_page, voila_base_url)
    body = page.inner_text("body")
    assert "sample" in body and "whole network ✓" in body, body[:2000]
    for word in ("max-pool", "unflatten", "ReLU", "conv", "dense", "saliency"):
        assert word in body
    assert len(_pictures(page)) == 8  # one δ picture per layer
    _shot(page, artifacts / "network-light.png")

    select = page.locator(".widget-dropdown", has=page.get_by_text("sample", exact=True))
    options = select.locator("option").all_inner_texts()
    latencies = []
    for option in options[3:8]:  # five changes: every stage's picture must be replaced
        before = _pictures(page)
        started = time.perf_counter()
        select.locator("select").select_option(label=option)
        page.wait_for_function(
            "([sel, old]) => { const imgs = [...document.querySelectorAll(sel)];"
            " return imgs.length && imgs.every((img, i) => img.src !== old[i] && img.complete); }",
            arg=[STAGE_PICTURE, before],
            timeout=REACT,
        )
        latencies.append((time.perf_counter() - started) * 1e3)
        assert option.split(":")[0] in page.inner_text("body")
    print(
        "sample change -> every stage redrawn in the browser: "
        f"median {sorted(latencies)[2]:.0f} ms of {[round(ms) for ms in latencies]} "
        "(target <= 300 ms)"
    )

    page.locator(".widget-toggle-buttons button", has_text="4").click()
    page.wait_for_selector("text=The batch: B = 4", timeout=REACT)
    assert "✗" not in page.inner_text("body")
    _shot(page, artifacts / "network-batch.png")

    page.locator(".widget-play button").first.click()  # play from the start
    page.wait_for_timeout(1500)
    hidden = page.eval_on_selector_all(
        STAGE_PICTURE, "imgs => imgs.filter(i => getComputedStyle(i).visibility === 'hidden')"
        ".length",
    )
    assert 0 < hidden < 8, "Play should reveal δ one layer at a time"
    # a screen reader hears where δ is (at most every 2 s while playing); pictures have alts
    live = page.locator(".cnnviz-live [aria-live='polite']")
    live.filter(has_text="δ moves through layer").wait_for(timeout=REACT)
    alts = page.eval_on_selector_all(STAGE_PICTURE, "imgs => imgs.map(i => i.alt)")
    assert [alt.split(" (")[0] for alt in alts] == [f"Layer {n}" for n in range(1, 9)], alts
    assert "3 (max-pool, MaxPool2D(2×2)): δ of shape (16, 7, 7)" in alts[2], alts[2]

    page.get_by_text("open conv 2 in the one-layer explorer").click()
    page.wait_for_selector("text=its real x, W and δ", timeout=REACT)
    text = page.inner_text("body")
    for word in ERROR_WORDS:
        assert word not in text, f"{word!r} shown on the page"
    assert page.cnnviz_errors == []
