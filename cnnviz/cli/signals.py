"""Signals for the command line: Ctrl-C and SIGTERM end a command with one line, never a trace.

Under ``python -m cnnviz`` both signals end the process at once (:mod:`cnnviz._exit`) except
while a temporary file exists: :func:`unwinding` turns them into exceptions for that stretch
(``KeyboardInterrupt``, :class:`Terminated`) so every ``finally`` runs and the ``.partial``
file is removed; :func:`held` keeps them back while the finished file is put in place.

Exit codes (as a shell reports them): 130 after Ctrl-C, 143 after SIGTERM.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

INTERRUPTED, TERMINATED = 130, 143
# signals turned into exceptions so far: an odd error they caused inside an import is theirs
received: list[int] = []


class Terminated(BaseException):
    """SIGTERM arrived: a BaseException, so no ``except Exception`` on the way swallows it."""


def _raise(number: int, frame: object) -> None:
    received.append(number)
    raise Terminated if number == signal.SIGTERM else KeyboardInterrupt


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def _handlers(handler) -> Iterator[None]:
    """Ctrl-C and SIGTERM go to ``handler`` inside the block (a signal ignored stays ignored)."""
    if not _main_thread():
        yield
        return
    numbers = [n for n in (signal.SIGINT, signal.SIGTERM) if signal.getsignal(n) != signal.SIG_IGN]
    previous = [signal.signal(n, handler) for n in numbers]
    try:
        yield
    finally:
        for number, old in zip(numbers, previous, strict=True):
            signal.signal(number, old if old is not None else signal.SIG_DFL)


def unwinding() -> contextlib.AbstractContextManager[None]:
    """Inside the block, Ctrl-C raises KeyboardInterrupt and SIGTERM :class:`Terminated`."""
    return _handlers(_raise)


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM until the block ends, then raise as :func:`unwinding` does."""
    caught: list[int] = []
    with _handlers(lambda number, frame: caught.append(number)):
        yield
    if caught:
        _raise(signal.SIGTERM if signal.SIGTERM in caught else signal.SIGINT, None)


def ignore_further_signals() -> None:
    """A second Ctrl-C or SIGTERM while the first one's line is written changes nothing."""
    if _main_thread():
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, signal.SIG_IGN)


def stopped(number: int) -> int:
    """Say ``interrupted`` or ``terminated`` in one line; the exit code, 130 or 143."""
    ignore_further_signals()
    from cnnviz.cli.output import tell

    tell("terminated" if number == signal.SIGTERM else "interrupted")
    return TERMINATED if number == signal.SIGTERM else INTERRUPTED
