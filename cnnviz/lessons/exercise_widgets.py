"""The exercises as a widget: the student's own numbers, an answer box, feedback, and an answer
that stays hidden until asked for.

ipywidgets wiring only; the questions, answers and feedback come from
:mod:`cnnviz.lessons.exercises`. Nothing answer-like is put on the page (not even hidden)
until "show answer" is pressed, so a page that has just loaded holds no answer. Works in
JupyterLab and Voila: every callback catches its own errors, so the page never shows a
traceback, whatever the browser sends.

A class seed in the page's address (``?seed=7``, read from ``QUERY_STRING`` as the explorer's
links are) puts every student on the same numbers, and "new numbers" then moves the whole
class on together (7 -> 8); ``python -m cnnviz answers --seed 7`` prints the teacher's sheet.
Without one, each student draws their own.
"""

from __future__ import annotations

import html
import os
import secrets
from collections.abc import Callable

import ipywidgets as widgets
import numpy as np

from cnnviz.lessons.exercises import Exercise, exercise
from cnnviz.lessons.exercises import exercises as draw_exercises
from cnnviz.lessons.exercises.sheet import next_seed, seed_from_query

GOOD = "var(--jp-success-color0, #1a7f37)"
WARN = "var(--jp-warn-color0, #b35900)"
SEEDS = 10_000  # "numbers #1234": short enough to read out to a class


def _cell(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3g}"


def array_html(name: str, array: np.ndarray) -> str:
    """A small labelled table of the numbers (1-D or 2-D) that a question gives."""
    rows = np.atleast_2d(np.asarray(array, dtype=np.float64))
    body = "".join(
        "<tr>"
        + "".join(
            f'<td style="padding:1px 6px;text-align:right;border:1px solid '
            f'var(--jp-border-color2, #ccc)">{_cell(v)}</td>'
            for v in row
        )
        + "</tr>"
        for row in rows
    )
    return (
        '<div style="display:inline-block;margin:2px 14px 2px 0;vertical-align:top">'
        f"<div><b>{html.escape(name)}</b></div>"
        f'<table style="border-collapse:collapse;font-family:monospace">{body}</table></div>'
    )


def question_html(number: int, item: Exercise) -> str:
    """The question (numbered) and its arrays; holds no answer."""
    arrays = "".join(array_html(name, a) for name, a in item.given)
    return f"<p><b>{number}.</b> {html.escape(item.question)}</p><div>{arrays}</div>"


def _safe(action: Callable[[], None], out: widgets.HTML) -> Callable[..., None]:
    def run(*_args) -> None:
        try:
            action()
        except Exception:  # the page must never show a traceback
            out.value = "Something went wrong; press the button again."

    return run


class ExerciseRow:
    """One exercise: question, answer box, "check", "show answer", feedback."""

    def __init__(self, number: int, item: Exercise) -> None:
        self.number, self.item = number, item
        self.question = widgets.HTML()
        self.field = widgets.Text(
            placeholder="e.g. -2 or 4, 8, 8", layout=widgets.Layout(width="220px")
        )
        self.check_button = widgets.Button(
            description="check", layout=widgets.Layout(width="80px")
        )
        self.show_button = widgets.Button(
            description="show answer", layout=widgets.Layout(width="120px")
        )
        self.feedback = widgets.HTML()
        self.answer = widgets.HTML()
        self.check_button.on_click(_safe(self.check, self.feedback))
        self.show_button.on_click(_safe(self.show, self.answer))
        self.widget = widgets.VBox(
            [
                self.question,
                widgets.HBox([self.field, self.check_button, self.show_button]),
                self.feedback,
                self.answer,
            ],
            layout=widgets.Layout(margin="0 0 10px 0"),
        )
        self.set_item(item)

    def set_item(self, item: Exercise) -> None:
        """New numbers: new question, empty box, no feedback, answer hidden again."""
        self.item = item
        self.question.value = question_html(self.number, item)
        self.field.value = ""
        self.feedback.value = ""
        self.answer.value = ""

    def check(self) -> None:
        result = self.item.check(self.field.value)
        colour = GOOD if result.correct else WARN
        self.feedback.value = f'<span style="color:{colour}">{html.escape(str(result))}</span>'

    def show(self) -> None:
        self.answer.value = f"<i>{html.escape(self.item.reveal())}</i>"


class ExerciseSet:
    """A lesson's exercises with a "new numbers" button; ``.widget`` is what a page shows.

    ``seed`` (or, when it is None, a class seed in ``query``, by default the page's
    ``QUERY_STRING``) draws everyone's numbers; without either each student draws their own.
    """

    def __init__(
        self, lesson: str | int, seed: int | None = None, *, query: str | None = None
    ) -> None:
        self.note = None
        if seed is None:
            seed, self.note = seed_from_query(
                os.environ.get("QUERY_STRING", "") if query is None else query
            )
        self.shared = seed is not None  # the class's numbers: "new numbers" moves all on
        seed = secrets.randbelow(SEEDS) if seed is None else seed
        items = draw_exercises(lesson, seed)  # checks lesson and seed
        self.lesson, self.seed = items[0].lesson, seed
        self.rows = [ExerciseRow(n, item) for n, item in enumerate(items, start=1)]
        self.label = widgets.HTML()
        self.new_button = widgets.Button(
            description="new numbers", layout=widgets.Layout(width="120px")
        )
        self.new_button.on_click(_safe(self.new_numbers, self.label))
        self._show_seed()
        header = widgets.HBox([self.label, self.new_button])
        self.widget = widgets.VBox([header, *(row.widget for row in self.rows)])

    def _show_seed(self) -> None:
        whose = (
            " (the class's numbers: everyone with this link has them)" if self.shared else ""
        )
        note = f"<br>{html.escape(self.note)}" if self.note else ""
        self.label.value = (
            f"<b>Exercises</b> · your numbers: #{self.seed}{whose} "
            f'<span style="opacity:0.7">(the answers stay hidden until you ask)</span>{note}'
        )

    def new_numbers(self, seed: int | None = None) -> None:
        """Draw new numbers for every exercise: ``seed``, or the class's next seed, or (without
        a class seed) a random one."""
        if seed is None:
            seed = next_seed(self.seed) if self.shared else secrets.randbelow(SEEDS)
        self.seed = seed
        for row in self.rows:
            row.set_item(exercise(self.lesson, row.item.key, self.seed))
        self._show_seed()


def exercises(
    lesson: str | int, *, seed: int | None = None, query: str | None = None
) -> widgets.VBox:
    """A lesson's exercises, one call: ``views.exercises("03")``.

    Parameters
    ----------
    lesson : ``"00"`` .. ``"07"``
    seed : int, optional
        The numbers to draw. Default: the class seed in the page's address (``?seed=7``), or
        without one a random seed, so each student gets their own.
    query : str, optional
        The query to read the class seed from; by default ``os.environ["QUERY_STRING"]``
        (Voila sets it; in JupyterLab it is absent).
    """
    return ExerciseSet(lesson, seed, query=query).widget
