"""The notebooks are the source: a teacher's edit survives, and only outputs are ever stripped.

* No tool in the repository writes notebooks except tools/strip_notebooks.py (the generator
  that used to overwrite lessons 00-05 is gone).
* The stripper removes outputs and nothing else: a markdown edit comes out byte for byte.
* The pre-commit hook (``make hooks`` installs tools/pre-commit) strips what is committed, in a
  scratch git repository, as a teacher's commit would run it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_output

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import strip_notebooks  # noqa: E402

LESSON = ROOT / "notebooks" / "01_single_channel.ipynb"
EDIT = "Teacher's note — *edited in JupyterLab*: $\\delta \\star \\mathrm{rot180}(w)$  \n\tü 🙂"
# what could write a notebook: nbformat/jupytext writers, nbconvert in place, json dumps to .ipynb
WRITERS = re.compile(
    r"nbformat\.write|nbformat\.v4\.new_notebook|jupytext|nbconvert.*--inplace|--to[ =]notebook"
    r"|make_lessons"
)
SKIP_DIRS = {".git", ".venv", "tests", "__pycache__", ".hypothesis", "test-artifacts"}
# files that write a notebook, and the one place each may write it
ALLOWED = {
    "tools/strip_notebooks.py": "nbformat.write(notebook, path)",  # strips in place
    "bench/bench_load.py": 'OUT / "explorer_preheat.ipynb"',  # a scratch copy in bench/out
}


def _source_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        if any(part in SKIP_DIRS for part in path.relative_to(ROOT).parts):
            continue
        if path.is_file() and (path.suffix in {".py", ".sh", ".cfg", ".toml", ".yaml", ".yml"}
                               or path.name in {"Makefile", "pre-commit", "postBuild", "start"}):
            files.append(path)
    return files


def test_nothing_but_the_stripper_writes_notebooks():
    writers = [
        str(path.relative_to(ROOT))
        for path in _source_files()
        if WRITERS.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert sorted(writers) == sorted(ALLOWED), writers
    for name, only_place in ALLOWED.items():
        assert only_place in (ROOT / name).read_text(encoding="utf-8")
    assert not (ROOT / "tools" / "make_lessons.py").exists()


def _teacher_edit(path: Path) -> bytes:
    """Edit a markdown cell as JupyterLab saves it; return the expected committed bytes."""
    notebook = nbformat.read(path, as_version=4)
    markdown = next(cell for cell in notebook.cells if cell.cell_type == "markdown")
    markdown.source = EDIT + "\n\n" + markdown.source
    expected = (nbformat.writes(notebook) + "\n").encode("utf-8")
    code = next(cell for cell in notebook.cells if cell.cell_type == "code")
    code.outputs = [new_output("stream", name="stdout", text="a run's output\n")]
    code.execution_count = 7
    code.metadata["execution"] = {"iopub.status.idle": "2026-12-01T20:00:00Z"}
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nbformat.write(notebook, path)
    return expected


def test_the_stripper_keeps_a_markdown_edit_byte_for_byte(tmp_path):
    path = tmp_path / LESSON.name
    shutil.copy(LESSON, path)
    expected = _teacher_edit(path)
    assert path.read_bytes() != expected  # outputs are there
    strip_notebooks.main([str(path)])
    assert path.read_bytes() == expected
    assert EDIT in nbformat.read(path, as_version=4).cells[0].source


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_the_stripper_leaves_a_clean_notebook_untouched(tmp_path, path):
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    strip_notebooks.main([str(copy)])
    assert copy.read_bytes() == path.read_bytes()


def _git(repo: Path, *args: str, env: dict | None = None) -> str:
    command = ["git", "-c", "user.name=Teacher", "-c", "user.email=t@example.org", *args]
    done = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.mark.skipif(not shutil.which("git") or not shutil.which("make"), reason="needs git, make")
def test_the_pre_commit_hook_commits_the_edit_without_outputs(tmp_path):
    repo = tmp_path / "fork"
    (repo / "tools").mkdir(parents=True)
    (repo / "notebooks").mkdir()
    for name in ("Makefile",):
        shutil.copy(ROOT / name, repo / name)
    for name in ("pre-commit", "strip_notebooks.py"):
        shutil.copy(ROOT / "tools" / name, repo / "tools" / name)
    lesson = repo / "notebooks" / LESSON.name
    shutil.copy(LESSON, lesson)
    _git(repo, "init", "-q")
    subprocess.run(["make", "-s", "hooks"], cwd=repo, check=True, capture_output=True)
    env = dict(os.environ, PYTHON=sys.executable)
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "fork", env=env)
    expected = _teacher_edit(lesson)
    _git(repo, "add", str(lesson.relative_to(repo)))
    _git(repo, "commit", "-q", "-m", "teacher's edit", env=env)
    committed = subprocess.run(
        ["git", "show", f"HEAD:notebooks/{LESSON.name}"], cwd=repo, capture_output=True, check=True
    ).stdout
    assert committed == expected
    assert lesson.read_bytes() == expected  # the working copy is stripped too
    assert _git(repo, "status", "--porcelain") == ""
