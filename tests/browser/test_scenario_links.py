"""Scenario links in a real Chromium: the page applies the link's preset and overrides, and a
hostile link shows a note instead of breaking."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from servers import wait_for_picture

from cnnviz.explorer.presets import PRESETS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIRST_PAINT = 120_000  # ms: a fresh kernel on a loaded 2-core CI machine
def _open(open_page, base: str, query: str):
    page = open_page(f"{base}/voila/render/explorer.ipynb?{query}")
    wait_for_picture(page, timeout=FIRST_PAINT)
    return page


def _readout(page, label: str) -> str:
    slider = page.locator(".widget-slider", has=page.get_by_text(label, exact=True))
    return slider.locator(".widget-readout").inner_text()


def _shown_preset(page) -> str:
    """The preset drop-down's shown title (ipywidgets writes spaces as no-break spaces)."""
    dropdown = page.locator(".widget-dropdown", has=page.get_by_text("preset", exact=True))
    text = dropdown.locator("select").evaluate("s => s.options[s.selectedIndex].textContent")
    return text.replace("\xa0", " ")


def test_scenario_link_applies_preset_and_overrides(voila_base_url, open_page, artifacts):
    page = _open(open_page, voila_base_url, "preset=stride-2&stride=3&depth=10")
    page.screenshot(path=str(artifacts / "scenario-link-stride-2.png"))
    assert _readout(page, "stride s") == "3"
    assert _readout(page, "input depth C") == "10"
    # the rest comes from the stride-2 preset: a 6x6 input, one filter
    assert _readout(page, "input height H") == "6"
    assert _readout(page, "filters K") == "1"
    # the page offers the link back, shortest form
    assert "preset=stride-2&depth=10&stride=3" in page.inner_text("body")
    assert page.cnnviz_errors == []


def test_link_to_a_plain_preset_selects_it(voila_base_url, open_page):
    page = _open(open_page, voila_base_url, "preset=depth-10")
    assert _shown_preset(page) == PRESETS["depth-10"].title
    assert _readout(page, "input depth C") == "10"


def test_hostile_link_shows_notes_and_the_default_scenario(voila_base_url, open_page):
    query = (
        "preset=" + quote("<script>alert(1)</script>")
        + "&stride=99&depth=-1&kernel=1e9&dilation=%EF%BC%93&stride=2"
        + "&" + "x" * 3000 + "=1"
    )
    page = _open(open_page, voila_base_url, query)
    body = page.inner_text("body")
    assert "There is no preset called" in body
    assert "must be between 1 and 4, not 99" in body
    assert "Traceback" not in body and "Error" not in body
    # nothing from the link became markup: no injected script ran, the default preset shows
    assert _shown_preset(page) == PRESETS["course-demo"].title
    assert _readout(page, "stride s") == str(PRESETS["course-demo"].settings.stride)
    assert page.cnnviz_errors == []
