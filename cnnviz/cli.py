"""Command line: ``python -m cnnviz {presets,export,train-gestures} ...``.

Each sub-command lives beside the code it drives; this file only picks one. A command's
module is imported only when that command runs, so ``presets`` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# command -> (module with add_arguments(parser) and main(args) -> int, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "presets": ("cnnviz.explorer.presets_cli", "list the named scenarios, one per line"),
    "export": (
        "cnnviz.explorer.export",
        "write a step animation as GIF, standalone HTML or PNG sheet",
    ),
    "train-gestures": ("cnnviz.nn.training", "train the small gesture CNN on synthetic data"),
    "gesture-weights": ("cnnviz.nn.pretrained", "train and save the network page's weights"),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m cnnviz", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=list(COMMANDS), help="what to do")
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        for name, (_, help_text) in COMMANDS.items():
            parser.epilog = (parser.epilog or "") + f"  {name}: {help_text}\n"
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        parser.parse_args(argv[:1])  # prints usage and exits 2 (or 0 for --help)
    module_name, help_text = COMMANDS[argv[0]]
    module = importlib.import_module(module_name)
    sub = argparse.ArgumentParser(prog=f"python -m cnnviz {argv[0]}", description=help_text)
    module.add_arguments(sub)
    return int(module.main(sub.parse_args(argv[1:])))


if __name__ == "__main__":
    sys.exit(main())
