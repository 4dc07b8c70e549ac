"""Issue 21, items 6, 7 and 8: signals and streams, output names, and the one number parser.

Real processes for what only a process shows (signals, closed descriptors, names that are not
UTF-8); each child gets the default Ctrl-C disposition back (``preexec_fn``), so these tests
pass however the test run itself was started (a background job ignores SIGINT, and a child
inherits that).
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from cnnviz.cli import EXPORT_LIMITS, SAMPLES_LIMITS, TRAIN_LIMITS
from cnnviz.cli import main as cli
from cnnviz.cli.commands import WEIGHTS_LIMITS

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
SMALL = ["export", "--preset", "single-channel", "--quiet"]
LONG = ["export", "--preset", "course-demo", "--input-height", "16", "--input-width", "16",
        "--stride", "1", "--padding", "3", "--max-frames", "1000", "--quiet"]  # fmt: skip


def _default_signals(close: tuple[int, ...] = ()):
    """For preexec_fn: Ctrl-C and SIGTERM as a terminal gives them, and ``close`` closed."""

    def setup() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for descriptor in close:
            os.close(descriptor)

    return setup


def start(argv: list, cwd: Path, close: tuple[int, ...] = (), **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV,
        cwd=cwd, preexec_fn=_default_signals(close), **kwargs,
    )  # fmt: skip


def finish(process: subprocess.Popen) -> tuple[int, bytes, bytes]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


# ---------------------------------------------------------------------------- signals


@pytest.mark.parametrize("delay", [0.0, 0.02, 0.05, 0.1, 0.2, 0.4])
def test_ctrl_c_at_any_moment_of_the_imports_is_one_line_and_130(tmp_path, delay):
    """From the first line of cnnviz on (``-X importtime`` says when it has loaded).

    The long export, so that on a quiet machine the command is still running at 0.4 s (the
    small one could finish first, and exit 0 with a whole file)."""
    process = start(["-X", "importtime", "-m", "cnnviz", *LONG, "--out", "a.gif"], tmp_path)
    seen = b""
    while b"| cnnviz\n" not in seen:  # the package itself, first of ours, has loaded
        line = process.stderr.readline()
        assert line, seen[-500:]
        seen += line
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    code, _, err = finish(process)
    words = [line for line in err.splitlines() if not line.startswith(b"import time:")]
    assert (code, words) == (130, [b"interrupted"]), err[-2000:]
    assert list(tmp_path.iterdir()) == []


def _wait_for_partial(process: subprocess.Popen, folder: Path) -> None:
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".partial") for p in folder.iterdir()):
        assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
        time.sleep(0.05)
    time.sleep(0.3)  # well inside the drawing


@pytest.mark.parametrize(("number", "code", "word"), [
    (signal.SIGTERM, 143, b"terminated"), (signal.SIGINT, 130, b"interrupted"),
])  # fmt: skip
def test_a_signal_mid_export_removes_the_partial_file(tmp_path, number, code, word):
    out = tmp_path / "long.gif"
    out.write_bytes(b"old")
    process = start(["-m", "cnnviz", *LONG, "--out", str(out)], tmp_path)
    _wait_for_partial(process, tmp_path)
    process.send_signal(number)
    assert finish(process)[::2] == (code, word + b"\n")
    assert [p.name for p in tmp_path.iterdir()] == ["long.gif"]
    assert out.read_bytes() == b"old"


def test_ctrl_c_works_when_the_test_run_itself_ignores_it(tmp_path):
    """A background ``make test`` ignores SIGINT, and children inherit that: reset it."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        process = start(["-m", "cnnviz", *LONG, "--out", "b.gif"], tmp_path)
    finally:
        signal.signal(signal.SIGINT, previous)
    _wait_for_partial(process, tmp_path)
    process.send_signal(signal.SIGINT)
    assert finish(process)[::2] == (130, b"interrupted\n")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------- streams


def test_closed_stderr_with_out_dash_leaves_the_gif_clean(tmp_path):
    code, out, _ = finish(start(["-m", "cnnviz", *SMALL, "--format", "gif", "--out", "-"],
                                tmp_path, close=(2,)))  # fmt: skip
    assert code == 0
    with Image.open(io.BytesIO(out)) as image:
        assert image.format == "GIF" and image.n_frames == 9
    assert out.endswith(b";"), "the GIF trailer is the last byte: nothing appended"
    code, out, _ = finish(start(["-m", "cnnviz", *SMALL, "--format", "gif", "--out", "-",
                                 "--walk", "sideways"], tmp_path, close=(2,)))  # fmt: skip
    assert (code, out) == (2, b""), "an error never goes into the output"


def test_closed_stderr_puts_the_error_line_on_stdout(tmp_path):
    code, out, _ = finish(start(["-m", "cnnviz", *SMALL, "--walk", "sideways", "--out", "a.gif"],
                                tmp_path, close=(2,)))  # fmt: skip
    assert code == 2 and out.startswith(b"error: unknown walk") and out.count(b"\n") == 1


def test_closed_stdout_is_one_line_on_stderr(tmp_path):
    for argv in (["presets"], [*SMALL, "--format", "gif", "--out", "-"]):
        code, _, err = finish(start(["-m", "cnnviz", *argv], tmp_path, close=(1,)))
        assert code == 2 and err.startswith(b"error: ") and err.count(b"\n") == 1, err
        assert b"closed" in err and b"unexpected" not in err


def test_a_reader_that_leaves_is_one_line_and_exit_1(tmp_path):
    process = start(["-m", "cnnviz", *SMALL, "--format", "gif", "--out", "-"], tmp_path)
    process.stdout.close()  # the reader left before the first byte
    err = process.stderr.read()
    assert process.wait(timeout=120) == 1
    assert err == b"error: standard output was closed by its reader\n"


# ---------------------------------------------------------------------------- output names

WORK = {  # command -> (extra arguments, suffix, the function that does its work)
    "export": (SMALL[1:], ".gif", "cnnviz.explorer.export.fan_out_figure"),
    "gesture-samples": ([], ".png", "cnnviz.nn.gestures.make_gestures"),
    "handout": ([], ".pdf", "cnnviz.lessons.handout.write_handout"),
    "gesture-weights": ([], ".npz", "cnnviz.nn.pretrained.train_from_seed"),
    "glyph-atlas": ([], ".npz", "cnnviz.explorer.render.atlas.build_atlas"),
}


@pytest.mark.parametrize("command", WORK)
@pytest.mark.parametrize("where", ["unwritable folder", "name too long"])
def test_out_is_checked_before_any_work_in_every_command(capsys, monkeypatch, command, where):
    extra, suffix, work = WORK[command]

    def no_work(*args, **kwargs):
        raise AssertionError(f"{command} started working before checking --out")

    monkeypatch.setattr(work, no_work)
    out = "/proc/cnnviz-nope" + suffix if where == "unwritable folder" else "a" * 252 + suffix
    code = cli([command, *extra, "--out", out])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: cannot write") and err.count("\n") == 1, err


@pytest.mark.parametrize("name", ["a" * 234 + ".gif", "b" * 251 + ".gif", "é" * 125 + ".gif"])
def test_any_name_the_file_system_takes_can_be_written(capsys, tmp_path, name):
    assert 238 <= len(name.encode()) <= 255
    code = cli([*SMALL, "--out", str(tmp_path / name)])
    assert code == 0, capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_names_that_are_not_utf8_or_hold_control_characters_are_shown_escaped(tmp_path):
    folder = os.fsencode(tmp_path)
    for raw, shown in [(b"\xff\xfe.gif", b"\\xff\\xfe.gif"), (b"a\nb\x1b[31m.gif",
                                                            b"a\\nb\\x1b[31m.gif")]:  # fmt: skip
        argv = [sys.executable.encode(), b"-m", b"cnnviz", *map(os.fsencode, SMALL),
                b"--out", folder + b"/" + raw]  # fmt: skip
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV,
                                   cwd=tmp_path, preexec_fn=_default_signals())  # fmt: skip
        code, out, err = finish(process)
        assert code == 0, err
        assert out.count(b"\n") == 1 and shown in out and raw not in out, out
        assert os.path.exists(folder + b"/" + raw)
        code, _, err = finish(start(["-m", "cnnviz", *SMALL, "--out",
                                     os.fsdecode(folder + b"/nope/" + raw)], tmp_path))  # fmt: skip
        assert code == 2 and err.count(b"\n") == 1 and shown in err and b"\x1b" not in err, err


# ---------------------------------------------------------------------------- numbers and text

NUMERIC = [
    ("export", [*SMALL[1:], "--out", "x.gif"], "cnnviz.explorer.export.fan_out_figure",
     [*EXPORT_LIMITS, "input_height", "stride", "padding", "depth", "kernel"]),
    ("train-gestures", [], "cnnviz.nn.gestures.train_test_split", list(TRAIN_LIMITS)),
    ("gesture-samples", ["--out", "x.png"], "cnnviz.nn.gestures.make_gestures",
     list(SAMPLES_LIMITS)),
    ("gesture-weights", ["--out", "x.npz"], "cnnviz.nn.pretrained.train_from_seed",
     list(WEIGHTS_LIMITS)),
]  # fmt: skip
CASES = [(c, extra, work, name, text) for c, extra, work, names in NUMERIC for name in names
         for text in ("٣", "３", "1_0", "²", "1 0")]  # fmt: skip


@pytest.mark.parametrize(("command", "extra", "work", "name", "text"), CASES,
                         ids=[f"{c[0]}-{c[3]}-{c[4]}" for c in CASES])  # fmt: skip
def test_one_number_parser_refuses_other_digits_everywhere(
    capsys, monkeypatch, tmp_path, command, extra, work, name, text
):
    monkeypatch.chdir(tmp_path)

    def no_work(*args, **kwargs):
        raise AssertionError(f"{command} accepted {text!r} for --{name}")

    monkeypatch.setattr(work, no_work)
    option = "--" + name.replace("_", "-")
    code = cli([command, *extra, f"{option}={text}"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"error: {option}") and "number" in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("option", ["--walk", "--preset", "--format", "--fps", "--stride",
                                    "--activation"])  # fmt: skip
def test_a_long_value_is_cut_in_the_message(capsys, tmp_path, option):
    code = cli([*SMALL, "--out", str(tmp_path / "x.gif"), option, "x" * 10240])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and len(err) < 300, err[:400]
    code = cli(["x" * 10240])
    err = capsys.readouterr().err
    assert code == 2 and len(err) < 300


def test_a_value_that_is_not_utf8_is_shown_as_its_bytes_like_a_name(capsys, monkeypatch, tmp_path):
    """A command, preset or number typed as bytes that are not UTF-8 is shown ``\\xff`` (the byte),
    as an output name is, not as Python's stand-in ``\\udcff``."""
    monkeypatch.chdir(tmp_path)
    raw = os.fsdecode(b"a\xff\nb")
    for option in ([], ["--preset", raw], ["--fps", raw], ["--format", raw]):
        argv = [*SMALL, "--out", "x.gif", *option] if option else [raw]
        code = cli(argv)
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and "a\\xff\\nb" in err, err
        assert "udc" not in err, err
    assert list(tmp_path.iterdir()) == []


def test_a_long_or_undecodable_out_is_shown_cut_and_escaped_in_every_format_message(
    capsys, monkeypatch, tmp_path
):
    """The format and suffix checks show ``--out`` as the output checks do (cut to one short
    line, ``\\xff`` for a byte that is not UTF-8), not as Python's repr of the whole name."""
    monkeypatch.chdir(tmp_path)
    name = "x" * 200 + os.fsdecode(b"\xff") + ".txt"
    for argv, said in (([*SMALL, "--out", name], "cannot tell the format of"),
                       ([*SMALL, "--out", name, "--format", "gif"], "does not match --out"),
                       (["handout", "--out", name], "must end in .pdf"),
                       (["gesture-weights", "--out", name], "must end in .npz"),
                       (["glyph-atlas", "--out", name], "must end in .npz")):  # fmt: skip
        code = cli(argv)
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and said in err and len(err) < 300, err
        assert "\\xff.txt" in err and "udc" not in err, err
    assert list(tmp_path.iterdir()) == []
