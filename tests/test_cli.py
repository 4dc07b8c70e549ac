"""The command line: every command, its one-line errors, the range of every numeric option."""

from __future__ import annotations

import importlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnviz.cli import (
    COMMANDS,
    EXPORT_LIMITS,
    SAMPLES_LIMITS,
    TRAIN_LIMITS,
    OneLineParser,
)
from cnnviz.cli import main as cli
from cnnviz.cli.output import ProgressBar
from cnnviz.explorer.export import gif_bytes
from cnnviz.explorer.presets import PRESETS

ROOT = Path(__file__).resolve().parent.parent
# single-channel: one filter, 3x3 output -> 9 scatter steps, 25 gather steps; quick to draw.
SMALL = ["--preset", "single-channel"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("error: "), repr(err)
    return err


# ---------------------------------------------------------------------------- the commands


def test_every_command_row_names_functions_that_exist():
    for name, row in COMMANDS.items():
        assert len(row) == 4, name
        module = importlib.import_module(row[0])
        add, main = row[1:3]
        assert callable(getattr(module, add)) and callable(getattr(module, main)), name


def test_help_lists_every_command(capsys):
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0
    for name in COMMANDS:
        assert re.search(rf"^  {re.escape(name)} ", out, re.M), name


@pytest.mark.parametrize(
    ("argv", "start"),
    [
        ([], "error: give a command: presets, export"),
        (["bogus"], "error: unknown command 'bogus'; choose one of: presets, export"),
        (["export", "--bogus", "3"], "error: unrecognized arguments: --bogus 3"),
        (["export", "--out"], "error: argument --out: expected one argument"),
        (["train-gestures", "--epochs"], "error: argument --epochs: expected one argument"),
        (["presets", "extra"], "error: unrecognized arguments: extra"),
        (["gesture-samples"], "error: the following arguments are required: --out"),
    ],
)
def test_argparse_errors_are_one_line_not_the_usage(capsys, argv, start):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and out == ""
    assert one_error_line(err).startswith(start)


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
    )  # fmt: skip
    assert result.returncode == 0
    assert "stride-2" in result.stdout and "course-demo" in result.stdout


def test_a_real_process_gives_one_line_and_exit_2_for_argparse_errors(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "cnnviz", "train-gestures", "--epochs", "--seed", "1"],
        capture_output=True, text=True, cwd=tmp_path, timeout=60, env=ENV,
    )  # fmt: skip
    assert result.returncode == 2 and result.stdout == ""
    assert one_error_line(result.stderr) == "error: argument --epochs: expected one argument\n"


# ---------------------------------------------------------------------------- numeric ranges

LIMITED = [
    ("export", EXPORT_LIMITS, [*SMALL, "--out", "x.gif"]),
    ("train-gestures", TRAIN_LIMITS, []),
    ("gesture-samples", SAMPLES_LIMITS, ["--out", "x.png"]),
]


def _bad_values(kind, low, high):
    below = str(low - 1 if kind is int else low / 2)
    above = str(high + 1 if kind is int else high * 2)
    values = [(below, "between"), (above, "between"), ("many", "must be a"), ("1e999", "")]
    if kind is float:
        values += [("inf", "between"), ("-inf", "between"), ("nan", "between")]
    else:
        values += [("2.5", "whole number"), ("10" * 30, "between")]
    return values


CASES = [
    (command, name, value, word, extra)
    for command, limits, extra in LIMITED
    for name, (kind, low, high, _) in limits.items()
    for value, word in _bad_values(kind, low, high)
]


@pytest.mark.parametrize(
    ("command", "name", "value", "word", "extra"), CASES,
    ids=[f"{c[0]}-{c[1]}-{c[2][:12]}" for c in CASES],
)  # fmt: skip
def test_every_numeric_option_is_checked_before_any_work(
    capsys, tmp_path, monkeypatch, command, name, value, word, extra
):
    monkeypatch.chdir(tmp_path)
    option = "--" + name.replace("_", "-")
    code, out, err = run_cli(capsys, command, *extra, f"{option}={value}")  # "=": -inf too
    assert code == 2 and out == ""
    line = one_error_line(err)
    assert line.startswith(f"error: {option} must be "), line
    assert word in line
    if "between" in line:
        assert "(" in line and ")" in line, "the range says why"
    assert list(tmp_path.iterdir()) == [], "nothing was written"


@pytest.mark.parametrize(("command", "limits", "extra"), LIMITED, ids=[c[0] for c in LIMITED])
def test_help_shows_each_range_and_its_reason(command, limits, extra):
    parser = OneLineParser(prog=command)
    row = COMMANDS[command]
    getattr(importlib.import_module(row[0]), row[1])(parser)
    text = " ".join(parser.format_help().split())
    for name, (kind, low, high, why) in limits.items():
        span = f"{kind(low)}..{kind(high)}" if kind is int else f"{low:g}..{high:g}"
        assert f"{span} ({' '.join(why.split())})" in text, name


@pytest.mark.parametrize(
    ("argv", "start"),
    [
        (["--learning-rate", "inf"], "error: --learning-rate must be between 1e-06 and 1"),
        (["--learning-rate", "nan"], "error: --learning-rate must be between 1e-06 and 1"),
        (["--train-count", "1000000000000"], "error: --train-count must be between 1 and 60000"),
        (["--epochs", "1000000000"], "error: --epochs must be between 1 and 100"),
    ],
)
def test_the_issues_train_gestures_cases_are_refused_at_once(capsys, argv, start):
    code, out, err = run_cli(capsys, "train-gestures", *argv)
    assert code == 2 and out == ""
    assert one_error_line(err).startswith(start)


def test_train_gestures_ends_with_test_accuracy(capsys):
    code, out, err = run_cli(
        capsys, "train-gestures", "--seed", "1", "--epochs", "1", "--train-count", "400",
        "--test-count", "160",
    )  # fmt: skip
    lines = out.splitlines()
    assert code == 0, err
    assert re.fullmatch(r"test accuracy: [01]\.\d{3}", lines[-1])
    assert lines[-2].startswith("trained in ")
    epoch = [line for line in lines if line.startswith("epoch 1/1 [")]
    assert len(epoch) == 1 and " 13/13 batches  loss " in epoch[0]


def test_gesture_samples_writes_the_readme_picture(capsys, tmp_path):
    out = tmp_path / "gestures.png"
    code, stdout, err = run_cli(capsys, "gesture-samples", "--out", str(out), "--per-class", "2")
    assert code == 0, err
    assert stdout.startswith(f"wrote {out} (2 samples per class")
    with Image.open(out) as image:
        assert image.format == "PNG" and min(image.size) > 100
    code, _, err = run_cli(capsys, "gesture-samples", "--out", str(tmp_path / "g.gif"))
    assert code == 2 and "cannot tell the format" in one_error_line(err)


# ---------------------------------------------------------------------------- export: errors


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--preset", "nope"], "error: unknown preset 'nope'; choose one of: single-channel"),
        (["--format", "mp4"], "error: unknown format 'mp4'; choose one of: gif, html, png"),
        (["--stride", "9"], "error: --stride (stride s) must be between 1 and 4, not 9"),
        (["--stride", "two"], "error: --stride (stride s) must be a whole number, not 'two'"),
        (["--depth", "1.5"], "error: --depth (input depth C) must be a whole number, not '1.5'"),
        (["--kernel", "-3"], "error: --kernel (kernel height kh) must be between 1 and 7, not -3"),
        (["--activation", "softmax"], "error: activation must be one of identity, relu"),
        (["--kernel", "7"], "error: The kernel spans 7x7 pixels"),
        (["--walk", "sideways"], "error: unknown walk 'sideways'; choose one of: scatter, gather"),
        (["--fps", "fast"], "error: --fps must be a number, not 'fast'"),
        (["--fps", "nan"], "error: --fps must be between 0.1 and 50"),
        (["--max-frames", "0"], "error: --max-frames must be between 1 and 1000"),
        (["--format", "html"], "error: --format html does not match --out"),
    ],
)
def test_export_errors_are_one_line_and_exit_2(capsys, tmp_path, argv, message):
    out = tmp_path / "anim.gif"
    code, stdout, err = run_cli(capsys, "export", *SMALL, "--out", str(out), *argv)
    assert code == 2
    assert stdout == ""
    assert one_error_line(err).startswith(message), err
    assert list(tmp_path.iterdir()) == []


def test_export_needs_out(capsys):
    code, _, err = run_cli(capsys, "export", *SMALL, "--format", "gif")
    assert code == 2
    assert one_error_line(err) == (
        "error: --out PATH is required (the file to write, or - for standard output)\n"
    )


def test_export_error_exit_code_from_a_real_process(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "cnnviz", "export", "--preset", "x", "--out", "a.gif"],
        capture_output=True, text=True, cwd=tmp_path, timeout=60, env=ENV,
    )  # fmt: skip
    assert result.returncode == 2
    assert one_error_line(result.stderr).startswith("error: unknown preset 'x'")


# ---------------------------------------------------------------------------- export: formats


def test_export_gif_is_an_animated_loop_of_every_step(capsys, tmp_path):
    out = tmp_path / "single.gif"
    code, stdout, err = run_cli(capsys, "export", *SMALL, "--format", "gif", "--out", str(out))
    assert code == 0, err
    assert stdout.startswith(f"wrote {out} (9 steps")
    assert err.endswith("gif [" + "#" * 30 + "]   9/9 frames\n")
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
    code, _, err = run_cli(capsys, "export", *SMALL, "--stride", "2", "--out", str(out), "--quiet")
    assert code == 0 and err == ""
    text = out.read_text(encoding="utf-8")
    # stride 2 on 5x5 with a 3x3 kernel: a 2x2 output, 4 steps.
    assert text.count("data:image/png;base64,") == 4 + 1  # four frames + the first shown
    assert "{{" not in text and "}}" not in text, "every mark of player.html is filled in"
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "<script src" not in text and "@import" not in text
    for control in ('id="play"', 'id="back"', 'id="forward"', 'id="slider"'):
        assert control in text
    assert 'max="3"' in text and "1 / 4" in text


def test_export_png_sheet_is_a_grid_of_steps(capsys, tmp_path):
    out = tmp_path / "sheet.png"
    code, _, err = run_cli(capsys, "export", *SMALL, "--walk", "gather", "--out", str(out))
    assert code == 0, err
    with Image.open(out) as sheet:
        assert sheet.format == "PNG"
        width, height = sheet.size
    # 25 gather steps thinned to 16, four columns: a 4 x 4 grid.
    with Image.open(io.BytesIO(gif_bytes(PRESETS["single-channel"].settings, "gather",
                                         max_frames=1))) as image:  # fmt: skip
        frame = image.height, image.width
    assert width == 4 * round(frame[1] * 0.5)
    assert height == 4 * (round(frame[0] * 0.5) + 18)


# ---------------------------------------------------------------------------- the progress bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_in_place_on_a_terminal_and_ends_the_line(monkeypatch):
    stream = Terminal()
    bar = ProgressBar(stream, label="gif", unit="frames", width=10)
    clock = iter(range(1, 100))  # a second between calls: every call draws
    monkeypatch.setattr("cnnviz.cli.output.time.perf_counter", lambda: float(next(clock)))
    for done in range(1, 5):
        bar(done, 4)
    text = stream.getvalue()
    assert text.count("\r") == 4 and text.endswith("\rgif [##########]   4/4 frames\n")


def test_progress_bar_writes_only_finished_lines_elsewhere():
    stream = io.StringIO()
    bar = ProgressBar(stream, unit="batches", width=4)
    for epoch in (1, 2):
        for batch in range(1, 4):
            bar(batch, 3, label=f"epoch {epoch}/2", detail=f"loss {batch}")
    assert stream.getvalue().splitlines() == [
        "epoch 1/2 [####]   3/3 batches  loss 3",
        "epoch 2/2 [####]   3/3 batches  loss 3",
    ]


# ---------------------------------------------------------------------------- never a traceback


def test_training_that_diverges_says_so_and_fails(capsys, monkeypatch):
    from cnnviz.nn import training

    def diverged(network, train_set, **settings):
        return training.History(train_loss=[float("nan")], seconds=0.1)

    monkeypatch.setattr(training, "train", diverged)
    code, out, err = run_cli(capsys, "train-gestures", "--train-count", "16", "--test-count", "8")
    assert code == 1 and "test accuracy" not in out
    assert one_error_line(err).startswith("error: training diverged")


def test_an_unexpected_failure_is_one_line_too(capsys, monkeypatch, tmp_path):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("cnnviz.explorer.export.export_figure", broken)
    code, _, err = run_cli(capsys, "export", *SMALL, "--out", str(tmp_path / "a.gif"))
    assert code == 1
    assert one_error_line(err) == "error: unexpected RuntimeError: a bug (please report this)\n"
    assert list(tmp_path.iterdir()) == [], "no temporary file is left behind"


def test_help_of_a_command_exits_0_with_the_output_rules(capsys):
    code, out, _ = run_cli(capsys, "export", "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "A symbolic link is followed" in text and "'-' for standard output" in text
