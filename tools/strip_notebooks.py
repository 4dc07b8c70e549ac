"""Strip outputs, execution counts and run metadata from notebooks, in place.

Usage: ``python tools/strip_notebooks.py [paths...]`` (default: every ``notebooks/*.ipynb``).
Exit code 0; prints the files it changed. The suite's tests/test_notebooks.py fails on any
committed notebook that still holds outputs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
RUN_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime")


def strip(notebook: nbformat.NotebookNode) -> bool:
    """Remove outputs and execution counts from every code cell; True if anything changed."""
    changed = False
    for cell in notebook.cells:
        for key in RUN_METADATA:
            if key in cell.get("metadata", {}):
                del cell.metadata[key]
                changed = True
        if cell.cell_type != "code":
            continue
        if cell.get("outputs") or cell.get("execution_count") is not None:
            changed = True
        cell.outputs, cell.execution_count = [], None
    if "widgets" in notebook.metadata:  # saved widget state is an output too
        del notebook.metadata["widgets"]
        changed = True
    return changed


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        if strip(notebook):
            nbformat.write(notebook, path)
            print(f"stripped {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
