"""FrameView sends whole frames, patches and clips that rebuild exactly the frame shown."""

from __future__ import annotations

import asyncio
import io
import struct
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from cnnviz.explorer.frame_codec import FULL, PATCH, read_clip
from cnnviz.explorer.frame_view import FrameView
from cnnviz.explorer.layer import snapshot_from_settings
from cnnviz.explorer.play_clip import MOST_STEPS, PlayClip, cycle
from cnnviz.explorer.presets import DEFAULT_PRESET, PRESETS
from cnnviz.explorer.render.fanout import FanOutFigure
from cnnviz.explorer.settings import Settings


def _decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _apply(canvas: np.ndarray, patch: bytes) -> None:
    """What the browser side does with a patch (frame_view._ESM's drawPatch)."""
    (count,) = struct.unpack_from(">H", patch, 0)
    if count == 0:
        return
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


def _in_own_loop(play) -> None:
    """Run the coroutine function ``play`` on a fresh event loop of its own thread, as a
    kernel's loop would run it (another test may have left this thread's loop running)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, play()).result()


def _replay(canvas: np.ndarray, kind: int, payload: bytes) -> np.ndarray:
    if kind == FULL:
        return _decode(payload).copy()
    assert kind == PATCH
    _apply(canvas, payload)
    return canvas


@pytest.mark.parametrize("walk", ["scatter", "gather"])
def test_a_clip_cycle_replays_every_step_of_the_walk_exactly(walk):
    figure = FanOutFigure(snapshot_from_settings(PRESETS[DEFAULT_PRESET].settings), walk=walk)
    count = figure.walk.count
    figure.frame(5)
    page_step = figure.current
    start = 7
    canvas = figure.frame(start).copy()
    entries = list(cycle(figure, start))
    assert [step for step, _, _ in entries] == [(start + n) % count for n in range(1, count + 1)]
    assert figure.current is not page_step and figure.current.index == start  # from frame(7)
    for step, kind, payload in entries:
        canvas = _replay(canvas, kind, payload)
        np.testing.assert_array_equal(canvas, FanOutFigure(figure.layer, walk=walk).frame(step))
    kinds = [kind for _, kind, _ in entries]
    assert kinds.count(PATCH) >= count - 2  # whole frames only where most of it changes


def test_painting_a_clip_leaves_the_pages_step_alone():
    figure = FanOutFigure(snapshot_from_settings(PRESETS[DEFAULT_PRESET].settings))
    figure.frame(3)
    shown = figure.current
    job = cycle(figure, 3)
    next(job)
    assert figure.current is shown
    figure.set_walk("gather")  # the page switched walks: the rest of the old cycle is dropped
    assert list(job) == []


def test_play_clip_sends_the_cycle_in_chunks_while_the_kernel_idles():
    figure = FanOutFigure(snapshot_from_settings(PRESETS[DEFAULT_PRESET].settings))
    count = figure.walk.count
    view = FrameView()
    clip = PlayClip(view)
    received: list[tuple[int, int, int]] = []
    view.observe(lambda _: received.extend(
        (view.clip_epoch, view.clip_count, step) for step, _, _ in read_clip(view.clip)),
        names="clip_id")

    async def play() -> None:
        clip.start(figure, epoch=4, after=count - 1)
        assert not clip.covers(figure, 4)  # nothing sent before the kernel is idle
        await asyncio.sleep(0)
        assert clip.covers(figure, 4) and not clip.covers(figure, 5)
        while len(received) < count:
            await asyncio.sleep(0)
        clip.start(figure, epoch=4, after=0)  # all sent already: nothing again
        await asyncio.sleep(0.01)

    _in_own_loop(play)
    assert [step for _, _, step in received] == list(range(count))
    assert {(epoch, total) for epoch, total, _ in received} == {(4, count)}
    assert view.clip_id == -(-count // 4)  # CHUNK steps a message


def test_without_an_event_loop_or_for_long_walks_play_asks_the_kernel():
    layer = snapshot_from_settings(PRESETS[DEFAULT_PRESET].settings)
    view = FrameView()
    clip = PlayClip(view)
    clip.start(FanOutFigure(layer), epoch=1, after=0)  # a script: no loop
    assert view.clip_id == 0 and not clip.covers(FanOutFigure(layer), 1)
    settings = Settings(depth=1, filters=4, input_height=16, input_width=16, kernel_height=1,
                        kernel_width=1, stride=1, padding=3)
    long = FanOutFigure(snapshot_from_settings(settings))
    assert long.walk.count > MOST_STEPS

    async def play() -> None:
        clip.start(long, epoch=2, after=0)
        await asyncio.sleep(0.01)

    _in_own_loop(play)
    assert view.clip_id == 0


def test_frames_kept_while_the_browser_plays_are_followed_by_a_whole_one():
    figure = FanOutFigure(snapshot_from_settings(PRESETS[DEFAULT_PRESET].settings))
    view = FrameView()
    browser = _Browser(view)
    view.show(figure.frame(0), step=0, epoch=1)
    view.show(figure.frame(1), step=1, epoch=1)
    assert (view.full_id, view.patch_id, view.shown_step, view.epoch) == (1, 2, 1, 1)
    view.show(figure.frame(2), step=2, epoch=1, send=False)  # the browser plays a clip
    view.show(figure.frame(3), step=3, epoch=1, send=False)
    assert view.patch_id == 2 and view.full_id == 1  # nothing sent
    view.show(figure.frame(3), step=3, epoch=1)  # Play stopped: a whole frame, not a patch
    assert view.full_id == 3 and view.shown_step == 3
    np.testing.assert_array_equal(browser.canvas, figure.frame(3))
