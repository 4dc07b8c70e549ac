"""Every student: axe-core on the explorer and a lesson, and the explorer by keyboard alone.

axe-core (bundled by ``axe-playwright-python``, no network) runs the WCAG 2.0/2.1 A and AA
rules in Chromium on the Voila pages. Any serious or critical violation fails, except the
ones listed in :data:`UPSTREAM` (by rule and selector, each with the reason we cannot fix it
from our side). The keyboard test presses only Tab, Shift+Tab, arrows, Space and Enter.
"""

from __future__ import annotations

import json

import pytest
from servers import picture_of, wait_for_new_picture, wait_for_picture

from cnnviz.explorer.presets import PRESETS
from cnnviz.explorer.settings import RANGES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIRST_PAINT = 120_000  # ms: a fresh kernel on a loaded 2-core CI machine
TRAINS_AT_START = {"06_gesture_cnn": 240_000}  # ms: lesson 06 trains its CNN before it paints
REACT = 30_000  # ms
FIGURE = "canvas.cnnviz-frame, img.widget-image"  # the explorer's canvas, a lesson's image
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING = ("serious", "critical")
# (rule id, a string in the node's CSS selector, why it is not ours to fix). Keep it empty
# unless a violation sits in Voila's or JupyterLab's own markup.
UPSTREAM: list[tuple[str, str, str]] = []


def _open(open_page, base: str, name: str, query: str = ""):
    first_paint = TRAINS_AT_START.get(name, FIRST_PAINT)
    page = open_page(f"{base}/voila/render/{name}.ipynb{query}", timeout=first_paint)
    wait_for_picture(page, FIGURE, timeout=first_paint)
    # the page's own script has named the controls and described the figures
    page.wait_for_function(
        "window.cnnvizA11y && [...document.querySelectorAll('img.widget-image')]"
        ".every(img => img.alt) && [...document.querySelectorAll('canvas.cnnviz-frame')]"
        ".every(c => c.getAttribute('role') === 'img' && c.getAttribute('aria-label'))",
        timeout=REACT,
    )
    return page


def _axe(page) -> list[dict]:
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]}
    return Axe().run(page, options=options).response["violations"]


def _ours(violations: list[dict]) -> list[str]:
    """Serious and critical violation nodes not listed in :data:`UPSTREAM`, as lines."""
    found = []
    for violation in violations:
        if violation["impact"] not in FAILING:
            continue
        for node in violation["nodes"]:
            selector = " ".join(node["target"])
            if any(rule == violation["id"] and part in selector for rule, part, _ in UPSTREAM):
                continue
            found.append(f"{violation['id']} ({violation['impact']}): {selector}\n"
                         f"    {node['html'][:200]}")
    return found


@pytest.mark.parametrize(
    "name", ["explorer", "00_start_here", "01_single_channel", "02_depth", "03_stride",
             "04_weights_and_bias", "05_padding_dilation_overlap", "06_gesture_cnn", "network"]
)
def test_axe_finds_no_serious_violation_of_ours(voila_base_url, open_page, artifacts, name):
    page = _open(open_page, voila_base_url, name)
    violations = _axe(page)
    counts = {v["id"]: (v["impact"], len(v["nodes"])) for v in violations}
    (artifacts / f"axe-{name}.json").write_text(json.dumps(counts, indent=1))
    ours = _ours(violations)
    assert not ours, f"{len(ours)} serious/critical axe violations on {name}:\n" + "\n".join(ours)


def _focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
        const box = e.closest('.widget-slider, .widget-dropdown, .widget-toggle-buttons');
        const label = box && box.querySelector('.widget-label');
        return {tag: e.tagName, cls: String(e.className),
                name: e.getAttribute('aria-label') || (label ? label.textContent : '')
                      || e.textContent.trim()}; }"""
    )


def _tab_until(page, wanted, *, back: bool = False, limit: int = 60) -> list[dict]:
    """Press Tab (or Shift+Tab) until ``wanted(focused)``; return what was passed on the way."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        focused = _focused(page)
        seen.append(focused)
        if wanted(focused):
            return seen
    raise AssertionError(f"never reached by {'Shift+' if back else ''}Tab: {seen}")


def _step_readout(page) -> int:
    slider = page.locator(".widget-slider", has=page.get_by_text("step", exact=True))
    return int(slider.locator(".widget-readout").inner_text())


def test_keyboard_alone_from_preset_menu_to_export(voila_base_url, open_page, artifacts):
    page = _open(open_page, voila_base_url, "explorer")
    # Tab from the top of the page: the preset menu comes first, then the controls in order
    seen = _tab_until(page, lambda f: f["tag"] == "SELECT" and "preset" in f["name"])
    assert len(seen) <= 3, f"the preset menu should come first, passed {seen}"
    preset = ".widget-dropdown select"  # the first menu on the page
    assert page.eval_on_selector(preset, "s => s.value") == PRESETS["course-demo"].title
    for _ in range(2):  # down the menu without opening it, to the 16-step uneven-overlap
        figure = picture_of(page)
        page.keyboard.press("ArrowDown")
        wait_for_new_picture(page, figure)
    assert page.eval_on_selector(preset, "s => s.value") == PRESETS["uneven-overlap"].title
    order = _tab_until(page, lambda f: f["name"] == "Export GIF")
    names = [f["name"] for f in order]
    labels = [label for _, _, label in RANGES.values()]  # every geometry slider, in page order
    handles = [f["name"] for f in order if "noUi-handle" in f["cls"]]
    assert [n for n in handles if n in labels] == labels, names
    fields = [f["name"] for f in order if "widget-readout" in f["cls"]]
    assert fields[:2] == [f"{labels[0]}, type a value", f"{labels[1]}, type a value"], fields
    for earlier, later in [("stride s", "activation below (σ)"),
                           ("activation below (σ)", "walk"), ("walk", "Export GIF")]:
        assert any(earlier in n for n in names) and any(later in n for n in names), names
        first = next(i for i, n in enumerate(names) if earlier in n)
        second = next(i for i, n in enumerate(names) if later in n)
        assert first < second, f"{earlier!r} after {later!r} in the Tab order {names}"
    after = _tab_until(page, lambda f: f["name"] == "step" and "noUi-handle" in f["cls"])
    tab_names = [f["name"] for f in after]
    assert tab_names[:3] == ["Play", "Stop: back to the first step",
                             "Repeat: start again at the end"], tab_names
    assert "◀ step" in tab_names and "step ▶" in tab_names
    page.screenshot(path=str(artifacts / "keyboard-focus-step.png"))

    # arrows move the step while the step control has focus
    last = _step_readout(page)
    figure = picture_of(page)
    assert last == 16  # the walk ends on its last step (the slider counts from 1)
    for _ in range(10):
        page.keyboard.press("ArrowLeft")
    wait_for_new_picture(page, figure)
    assert _step_readout(page) == last - 10
    live = page.locator(".cnnviz-live [aria-live='polite']")
    live.filter(has_text="Step 6 of 16").wait_for(timeout=REACT)
    page.wait_for_function(
        "() => document.querySelector('canvas.cnnviz-frame').getAttribute('aria-label')"
        ".includes('Step 6 of 16')",
        timeout=REACT,
    )

    # Space plays and pauses; while playing the live region speaks at most every 2 s
    page.evaluate(
        """() => { window.cnnvizSaid = [];
        const region = document.querySelector('.cnnviz-live [aria-live]');
        new MutationObserver(() => window.cnnvizSaid.push(region.textContent))
            .observe(region, {childList: true, subtree: true, characterData: true}); }"""
    )
    play = page.locator(".widget-play button").first
    page.keyboard.press("Space")
    page.wait_for_function(
        "() => document.querySelector('.widget-play button').getAttribute('aria-label')"
        " === 'Pause'", timeout=REACT,
    )
    page.wait_for_timeout(1500)
    page.keyboard.press("Space")
    page.wait_for_function(
        "() => document.querySelector('.widget-play button').getAttribute('aria-label')"
        " === 'Play'", timeout=REACT,
    )
    assert _step_readout(page) > last - 10, "Play did not move the step"
    assert play.get_attribute("aria-label") == "Play"
    said = page.evaluate("window.cnnvizSaid")
    # a few steps in about 2 s of Play, then the step it paused on: never one per frame
    assert 1 <= len(said) <= 3, said
    page.locator(".cnnviz-live [aria-live]").filter(
        has_text=f"Step {_step_readout(page)} of").wait_for(timeout=REACT)

    # the step buttons work with Enter (back: Play may have stopped on the last step);
    # then back to Export GIF and download the GIF
    _tab_until(page, lambda f: f["name"] == "◀ step", back=True)
    before = _step_readout(page)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "n => Number(document.querySelectorAll('.widget-play ~ .widget-slider"
        " .widget-readout')[0].textContent) !== n", arg=before, timeout=REACT,
    )
    _tab_until(page, lambda f: f["name"] == "Export GIF", back=True)
    page.screenshot(path=str(artifacts / "keyboard-focus-export.png"))
    page.keyboard.press("Enter")
    page.locator("a[download]").wait_for(timeout=60_000)
    _tab_until(page, lambda f: f["tag"] == "A" and "Download" in f["name"])
    with page.expect_download(timeout=REACT) as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".gif")
    assert page.cnnviz_errors == []
