"""The command line, one room: ``python -m cnnviz COMMAND``.

- :mod:`cnnviz.cli.commands`: every command's options and what it does, and :func:`main`.
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
    main,
)

__all__ = ["COMMANDS", "EXPORT_LIMITS", "SAMPLES_LIMITS", "TRAIN_LIMITS", "OneLineParser", "main"]
