"""``python -m cnnviz glyph-atlas``: rebuild the painter's glyph atlas from matplotlib's FreeType.

The explorer paints its numbers and labels from ``cnnviz/explorer/render/glyph_atlas.npz``
(package data, see :mod:`cnnviz.explorer.render.atlas`) so that its kernels never import
matplotlib. Run this after changing the atlas's characters or sizes, or matplotlib's version;
tests/test_page_start.py checks that the committed file is what this command writes.
"""

from __future__ import annotations

import argparse

from cnnviz.cli.commands import OUT_HELP, _wrote
from cnnviz.cli.options import UsageError
from cnnviz.cli.output import STDOUT, check_target, open_target, shown_path


def atlas_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``glyph-atlas``."""
    from cnnviz.explorer.render.atlas import atlas_path

    parser.add_argument("--out", metavar="PATH", default=str(atlas_path()),
                        help=OUT_HELP + "; a .npz (default: the package's atlas)")  # fmt: skip


def glyph_atlas(args: argparse.Namespace) -> int:
    """Render every character of the atlas with FT2Font and write the ``.npz``."""
    target = check_target(args.out)
    if args.out != STDOUT and not args.out.lower().endswith(".npz"):
        raise UsageError(f"--out must end in .npz (NumPy's archive); got {shown_path(args.out)}")
    from cnnviz.explorer.render.atlas import build_atlas, write_atlas

    arrays = build_atlas()
    with open_target(target) as stream:
        write_atlas(arrays, stream)
    _wrote(target, f"{len(arrays['glyphs'])} glyphs, {arrays['source']}")
    return 0
