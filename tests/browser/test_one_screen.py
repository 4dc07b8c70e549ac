"""One screen at 1366x768: the step's controls, its equation and its frame in the picture.

The step bar (Play, the step buttons, the slider and the step's equation) sticks to the top of
the window; once the student has scrolled the picture into view, stepping keeps all three
visible together, with no further scrolling. Checked on bounding boxes and on the screenshot's
pixels (the orange step frame below the bar).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from servers import picture_of, wait_for_new_picture, wait_for_picture

from cnnviz.explorer.render.raster import HIGHLIGHT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTH, HEIGHT = 1366, 768


def _inside(box, below: float = 0.0) -> bool:
    return box is not None and box["y"] >= below - 0.5 and box["y"] + box["height"] <= HEIGHT + 0.5


def _orange_rows(page, top: float) -> int:
    from PIL import Image

    shot = np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB"))
    orange = (shot == np.array(HIGHLIGHT, np.uint8)).all(axis=2)
    return int(orange[int(top) :].any(axis=1).sum())


def _check_one_screen(page) -> None:
    bar = page.locator(".cnnviz-stepbar").bounding_box()
    parts = {
        "Play": page.locator(".widget-play").first.bounding_box(),
        "step back": page.get_by_role("button", name="◀ step").bounding_box(),
        "step forward": page.get_by_role("button", name="step ▶").bounding_box(),
        "slider": page.locator(".cnnviz-stepbar .widget-slider").first.bounding_box(),
        "equation": page.locator(".cnnviz-equation").bounding_box(),
    }
    for name, box in parts.items():
        assert _inside(box), f"{name} is off screen: {box}"
    figure = page.locator("canvas.cnnviz-frame").bounding_box()
    assert figure["y"] < HEIGHT and figure["y"] + figure["height"] > bar["y"] + bar["height"]
    # the current step's orange frame shows in the picture, below the bar (not under it)
    assert _orange_rows(page, bar["y"] + bar["height"]) >= 10


def test_step_controls_equation_and_step_frame_share_one_screen(voila_base_url, open_page,
                                                                artifacts):
    page = open_page(f"{voila_base_url}/voila/render/explorer.ipynb", width=WIDTH,
                     height=HEIGHT)
    wait_for_picture(page, timeout=120_000)
    page.wait_for_selector(".cnnviz-equation b")
    # the student scrolls the picture into view once
    page.evaluate("document.querySelector('canvas.cnnviz-frame')"
                  ".scrollIntoView({block: 'end'})")
    page.wait_for_timeout(300)
    _check_one_screen(page)
    page.screenshot(path=str(artifacts / "explorer-one-screen-1366x768.png"))
    # then steps back with the button: everything stays in view, the equation follows
    before = picture_of(page)
    page.get_by_role("button", name="◀ step").click()
    wait_for_new_picture(page, before)
    page.wait_for_function("() => document.querySelector('.cnnviz-equation').innerText"
                           ".includes('Step 31 of 32')", timeout=30_000)
    _check_one_screen(page)
    readout = page.locator(".cnnviz-stepbar .widget-slider .widget-readout").first
    assert readout.inner_text().strip() == "31"  # the slider says what the text says


def test_gif_link_looks_like_a_link_and_goes_when_the_setting_changes(voila_base_url,
                                                                        open_page):
    page = open_page(f"{voila_base_url}/voila/render/explorer.ipynb?preset=single-channel",
                     width=WIDTH, height=HEIGHT)
    wait_for_picture(page, timeout=120_000)
    page.get_by_role("button", name="Export GIF").click()
    link = page.locator("a[download]")
    link.wait_for(timeout=60_000)
    style = link.evaluate("a => { const s = getComputedStyle(a), b = getComputedStyle("
                          "document.body); return [s.textDecorationLine, s.color, b.color]; }")
    assert "underline" in style[0] and style[1] != style[2], style
    before = picture_of(page)
    slider = page.locator(".widget-slider", has=page.get_by_text("stride s", exact=True))
    slider.locator(".noUi-handle").focus()
    page.keyboard.press("ArrowRight")  # stride 1 -> 2: a new walk
    wait_for_new_picture(page, before)
    link.wait_for(state="detached", timeout=30_000)  # the old walk's GIF is gone
