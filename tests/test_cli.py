"""The command line: ``presets`` and ``export`` (each format, each error)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnviz.cli import main as cli
from cnnviz.explorer.export import (
    ProgressBar,
    frames_to_gif,
    frames_to_html,
    frames_to_png_sheet,
    gif_bytes,
    thin_steps,
)
from cnnviz.explorer.presets import PRESETS

ROOT = Path(__file__).resolve().parent.parent
# single-channel: one filter, 3x3 output -> 9 scatter steps, 25 gather steps; quick to draw.
SMALL = ["--preset", "single-channel"]


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ---------------------------------------------------------------------------- presets


def test_presets_lists_every_preset_one_per_line_with_its_description(capsys):
    code, out, err = run_cli(capsys, "presets")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == list(PRESETS)
    for line, preset in zip(lines, PRESETS.values(), strict=True):
        assert line.endswith(preset.description)


def test_presets_runs_as_a_module():
    result = subprocess.run(
        [sys.executable, "-m", "cnnviz", "presets"], capture_output=True, text=True, cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0
    assert "stride-2" in result.stdout and "course-demo" in result.stdout


# ---------------------------------------------------------------------------- export: errors


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--preset", "nope"], "error: unknown preset 'nope'; choose one of: single-channel"),
        (["--format", "mp4"], "error: unknown format 'mp4'; choose one of: gif, html, png"),
        (["--stride", "9"], "error: --stride (stride s) must be between 1 and 4, not 9"),
        (["--stride", "two"], "error: --stride (stride s) must be a whole number, not 'two'"),
        (["--depth", "1.5"], "error: --depth (input depth D) must be a whole number, not '1.5'"),
        (["--kernel", "-3"], "error: --kernel (kernel height kh) must be between 1 and 7, not -3"),
        (["--activation", "softmax"], "error: activation must be one of identity, relu"),
        (["--kernel", "7"], "error: The kernel spans 7x7 pixels"),
        (["--walk", "sideways"], "error: unknown walk 'sideways'; choose one of: scatter, gather"),
        (["--fps", "fast"], "error: --fps must be a number, not 'fast'"),
        (["--fps", "nan"], "error: --fps must be between 0.1 and 50"),
        (["--max-frames", "0"], "error: --max-frames must be between 1 and 1000"),
    ],
)
def test_export_errors_are_one_line_and_exit_2(capsys, tmp_path, argv, message):
    out = tmp_path / "anim.gif"
    code, stdout, err = run_cli(capsys, "export", *SMALL, "--out", str(out), *argv)
    assert code == 2
    assert stdout == ""
    assert err.count("\n") == 1 and err.startswith(message), err
    assert list(tmp_path.iterdir()) == []


def test_export_unknown_option_is_one_line_too(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli(["export", "--bogus", "3", "--out", "a.gif"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err == "error: unrecognized arguments: --bogus 3\n"


def test_export_needs_out(capsys):
    code, _, err = run_cli(capsys, "export", *SMALL, "--format", "gif")
    assert code == 2 and err == "error: --out PATH is required (the file to write)\n"


def test_export_refuses_a_missing_folder_and_a_folder(capsys, tmp_path):
    code, _, err = run_cli(capsys, "export", *SMALL, "--out", str(tmp_path / "no" / "a.gif"))
    assert code == 2 and err.startswith("error: cannot write") and err.count("\n") == 1
    code, _, err = run_cli(capsys, "export", *SMALL, "--format", "gif", "--out", str(tmp_path))
    assert code == 2 and "is a folder" in err and err.count("\n") == 1


def test_export_without_format_or_known_suffix_names_the_formats(capsys, tmp_path):
    code, _, err = run_cli(capsys, "export", *SMALL, "--out", str(tmp_path / "anim"))
    assert code == 2 and err == "error: unknown format ''; choose one of: gif, html, png\n"


def test_export_error_exit_code_from_a_real_process(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "cnnviz", "export", "--preset", "x", "--out", "a.gif"],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: unknown preset 'x'")
    assert result.stderr.count("\n") == 1


# ---------------------------------------------------------------------------- export: formats


def test_export_gif_is_an_animated_loop_of_every_step(capsys, tmp_path):
    out = tmp_path / "single.gif"
    code, stdout, err = run_cli(capsys, "export", *SMALL, "--format", "gif", "--out", str(out))
    assert code == 0, err
    assert stdout.startswith(f"wrote {out} (9 steps")
    assert "9/9 frames" in err and "[" + "#" * 30 + "]" in err
    with Image.open(out) as image:
        assert image.format == "GIF" and image.is_animated
        assert image.n_frames == 9
        assert image.info.get("loop") == 0
        first = np.asarray(image.convert("RGB"))
        image.seek(8)
        last = np.asarray(image.convert("RGB"))
    assert first.shape[0] > 200 and first.shape[1] > 200
    assert not np.array_equal(first, last), "the frames must show different steps"


def test_export_html_is_a_standalone_player(capsys, tmp_path):
    out = tmp_path / "single.html"
    code, _, err = run_cli(
        capsys, "export", *SMALL, "--stride", "2", "--format", "html", "--out", str(out), "--quiet"
    )
    assert code == 0 and err == ""
    text = out.read_text(encoding="utf-8")
    # stride 2 on 5x5 with a 3x3 kernel: a 2x2 output, 4 steps.
    assert text.count("data:image/png;base64,") == 4 + 1  # four frames + the first shown
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "<script src" not in text and "@import" not in text
    for control in ('id="play"', 'id="back"', 'id="forward"', 'id="slider"'):
        assert control in text


def test_export_png_sheet_is_a_grid_of_steps(capsys, tmp_path):
    out = tmp_path / "sheet.png"
    code, _, err = run_cli(capsys, "export", *SMALL, "--walk", "gather", "--out", str(out))
    assert code == 0, err
    with Image.open(out) as sheet:
        assert sheet.format == "PNG"
        width, height = sheet.size
    # 25 gather steps thinned to 16, four columns: a 4 x 4 grid.
    frame = gif_frame_size(PRESETS["single-channel"].settings, "gather")
    assert width == 4 * round(frame[1] * 0.5)
    assert height == 4 * (round(frame[0] * 0.5) + 18)


def gif_frame_size(settings, walk):
    with Image.open(io.BytesIO(gif_bytes(settings, walk, max_frames=1))) as image:
        return image.height, image.width


def test_gif_bytes_for_the_button_honours_max_frames_and_progress():
    calls = []
    data = gif_bytes(
        PRESETS["course-demo"].settings, "scatter", max_frames=5,
        progress=lambda done, total: calls.append((done, total)),
    )
    with Image.open(io.BytesIO(data)) as image:
        assert image.n_frames == 5
    assert calls == [(i, 5) for i in range(1, 6)]


def test_gif_bytes_refuses_impossible_settings_and_unknown_walks():
    impossible = PRESETS["single-channel"].settings.replace(kernel_height=7)
    with pytest.raises(ValueError, match="no window fits"):
        gif_bytes(impossible)
    with pytest.raises(ValueError, match="walk"):
        gif_bytes(PRESETS["single-channel"].settings, "sideways")


# ---------------------------------------------------------------------------- pieces


def test_thin_steps_keeps_first_and_last_evenly():
    assert thin_steps(5, 10) == [0, 1, 2, 3, 4]
    assert thin_steps(100, 5) == [0, 25, 50, 74, 99]
    assert thin_steps(100, 1) == [0]
    assert thin_steps(0, 3) == []
    with pytest.raises(ValueError, match="limit"):
        thin_steps(3, 0)


def _frames(count=3, shape=(20, 30)):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (*shape, 3), dtype=np.uint8) for _ in range(count)]


def test_encoders_refuse_bad_frames():
    for encode in (frames_to_gif, frames_to_png_sheet):
        with pytest.raises(ValueError, match="at least one"):
            encode([])
        with pytest.raises(ValueError, match="uint8"):
            encode([np.zeros((4, 4, 3))])
        with pytest.raises(ValueError, match="same size"):
            encode(_frames(1, (4, 4)) + _frames(1, (5, 4)))


def test_html_escapes_title_and_captions():
    text = frames_to_html(_frames(2), title="<b>x</b>", captions=["</script><i>", "ok"])
    assert "<b>x</b>" not in text and "&lt;b&gt;x&lt;/b&gt;" in text
    assert "</script><i>" not in text


def test_gif_keeps_colours_across_frames():
    frames = [np.full((8, 8, 3), value, dtype=np.uint8) for value in (0, 128, 255)]
    with Image.open(io.BytesIO(frames_to_gif(frames))) as image:
        seen = []
        for index in range(3):
            image.seek(index)
            seen.append(tuple(np.asarray(image.convert("RGB"))[0, 0]))
    assert seen == [(0, 0, 0), (128, 128, 128), (255, 255, 255)]


def test_progress_bar_draws_in_place_and_ends_the_line():
    stream = io.StringIO()
    bar = ProgressBar(stream, label="gif", width=10)
    for done in range(1, 5):
        bar(done, 4)
    text = stream.getvalue()
    assert text.count("\r") == 4 and text.endswith("[##########]   4/4 frames\n")
