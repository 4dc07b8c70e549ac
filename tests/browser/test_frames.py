"""An animation step is light on the wire, and the browser shows exactly the kernel's frame.

The page's kernel websocket is watched (Playwright ``page.on("websocket")`` frames) while the
"◀ step" button steps back through the course-demo walk: each step must bring at most 30 KB
(a whole PNG was about 159 KB). The picture the page then shows is read back from the browser
and compared, pixel for pixel, with the frame the painter draws for that step here. Then Play
runs at its top speed, stepping through the clips the kernel sent ahead: the pictures must
move on in the browser, and the one shown after a pause must be exactly that step's frame.
"""

from __future__ import annotations

import base64
import io
import statistics

import numpy as np
import pytest
from PIL import Image
from servers import (
    EXPLORER_FIGURE,
    picture_of,
    pictures_seen,
    wait_for_new_picture,
    wait_for_picture,
    watch_pictures,
)

from cnnviz.explorer.layer import snapshot_from_settings
from cnnviz.explorer.presets import DEFAULT_PRESET, PRESETS
from cnnviz.explorer.render.fanout import FanOutFigure

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIGURE = EXPLORER_FIGURE
STEPS = 6
MOST_PER_STEP = 30 * 1024  # bytes (issue 12)
_SHOWN_PIXELS = """(sel) => document.querySelector(sel).toDataURL('image/png').split(',')[1]"""


def _shown(page) -> np.ndarray:
    png = base64.b64decode(page.evaluate(_SHOWN_PIXELS, FIGURE))
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_a_step_sends_at_most_30_kb_and_shows_the_kernels_frame(voila_base_url, open_page):
    received: list[int] = []

    def watch(socket) -> None:
        if "/channels" in socket.url:
            socket.on("framereceived", lambda payload: received.append(len(payload)))

    page = open_page("about:blank")
    page.on("websocket", watch)
    page.goto(f"{voila_base_url}/voila/render/explorer.ipynb", wait_until="domcontentloaded")
    wait_for_picture(page)
    page.get_by_text("finite-difference check").wait_for(timeout=120_000)
    page.wait_for_timeout(1000)
    figure = FanOutFigure(snapshot_from_settings(PRESETS[DEFAULT_PRESET].settings))
    per_step = []
    for _ in range(STEPS):
        old = picture_of(page)
        before = sum(received)
        page.get_by_role("button", name="◀ step").first.click()
        wait_for_new_picture(page, old)
        page.wait_for_timeout(300)
        per_step.append(sum(received) - before)
    assert max(per_step) <= MOST_PER_STEP, per_step
    assert statistics.median(per_step) > 1000  # the steps did arrive over this socket
    np.testing.assert_array_equal(_shown(page), figure.frame(figure.walk.count - 1 - STEPS))

    # Play at the top speed with repeat on: the browser steps through the kernel's clips
    assert page.eval_on_selector(FIGURE, "c => c.dataset.player") == "browser"
    speed = page.locator(".widget-slider", has=page.get_by_text("steps/s", exact=True))
    speed.locator(".noUi-handle").focus()
    page.keyboard.press("End")
    play = page.locator(".widget-play")
    play.locator("button").nth(2).click()  # repeat
    watch_pictures(page)
    play.locator("button").nth(0).click()
    page.wait_for_timeout(3000)
    play.locator("button").nth(0).click()  # pause
    seen = {step for _, step in pictures_seen(page)}
    assert len(seen) >= figure.walk.count // 2, f"Play showed only the steps {sorted(seen)}"
    assert int(page.eval_on_selector(FIGURE, "c => c.dataset.clipSteps")) == figure.walk.count
    page.wait_for_timeout(1500)  # the kernel's whole frame for the step Play stopped on
    step = int(page.eval_on_selector(FIGURE, "c => c.dataset.step"))
    readout = page.locator(".widget-slider", has=page.get_by_text("step", exact=True))
    assert int(readout.locator(".widget-readout").inner_text()) == step + 1  # counts from 1
    np.testing.assert_array_equal(_shown(page), figure.frame(step))
    assert page.cnnviz_errors == []
