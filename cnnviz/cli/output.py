"""Where a command's output goes: a file written safely (or standard output), and a progress bar.

:func:`check_target` runs before any work, :func:`open_target` writes::

    target = check_target("walk.gif", option="--out")     # OutputError if it cannot be written
    with open_target(target) as stream:                   # a unique temporary file beside it
        stream.write(data)                                # ... replaced onto the target at the end

The rules, for a path given on the command line:

- ``-`` is standard output.
- A symbolic link is followed: its target is written and the link stays a link.
- A path that exists and is not a regular file (a folder, a FIFO, a device, a socket) is refused.
- The bytes go to a temporary file made uniquely (``tempfile.mkstemp``) in the same folder, which
  then replaces the target with ``os.replace``: a reader never sees half a file, and a failure or
  Ctrl-C leaves the old file as it was. The new file keeps the old one's mode (and owner, when
  allowed); a new file gets the usual ``0o666 & ~umask``.
- A file with more than one hard link is rewritten in place once the temporary file is complete,
  so every link sees the new bytes (replacing would split the links).
- Any name the file system takes can be written: the temporary name is cut to fit its limit
  (``NAME_MAX``, 255 bytes on most), and :func:`check_target` makes and removes one before any
  work, so a folder that cannot be written is found at once. Names are shown with control
  characters and undecodable bytes escaped (:func:`printable`).

Messages for the user go through :func:`tell`: standard error, or standard output when standard
error is closed, but never into standard output when it carries the file (``--out -``).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, TextIO

from cnnviz._exit import stdout_carries_file
from cnnviz.cli.signals import (
    INTERRUPTED,
    TERMINATED,
    held,
    ignore_further_signals,
    unwinding,
)

STDOUT = "-"
_PARTIAL = ".partial"
_RANDOM = 8  # characters tempfile adds to a name
# set once --out - is checked: from then on standard output carries the file, and no message
_stdout_carries_file = False


class OutputError(Exception):
    """A path that cannot be written, said in one line that names it."""


@dataclass(frozen=True)
class Target:
    """A checked output: ``path`` is None for standard output."""

    shown: str  # as the user typed it, for messages
    path: str | None  # the file really written (a symlink resolved)


def begin(argv: list[str]) -> None:
    """A new command starts: if ``argv`` asks for ``--out -``, no message goes to stdout."""
    global _stdout_carries_file
    _stdout_carries_file = stdout_carries_file(argv)  # before any option is checked


def check_target(text: str, *, option: str = "--out") -> Target:
    """The output ``text`` names, checked before any work is done.

    Raises
    ------
    OutputError
        If the path is empty, is a folder or another non-regular file, or its folder is missing.
    """
    global _stdout_carries_file
    if text == STDOUT:
        if not stream_open(sys.stdout):
            raise OutputError(f"{option} - needs standard output, which is closed")
        _stdout_carries_file = True
        return Target(STDOUT, None)
    if not text or "\0" in text:
        raise OutputError(f"{option} must name a file; got {shown_path(text)}")
    path = os.path.realpath(text)  # follows symlinks: the link's target is written
    shown = shown_path(text)
    if path != os.path.abspath(text):
        shown += f" (a link to {shown_path(path)})"
    if text.endswith(os.sep) or os.path.isdir(path):
        raise OutputError(f"{option} {shown} is a folder; give a file name")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise OutputError(f"cannot write {shown}: {error.strerror}") from None
    if mode is not None and not stat.S_ISREG(mode):
        kind = _kind(mode)
        raise OutputError(f"{option} {shown} is {kind}, not a regular file; refusing to replace it")
    folder, name = os.path.split(path)
    if not os.path.isdir(folder):
        raise OutputError(f"cannot write {shown}: folder {shown_path(folder)} does not exist")
    most = _name_max(folder)
    if len(os.fsencode(name)) > most:
        raise OutputError(f"cannot write {shown}: its name is {len(os.fsencode(name))} bytes, "
                          f"over this file system's limit of {most}")  # fmt: skip
    try:  # the one sure test that the folder takes a new file: make one, remove it
        with held():
            handle, probe = _temporary(folder, name)
            os.close(handle)
            os.unlink(probe)
    except OSError as error:
        raise OutputError(f"cannot write {shown}: {error.strerror}") from None
    return Target(shown_path(text), path)


def _name_max(folder: str) -> int:
    """The longest file name ``folder``'s file system takes, in bytes (255 if it won't say)."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def _temporary(folder: str, name: str) -> tuple[int, str]:
    """``mkstemp`` beside ``name``: ``.NAME.XXXXXXXX.partial``, NAME cut to fit the limit."""
    room = _name_max(folder) - len(f"..{_PARTIAL}") - _RANDOM
    cut = os.fsdecode(os.fsencode(name)[: max(room, 1)])  # bytes, not characters, count
    return tempfile.mkstemp(prefix=f".{cut}.", suffix=_PARTIAL, dir=folder)


def printable(text: str) -> str:
    """``text`` for one line of a terminal: control characters and undecodable bytes escaped.

    A name made of bytes that are not UTF-8 arrives as lone surrogates (``\\udcff``): each is
    shown as the byte it stands for, ``\\xff``; a newline as ``\\n``.
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if "\udc80" <= ch <= "\udcff":
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        else:
            out.append(ch if ch.isprintable() else repr(ch)[1:-1])
    return "".join(out)


def stream_open(stream: TextIO | None) -> bool:
    """Whether ``stream`` is there and its file descriptor open (a closed one is None or fails)."""
    if stream is None:
        return False
    try:
        descriptor = stream.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):  # no descriptor: a capture
        return not getattr(stream, "closed", False)
    try:
        os.fstat(descriptor)
    except OSError:
        return False
    return True


def tell(line: str) -> None:
    """``line`` for the user on standard error; when that is closed, on standard output, unless
    standard output carries the file (``--out -``): then nowhere, and the exit code tells."""
    streams = [sys.stderr] if _stdout_carries_file else [sys.stderr, sys.stdout]
    for stream in streams:
        if not stream_open(stream):
            continue
        try:
            stream.write(printable(line) + "\n")
            stream.flush()
            return
        except (OSError, ValueError):
            silence(stream)


def silence(stream: TextIO) -> None:
    """Point a stream that failed at /dev/null, so the flush at exit cannot fail again."""
    with contextlib.suppress(Exception):
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def shown_path(path: str) -> str:
    """``path`` quoted for a one-line message, control characters escaped, cut at 120 chars."""
    return "'" + printable(path if len(path) <= 120 else path[:60] + "..." + path[-57:]) + "'"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


@contextlib.contextmanager
def open_target(target: Target) -> Iterator[BinaryIO]:
    """A binary stream for ``target``; the file appears only when the block ends without error.

    On any exception (KeyboardInterrupt included) the temporary file is removed and the target
    is left as it was.
    """
    if target.path is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with unwinding():  # Ctrl-C and SIGTERM raise here, so the temporary file goes too
        yield from _through_temporary(target)


def _through_temporary(target: Target) -> Iterator[BinaryIO]:
    """:func:`open_target`'s body for a file: a temporary file, then put in its place."""
    folder, name = os.path.split(target.path)
    with held():  # a signal between making the file and the try below would leave it
        try:
            handle, temporary = _temporary(folder, name)
        except OSError as error:
            raise OutputError(f"cannot write {target.shown}: {error.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
        with held():  # the last step is not cut in half by Ctrl-C or SIGTERM
            _put_in_place(temporary, target.path)
    except OSError as error:
        raise OutputError(f"cannot write {target.shown}: {error.strerror}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _put_in_place(temporary: str, path: str) -> None:
    """Move the finished temporary file onto ``path``, keeping its mode, owner and links."""
    try:
        old = os.stat(path)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # what open() would have given a new file
        os.replace(temporary, path)
        return
    if not stat.S_ISREG(old.st_mode):  # it changed since it was checked
        raise OSError(0, "it is no longer a regular file")
    if old.st_nlink > 1:  # replacing would split the hard links: rewrite the same inode
        with open(temporary, "rb") as source, open(path, "r+b") as destination:
            destination.truncate(0)
            shutil.copyfileobj(source, destination, 1 << 20)
        return
    os.chmod(temporary, stat.S_IMODE(old.st_mode))
    with contextlib.suppress(OSError):  # only root may give a file away; others keep theirs
        os.chown(temporary, old.st_uid, old.st_gid)
    os.replace(temporary, path)


class ProgressBar:
    """``label [#########---------]  9/20 frames`` on one line of ``stream``.

    On a terminal the line is redrawn in place (at most ~10 times a second); elsewhere (a log,
    a pipe) only finished lines are written. Call it as ``bar(done, total)``; ``detail`` adds
    text after the count, ``label`` replaces the one given at creation.
    """

    def __init__(
        self, stream: TextIO | None = None, *, label: str = "", unit: str = "", width: int = 30
    ) -> None:
        self.stream = sys.stderr if stream is None else stream  # None: closed, draw nothing
        self.label, self.unit, self.width = label, unit, width
        self.live = stream_open(self.stream) and bool(self.stream.isatty())
        self._last_draw = 0.0
        self._drawn = 0  # length of the line on screen, to blank what a shorter one leaves

    def __call__(
        self, done: int, total: int, *, detail: str = "", label: str | None = None
    ) -> None:
        finished = done >= total
        now = time.perf_counter()
        if not finished and (not self.live or now - self._last_draw < 0.1):
            return
        self._last_draw = now
        filled = self.width * done // max(total, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        head = self.label if label is None else label
        line = f"{head} [{bar}] {done:>3}/{total}" + (f" {self.unit}" if self.unit else "")
        line += f"  {detail}" if detail else ""
        if self.live:
            padded = "\r" + line.ljust(self._drawn)
            line, self._drawn = padded, 0 if finished else len(line)
        try:
            if self.stream is not None and (self.stream is not sys.stdout or not
                                            _stdout_carries_file):  # fmt: skip
                self.stream.write(line + ("\n" if finished else ""))
                self.stream.flush()
        except (OSError, ValueError):  # its reader left: the work goes on without a bar
            silence(self.stream)
            self.stream = None


def stopped(number: int) -> int:
    """Say ``interrupted`` or ``terminated`` in one line; the exit code, 130 or 143."""
    ignore_further_signals()
    tell("terminated" if number == signal.SIGTERM else "interrupted")
    return TERMINATED if number == signal.SIGTERM else INTERRUPTED
