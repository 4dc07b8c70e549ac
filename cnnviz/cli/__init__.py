"""The command line, one room: ``python -m cnnviz COMMAND``.

- :mod:`cnnviz.cli.commands`: every command's options and what it does.
- :mod:`cnnviz.cli.run`: :func:`main`, one command from argv to its exit code.
- :mod:`cnnviz.cli.signals`: Ctrl-C and SIGTERM as one line and an exit code.
- :mod:`cnnviz.cli.options`: the parser that prints one ``error:`` line, option ranges.
- :mod:`cnnviz.cli.output`: ``--out`` written safely, the progress bar.
- :mod:`cnnviz.cli.atlas`: the painter's glyph atlas (a maintainer's command).
"""

from cnnviz.cli.commands import (
    COMMANDS,
    EXPORT_LIMITS,
    SAMPLES_LIMITS,
    TRAIN_LIMITS,
    OneLineParser,
)
from cnnviz.cli.run import main

__all__ = ["COMMANDS", "EXPORT_LIMITS", "SAMPLES_LIMITS", "TRAIN_LIMITS", "OneLineParser", "main"]
