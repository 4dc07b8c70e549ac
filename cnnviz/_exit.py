"""``python -m cnnviz``: Ctrl-C or SIGTERM before a command writes anything ends it at once.

Installed by ``cnnviz/__init__`` while Python locates ``-m cnnviz`` (the first code of ours that
runs), so Ctrl-C during the imports that follow (NumPy, matplotlib) is one line and exit code
130 instead of a traceback or a half-imported module's odd error. Nothing needs cleaning up
then; where something does (a temporary file), :func:`cnnviz.cli.signals.unwinding` switches
to exceptions for that stretch. Only standard-library modules that are already loaded are used.
"""

from __future__ import annotations

import os
import signal
import sys

LINES = {signal.SIGINT: b"interrupted\n", signal.SIGTERM: b"terminated\n"}


def run_as_command() -> bool:
    """Whether this process is ``python -m cnnviz ...`` (and not a notebook importing cnnviz)."""
    argv = list(getattr(sys, "orig_argv", []))
    return "-m" in argv[:-1] and argv[argv.index("-m") + 1].startswith("cnnviz")


def stdout_carries_file(argv: list[str]) -> bool:
    """Whether the command line asks for ``--out -``: then no message goes to standard output."""
    pairs = zip(argv, argv[1:], strict=False)
    return "--out=-" in argv or any(a == "--out" and b == "-" for a, b in pairs)


def exit_at_once(number: int, frame: object) -> None:
    """The handler: flush what was printed, say one line, exit 128 + the signal's number."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception:  # noqa: BLE001, S110 - a closed stream: the line below still goes
            pass
    line = LINES.get(number, b"stopped\n")
    targets = [2] if stdout_carries_file(list(getattr(sys, "orig_argv", []))) else [2, 1]
    for descriptor in targets:
        try:
            os.write(descriptor, line)
            break
        except OSError:
            continue
    os._exit(128 + number)


def install() -> None:
    """Make Ctrl-C and SIGTERM call :func:`exit_at_once` (a signal ignored stays ignored)."""
    for number in LINES:
        if signal.getsignal(number) != signal.SIG_IGN:
            signal.signal(number, exit_at_once)
