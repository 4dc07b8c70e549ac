"""The explorer's picture: a canvas in the browser fed whole frames, patches and clips.

:class:`FrameView` sends a whole PNG once per layout (``full``) and then, per step, only the
tiles that changed (``patch``; formats in :mod:`cnnviz.explorer.frame_codec`). Each carries
the walk step it shows (``shown_step``) and the ``epoch`` of the figure it belongs to (a new
epoch per layer, window or walk). Its browser side pastes them on a ``<canvas role="img">``,
in order; a browser that missed a step (a second view, a reload) asks for a whole frame again.

While Play runs, the browser does not wait for the kernel at every step: the kernel sends the
walk's steps ahead as a ``clip`` (:mod:`cnnviz.explorer.play_clip`), and the browser shows the
step the Play control (``play``, the page's ``ipywidgets.Play``) reaches from it at once. The
kernel then keeps painting the steps it is told about without sending them
(:meth:`FrameView.show` with ``send=False``), and sends a whole frame when Play stops.

Use::

    view = FrameView()
    view.show(rgb, step=3)   # (H, W, 3) uint8; view.value is that frame as PNG bytes
"""

from __future__ import annotations

import anywidget
import ipywidgets as widgets
import numpy as np
import traitlets

from cnnviz.explorer.frame_codec import FULL, NO_CHANGE, clip_bytes, transition
from cnnviz.explorer.render.raster import encode_png
from cnnviz.explorer.web import asset

_ESM = asset("frame_view.js")

_CSS = ".cnnviz-frame { max-width: 100%; height: auto; display: block; }"


class FrameView(anywidget.AnyWidget):
    """A canvas that the kernel feeds only what changed, and that plays clips by itself."""

    _esm = _ESM
    _css = _CSS
    full = traitlets.Bytes(b"").tag(sync=True)
    full_id = traitlets.Int(0).tag(sync=True)
    patch = traitlets.Bytes(b"").tag(sync=True)
    patch_id = traitlets.Int(0).tag(sync=True)
    patch_base = traitlets.Int(0).tag(sync=True)
    shown_step = traitlets.Int(-1).tag(sync=True)
    epoch = traitlets.Int(0).tag(sync=True)
    clip = traitlets.Bytes(b"").tag(sync=True)
    clip_id = traitlets.Int(0).tag(sync=True)
    clip_epoch = traitlets.Int(-1).tag(sync=True)
    clip_count = traitlets.Int(0).tag(sync=True)
    play = traitlets.Instance(widgets.Play, allow_none=True).tag(
        sync=True, **widgets.widget_serialization
    )
    alt = traitlets.Unicode("").tag(sync=True)
    # Play's value of walk step 0: the page counts steps from 1 (Step 1 of M is slider value 1)
    play_first = traitlets.Int(0).tag(sync=True)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._rgb: np.ndarray | None = None
        self._step, self._epoch = -1, 0
        self._in_sync = False  # the browser shows exactly self._rgb
        self._sequence = 0
        self.on_msg(self._on_message)

    @property
    def value(self) -> bytes:
        """The frame on screen as PNG bytes (empty before the first :meth:`show`)."""
        return b"" if self._rgb is None else encode_png(self._rgb)

    def show(self, rgb: np.ndarray, *, step: int = -1, epoch: int = 0, send: bool = True) -> None:
        """Show the ``(H, W, 3)`` uint8 frame ``rgb`` of walk step ``step`` of figure ``epoch``.

        ``rgb`` is kept, not copied: do not modify it. ``send=False`` keeps it without sending
        (the browser is playing a clip); the next frame sent is then a whole one.
        """
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"rgb must be an (H, W, 3) uint8 array; got {rgb.shape} {rgb.dtype}")
        before = self._rgb if self._in_sync else None
        self._rgb, self._step, self._epoch = rgb, int(step), int(epoch)
        if not send:
            self._in_sync = False
            return
        kind, payload = transition(before, rgb)
        if kind == FULL:
            self._send_full(payload)
        elif payload != NO_CHANGE or self.shown_step != self._step:
            self._send_patch(payload)
        self._in_sync = True

    def send_clip(self, entries: list[tuple[int, int, bytes]], *, epoch: int, count: int) -> None:
        """Send ``(step, kind, payload)`` entries of figure ``epoch``'s walk of ``count`` steps."""
        with self.hold_sync():
            self.clip = clip_bytes(entries)
            self.clip_epoch, self.clip_count = int(epoch), int(count)
            self.clip_id += 1

    def _send_full(self, png: bytes | None = None) -> None:
        self._sequence += 1
        with self.hold_sync():
            self.full = encode_png(self._rgb) if png is None else png
            self.shown_step, self.epoch = self._step, self._epoch
            self.full_id = self._sequence

    def _send_patch(self, patch: bytes) -> None:
        self._sequence += 1
        with self.hold_sync():
            self.patch = patch
            self.patch_base = self._sequence - 1
            self.shown_step, self.epoch = self._step, self._epoch
            self.patch_id = self._sequence

    def _on_message(self, _widget, content, _buffers) -> None:
        if isinstance(content, dict) and content.get("want") == "full" and self._rgb is not None:
            self._send_full()
            self._in_sync = True
