"""Export a step animation for slides: an animated GIF, a standalone HTML player, a PNG sheet.

Frames come from the explorer's own trace and renderer (:mod:`cnnviz.explorer.trace`,
:mod:`cnnviz.explorer.render`): there is no second drawing code here, only encoders.

For the explorer's "Export GIF" button::

    from cnnviz.explorer.export import gif_bytes
    data = gif_bytes(settings, walk="scatter")      # bytes of an animated GIF

``gif_bytes(settings, walk="scatter", *, fps=DEFAULT_FPS, max_frames=MAX_FRAMES,
progress=None) -> bytes``; ``progress``, if given, is called as ``progress(done, total)``
after each frame. It raises ValueError naming the rule when the settings cannot run
(``settings.problem()``) or the walk is unknown.

Command line (``python -m cnnviz export``)::

    python -m cnnviz export --preset stride-2 --stride 3 --format gif --out stride3.gif

Every error is one line on stderr, ``error: ...``, and exit code 2.
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from cnnviz.explorer.layer import snapshot_from_settings
from cnnviz.explorer.links import read_control
from cnnviz.explorer.presets import DEFAULT_PRESET, PRESETS
from cnnviz.explorer.render import FanOutFigure
from cnnviz.explorer.settings import RANGES, Settings
from cnnviz.explorer.trace import WALKS, Step

FORMATS = ("gif", "html", "png")
DEFAULT_FPS = 2
# A long walk (16x16 input at stride 1 has hundreds of steps) is thinned to this many frames,
# evenly spaced and always keeping the first and last: a slide does not need more.
MAX_FRAMES = 60
SHEET_COLUMNS = 4
SHEET_MAX_STEPS = 16

Progress = Callable[[int, int], None]
Frame = np.ndarray  # (height, width, 3) uint8 RGB


class ExportError(Exception):
    """A problem the command line reports as one line, ``error: <message>``."""


# ---------------------------------------------------------------------------------------------
# Frames: the explorer's trace and renderer, one RGB image per step


def render_frames(
    settings: Settings,
    walk: str = "scatter",
    *,
    max_frames: int = MAX_FRAMES,
    progress: Progress | None = None,
) -> tuple[list[Frame], list[str]]:
    """Draw the steps of one walk with the explorer's renderer.

    Parameters
    ----------
    settings : Settings
        The scenario; must be runnable (``settings.problem() is None``).
    walk : {"scatter", "gather"}
        Which walk of the backward pass to draw.
    max_frames : int
        At most this many steps, evenly spaced, first and last kept.
    progress : callable, optional
        Called as ``progress(done, total)`` after each frame.

    Returns
    -------
    frames : list of ndarray, each (height, width, 3) uint8
    captions : list of str
        One line per frame saying what the step shows.
    """
    return figure_frames(_fan_out_figure(settings, walk), max_frames=max_frames, progress=progress)


def figure_frames(
    figure: FanOutFigure,
    *,
    max_frames: int = MAX_FRAMES,
    progress: Progress | None = None,
) -> tuple[list[Frame], list[str]]:
    """Draw the steps of the walk ``figure`` is on, as :func:`render_frames` does.

    This is how the explorer exports exactly what it shows: its layer (seeded or real), walk,
    and the channels and filters on screen. The figure is left on its last drawn step.
    """
    if not isinstance(figure, FanOutFigure):
        raise TypeError(f"figure must be a FanOutFigure; got {type(figure).__name__}")
    chosen = thin_steps(len(figure.walk), max_frames)
    frames: list[Frame] = []
    captions: list[str] = []
    for done, index in enumerate(chosen, start=1):
        frames.append(figure.frame(index))
        captions.append(step_caption(figure.current))
        if progress is not None:
            progress(done, len(chosen))
    return frames, captions


def _fan_out_figure(settings: Settings, walk: str) -> FanOutFigure:
    """The explorer's fan-out renderer for these settings, on the given walk."""
    if not isinstance(settings, Settings):
        raise TypeError(f"settings must be a Settings; got {type(settings).__name__}")
    if walk not in WALKS:
        raise ValueError(f"walk must be one of {', '.join(WALKS)}; got {walk!r}")
    layer = snapshot_from_settings(settings)  # raises settings.problem()'s sentence
    return FanOutFigure(layer, walk=walk)


def step_caption(step: Step) -> str:
    """One plain line saying what a step shows, e.g. ``step 3 of 9: δ1[0, 2] = -0.4 ...``."""
    head = f"step {step.index + 1} of {step.count}"
    if step.walk == "scatter":
        k, (i, j) = step.filter_index, step.delta_index
        return f"{head}: δ{k + 1}[{i}, {j}] = {step.delta_value:g} spreads through W{k + 1}"
    r, q = step.pixel
    return f"{head}: dx[:, {r}, {q}] gathered through every rot180(W)"


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


# ---------------------------------------------------------------------------------------------
# Encoders: frames -> bytes or text


def frames_to_gif(frames: Sequence[Frame], *, fps: float = DEFAULT_FPS) -> bytes:
    """An animated, looping GIF of ``frames`` (each (H, W, 3) uint8), ``fps`` frames a second.

    One adaptive palette is built from all frames together, so colours do not flicker from
    frame to frame.
    """
    from PIL import Image

    images = _pil_frames(frames)
    # One shared palette from a strip of every frame: colours keep their index across frames.
    strip = Image.new("RGB", (images[0].width, images[0].height * len(images)))
    for i, image in enumerate(images):
        strip.paste(image, (0, i * image.height))
    palette = strip.quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    indexed = [image.quantize(palette=palette, dither=Image.Dither.NONE) for image in images]
    buffer = io.BytesIO()
    indexed[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=indexed[1:],
        duration=max(20, round(1000 / fps)),
        loop=0,
        optimize=False,
    )
    return buffer.getvalue()


def frames_to_png_sheet(
    frames: Sequence[Frame],
    *,
    columns: int = SHEET_COLUMNS,
    captions: Sequence[str] | None = None,
    scale: float = 0.5,
) -> bytes:
    """One PNG with the frames in a grid, row by row, each scaled by ``scale``."""
    from matplotlib import font_manager
    from PIL import Image, ImageDraw, ImageFont

    images = _pil_frames(frames)
    width = max(1, round(images[0].width * scale))
    height = max(1, round(images[0].height * scale))
    label = 18 if captions is not None else 0
    columns = max(1, min(columns, len(images)))
    rows = math.ceil(len(images) / columns)
    sheet = Image.new("RGB", (columns * width, rows * (height + label)), "white")
    pen = ImageDraw.Draw(sheet)
    # matplotlib's DejaVu Sans has δ and Σ; Pillow's built-in font does not.
    font = ImageFont.truetype(font_manager.findfont("DejaVu Sans"), 13)
    for i, image in enumerate(images):
        x, y = (i % columns) * width, (i // columns) * (height + label)
        sheet.paste(image.resize((width, height), Image.Resampling.LANCZOS), (x, y + label))
        if captions is not None:
            pen.text((x + 4, y + 1), captions[i][: width // 7], fill="black", font=font)
    buffer = io.BytesIO()
    sheet.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def frames_to_html(
    frames: Sequence[Frame],
    *,
    title: str,
    fps: float = DEFAULT_FPS,
    captions: Sequence[str] | None = None,
) -> str:
    """A standalone HTML page that plays ``frames``: play/pause, step back/forward, a slider.

    Frames are embedded as base64 PNG; the player is a few lines of inline JavaScript. The
    page needs no server and no internet (no external script, style, font or image).
    """
    from PIL import Image

    sources = []
    for image in _pil_frames(frames):
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        sources.append("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode())
    captions = list(captions) if captions is not None else [""] * len(sources)
    first = Image.fromarray(np.asarray(frames[0]))
    data = json.dumps({"frames": sources, "captions": captions, "fps": fps})
    # "</" inside a <script> would end it early; JSON allows the escaped form.
    data = data.replace("</", "<\\/")
    return _HTML_TEMPLATE.format(
        title=html.escape(title),
        width=first.width,
        height=first.height,
        count=len(sources),
        last=len(sources) - 1,
        first_src=sources[0],
        first_caption=html.escape(captions[0]),
        data=data,
    )


def _pil_frames(frames: Sequence[Frame]):
    from PIL import Image

    if len(frames) == 0:
        raise ValueError("frames must hold at least one image; got none")
    images = []
    for i, frame in enumerate(frames):
        array = np.asarray(frame)
        if array.ndim != 3 or array.shape[2] not in (3, 4) or array.dtype != np.uint8:
            raise ValueError(
                f"frames[{i}] must be (height, width, 3 or 4) uint8; got {array.shape} "
                f"{array.dtype}"
            )
        images.append(Image.fromarray(np.ascontiguousarray(array[..., :3]), "RGB"))
    if len({image.size for image in images}) != 1:
        raise ValueError("frames must all have the same size")
    return images


_HTML_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  body {{ font-family: system-ui, sans-serif; margin: 1rem; color: #222; background: #fff; }}
  @media (prefers-color-scheme: dark) {{ body {{ color: #ddd; background: #111; }} }}
  #frame {{ max-width: 100%; height: auto; display: block; background: #fff; }}
  .controls {{ display: flex; gap: .5rem; align-items: center; margin: .5rem 0; }}
  .controls button {{ font-size: 1rem; min-width: 2.5rem; }}
  #slider {{ flex: 1; }}
</style>
</head>
<body>
<h1 style="font-size:1.2rem">{title}</h1>
<img id="frame" src="{first_src}" width="{width}" height="{height}" alt="step 1 of {count}">
<div class="controls">
  <button id="back" title="previous step" aria-label="previous step">&#9664;&#9664;</button>
  <button id="play" title="play / pause" aria-label="play">&#9654;</button>
  <button id="forward" title="next step" aria-label="next step">&#9654;&#9654;</button>
  <input id="slider" type="range" min="0" max="{last}" value="0" aria-label="step">
  <span id="counter">1 / {count}</span>
</div>
<p id="caption">{first_caption}</p>
<script>
(function () {{
  const data = {data};
  const img = document.getElementById("frame");
  const slider = document.getElementById("slider");
  const counter = document.getElementById("counter");
  const caption = document.getElementById("caption");
  const play = document.getElementById("play");
  let step = 0, timer = null;
  function show(i) {{
    step = (i + data.frames.length) % data.frames.length;
    img.src = data.frames[step];
    img.alt = "step " + (step + 1) + " of " + data.frames.length;
    slider.value = step;
    counter.textContent = (step + 1) + " / " + data.frames.length;
    caption.textContent = data.captions[step];
  }}
  function pause() {{
    clearInterval(timer); timer = null;
    play.innerHTML = "&#9654;"; play.setAttribute("aria-label", "play");
  }}
  function start() {{
    timer = setInterval(function () {{ show(step + 1); }}, 1000 / data.fps);
    play.innerHTML = "&#10074;&#10074;"; play.setAttribute("aria-label", "pause");
  }}
  play.onclick = function () {{ if (timer) pause(); else start(); }};
  document.getElementById("back").onclick = function () {{ pause(); show(step - 1); }};
  document.getElementById("forward").onclick = function () {{ pause(); show(step + 1); }};
  slider.oninput = function () {{ pause(); show(parseInt(slider.value, 10)); }};
  document.addEventListener("keydown", function (e) {{
    if (e.key === "ArrowRight") {{ pause(); show(step + 1); }}
    else if (e.key === "ArrowLeft") {{ pause(); show(step - 1); }}
    else if (e.key === " ") {{ e.preventDefault(); play.click(); }}
  }});
  window.cnnvizPlayer = {{ show: show, step: function () {{ return step; }},
                           count: data.frames.length }};
}})();
</script>
</body>
</html>
"""


# ---------------------------------------------------------------------------------------------
# The library call behind the explorer's button


def gif_bytes(
    settings: Settings,
    walk: str = "scatter",
    *,
    fps: float = DEFAULT_FPS,
    max_frames: int = MAX_FRAMES,
    progress: Progress | None = None,
) -> bytes:
    """The step animation of one walk as the bytes of an animated GIF.

    Raises
    ------
    ValueError
        If ``settings.problem()`` is not None, or ``walk`` is not one of :data:`WALKS`.
    """
    frames, _ = render_frames(settings, walk, max_frames=max_frames, progress=progress)
    return frames_to_gif(frames, fps=fps)


def figure_gif_bytes(
    figure: FanOutFigure,
    *,
    fps: float = DEFAULT_FPS,
    max_frames: int = MAX_FRAMES,
    progress: Progress | None = None,
) -> bytes:
    """:func:`gif_bytes` for a figure already laid out (see :func:`figure_frames`)."""
    frames, _ = figure_frames(figure, max_frames=max_frames, progress=progress)
    return frames_to_gif(frames, fps=fps)


# ---------------------------------------------------------------------------------------------
# Command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m cnnviz export``; values are checked in :func:`main`."""
    parser.add_argument("--preset", default=DEFAULT_PRESET, help="a name from `presets`")
    for name, (low, high, label) in RANGES.items():
        parser.add_argument(
            "--" + name.replace("_", "-"), dest=name, metavar="N", help=f"{label}, {low}..{high}"
        )
    parser.add_argument("--kernel", metavar="N", help="kernel height and width together")
    parser.add_argument("--activation", metavar="NAME", help="identity, relu, sigmoid or tanh")
    parser.add_argument("--walk", default="scatter", help="scatter (default) or gather")
    parser.add_argument("--format", help="gif, html or png (default: from --out's suffix)")
    parser.add_argument("--out", metavar="PATH", help="file to write")
    parser.add_argument("--fps", default=str(DEFAULT_FPS), help="frames per second (gif, html)")
    parser.add_argument(
        "--max-frames", default=str(MAX_FRAMES), help="thin a long walk to this many steps"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.error = _one_line_error  # argparse's own errors too: one line, not usage + error


def _one_line_error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def main(args: argparse.Namespace) -> int:
    """Write the export; 0 on success, 2 with one ``error:`` line on stderr otherwise."""
    try:
        settings, walk, fmt, out, fps, max_frames = _checked(args)
        progress = None if args.quiet else ProgressBar(sys.stderr, label=fmt)
        if fmt == "png":  # a sheet shows a few steps: draw only those
            max_frames = min(max_frames, SHEET_MAX_STEPS)
        frames, captions = render_frames(settings, walk, max_frames=max_frames, progress=progress)
        title = f"cnnviz: {args.preset}, {walk} walk"
        if fmt == "gif":
            payload = frames_to_gif(frames, fps=fps)
        elif fmt == "html":
            payload = frames_to_html(frames, title=title, fps=fps, captions=captions).encode()
        else:
            payload = frames_to_png_sheet(frames, captions=captions)
        _write(out, payload)
    except ExportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {out} ({len(frames)} steps, {len(payload) // 1024} KB)")
    return 0


def _checked(args: argparse.Namespace):
    """The settings, walk, format, path, fps and frame cap the arguments ask for."""
    if args.preset not in PRESETS:
        raise ExportError(f"unknown preset {args.preset!r}; choose one of: {', '.join(PRESETS)}")
    changes: dict[str, object] = {}
    try:
        for name in [*RANGES, "activation"]:
            text = getattr(args, name)
            if text is not None:
                changes[name] = read_control(name, text, shown_as="--" + name.replace("_", "-"))
        if args.kernel is not None:
            size = read_control("kernel_height", args.kernel, shown_as="--kernel")
            changes.update(kernel_height=size, kernel_width=size)
    except ValueError as error:
        raise ExportError(str(error)) from None
    settings = PRESETS[args.preset].settings.replace(**changes)
    problem = settings.problem()
    if problem is not None:
        raise ExportError(problem)
    if args.walk not in WALKS:
        raise ExportError(f"unknown walk {args.walk!r}; choose one of: {', '.join(WALKS)}")
    if args.out is None:
        raise ExportError("--out PATH is required (the file to write)")
    out = Path(args.out)
    fmt = args.format if args.format is not None else out.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    fps = _number(args.fps, "--fps", low=0.1, high=50.0)
    max_frames = int(_number(args.max_frames, "--max-frames", low=1, high=1000, whole=True))
    if out.is_dir():
        raise ExportError(f"--out {str(out)!r} is a folder; give a file name")
    if not out.parent.is_dir():
        raise ExportError(f"cannot write {str(out)!r}: folder {str(out.parent)!r} does not exist")
    return settings, args.walk, fmt, out, fps, max_frames


def _number(text: str, name: str, *, low: float, high: float, whole: bool = False) -> float:
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise ExportError(f"{name} must be {kind}, not {text[:24]!r}") from None
    if not low <= value <= high:  # also refuses nan
        raise ExportError(f"{name} must be between {low:g} and {high:g}, not {text[:24]}")
    return value


def _write(out: Path, payload: bytes) -> None:
    """Write through a temporary file, so a failed export never leaves half a file."""
    partial = out.with_name(out.name + ".partial")
    try:
        partial.write_bytes(payload)
        os.replace(partial, out)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise ExportError(f"cannot write {str(out)!r}: {error.strerror}") from None


class ProgressBar:
    """``export [#########-----------]  9/20 frames`` on one terminal line, redrawn in place."""

    def __init__(self, stream, *, label: str, width: int = 30) -> None:
        self.stream, self.label, self.width = stream, label, width

    def __call__(self, done: int, total: int) -> None:
        filled = self.width * done // max(total, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        end = "\n" if done >= total else ""
        self.stream.write(f"\r{self.label} [{bar}] {done:>3}/{total} frames{end}")
        self.stream.flush()
