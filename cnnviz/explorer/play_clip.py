"""Play in the browser: the walk's steps sent ahead, so Play need not wait for the kernel.

ipywidgets sends Play's next value only once the kernel has answered the last one, so a step
cost a whole round trip, browser -> server -> kernel -> server -> browser: 50-60 ms on the
project's 2-core machine, and Play on the course-demo preset showed 15-16 pictures a second at
its top speed of 30 (bench/bench_frames.py). So when Play starts, the kernel paints the whole
cycle of the walk (each step after the current one, round to it again) and sends it as clips
of a few steps each, in its idle time between messages (:class:`PlayClip`); the browser keeps
them for the walk's ``epoch`` and, at each of Play's ticks, pastes the steps from the one it
shows to the one Play reached (``web/frame_view.js``).

A walk of more than :data:`MOST_STEPS` steps plays from the kernel as before (the browser
would hold too many patches).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from itertools import islice

from cnnviz.explorer.frame_codec import transition
from cnnviz.explorer.frame_view import FrameView
from cnnviz.explorer.render.fanout import FanOutFigure

CHUNK = 4  # steps per clip message: painting 4 steps takes ~20-40 ms, short enough to interleave
MOST_STEPS = 400  # about 10 MB of patches held by the browser at ~25 KB a step


def cycle(figure: FanOutFigure, after: int) -> Iterator[tuple[int, int, bytes]]:
    """``(step, kind, payload)`` for every step of the figure's walk, starting after ``after``
    and wrapping round to it: each entry turns the step before it into that step. It stops
    early if the figure is switched to the other walk meanwhile."""
    walk, count = figure.walk.walk, figure.walk.count
    before = _painted(figure, after % count)
    for n in range(1, count + 1):
        if figure.walk.walk != walk:
            return
        step = (after + n) % count
        rgb = _painted(figure, step)
        yield (step, *transition(before, rgb))
        before = rgb


def _painted(figure: FanOutFigure, step: int):
    on_screen = figure.current  # painting moves it; the page still shows its own step
    try:
        return figure.frame(step)
    finally:
        figure.current = on_screen


class PlayClip:
    """Sends the browser one walk's cycle in clips, while Play runs, without blocking."""

    def __init__(self, view: FrameView) -> None:
        self.view = view
        self._key: tuple | None = None  # (figure, walk, epoch) being sent or sent
        self._count = self._sent = 0  # steps in that walk, and sent so far
        self._job: Iterator | None = None
        self._pending: asyncio.Handle | None = None

    def covers(self, figure: FanOutFigure, epoch: int) -> bool:
        """Whether the browser has (part of) this figure's walk to play by itself."""
        return self._key == (figure, figure.walk.walk, epoch) and self._sent > 0

    def start(self, figure: FanOutFigure, *, epoch: int, after: int) -> None:
        """Send the cycle of ``figure``'s walk, from the step after ``after`` on, in clips."""
        key = (figure, figure.walk.walk, epoch)
        if key == self._key and (self._job is not None or self._sent == self._count):
            return  # being sent, or the browser has it all already
        self.stop()
        if not 2 <= figure.walk.count <= MOST_STEPS:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a script, a test): Play asks the kernel each step
            return
        self._key, self._count, self._sent = key, figure.walk.count, 0
        self._job = cycle(figure, after)
        self._pending = loop.call_soon(self._send_next, loop)

    def stop(self) -> None:
        """Stop sending (the clips already sent stay valid for their epoch)."""
        if self._pending is not None:
            self._pending.cancel()
        if self._job is not None:
            self._job.close()
            if self._sent < self._count:
                self._key = None  # half sent: the next start begins again
        self._pending = self._job = None

    def _send_next(self, loop: asyncio.AbstractEventLoop) -> None:
        self._pending = None
        if self._job is None:
            return
        try:
            entries = list(islice(self._job, CHUNK))
        except Exception:  # noqa: BLE001 - a clip only saves time: Play falls back to the kernel
            self._job, self._key = None, None
            return
        if entries:
            self.view.send_clip(entries, epoch=self._key[2], count=self._count)
            self._sent += len(entries)
        if len(entries) < CHUNK:
            self._job = None
        else:
            self._pending = loop.call_soon(self._send_next, loop)
