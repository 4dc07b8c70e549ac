"""``python -m cnnviz presets``: the named scenarios, one per line."""

from __future__ import annotations

import argparse

from cnnviz.explorer.presets import PRESETS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This command takes no options."""


def main(args: argparse.Namespace) -> int:
    """Print ``name  description`` for every preset; exit code 0."""
    width = max(len(name) for name in PRESETS)
    for name, preset in PRESETS.items():
        print(f"{name:<{width}}  {preset.description}")
    return 0
