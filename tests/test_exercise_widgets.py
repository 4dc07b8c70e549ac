"""The exercises' widget and the handout button: nothing answer-like on the page until asked."""

from __future__ import annotations

import base64

import ipywidgets as widgets
import pytest

from cnnviz.lessons import widgets as views
from cnnviz.lessons.exercise_widgets import ExerciseSet
from cnnviz.lessons.exercises import LESSONS


def _page_text(box: widgets.Widget) -> str:
    """Everything a widget tree puts on the page: HTML values, labels, box contents."""
    parts = []
    stack = [box]
    while stack:
        widget = stack.pop()
        for name in ("value", "description", "placeholder"):
            value = getattr(widget, name, None)
            if isinstance(value, str):
                parts.append(value)
        stack.extend(getattr(widget, "children", ()))
    return "\n".join(parts)


@pytest.mark.parametrize("lesson", LESSONS)
def test_nothing_answer_like_is_on_the_page_when_it_loads(lesson):
    exercise_set = ExerciseSet(lesson, seed=11)
    text = _page_text(exercise_set.widget)
    assert "Right:" not in text and "Answer:" not in text
    for row in exercise_set.rows:
        assert row.item.answer_text not in text
        assert row.item.question in text.replace("&#x27;", "'")


def test_check_marks_show_reveals_and_new_numbers_hides_again():
    exercise_set = ExerciseSet("03", seed=4)
    row = exercise_set.rows[1]
    row.field.value = "not a number"
    row.check_button.click()
    assert "Could not read" in row.feedback.value
    wrong = row.item.mistakes[0]
    row.field.value = ", ".join(str(v) for v in wrong.value)
    row.check_button.click()
    assert wrong.sentence.split(";")[0][:30] in row.feedback.value.replace("&#x27;", "'")
    assert row.item.answer_text not in _page_text(exercise_set.widget)
    row.show_button.click()
    assert "Answer:" in row.answer.value
    old_question = row.question.value
    exercise_set.new_numbers(seed=5)
    assert exercise_set.seed == 5 and "#5" in exercise_set.label.value
    assert row.answer.value == "" and row.feedback.value == "" and row.field.value == ""
    assert row.question.value != old_question
    exercise_set.new_button.click()  # a random seed; still no answer on the page
    assert "Answer:" not in _page_text(exercise_set.widget)


def test_right_answer_is_marked_right():
    exercise_set = ExerciseSet("00", seed=2)
    row = exercise_set.rows[0]
    row.field.value = ", ".join(str(v) for v in row.item.answer)
    row.check_button.click()
    assert "Right:" in row.feedback.value


def test_one_call_returns_a_widget_and_refuses_unknown_lessons():
    assert isinstance(views.exercises("07"), widgets.VBox)
    with pytest.raises(ValueError, match="lesson"):
        views.exercises("99")


def test_handout_button_offers_the_pdf_as_a_download():
    box = views.handout_button()
    button, link = box.children[0].children
    assert link.value == ""  # the PDF is made only when asked
    button.click()
    assert link.value.startswith('<a download="cnnviz-handout.pdf" href="data:application/pdf')
    encoded = link.value.split("base64,")[1].split('"')[0]
    assert base64.b64decode(encoded).startswith(b"%PDF")


# ------------------------------------------------------------ issue 20: the class seed


def _numbers_on_page(exercise_set: ExerciseSet) -> list[str]:
    return [row.question.value for row in exercise_set.rows]


def test_two_students_with_one_class_seed_get_the_same_numbers(monkeypatch):
    """Two pages opened with ``?seed=1234`` (Voila puts the query in QUERY_STRING) show the
    same numbers; another seed shows others; "new numbers" moves both on together."""
    monkeypatch.setenv("QUERY_STRING", "seed=1234")
    first, second = ExerciseSet("03"), ExerciseSet("03")
    assert first.seed == second.seed == 1234
    assert _numbers_on_page(first) == _numbers_on_page(second)
    assert [r.item.answer for r in first.rows] == [r.item.answer for r in second.rows]
    assert "class" in first.label.value
    monkeypatch.setenv("QUERY_STRING", "theme=dark&seed=1235")
    other = ExerciseSet("03")
    assert other.seed == 1235 and _numbers_on_page(other) != _numbers_on_page(first)
    first.new_button.click()
    second.new_button.click()
    assert first.seed == second.seed == 1235
    assert _numbers_on_page(first) == _numbers_on_page(second) == _numbers_on_page(other)


def test_without_a_class_seed_each_student_draws_their_own(monkeypatch):
    monkeypatch.delenv("QUERY_STRING", raising=False)
    seeds = {ExerciseSet("01").seed for _ in range(8)}
    assert len(seeds) > 1
    assert "class" not in ExerciseSet("01").label.value


@pytest.mark.parametrize(
    "query", ["seed=abc", "seed=-3", "seed=1e3", "seed=4294967296", "seed=" + "9" * 5000,
              "seed=%3Cscript%3E", "seed=%D9%A3"],
)  # fmt: skip
def test_a_bad_class_seed_gives_own_numbers_and_a_plain_note(query):
    exercise_set = ExerciseSet("05", query=query)
    assert not exercise_set.shared and 0 <= exercise_set.seed < 10_000
    assert "is not a whole number" in exercise_set.label.value
    assert "<script" not in exercise_set.label.value and len(exercise_set.label.value) < 600
