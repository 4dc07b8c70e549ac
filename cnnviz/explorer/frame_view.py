"""The explorer's picture, sent to the browser as only what changed since the last step.

A whole frame of the course-demo preset is a 120-170 KB PNG, and one animation step changes
only the cells around the window that moved (10-30 thousand of its 900 thousand pixels). So
:class:`FrameView` sends a whole PNG once per layout or walk (``full``), and for each step
only the 24-pixel tiles that differ from the previous step, each run of neighbouring tiles as
one small PNG (``patch``). Its browser side pastes them on a canvas, in order, and shows the
result in an ``<img class="widget-image">``, like an ``ipywidgets.Image``. A browser that
missed a step (a second view, a reload) asks for a whole frame again.

Patch format (``patch`` bytes): ``>H`` count, then ``count`` times ``>HHHH`` (left, top,
width, height), then one PNG holding those boxes stacked top to bottom at its left edge (one
image to decode per step: decoding 30 small PNGs was the browser's slowest part). ``patch_base``
is the ``full_id``/``patch_id`` the patch applies to.

Use::

    view = FrameView()
    view.show(rgb)        # (H, W, 3) uint8; view.value is that frame as PNG bytes
"""

from __future__ import annotations

import struct

import anywidget
import numpy as np
import traitlets

from cnnviz.explorer.render.raster import encode_png
from cnnviz.explorer.web import asset

TILE = 24  # px: measured on course-demo, 16-32 px tiles give 17-21 KB a step, 24 the least
FULL_ABOVE = 0.5  # send the whole frame when more than this share of it changed

_ESM = asset("frame_view.js")

_CSS = ".cnnviz-frame { max-width: 100%; display: block; }"


def _changed_runs(before: np.ndarray, after: np.ndarray) -> list[tuple[int, int, int, int]]:
    """``(top, bottom, left, right)`` pixel boxes: runs of changed tiles along each tile row."""
    height, width, _ = after.shape
    # compared as (H, 3W) rows: 2.3x faster than reducing over the colour axis (measured)
    changed = after.reshape(height, 3 * width) != before.reshape(height, 3 * width)
    rows, cols = -(-height // TILE), -(-width // TILE)
    padded = np.zeros((rows * TILE, cols * TILE * 3), dtype=bool)
    padded[:height, : 3 * width] = changed
    tiles = padded.reshape(rows, TILE, cols, TILE * 3).any(axis=(1, 3))
    boxes = []
    for row in np.flatnonzero(tiles.any(axis=1)):
        marks = np.diff(np.concatenate(([0], tiles[row].astype(np.int8), [0])))
        starts, ends = np.flatnonzero(marks == 1), np.flatnonzero(marks == -1)
        top, bottom = row * TILE, min((row + 1) * TILE, height)
        pairs = zip(starts, ends, strict=True)
        boxes += [(top, bottom, a * TILE, min(b * TILE, width)) for a, b in pairs]
    return boxes


class FrameView(anywidget.AnyWidget):
    """An image that sends the browser only the tiles that changed since the last frame."""

    _esm = _ESM
    _css = _CSS
    full = traitlets.Bytes(b"").tag(sync=True)
    full_id = traitlets.Int(0).tag(sync=True)
    patch = traitlets.Bytes(b"").tag(sync=True)
    patch_id = traitlets.Int(0).tag(sync=True)
    patch_base = traitlets.Int(0).tag(sync=True)
    alt = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._rgb: np.ndarray | None = None
        self._sequence = 0
        self.on_msg(self._on_message)

    @property
    def value(self) -> bytes:
        """The frame on screen as PNG bytes (empty before the first :meth:`show`)."""
        return b"" if self._rgb is None else encode_png(self._rgb)

    def show(self, rgb: np.ndarray) -> None:
        """Show the ``(H, W, 3)`` uint8 frame ``rgb`` (kept, not copied: do not modify it)."""
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"rgb must be an (H, W, 3) uint8 array; got {rgb.shape} {rgb.dtype}")
        before, self._rgb = self._rgb, rgb
        if before is None or before.shape != rgb.shape:
            self._send_full()
            return
        boxes = _changed_runs(before, rgb)
        area = sum((b - t) * (r - lft) for t, b, lft, r in boxes)
        if area > FULL_ABOVE * rgb.shape[0] * rgb.shape[1]:
            self._send_full()
        elif boxes:
            self._send_patch(boxes)

    def _send_full(self) -> None:
        self._sequence += 1
        with self.hold_sync():
            self.full = encode_png(self._rgb)
            self.full_id = self._sequence

    def _send_patch(self, boxes: list[tuple[int, int, int, int]]) -> None:
        width = max(right - left for _, _, left, right in boxes)
        height = sum(bottom - top for top, bottom, _, _ in boxes)
        strip = np.full((height, width, 3), 255, dtype=np.uint8)
        table, y = [struct.pack(">H", len(boxes))], 0
        for top, bottom, left, right in boxes:
            strip[y : y + bottom - top, : right - left] = self._rgb[top:bottom, left:right]
            table.append(struct.pack(">HHHH", left, top, right - left, bottom - top))
            y += bottom - top
        self._sequence += 1
        with self.hold_sync():
            self.patch = b"".join(table) + encode_png(strip, level=6)
            self.patch_base = self._sequence - 1
            self.patch_id = self._sequence

    def _on_message(self, _widget, content, _buffers) -> None:
        if isinstance(content, dict) and content.get("want") == "full" and self._rgb is not None:
            self._send_full()
