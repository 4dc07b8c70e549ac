"""An animation step is light on the wire, and the browser shows exactly the kernel's frame.

The page's kernel websocket is watched (Playwright ``page.on("websocket")`` frames) while the
"◀ step" button steps back through the course-demo walk: each step must bring at most 30 KB
(a whole PNG was about 159 KB). The picture the page then shows is read back from the browser
and compared, pixel for pixel, with the frame the painter draws for that step here.
"""

from __future__ import annotations

import base64
import io
import statistics

import numpy as np
import pytest
from PIL import Image
from servers import wait_for_new_picture

from cnnviz.explorer.layer import snapshot_from_settings
from cnnviz.explorer.presets import DEFAULT_PRESET, PRESETS
from cnnviz.explorer.render.fanout import FanOutFigure

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIGURE = "img.widget-image"
STEPS = 6
MOST_PER_STEP = 30 * 1024  # bytes (issue 12)
_SHOWN_PIXELS = """async (sel) => { const img = document.querySelector(sel);
    const blob = await (await fetch(img.src)).blob();
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let text = ''; for (const b of bytes) text += String.fromCharCode(b); return btoa(text); }"""


_new_picture = wait_for_new_picture  # one copy, in tests/browser/servers.py


def test_a_step_sends_at_most_30_kb_and_shows_the_kernels_frame(voila_base_url, open_page):
    received: list[int] = []

    def watch(socket) -> None:
        if "/channels" in socket.url:
            socket.on("framereceived", lambda payload: received.append(len(payload)))

    page = open_page("about:blank")
    page.on("websocket", watch)
    page.goto(f"{voila_base_url}/voila/render/explorer.ipynb", wait_until="domcontentloaded")
    page.wait_for_function(
        f"() => {{ const img = document.querySelector('{FIGURE}');"
        " return img && img.naturalWidth > 0; }", timeout=120_000,
    )  # fmt: skip
    page.get_by_text("finite-difference check").wait_for(timeout=120_000)
    page.wait_for_timeout(1000)
    figure = FanOutFigure(snapshot_from_settings(PRESETS[DEFAULT_PRESET].settings))
    per_step = []
    for _ in range(STEPS):
        old = page.eval_on_selector(FIGURE, "img => img.src")
        before = sum(received)
        page.get_by_role("button", name="◀ step").first.click()
        _new_picture(page, old)
        page.wait_for_timeout(300)
        per_step.append(sum(received) - before)
    assert max(per_step) <= MOST_PER_STEP, per_step
    assert statistics.median(per_step) > 1000  # the steps did arrive over this socket
    shown = Image.open(io.BytesIO(base64.b64decode(page.evaluate(_SHOWN_PIXELS, FIGURE))))
    expected = figure.frame(figure.walk.count - 1 - STEPS)
    np.testing.assert_array_equal(np.asarray(shown.convert("RGB")), expected)
    assert page.cnnviz_errors == []
