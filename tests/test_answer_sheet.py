"""``python -m cnnviz answers --seed N``: the teacher's sheet holds exactly what the students'
pages (built with ``?seed=N``) ask and accept."""

from __future__ import annotations

import html
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cnnviz.cli import main
from cnnviz.lessons.exercise_widgets import ExerciseSet
from cnnviz.lessons.exercises import LESSONS

ROOT = Path(__file__).resolve().parents[1]


def test_the_answer_sheet_matches_what_the_class_pages_show(capsys):
    assert main(["answers", "--seed", "4321"]) == 0
    sheet = capsys.readouterr().out
    assert "class seed 4321" in sheet
    for lesson in LESSONS:
        part = sheet.split(f"\nLesson {lesson}\n")[1].split("\nLesson ")[0]
        page = ExerciseSet(lesson, query="seed=4321")  # a student's page with the class link
        for row in page.rows:
            assert row.item.question in part
            assert html.escape(row.item.question) in row.question.value
            assert f"Answer: {row.item.answer_text}." in part
            row.field.value = part.split(f"Answer: {row.item.label} = ")[1].split(". ")[0]
            row.check_button.click()  # the sheet's answer, typed on the page, is right
            assert "Right:" in row.feedback.value, (lesson, row.item.key, row.field.value)
    main(["answers", "--seed", "4322", "--lesson", "03"])
    assert capsys.readouterr().out.split("\n", 1)[1] != sheet.split("Lesson 04")[0]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["answers"], "--seed"),
        (["answers", "--seed", "-1"], "--seed"),
        (["answers", "--seed", "1" + "0" * 5000], "--seed"),
        (["answers", "--seed", "7", "--lesson", "08"], "lesson"),
    ],
)
def test_the_answers_command_refuses_bad_options_in_one_line(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and message in err and err.count("\n") == 1


def test_python_m_cnnviz_answers_runs():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "cnnviz", "answers", "--seed", "7", "--lesson", "00"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Lesson 00" in done.stdout and "Answer:" in done.stdout
    assert "Lesson 01" not in done.stdout


def test_an_unknown_lesson_is_one_line_named_escaped_and_cut(capsys):
    from cnnviz.cli import main

    for typed, shown in (("99", "'99'"), ("0\x1b[31m9", "'0\\x1b[31m9'"),
                         ("x" * 500, "'xxxxxxxx... (500 characters)'")):  # fmt: skip
        assert main(["answers", "--seed", "1", "--lesson", typed]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: unknown lesson {shown}; choose from 00") and err.count(
            "\n") == 1, err
