"""How ``--out`` is written: never a device, FIFO or folder; links and modes kept; no partial file.

Each case of issue 14: a FIFO made in a temporary folder (never a real device), a symlink, a hard
link with mode 640, a folder and a user's file named like a temporary file, a folder as --out,
format and suffix, ``-`` for standard output, and Ctrl-C in a real process.
"""

from __future__ import annotations

import io
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from cnnviz.cli import main as cli
from cnnviz.cli.output import OutputError, Target, check_target, open_target

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["export", "--preset", "single-channel", "--quiet"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}


def export(capsys, out, *argv: str) -> tuple[int, str, str]:
    code = cli([*SMALL, "--out", str(out), *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def is_gif(path: Path) -> bool:
    with Image.open(path) as image:
        return image.format == "GIF" and image.n_frames == 9


def one_error_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("error: "), repr(err)
    return err


# ---------------------------------------------------------------------------- refused targets


def test_a_fifo_is_refused_and_left_a_fifo(capsys, tmp_path):
    fifo = tmp_path / "pipe.gif"
    os.mkfifo(fifo)
    code, out, err = export(capsys, fifo)
    assert code == 2 and out == ""
    assert str(fifo) in one_error_line(err) and "FIFO" in err and "not a regular file" in err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe.gif"]


def test_a_symlink_to_a_fifo_is_refused_too(capsys, tmp_path):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link.gif").symlink_to(tmp_path / "pipe")
    code, _, err = export(capsys, tmp_path / "link.gif")
    assert code == 2 and "FIFO" in one_error_line(err)
    assert stat.S_ISFIFO(os.stat(tmp_path / "pipe").st_mode)


@pytest.mark.parametrize("suffix", ["", "/"])
def test_a_folder_as_out_is_refused_with_its_name(capsys, tmp_path, suffix):
    folder = tmp_path / "frames.gif"
    folder.mkdir()
    code, _, err = export(capsys, str(folder) + suffix, "--format", "gif")
    assert code == 2
    shown = repr(str(folder) + suffix)
    assert one_error_line(err) == f"error: --out {shown} is a folder; give a file name\n"
    assert list(folder.iterdir()) == []


def test_a_missing_folder_is_named(capsys, tmp_path):
    code, _, err = export(capsys, tmp_path / "no" / "a.gif")
    assert code == 2
    assert f"folder {str(tmp_path / 'no')!r} does not exist" in one_error_line(err)


def test_check_target_refuses_a_character_device_by_its_mode(monkeypatch, tmp_path):
    # never touch a real device: pretend a regular path is one
    real_stat = os.stat
    path = tmp_path / "null"
    path.write_bytes(b"")
    fake = os.stat_result((stat.S_IFCHR | 0o666, *real_stat(path)[1:]))
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: fake if str(p) == str(path) else
                        real_stat(p, *a, **k))  # fmt: skip
    with pytest.raises(OutputError, match="is a device, not a regular file"):
        check_target(str(path))


# ---------------------------------------------------------------------------- kept as it was


def test_a_symlink_is_followed_and_stays_a_link(capsys, tmp_path):
    target = tmp_path / "real.gif"
    target.write_bytes(b"old")
    link = tmp_path / "link.gif"
    link.symlink_to(target)
    code, out, err = export(capsys, link)
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert is_gif(target), "the link's target has the new bytes, not a stale copy"
    assert out.startswith(f"wrote {target} ")


def test_a_hard_link_stays_joined_and_mode_640_is_kept(capsys, tmp_path):
    first, second = tmp_path / "a.gif", tmp_path / "b.gif"
    first.write_bytes(b"old")
    os.chmod(first, 0o640)
    os.link(first, second)
    inode = os.stat(first).st_ino
    code, _, err = export(capsys, first)
    assert code == 0, err
    for path in (first, second):
        info = os.stat(path)
        assert info.st_ino == inode and info.st_nlink == 2
        assert stat.S_IMODE(info.st_mode) == 0o640
    assert is_gif(second), "both names see the new bytes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gif", "b.gif"]


def test_mode_640_is_kept_when_the_file_is_replaced(capsys, tmp_path):
    out = tmp_path / "a.gif"
    out.write_bytes(b"old")
    os.chmod(out, 0o640)
    inode = os.stat(out).st_ino
    assert export(capsys, out)[0] == 0
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o640 and is_gif(out)
    assert os.stat(out).st_ino != inode, "replaced by a rename, not rewritten in place"


def test_a_new_file_gets_the_umask_mode(capsys, tmp_path):
    old = os.umask(0o027)
    try:
        assert export(capsys, tmp_path / "new.gif")[0] == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.gif").st_mode) == 0o640


def test_partial_named_folder_and_user_file_are_left_alone(capsys, tmp_path):
    (tmp_path / "a.gif.partial").mkdir()
    (tmp_path / "b.gif.partial").write_bytes(b"the user's own file")
    for name in ("a.gif", "b.gif"):
        code, _, err = export(capsys, tmp_path / name)
        assert code == 0 and err == ""
        assert is_gif(tmp_path / name)
    assert (tmp_path / "a.gif.partial").is_dir() and not any((tmp_path / "a.gif.partial").iterdir())
    assert (tmp_path / "b.gif.partial").read_bytes() == b"the user's own file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a.gif", "a.gif.partial", "b.gif", "b.gif.partial"
    ]


def test_a_failure_inside_leaves_the_old_file_and_no_temporary(tmp_path):
    out = tmp_path / "keep.gif"
    out.write_bytes(b"old")
    with pytest.raises(RuntimeError), open_target(check_target(str(out))) as stream:
        stream.write(b"half")
        names = [p.name for p in tmp_path.iterdir()]
        assert len(names) == 2 and any(n.startswith(".keep.gif.") for n in names)
        raise RuntimeError("drawing failed")
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.gif"]


def test_two_writers_use_two_temporary_files(tmp_path):
    target = check_target(str(tmp_path / "x.gif"))
    with open_target(target) as one, open_target(target) as two:
        one.write(b"one")
        two.write(b"two")
        assert len(list(tmp_path.iterdir())) == 2
    assert (tmp_path / "x.gif").read_bytes() == b"one"  # the outer block ends last
    assert check_target("-") == Target("-", None)  # standard output: nothing to replace


# ---------------------------------------------------------------------------- format, stdout


@pytest.mark.parametrize(
    ("name", "argv", "expected"),
    [
        ("anim.GIF", [], "GIF"),
        ("anim.htm", [], "html"),
        ("anim", ["--format", "png"], "PNG"),
        ("anim.png", ["--format", "PNG"], "PNG"),
    ],
)
def test_the_format_comes_from_the_suffix_or_agrees_with_it(capsys, tmp_path, name, argv, expected):
    code, _, err = export(capsys, tmp_path / name, *argv)
    assert code == 0, err
    data = (tmp_path / name).read_bytes()
    if expected == "html":
        assert data.startswith(b"<!DOCTYPE html>")
    else:
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == expected


@pytest.mark.parametrize(
    ("name", "argv", "message"),
    [
        ("x.gif", ["--format", "html"], "--format html does not match --out"),
        ("x.txt", ["--format", "gif"], "--format gif does not match --out"),
        ("x", [], "cannot tell the format of"),
        ("x.txt", [], "cannot tell the format of"),
    ],
)
def test_format_and_suffix_must_agree(capsys, tmp_path, name, argv, message):
    code, _, err = export(capsys, tmp_path / name, *argv)
    assert code == 2 and message in one_error_line(err)
    assert list(tmp_path.iterdir()) == []


def test_dash_writes_to_standard_output():
    result = subprocess.run(
        [sys.executable, "-m", "cnnviz", *SMALL, "--format", "gif", "--out", "-"],
        capture_output=True, timeout=120, env=ENV, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with Image.open(io.BytesIO(result.stdout)) as image:
        assert image.format == "GIF" and image.n_frames == 9
    assert result.stderr == b"wrote 9 steps to standard output\n"


def test_dash_needs_a_format(capsys):
    code = cli([*SMALL, "--out", "-"])
    assert code == 2 and "--out - needs --format" in one_error_line(capsys.readouterr().err)


# ---------------------------------------------------------------------------- Ctrl-C


@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing"])
def test_ctrl_c_exits_130_and_leaves_no_partial_file(tmp_path, existing):
    out = tmp_path / "long.gif"
    if existing:
        out.write_bytes(b"old")
    argv = ["export", "--preset", "course-demo", "--input-height", "16", "--input-width", "16",
            "--stride", "1", "--padding", "3", "--max-frames", "1000", "--out", str(out)]
    process = subprocess.Popen(
        [sys.executable, "-m", "cnnviz", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=ENV, cwd=tmp_path,  # a background test run ignores SIGINT: give the child it back
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".partial") for p in tmp_path.iterdir()):
        assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
        time.sleep(0.05)
    time.sleep(0.5)  # well inside the drawing
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert b"Traceback" not in err and err.rstrip().endswith(b"interrupted")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == (["long.gif"] if existing else [])
    if existing:
        assert out.read_bytes() == b"old"
