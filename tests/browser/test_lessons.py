"""The lessons as Voila pages in a real Chromium: math typeset, views step, answer boxes mark.

Screenshots go to ``test-artifacts/lesson-*.png``.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIRST_PAINT = 120_000  # ms: a fresh kernel on a loaded 2-core CI machine
REACT = 30_000  # ms
LESSONS = [
    "00_start_here",
    "01_single_channel",
    "02_depth",
    "03_stride",
    "04_weights_and_bias",
    "05_padding_dilation_overlap",
]


def _lesson(open_page, base: str, name: str, theme: str = "light"):
    page = open_page(f"{base}/voila/render/{name}.ipynb?theme={theme}", width=1200, height=900)
    page.wait_for_selector("img.widget-image, .jp-OutputArea-output img", timeout=FIRST_PAINT)
    page.wait_for_function(
        "document.querySelectorAll('mjx-container, .MathJax').length > 0", timeout=REACT
    )
    return page


def _visible_image_src(page, index: int = 0) -> str:
    return page.locator("img.widget-image:visible").nth(index).get_attribute("src")


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_page_shows_math_figures_and_no_errors(open_page, voila_base_url, artifacts, name):
    page = _lesson(open_page, voila_base_url, name)
    text = page.inner_text("body")
    assert "Traceback" not in text and "AssertionError" not in text
    assert "Check yourself" in text and "Right:" not in text  # no answer before one is typed
    # static figures and the views' images (widgets render a moment after the text)
    page.wait_for_function("document.querySelectorAll('img').length >= 1", timeout=REACT)
    assert page.cnnviz_errors == []
    page.set_viewport_size({"width": 1200, "height": 2400})
    page.screenshot(path=str(artifacts / f"lesson-{name}.png"))


def test_scatter_stepper_steps_in_the_browser(open_page, voila_base_url, artifacts):
    page = _lesson(open_page, voila_base_url, "01_single_channel")
    slider = page.locator(".widget-slider").first
    slider.scroll_into_view_if_needed()
    before = _visible_image_src(page)
    page.locator(".widget-slider .noUi-handle").first.focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "old => [...document.querySelectorAll('img.widget-image')]"
        ".some(img => img.offsetParent !== null && img.src !== old)",
        arg=before,
        timeout=REACT,
    )
    assert _visible_image_src(page) != before
    page.screenshot(path=str(artifacts / "lesson-01-step-4.png"))


def test_picker_switches_the_view(open_page, voila_base_url):
    page = _lesson(open_page, voila_base_url, "02_depth")
    select = page.locator(".widget-dropdown select").last  # the lesson's (filter, channel) picker
    select.scroll_into_view_if_needed()
    before = (
        page.locator(".widget-dropdown")
        .last.locator("xpath=ancestor::div[contains(@class,'widget-vbox')][1]")
        .locator("img.widget-image:visible")
        .get_attribute("src")
    )
    select.select_option(index=4)
    page.wait_for_function(
        "old => [...document.querySelectorAll('img.widget-image')]"
        ".some(img => img.offsetParent !== null && img.src !== old && img.naturalWidth > 0)",
        arg=before,
        timeout=REACT,
    )
    assert page.cnnviz_errors == []
