"""The export's encoders: frames streamed as drawn, one GIF palette, the packaged HTML player."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from cnnviz.explorer.export import (
    export_figure,
    fan_out_figure,
    figure_gif_bytes,
    frames_to_gif,
    frames_to_html,
    frames_to_png_sheet,
    gif_bytes,
    player_template,
    thin_steps,
)
from cnnviz.explorer.gif import GifWriter, gif_palette
from cnnviz.explorer.presets import PRESETS

ROOT = Path(__file__).resolve().parent.parent


def _frames(count=3, shape=(20, 30), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (*shape, 3), dtype=np.uint8) for _ in range(count)]


def gif_blocks(data: bytes) -> list[tuple[str, int]]:
    """(kind, flags) of each block of a GIF: the header's flags, then every image descriptor's."""
    blocks = [("screen", data[10])]
    position = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
    while data[position] != 0x3B:
        if data[position] == 0x21:
            position += 2
        else:
            assert data[position] == 0x2C
            flags = data[position + 9]
            blocks.append(("image", flags))
            position += 10 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0) + 1
        while data[position]:
            position += data[position] + 1
        position += 1
    return blocks


# ---------------------------------------------------------------------------- the GIF


def test_gif_frames_are_the_drawn_frames_in_one_palette():
    settings = PRESETS["course-demo"].settings
    data = figure_gif_bytes(fan_out_figure(settings), max_frames=12)
    blocks = gif_blocks(data)
    assert blocks[0][1] & 0x80, "one global palette"
    assert all(not flags & 0x80 for kind, flags in blocks[1:]), "no frame brings its own"
    figure = fan_out_figure(settings)
    steps = thin_steps(len(figure.walk), 12)
    drawn = [figure.frame(i) for i in steps]
    palette = gif_palette([drawn[i] for i in thin_steps(len(drawn), 6)])
    with Image.open(io.BytesIO(data)) as image:
        assert image.n_frames == 12
        for n, frame in enumerate(drawn):
            image.seek(n)
            shown = np.asarray(image.convert("RGB"))
            expected = Image.fromarray(frame).quantize(palette=palette, dither=Image.Dither.NONE)
            np.testing.assert_array_equal(shown, np.asarray(expected.convert("RGB")))
            assert np.abs(shown.astype(int) - frame).max() <= 64  # close to what was drawn


def test_gif_keeps_colours_across_frames():
    frames = [np.full((8, 8, 3), value, dtype=np.uint8) for value in (0, 128, 255)]
    with Image.open(io.BytesIO(frames_to_gif(frames))) as image:
        seen = []
        for index in range(3):
            image.seek(index)
            seen.append(tuple(np.asarray(image.convert("RGB"))[0, 0]))
    assert seen == [(0, 0, 0), (128, 128, 128), (255, 255, 255)]


def test_identical_frames_lengthen_the_one_before():
    a, b = np.zeros((16, 16, 3), np.uint8), np.full((16, 16, 3), 200, np.uint8)
    with Image.open(io.BytesIO(frames_to_gif([a, a, a, b], fps=4))) as image:
        assert image.n_frames == 2
        assert image.info["duration"] == 750  # three frames of 250 ms
        image.seek(1)
        np.testing.assert_array_equal(np.asarray(image.convert("RGB")), b)


def test_a_later_frame_stores_only_what_changed():
    base = np.zeros((64, 64, 3), dtype=np.uint8)
    moved = base.copy()
    moved[10:14, 20:30] = 255
    buffer = io.BytesIO()
    writer = GifWriter(buffer, gif_palette([base, moved]), fps=2)
    writer.add(base)
    size_after_first = buffer.tell()
    writer.add(moved)
    writer.close()
    data = buffer.getvalue()
    assert len(data) - size_after_first < 200  # a 4 x 10 patch, not a 64 x 64 frame
    with Image.open(io.BytesIO(data)) as image:
        image.seek(1)
        np.testing.assert_array_equal(np.asarray(image.convert("RGB")), moved)


def test_encoders_refuse_bad_frames():
    for encode in (frames_to_gif, frames_to_png_sheet):
        with pytest.raises(ValueError, match="at least one"):
            encode([])
        with pytest.raises(ValueError, match="uint8"):
            encode([np.zeros((4, 4, 3))])
        with pytest.raises(ValueError, match="same size"):
            encode(_frames(1, (4, 4)) + _frames(1, (5, 4)))
    with pytest.raises(ValueError, match="at least one"):
        GifWriter(io.BytesIO(), gif_palette(_frames(1)), fps=2).close()


# ---------------------------------------------------------------------------- streaming


class Recording(io.BytesIO):
    """A stream that notes how much had been written whenever a frame was drawn."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def progress(self, done: int, total: int) -> None:
        self.sizes.append(self.tell())


@pytest.mark.parametrize("fmt", ["gif", "html"])
def test_frames_are_written_as_they_are_drawn(fmt):
    stream = Recording()
    count = export_figure(fan_out_figure(PRESETS["course-demo"].settings), stream, fmt,
                          max_frames=10, progress=stream.progress)  # fmt: skip
    assert count == 10 and len(stream.sizes) == 10
    assert 0 < stream.sizes[2] < stream.sizes[5] < stream.sizes[-1] < len(stream.getvalue())


def _traced_peak(max_frames: int) -> int:
    figure = fan_out_figure(PRESETS["course-demo"].settings, "gather")
    tracemalloc.start()
    try:
        export_figure(figure, io.BytesIO(), "gif", max_frames=max_frames)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_frame_count():
    few, many = _traced_peak(6), _traced_peak(48)
    frame = fan_out_figure(PRESETS["course-demo"].settings).frame(0).nbytes
    # holding the frames would cost 42 more frames; streaming holds one (plus the GIF bytes)
    assert many - few < 6 * frame, (few, many, frame)


# ---------------------------------------------------------------------------- HTML and the rest


def test_html_escapes_title_and_captions():
    text = frames_to_html(_frames(2), title="<b>x</b>", captions=["</script><i>", "ok"])
    assert "<b>x</b>" not in text and "&lt;b&gt;x&lt;/b&gt;" in text
    assert "</script><i>" not in text


def test_player_template_has_each_mark_once_where_export_fills_it():
    template = player_template()
    assert template.count("{{ steps }}") == 1
    text = frames_to_html(_frames(3), title="t", fps=5, captions=["a", "b", "c"])
    assert "{{" not in text and "const fps = 5.0;" in text and 'max="2"' in text


def test_gif_bytes_for_the_button_honours_max_frames_and_progress():
    calls = []
    data = gif_bytes(
        PRESETS["course-demo"].settings, "scatter", max_frames=5,
        progress=lambda done, total: calls.append((done, total)),
    )  # fmt: skip
    with Image.open(io.BytesIO(data)) as image:
        assert image.n_frames == 5
    assert calls == [(i, 5) for i in range(1, 6)]


def test_gif_bytes_refuses_impossible_settings_and_unknown_walks():
    impossible = PRESETS["single-channel"].settings.replace(kernel_height=7)
    with pytest.raises(ValueError, match="no window fits"):
        gif_bytes(impossible)
    with pytest.raises(ValueError, match="walk"):
        gif_bytes(PRESETS["single-channel"].settings, "sideways")


def test_export_figure_names_a_bad_argument():
    figure = fan_out_figure(PRESETS["single-channel"].settings)
    with pytest.raises(ValueError, match="fmt"):
        export_figure(figure, io.BytesIO(), "mp4")
    for fps in (0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="fps"):
            export_figure(figure, io.BytesIO(), "gif", fps=fps)
    for frames in (0, 2.0, True):
        with pytest.raises(ValueError, match="max_frames"):
            export_figure(figure, io.BytesIO(), "gif", max_frames=frames)
    with pytest.raises(TypeError, match="figure"):
        export_figure("figure", io.BytesIO(), "gif")


def test_thin_steps_keeps_first_and_last_evenly():
    assert thin_steps(5, 10) == [0, 1, 2, 3, 4]
    assert thin_steps(100, 5) == [0, 25, 50, 74, 99]
    assert thin_steps(100, 1) == [0]
    assert thin_steps(0, 3) == []
    with pytest.raises(ValueError, match="limit"):
        thin_steps(3, 0)


@pytest.mark.slow
def test_the_player_is_in_the_installed_package(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "cnnviz", source / "cnnviz",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "dist"), str(source)],
        check=True, timeout=300, capture_output=True,
    )  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("cnnviz-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("cnnviz/explorer/web/player.html").decode() == player_template()
        # the painter's glyph atlas: without it every label would need matplotlib's FreeType
        atlas = ROOT / "cnnviz" / "explorer" / "render" / "glyph_atlas.npz"
        assert archive.read("cnnviz/explorer/render/glyph_atlas.npz") == atlas.read_bytes()


# ---------------------------------------------------------------------------- for slides


def _gif_frames(data: bytes) -> list[np.ndarray]:
    frames = []
    with Image.open(io.BytesIO(data)) as image:
        for index in range(image.n_frames):
            image.seek(index)
            frames.append(np.asarray(image.convert("RGB")))
    return frames


def test_all_channels_shows_every_input_channel_with_readable_cells():
    from cnnviz.explorer.render.fit import READABLE_CELL

    settings = PRESETS["depth-10"].settings
    assert len(fan_out_figure(settings).channels) == 4  # the page's window
    figure = fan_out_figure(settings, all_channels=True)
    assert figure.channels == list(range(settings.depth))
    assert figure.cell >= READABLE_CELL
    assert fan_out_figure(settings.replace(depth=1), all_channels=True).channels == [0]
    with pytest.raises(TypeError, match="all_channels"):
        fan_out_figure(settings, all_channels="yes")


def _html_frames(text: str) -> list[np.ndarray]:
    """The frames an exported player holds (lossless PNG), in order."""
    sources = re.findall(r'data:image/png;base64,([A-Za-z0-9+/=]+)', text)
    frames = []
    for source in sources:
        with Image.open(io.BytesIO(base64.b64decode(source))) as image:
            frames.append(np.asarray(image.convert("RGB")))
    return frames


@pytest.mark.parametrize("walk", ["scatter", "gather"])
def test_caption_writes_each_steps_own_sentence_under_its_frame(walk):
    from cnnviz.explorer.captions import step_sentence

    settings = PRESETS["course-demo"].settings
    figure = fan_out_figure(settings, walk)
    page = io.BytesIO()
    export_figure(figure, page, "html", max_frames=4, caption=True)
    text = page.getvalue().decode("utf-8")
    frames = _html_frames(text)[1:]  # the first step's picture is also the <img>'s src
    steps = thin_steps(len(figure.walk), 4)
    assert len(frames) == len(steps) == 4
    reference = fan_out_figure(settings, walk)
    for frame, index in zip(frames, steps, strict=True):
        picture = reference.frame(index)
        height = picture.shape[0]
        assert frame.shape[1] == picture.shape[1] and frame.shape[0] > height + 40
        assert np.array_equal(frame[:height], picture)  # the picture itself is unchanged
        assert (frame[height:].min(axis=2) < 100).sum() > 200  # dark text in the band
        # the sentence of this very step, as the page prints it, goes with the frame
        sentence = step_sentence(reference, reference.walk.step(index))
        assert sentence.startswith(f"Step {index + 1} of {len(figure.walk)} ({walk})")
        assert json.dumps(sentence, ensure_ascii=False)[1:-1].replace("</", "<\\/") in text
    assert len({frame.shape for frame in frames}) == 1  # one band height for every frame
    # the GIF gets the same band
    gif = io.BytesIO()
    export_figure(fan_out_figure(settings, walk), gif, "gif", max_frames=4, caption=True)
    assert {frame.shape for frame in _gif_frames(gif.getvalue())} == {frames[0].shape}


def test_caption_band_and_export_name_bad_arguments():
    from cnnviz.explorer.captions import CaptionBand

    with pytest.raises(TypeError, match="caption"):
        export_figure(fan_out_figure(PRESETS["single-channel"].settings), io.BytesIO(), "gif",
                      caption=1)  # fmt: skip
    with pytest.raises(ValueError, match="width"):
        CaptionBand(["a"], width=10)
    with pytest.raises(TypeError, match="sentences"):
        CaptionBand("abc", width=300)
    band = CaptionBand(["short"], width=300)
    with pytest.raises(ValueError, match="frame"):
        band.under(np.zeros((10, 200, 3), np.uint8), "short")


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(alphabet="abcδΣ⋆∗·×−0123 ", min_size=1, max_size=30), max_size=40),
       st.integers(60, 900))
def test_wrap_keeps_every_word_in_order_within_the_width(words, width):
    from cnnviz.explorer.captions import caption_font, wrap

    text = " ".join(words)
    lines = wrap(text, width)
    assert " ".join(lines).split() == text.split()
    font = caption_font()
    assert all(font.getlength(line) <= width or " " not in line for line in lines)


def test_cli_export_all_channels_with_captions(tmp_path):
    from cnnviz.cli import main

    plain, slides = tmp_path / "plain.gif", tmp_path / "slides.gif"
    common = ["export", "--preset", "depth-10", "--max-frames", "2", "--quiet", "--out"]
    assert main([*common, str(plain)]) == 0
    assert main([*common, str(slides), "--all-channels", "--caption"]) == 0
    figure = fan_out_figure(PRESETS["depth-10"].settings, all_channels=True)
    picture = figure.frame(0)
    with Image.open(plain) as a, Image.open(slides) as b:
        assert a.size == fan_out_figure(PRESETS["depth-10"].settings).frame(0).shape[1::-1]
        assert b.width == picture.shape[1] and b.height > picture.shape[0] + 40
