"""Run one ``python -m cnnviz`` command: find it, parse its options, turn every failure into one
line and an exit code (see :mod:`cnnviz.cli.commands` for the list of codes).
"""

from __future__ import annotations

import importlib
import signal
import sys
from collections.abc import Sequence

from cnnviz.cli import signals
from cnnviz.cli.commands import COMMANDS
from cnnviz.cli.options import OneLineParser, UsageError, cut
from cnnviz.cli.output import OutputError, begin, silence, stopped, stream_open, tell
from cnnviz.cli.signals import Terminated


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit code (the module's list)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    begin(argv)
    try:
        return _run(argv)
    except (UsageError, OutputError, ValueError, TypeError) as error:
        tell(f"error: {error}")
        return 2
    except KeyboardInterrupt:
        return stopped(signal.SIGINT)
    except Terminated:
        return stopped(signal.SIGTERM)
    except BrokenPipeError:  # e.g. `... --out - | head`: the reader left
        silence(sys.stdout)
        tell("error: standard output was closed by its reader")
        return 1
    except MemoryError:
        tell("error: out of memory; try smaller sizes")
        return 2
    except SystemExit as done:  # --help
        return done.code if isinstance(done.code, int) else 0
    except Exception as error:  # no traceback on any input, even for a bug
        if signals.received:  # Ctrl-C inside an import can surface as another error
            return stopped(signals.received[-1])
        tell(f"error: unexpected {type(error).__name__}: {error} (please report this)")
        return 1


def _run(argv: list[str]) -> int:
    names = ", ".join(COMMANDS)
    if not argv:
        raise UsageError(f"give a command: {names} (--help for more)")
    if argv[0] in ("-h", "--help"):
        print("usage: python -m cnnviz COMMAND [options]\n\ncommands:")
        for name, row in COMMANDS.items():
            print(f"  {name:<16} {row[-1]}")
        print("\n`python -m cnnviz COMMAND --help` lists a command's options and their ranges.")
        return 0
    if argv[0] not in COMMANDS:
        raise UsageError(f"unknown command {cut(argv[0])}; choose one of: {names}")
    if not stream_open(sys.stdout):  # every command reports on it: refuse before any work
        raise UsageError("standard output is closed; give it a file or /dev/null")
    module_name, add_name, main_name, help_line = COMMANDS[argv[0]]
    module = importlib.import_module(module_name)
    parser = OneLineParser(prog=f"python -m cnnviz {argv[0]}", description=help_line)
    getattr(module, add_name)(parser)
    return int(getattr(module, main_name)(parser.parse_args(argv[1:])))

