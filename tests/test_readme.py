"""The README a newcomer reads: the explorer moving at the top (the project's own export, redrawn
by the command the README prints), the three questions with links to where they are answered,
the two commands, and the guides it sends teachers and developers to."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PICTURE = ROOT / "docs" / "explorer.gif"
MAX_PICTURE_BYTES = 1_500_000  # a README picture GitHub shows without waiting


def _picture_command() -> list[str]:
    (line,) = re.findall(r"`(python -m cnnviz export [^`]*--out docs/explorer\.gif)`", README)
    return shlex.split(line)


def test_the_explorer_moves_at_the_top():
    top = README[: README.index("## What it answers")]
    assert re.findall(r"!\[[^\]]*\]\((docs/[^)]+)\)", top) == ["docs/explorer.gif"]
    assert PICTURE.stat().st_size < MAX_PICTURE_BYTES
    with Image.open(PICTURE) as image:
        assert image.format == "GIF" and image.n_frames >= 8


def test_the_picture_is_what_the_readmes_command_draws(tmp_path):
    """Fails when the explorer's drawing changed and docs/explorer.gif was not redrawn: run the
    command the README prints under the picture."""
    from cnnviz.cli import main

    command = _picture_command()
    assert command[:4] == ["python", "-m", "cnnviz", "export"]
    out = tmp_path / "explorer.gif"
    arguments = [*command[3:-1], str(out), "--quiet"]
    assert main(arguments) == 0
    assert out.stat().st_size < MAX_PICTURE_BYTES
    with Image.open(out) as drawn, Image.open(PICTURE) as committed:
        assert (drawn.size, drawn.n_frames) == (committed.size, committed.n_frames), (
            f"docs/explorer.gif is stale: run {' '.join(command)}"
        )
    assert out.read_bytes() == PICTURE.read_bytes(), f"stale: run {' '.join(command)}"


def test_three_questions_each_link_the_page_and_a_lesson():
    section = README[README.index("## What it answers") : README.index("## Quick start")]
    questions = re.split(r"\n\d\. ", section)[1:]
    assert len(questions) == 3
    for question in questions:
        links = re.findall(r"\]\(([^)]+)\)", question)
        assert "notebooks/explorer.ipynb" in links, question[:60]
        assert any(re.fullmatch(r"notebooks/0\d_\w+\.ipynb", link) for link in links)
    assert "?preset=depth-10" in questions[0] and "?preset=stride-2" in questions[1]


def test_the_two_commands_install_and_start_the_app_and_the_tests():
    block = re.search(r"Two commands:\n\n```bash\n(.*?)```", README, re.S).group(1)
    assert [line.split("#")[0].strip() for line in block.splitlines()] == ["make app", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^app: \$\(VENV\)/\.app-installed", makefile, re.M)
    assert re.search(r"^test: .*browser", makefile, re.M)


def test_teachers_and_developers_are_sent_to_their_guides():
    tail = README[README.index("## For teachers") :]
    for guide in ("docs/teachers.md", "bench/README.md", "docs/pages.md"):
        assert f"]({guide}" in tail and (ROOT / guide).exists()
    teachers = (ROOT / "docs" / "teachers.md").read_text(encoding="utf-8")
    for topic in ("make class", "Binder", "?preset=", "--all-channels", "class of about 40"):
        assert topic in teachers
    assert len(README.splitlines()) < 200  # a page, not a manual
