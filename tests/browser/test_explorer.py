"""The explorer in a real Chromium against Voila: it draws, reacts, animates, shows no errors.

Screenshots go to ``test-artifacts/`` (light and dark theme, each preset, while playing).
"""

from __future__ import annotations

import pytest
from servers import (
    EXPLORER_FIGURE,
    picture_of,
    pictures_seen,
    wait_for_new_picture,
    wait_for_picture,
    watch_pictures,
)

from cnnviz.explorer.presets import PRESETS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIRST_PAINT = 120_000  # ms: a fresh kernel on a loaded 2-core CI machine
REACT = 30_000  # ms
ERROR_WORDS = ("Traceback", "Error", "could not be drawn", "Exception")
FIGURE = EXPLORER_FIGURE


def _explorer(open_page, base: str, query: str = "", **size):
    page = open_page(f"{base}/voila/render/explorer.ipynb{query}", **size)
    wait_for_picture(page, timeout=FIRST_PAINT)
    return page


def _shot(page, path, tall: bool = True) -> None:
    """A screenshot; ``tall`` also shows what is below the fold (Voila scrolls inside a div)."""
    size = page.viewport_size
    if tall:
        page.set_viewport_size({"width": size["width"], "height": 2000})
        page.wait_for_timeout(300)
    page.screenshot(path=str(path))
    if tall:
        page.set_viewport_size(size)


def _assert_clean(page) -> None:
    text = page.inner_text("body")
    for word in ERROR_WORDS:
        assert word not in text, f"{word!r} shown on the page:\n{text[:2000]}"
    assert page.cnnviz_errors == []


def _slider_handle(page, label: str):
    slider = page.locator(".widget-slider", has=page.get_by_text(label, exact=True))
    return slider.locator(".noUi-handle")


def _readout(page, label: str) -> str:
    slider = page.locator(".widget-slider", has=page.get_by_text(label, exact=True))
    return slider.locator(".widget-readout").inner_text()


def test_explorer_draws_reacts_and_plays(voila_base_url, open_page, artifacts):
    page = _explorer(open_page, voila_base_url)
    # the default preset fits a 1366x768 laptop screen without horizontal scrolling
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"page scrolls sideways by {overflow} px"
    _shot(page, artifacts / "explorer-light-1366x768.png", tall=False)
    _shot(page, artifacts / "explorer-light.png")
    _assert_clean(page)

    # stride: keyboard on the slider handle, and the picture changes
    before = picture_of(page)
    assert _readout(page, "stride s") == "2"
    handle = _slider_handle(page, "stride s")
    handle.focus()
    page.keyboard.press("ArrowLeft")
    wait_for_new_picture(page, before)
    assert _readout(page, "stride s") == "1"
    _shot(page, artifacts / "explorer-stride-1.png")

    # Play: frames advance
    watch_pictures(page)
    page.locator(".widget-play button").first.click()
    page.wait_for_timeout(2500)
    frames = len(pictures_seen(page))
    _shot(page, artifacts / "explorer-playing.png", tall=False)
    page.locator(".widget-play button").first.click()  # pause
    assert frames >= 4, f"only {frames} frames in 2.5 s of Play"
    _assert_clean(page)


@pytest.mark.parametrize("walk", ["gather"])
def test_every_preset_draws(voila_base_url, open_page, artifacts, walk):
    page = _explorer(open_page, voila_base_url)
    page.get_by_text(walk + " (per input pixel)").click()
    for name, preset in PRESETS.items():
        if name == "course-demo":
            continue
        before = picture_of(page)
        page.locator(".widget-dropdown select").first.select_option(label=preset.title)
        wait_for_new_picture(page, before)
        _shot(page, artifacts / f"explorer-preset-{name}.png")
        _assert_clean(page)


def test_dark_theme_and_link(voila_base_url, open_page, artifacts):
    page = _explorer(open_page, voila_base_url, "?theme=dark&preset=uneven-overlap&stride=3")
    assert _readout(page, "stride s") == "3"
    _shot(page, artifacts / "explorer-dark.png")
    _assert_clean(page)


def test_every_control_takes_keyboard_focus(voila_base_url, open_page):
    page = _explorer(open_page, voila_base_url)
    handles = page.locator(".noUi-handle")
    assert handles.count() >= 12
    for index in range(handles.count()):
        if handles.nth(index).is_visible():
            assert handles.nth(index).get_attribute("tabindex") == "0"
    # Tab from the top reaches the first slider handle and a button
    reached = set()
    page.locator("body").click(position={"x": 5, "y": 5})
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.className + ' ' + "
                                  "document.activeElement.tagName"))
    joined = " ".join(reached)
    assert "noUi-handle" in joined and "BUTTON" in joined and "SELECT" in joined


def test_export_gif_offers_a_download(voila_base_url, open_page):
    page = _explorer(open_page, voila_base_url, "?preset=stride-2")
    page.get_by_role("button", name="Export GIF").click()
    link = page.locator("a[download]")
    link.wait_for(timeout=60_000)
    assert link.get_attribute("href").startswith("data:image/gif;base64,R0lGOD")  # "GIF8"
    assert link.get_attribute("download").endswith(".gif")
    _assert_clean(page)


def test_depth_10_shows_all_channels_without_sideways_scrolling(voila_base_url, open_page,
                                                                  artifacts):
    page = _explorer(open_page, voila_base_url, "?preset=depth-10")
    assert page.get_by_text("all 10 at once", exact=True).is_visible()
    assert not page.get_by_text("first channel", exact=True).is_visible()
    width = page.eval_on_selector(FIGURE, "canvas => canvas.width")
    shown = page.eval_on_selector(FIGURE, "canvas => canvas.getBoundingClientRect().width")
    assert shown >= width - 1, f"the figure is scaled down from {width} to {shown} px"
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"page scrolls sideways by {overflow} px"
    _shot(page, artifacts / "explorer-depth-10-all-channels.png", tall=False)
    _shot(page, artifacts / "explorer-depth-10-all-channels-tall.png")
    before = picture_of(page)
    page.get_by_text("4 at a time, bigger cells", exact=True).click()
    wait_for_new_picture(page, before)
    assert page.get_by_text("first channel", exact=True).is_visible()
    _shot(page, artifacts / "explorer-depth-10-four-channels.png", tall=False)
    _assert_clean(page)
