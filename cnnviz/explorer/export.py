"""Export a step animation for slides: an animated GIF, a standalone HTML player, a PNG sheet.

Frames come from the explorer's own trace and renderer (:mod:`cnnviz.explorer.trace`,
:mod:`cnnviz.explorer.render`): there is no second drawing code here, only encoders.

Every encoder *streams*: a frame is drawn, encoded, written and dropped before the next one is
drawn, so memory does not grow with the number of frames (one frame, one palette and the
encoder's small state are all that is held). The GIF has one palette for the whole animation,
taken from a few frames spread over the walk, so colours do not flicker from frame to frame.

For the explorer's "Export GIF" button::

    from cnnviz.explorer.export import figure_gif_bytes
    data = figure_gif_bytes(figure)                 # bytes of an animated GIF

To a file or any binary stream::

    with open("walk.gif", "wb") as stream:
        export_figure(fan_out_figure(settings, "scatter"), stream, "gif")

The command line (``python -m cnnviz export``) lives in :mod:`cnnviz.cli.commands`.
"""

from __future__ import annotations

import base64
import ctypes
import html
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain
from typing import BinaryIO

import numpy as np

from cnnviz.explorer.captions import CaptionBand, all_channels_figure, caption_font, step_sentence
from cnnviz.explorer.gif import GifWriter, checked_frame, gif_palette
from cnnviz.explorer.layer import snapshot_from_settings
from cnnviz.explorer.render import FanOutFigure
from cnnviz.explorer.settings import Settings
from cnnviz.explorer.trace import WALKS
from cnnviz.explorer.web import asset

FORMATS = ("gif", "html", "png")
DEFAULT_FPS = 2
# A long walk (16x16 input at stride 1 has hundreds of steps) is thinned to this many frames,
# evenly spaced and always keeping the first and last: a slide does not need more.
MAX_FRAMES = 60
SHEET_COLUMNS = 4
SHEET_MAX_STEPS = 16
# Frames, spread over the walk, whose colours make the GIF's one palette. The renderer paints
# with a few colour maps and outline colours that every frame shares, so a handful suffice.
PALETTE_SAMPLES = 6

Progress = Callable[[int, int], None]
Frame = np.ndarray  # (height, width, 3) uint8 RGB
Drawn = tuple[Frame, str]  # a frame and the caption saying what its step shows


# ---------------------------------------------------------------------------------------------
# Frames: the explorer's trace and renderer, one RGB image per step


def fan_out_figure(
    settings: Settings, walk: str = "scatter", *, all_channels: bool = False
) -> FanOutFigure:
    """The explorer's fan-out renderer for these settings, on the given walk.

    ``all_channels=True`` shows every input channel (the page shows a window of 4; see
    :func:`~cnnviz.explorer.captions.all_channels_figure`).

    Raises
    ------
    TypeError
        If ``settings`` is not a :class:`Settings`.
    ValueError
        If ``settings.problem()`` is not None, or ``walk`` is not one of :data:`WALKS`.
    """
    if not isinstance(settings, Settings):
        raise TypeError(f"settings must be a Settings; got {type(settings).__name__}")
    if walk not in WALKS:
        raise ValueError(f"walk must be one of {', '.join(WALKS)}; got {walk!r}")
    if not isinstance(all_channels, bool):
        raise TypeError(f"all_channels must be a bool; got {type(all_channels).__name__}")
    layer = snapshot_from_settings(settings)  # raises settings.problem()'s sentence
    return all_channels_figure(layer, walk) if all_channels else FanOutFigure(layer, walk=walk)


def thin_steps(count: int, limit: int) -> list[int]:
    """Indices of at most ``limit`` of ``count`` steps, evenly spaced, first and last kept.

    Raises
    ------
    ValueError
        If ``count`` is negative or ``limit`` below 1.
    """
    if count < 0:
        raise ValueError(f"count must be >= 0; got {count}")
    if limit < 1:
        raise ValueError(f"limit must be >= 1; got {limit}")
    if count <= limit:
        return list(range(count))
    if limit == 1:
        return [0]
    return sorted({round(i * (count - 1) / (limit - 1)) for i in range(limit)})


def _figure_steps(figure: FanOutFigure, max_frames: int) -> list[int]:
    if not isinstance(figure, FanOutFigure):
        raise TypeError(f"figure must be a FanOutFigure; got {type(figure).__name__}")
    return thin_steps(len(figure.walk), max_frames)


def _drawn(
    figure: FanOutFigure,
    steps: Sequence[int],
    progress: Progress | None,
    band: CaptionBand | None = None,
) -> Iterator[Drawn]:
    """Draw ``steps`` one at a time, each with the step's sentence (written under the frame
    when there is a ``band``); only the frame being encoded is alive."""
    for done, index in enumerate(steps, start=1):
        frame = figure.frame(index)
        sentence = step_sentence(figure, figure.current)
        yield (frame if band is None else band.under(frame, sentence)), sentence
        if progress is not None:
            progress(done, len(steps))


def _caption_band(figure: FanOutFigure, steps: Sequence[int], caption: bool) -> CaptionBand | None:
    """One band for every frame of the export, as tall as its longest sentence needs; None
    without ``caption``."""
    if not isinstance(caption, bool):
        raise TypeError(f"caption must be a bool; got {type(caption).__name__}")
    if not caption:
        return None
    sentences = [step_sentence(figure, figure.walk.step(index)) for index in steps]
    return CaptionBand(sentences, width=figure.frame(steps[0]).shape[1])


def _sample(count: int) -> list[int]:
    return thin_steps(count, PALETTE_SAMPLES)


def _checked_frames(drawn: Iterable[Drawn]) -> Iterator[tuple[np.ndarray, str]]:
    size = None
    for index, (frame, caption) in enumerate(drawn):
        array = checked_frame(index, frame, size)
        size = array.shape[:2]
        yield array, caption
    if size is None:
        raise ValueError("frames must hold at least one image; got none")


# ---------------------------------------------------------------------------------------------
# GIF: one palette, frames written as they come


def write_gif(drawn: Iterable[Drawn], stream: BinaryIO, *, palette, fps: float) -> int:
    """Write an animated GIF of ``drawn`` frames to ``stream``; returns how many were written."""
    writer = GifWriter(stream, palette, fps=fps)
    count = 0
    for frame, _ in _checked_frames(drawn):
        writer.add(frame)
        count += 1
    writer.close()
    return count


def frames_to_gif(frames: Sequence[Frame], *, fps: float = DEFAULT_FPS) -> bytes:
    """An animated, looping GIF of ``frames`` (each (H, W, 3) uint8), ``fps`` frames a second.

    One palette serves every frame, so colours do not flicker from frame to frame.
    """
    if len(frames) == 0:
        raise ValueError("frames must hold at least one image; got none")
    palette = gif_palette([frames[i] for i in _sample(len(frames))])
    buffer = io.BytesIO()
    write_gif(((frame, "") for frame in frames), buffer, palette=palette, fps=fps)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# PNG sheet and HTML player


def write_png_sheet(
    drawn: Iterable[Drawn],
    stream: BinaryIO,
    *,
    count: int,
    columns: int = SHEET_COLUMNS,
    scale: float = 0.5,
    captions: bool = True,
) -> int:
    """One PNG with ``count`` frames in a grid, row by row, each scaled by ``scale``."""
    from PIL import Image, ImageDraw

    font = caption_font(13)
    label = 18 if captions else 0
    columns = max(1, min(columns, count))
    sheet = pen = None
    done = 0
    for done, (frame, caption) in enumerate(_checked_frames(drawn), start=1):
        image = Image.fromarray(frame, "RGB")
        width, height = max(1, round(image.width * scale)), max(1, round(image.height * scale))
        if sheet is None:
            rows = math.ceil(count / columns)
            sheet = Image.new("RGB", (columns * width, rows * (height + label)), "white")
            pen = ImageDraw.Draw(sheet)
        x, y = ((done - 1) % columns) * width, ((done - 1) // columns) * (height + label)
        sheet.paste(image.resize((width, height), Image.Resampling.LANCZOS), (x, y + label))
        if captions:
            pen.text((x + 4, y + 1), caption[: width // 7], fill="black", font=font)
    sheet.save(stream, format="PNG", optimize=True)
    return done


def frames_to_png_sheet(
    frames: Sequence[Frame],
    *,
    columns: int = SHEET_COLUMNS,
    captions: Sequence[str] | None = None,
    scale: float = 0.5,
) -> bytes:
    """One PNG with the frames in a grid, row by row, each scaled by ``scale``."""
    shown = list(captions) if captions is not None else [""] * len(frames)
    buffer = io.BytesIO()
    write_png_sheet(
        zip(frames, shown, strict=True), buffer, count=len(frames), columns=columns,
        scale=scale, captions=captions is not None,
    )  # fmt: skip
    return buffer.getvalue()


def player_template() -> str:
    """The HTML player, ``cnnviz/explorer/web/player.html`` (package data)."""
    return asset("player.html")


def write_html(
    drawn: Iterable[Drawn], stream: BinaryIO, *, count: int, title: str, fps: float
) -> int:
    """A standalone HTML page that plays the frames: play/pause, step back/forward, a slider.

    Frames are embedded as base64 PNG and written as they are drawn. The page needs no server
    and no internet (no external script, style, font or image).
    """
    frames = _checked_frames(drawn)
    first, first_caption = next(frames)
    head, tail = player_template().split("{{ steps }}")
    filled = {
        "title": html.escape(title), "count": str(count), "last": str(count - 1),
        "fps": json.dumps(float(fps)), "width": str(first.shape[1]),
        "height": str(first.shape[0]), "first_caption": html.escape(first_caption),
    }  # fmt: skip
    filled["first_src"] = _png_source(first)
    head = re.sub(r"{{ (\w+) }}", lambda mark: filled[mark[1]], head)
    stream.write(head.encode("utf-8"))
    done = _write_steps(stream, chain([(first, first_caption)], frames), filled["first_src"])
    stream.write(tail.encode("utf-8"))
    return done


def _write_steps(stream: BinaryIO, drawn: Iterator, first_src: str) -> int:
    done = 0
    for done, (frame, caption) in enumerate(drawn, start=1):
        source = first_src if done == 1 else _png_source(frame)
        step = json.dumps({"src": source, "caption": caption}, ensure_ascii=False)
        # "</" inside a <script> would end it early; JSON allows the escaped form.
        stream.write(((", " if done > 1 else "") + step.replace("</", "<\\/")).encode("utf-8"))
    return done


def _png_source(frame: np.ndarray) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(frame, "RGB").save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def frames_to_html(
    frames: Sequence[Frame],
    *,
    title: str,
    fps: float = DEFAULT_FPS,
    captions: Sequence[str] | None = None,
) -> str:
    """The page :func:`write_html` writes, for frames already in memory, as text."""
    shown = list(captions) if captions is not None else [""] * len(frames)
    buffer = io.BytesIO()
    write_html(zip(frames, shown, strict=True), buffer, count=len(frames), title=title, fps=fps)
    return buffer.getvalue().decode("utf-8")


# ---------------------------------------------------------------------------------------------
# A figure's walk, streamed: the command line and the explorer's button


def export_figure(
    figure: FanOutFigure,
    stream: BinaryIO,
    fmt: str,
    *,
    fps: float = DEFAULT_FPS,
    max_frames: int = MAX_FRAMES,
    title: str = "cnnviz",
    progress: Progress | None = None,
    caption: bool = False,
) -> int:
    """Write the walk ``figure`` is on to ``stream`` as ``fmt``; returns the frames written.

    This is how the explorer exports exactly what it shows: its layer (seeded or real), walk,
    and the channels and filters on screen. The figure is left on its last drawn step.

    Parameters
    ----------
    figure : FanOutFigure
    stream : binary file object, written in order (no seeking)
    fmt : {"gif", "html", "png"}
        "png" is a sheet of at most :data:`SHEET_MAX_STEPS` steps.
    fps : float > 0, frames a second (gif, html)
    max_frames : int >= 1, at most this many steps, evenly spaced, first and last kept
    title : str, the HTML page's title
    progress : callable, optional, called as ``progress(done, total)`` after each frame
    caption : bool, write the step's sentence under each frame (for slides)
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}; got {fmt!r}")
    if not (isinstance(fps, (int, float)) and math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a finite number > 0; got {fps!r}")
    if isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 1:
        raise ValueError(f"max_frames must be a whole number >= 1; got {max_frames!r}")
    # a sheet shows a few steps: draw only those
    steps = _figure_steps(figure, min(max_frames, SHEET_MAX_STEPS) if fmt == "png" else max_frames)
    band = _caption_band(figure, steps, caption)
    drawn = _drawn(figure, steps, progress, band)
    try:
        if fmt == "gif":
            sampled = [steps[i] for i in _sample(len(steps))]
            # the palette is all that is kept of these frames
            palette = gif_palette([frame for frame, _ in _drawn(figure, sampled, None, band)])
            return write_gif(drawn, stream, palette=palette, fps=fps)
        if fmt == "html":
            return write_html(drawn, stream, count=len(steps), title=title, fps=fps)
        return write_png_sheet(drawn, stream, count=len(steps))
    finally:
        _give_memory_back()


def _give_memory_back() -> None:
    """Ask the C allocator to hand freed pages back to the system (glibc; elsewhere nothing).

    The frames come and go in the allocator's heap, and glibc keeps freed memory for reuse: a
    kernel that exported once stayed about 30 MB larger for good (bench/bench_export.py).
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def figure_gif_bytes(
    figure: FanOutFigure,
    *,
    fps: float = DEFAULT_FPS,
    max_frames: int = MAX_FRAMES,
    progress: Progress | None = None,
) -> bytes:
    """The step animation of the walk ``figure`` is on, as the bytes of an animated GIF."""
    buffer = io.BytesIO()
    export_figure(figure, buffer, "gif", fps=fps, max_frames=max_frames, progress=progress)
    return buffer.getvalue()


def gif_bytes(
    settings: Settings,
    walk: str = "scatter",
    *,
    fps: float = DEFAULT_FPS,
    max_frames: int = MAX_FRAMES,
    progress: Progress | None = None,
) -> bytes:
    """:func:`figure_gif_bytes` for the seeded layer of ``settings``.

    Raises
    ------
    ValueError
        If ``settings.problem()`` is not None, or ``walk`` is not one of :data:`WALKS`.
    """
    figure = fan_out_figure(settings, walk)
    return figure_gif_bytes(figure, fps=fps, max_frames=max_frames, progress=progress)
