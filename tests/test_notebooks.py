"""Every notebook under notebooks/ runs top to bottom in a fresh kernel, and is committed clean.

Each notebook is executed with nbclient (kernel ``python3``, working directory ``notebooks/``)
as a learner would run it: any error output fails the test, and the lessons' "check yourself"
cells are real ``assert``s, so a wrong formula or a wrong answer key fails here too.
"""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
CELL_TIMEOUT = 300  # seconds per cell: generous, for a loaded 2-core CI machine
SLOW_NOTEBOOK = 60  # seconds: a notebook slower than this makes the whole suite too slow

NEEDS_TORCH = {"08_your_model.ipynb"}  # runs (and says so) without torch, but shows nothing
pytestmark = pytest.mark.notebook


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_the_lessons_are_all_there():
    names = {p.name for p in PATHS}
    for number, stem in enumerate(
        [
            "start_here",
            "single_channel",
            "depth",
            "stride",
            "weights_and_bias",
            "padding_dilation_overlap",
            "gesture_cnn",
            "whole_network",
            "your_model",
        ]
    ):
        assert f"{number:02d}_{stem}.ipynb" in names


@pytest.mark.parametrize("path", PATHS, ids=_ids(PATHS))
def test_notebook_is_committed_without_outputs(path: Path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    dirty = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, (
        f"{path.name}: cells {dirty} hold outputs or execution counts; "
        "strip them with `python tools/strip_notebooks.py`"
    )


@pytest.mark.parametrize("path", PATHS, ids=_ids(PATHS))
def test_notebook_runs_top_to_bottom_without_errors(path: Path, monkeypatch):
    missing = importlib.util.find_spec("torch") is None
    if path.name in NEEDS_TORCH and missing and os.environ.get("CNNVIZ_REQUIRE_TORCH") != "1":
        pytest.skip(f"{path.name} trains a PyTorch model and PyTorch is not installed")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", os.environ.get("OPENBLAS_NUM_THREADS", "1"))
    monkeypatch.setenv("MPLBACKEND", "Agg")  # no display in CI
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        startup_timeout=CELL_TIMEOUT,  # a loaded CI machine can take a while to start a kernel
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{path.name} stopped with an error:\n{error}")
    seconds = time.perf_counter() - start
    errors = [
        (index, output.get("ename"), output.get("evalue"))
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.output_type == "error"
        or (
            output.output_type == "stream"
            and "Traceback (most recent call last)" in output.get("text", "")
        )
    ]
    assert not errors, f"{path.name}: error outputs in cells {errors}"
    assert seconds < SLOW_NOTEBOOK * 3, f"{path.name} took {seconds:.0f} s to run"
