"""FrameView sends whole frames and patches that rebuild exactly the frame shown."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from cnnviz.explorer.frame_view import FrameView
from cnnviz.explorer.layer import snapshot_from_settings
from cnnviz.explorer.presets import DEFAULT_PRESET, PRESETS
from cnnviz.explorer.render.fanout import FanOutFigure


def _decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _apply(canvas: np.ndarray, patch: bytes) -> None:
    """What the browser side does with a patch (frame_view._ESM's drawPatch)."""
    (count,) = struct.unpack_from(">H", patch, 0)
    strip = _decode(patch[2 + 8 * count :])
    y = 0
    for n in range(count):
        left, top, width, height = struct.unpack_from(">HHHH", patch, 2 + 8 * n)
        canvas[top : top + height, left : left + width] = strip[y : y + height, :width]
        y += height


class _Browser:
    """Follows a FrameView's messages as its browser side would; ``asked`` counts full requests."""

    def __init__(self, view: FrameView) -> None:
        self.view, self.canvas, self.current, self.sizes = view, None, -1, []
        view.observe(self._full, names="full_id")
        view.observe(self._patch, names="patch_id")

    def _full(self, _change) -> None:
        self.canvas, self.current = _decode(self.view.full).copy(), self.view.full_id

    def _patch(self, _change) -> None:
        assert self.view.patch_base == self.current
        _apply(self.canvas, self.view.patch)
        self.current = self.view.patch_id
        self.sizes.append(len(self.view.patch))


@pytest.mark.parametrize("walk", ["scatter", "gather"])
def test_patches_rebuild_every_frame_exactly_and_are_light(walk):
    figure = FanOutFigure(snapshot_from_settings(PRESETS[DEFAULT_PRESET].settings), walk=walk)
    view = FrameView()
    browser = _Browser(view)
    for index in [figure.walk.count - 1, *range(figure.walk.count - 2, -1, -1), 5, 9]:
        rgb = figure.frame(index)
        view.show(rgb)
        np.testing.assert_array_equal(browser.canvas, rgb)
    assert view.full_id == 1  # one whole frame, then only patches
    steps = browser.sizes[: figure.walk.count - 1]  # one step at a time, as Play goes
    assert max(steps) <= 30 * 1024, max(steps)  # issue 12: <= 30 KB a step
    np.testing.assert_array_equal(_decode(view.value), figure.frame(9))


def test_a_new_size_or_a_browser_that_asks_gets_a_whole_frame():
    view = FrameView()
    assert view.value == b""
    view.show(np.zeros((40, 60, 3), np.uint8))
    view.show(np.full((40, 60, 3), 255, np.uint8))  # everything changed: a whole frame
    assert view.full_id == 2 and view.patch_id == 0
    view.show(np.zeros((30, 60, 3), np.uint8))  # a new layout
    assert view.full_id == 3
    view._handle_custom_msg({"want": "full"}, [])
    assert view.full_id == 4
    with pytest.raises(ValueError, match="rgb must be"):
        view.show(np.zeros((4, 4), np.uint8))
