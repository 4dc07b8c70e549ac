"""``python -m cnnviz handout --out handout.pdf``: write the class handout (two A4 pages).

A bad ``--out`` (a folder, a folder that does not exist, a name not ending in .pdf, a place
that cannot be written) gets one ``error: ...`` line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    parser.add_argument(
        "--out", default="handout.pdf", help="where to write the PDF (default: handout.pdf)"
    )


def _problem(out: Path) -> str | None:
    """Why ``out`` cannot be the handout's file, or None."""
    if out.is_dir():
        return f"--out {out} is a folder; give a file name such as {out / 'handout.pdf'}"
    if out.suffix.lower() != ".pdf":
        return f"--out must end in .pdf (the handout is a PDF); got {out}"
    if not out.parent.is_dir():
        return f"--out {out}: the folder {out.parent} does not exist"
    return None


def main(args: argparse.Namespace) -> int:
    """Write the handout; 0 on success, 2 with one ``error:`` line otherwise."""
    out = Path(args.out)
    problem = _problem(out)
    if problem is None:
        from cnnviz.lessons.handout import write_handout  # matplotlib only when it runs

        try:
            write_handout(out)
        except OSError as error:
            problem = f"--out {out} could not be written: {error.strerror or error}"
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    print(f"wrote {out} (2 A4 pages)")
    return 0
