"""``python -m cnnviz ...``: the commands live in :mod:`cnnviz.cli`.

``cnnviz/__init__`` already made Ctrl-C and SIGTERM end the process at once with one line
(:mod:`cnnviz._exit`), before any heavy import; the ``except`` below is for a process started
some other way.
"""

import sys


def _run() -> int:
    try:
        from cnnviz.cli import main

        return main()
    except KeyboardInterrupt:
        from cnnviz.cli.signals import stopped

        return stopped(2)


if __name__ == "__main__":
    sys.exit(_run())
