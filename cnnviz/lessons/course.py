"""The course's table of contents: one list of lessons, and the links generated from it.

Lesson 00's table and every lesson's "previous · next" line come from :data:`LESSONS`, so a new
lesson is one line here. A lesson is listed (and linked to) only when its notebook exists
beside the others, so a line may be added before its notebook lands.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["LESSONS", "Lesson", "available", "lesson_table", "navigation", "show_navigation"]

# cnnviz/lessons/course.py -> the repository's notebooks/ (a source checkout or an editable
# install); a notebook that runs elsewhere passes its own folder
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@dataclass(frozen=True)
class Lesson:
    """One lesson: its two-digit number, notebook file and title."""

    number: str
    file: str
    title: str


LESSONS = (
    Lesson("00", "00_start_here.ipynb", "Start here: the questions, the notation, the explorer"),
    Lesson("01", "01_single_channel.ipynb", "One channel: counting connections, rot180, scatter "
           "vs gather"),
    Lesson("02", "02_depth.ipynb", "Depth: how a delta flows back into a 10-deep input"),
    Lesson("03", "03_stride.ipynb", "Stride: why the backward pass is not strided"),
    Lesson("04", "04_weights_and_bias.ipynb", "Weights and bias belong to the filter, not the "
           "position"),
    Lesson("05", "05_padding_dilation_overlap.ipynb", "Padding, dilation and uneven overlap "
           "(checkerboard)"),
    Lesson("06", "06_gesture_cnn.ipynb", "From the questions to a working CNN: gestures"),
    Lesson("07", "07_whole_network.ipynb", "Through the whole network: ReLU, max-pool, flatten, "
           "the batch"),
    Lesson("08", "08_your_model.ipynb", "Your own model: a PyTorch network in the explorer"),
)  # fmt: skip


def _folder(notebooks: str | Path | None) -> Path:
    if notebooks is None:
        return NOTEBOOKS if NOTEBOOKS.is_dir() else Path.cwd()
    if not isinstance(notebooks, (str, Path)):
        raise TypeError(f"notebooks must be a folder path; got {type(notebooks).__name__}")
    return Path(notebooks)


def available(notebooks: str | Path | None = None) -> list[Lesson]:
    """The lessons whose notebook exists in ``notebooks`` (default: the repository's folder).

    A folder without lesson 00 is not the lessons' folder (an installed package run from
    elsewhere): then every listed lesson is returned, so a page still shows its links.
    """
    folder = _folder(notebooks)
    if not (folder / LESSONS[0].file).is_file():
        return list(LESSONS)
    return [lesson for lesson in LESSONS if (folder / lesson.file).is_file()]


def lesson_table(notebooks: str | Path | None = None) -> str:
    """Lesson 00's table of every lesson after it, as Markdown."""
    rows = [f"| {int(lesson.number)} | [{lesson.title}]({lesson.file}) |"
            for lesson in available(notebooks) if lesson.number != "00"]  # fmt: skip
    return "| # | lesson |\n|---|---|\n" + "\n".join(rows)


def navigation(number: str, notebooks: str | Path | None = None) -> str:
    """The Markdown line under a lesson's title: start, the previous and the next lesson.

    Raises
    ------
    ValueError
        If ``number`` is not a listed lesson whose notebook exists.
    """
    lessons = available(notebooks)
    numbers = [lesson.number for lesson in lessons]
    if number not in numbers:
        raise ValueError(f"number must be one of {numbers}; got {number!r}")
    at = numbers.index(number)
    links = [] if at == 0 else [f"[← start here]({lessons[0].file})"]
    if at > 1:
        links.append(f"[← lesson {int(numbers[at - 1])}]({lessons[at - 1].file})")
    if at + 1 < len(lessons):
        links.append(f"[lesson {int(numbers[at + 1])} →]({lessons[at + 1].file})")
    return " · ".join(links)


def show_navigation(number: str) -> None:
    """Display :func:`navigation` in a notebook."""
    from IPython.display import Markdown, display  # only where a notebook shows it

    display(Markdown(navigation(number)))
