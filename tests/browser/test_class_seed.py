"""The class seed in a real Chromium (issue 20): ``make class SEED=7`` puts two students on the
same exercise numbers, a student on another seed gets other numbers, and the teacher's sheet
(``python -m cnnviz answers --seed 7 --lesson 01``) answers the very questions the page shows.

Each student is a browser context of their own (no shared cookies or storage) with a kernel of
their own. One follows the landing page's lesson link, so the link itself must carry the seed.
What is compared is what the page shows: each question's numbered text and its tables' cells,
read from the DOM, against each other and against the sheet the CLI prints.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import test_course_server
from servers import ROOT
from test_course_server import FIRST_LESSON, FIRST_PAINT, SEED

pytestmark = [pytest.mark.browser, pytest.mark.slow]

course = test_course_server.course  # ``make class SEED=7``: one server for this module too

LESSON = "01"
NOTEBOOK = "01_single_channel.ipynb"
OTHER_SEED = SEED + 1  # what "new numbers" moves the class to: a different sheet
REACT = 30_000  # ms
# Each exercise's question (widget_html's "<p><b>N.</b> question</p><div>tables</div>"): its
# text and the cells of the tables that give its numbers.
_QUESTIONS = """() => [...document.querySelectorAll('p')]
    .filter(p => /^\\d+\\.$/.test(p.querySelector(':scope > b')?.textContent ?? ''))
    .map(p => [p.textContent.trim(),
               [...(p.nextElementSibling?.querySelectorAll('table') ?? [])].map(t =>
                   [...t.rows].map(r => [...r.cells].map(c => c.textContent.trim())))])"""


def _student(chromium):
    """A browser context of its own: another student's machine."""
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.cnnviz_errors = []
    page.on("pageerror", lambda error: page.cnnviz_errors.append(str(error)))
    return context, page


def _questions(page) -> list[tuple[str, list]]:
    """``[(numbered question, [table rows of cell texts, ...]), ...]`` as the page shows them."""
    page.wait_for_selector("text=your numbers: #", timeout=FIRST_PAINT)
    page.wait_for_selector("button:has-text('show answer')", timeout=REACT)
    return [(text, tables) for text, tables in page.evaluate(_QUESTIONS)]


def _sheet(seed: int) -> str:
    """The teacher's sheet for ``seed``, lesson 01, as the CLI prints it."""
    command = [sys.executable, "-m", "cnnviz", "answers", "--seed", str(seed), "--lesson", LESSON]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _sheet_questions(sheet: str) -> list[tuple[str, list[float], str]]:
    """``[("N. question", [every number of its arrays], "Answer: ..."), ...]`` from the sheet."""
    blocks = re.split(r"\n(?=\d+\. \()", sheet.split(f"Lesson {LESSON}\n", 1)[1])
    found = []
    for block in blocks:
        head, *rest = block.rstrip("\n").split("\n")
        number, question = re.fullmatch(r"(\d+)\. \([\w-]+\) (.*)", head).groups()
        arrays = [line for line in rest if not line.lstrip().startswith(("Answer:", "Classic"))]
        numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", " ".join(
            line for line in arrays if not line.rstrip().endswith("=")))]  # fmt: skip
        answer = next(line.strip() for line in rest if line.lstrip().startswith("Answer:"))
        found.append((f"{number}. {question}", numbers, answer))
    return found


def _cells(tables: list) -> list[float]:
    return [float(cell.replace("−", "-")) for table in tables for row in table for cell in row]


def _assert_the_sheet_asks(seen: list[tuple[str, list]], sheet: list[tuple]) -> None:
    """The sheet's questions are the page's, in page order, with the same numbers."""
    assert [question for question, _, _ in sheet] == [question for question, _ in seen]
    # the page shows 3 significant digits, the sheet numpy's: the same numbers
    for (_, numbers, _), (_, tables) in zip(sheet, seen, strict=True):
        assert _cells(tables) == pytest.approx(numbers, rel=5e-3, abs=1e-9)


def test_the_class_seed_gives_two_students_the_same_numbers(course, chromium, artifacts):
    base, _ = course
    contexts = []
    try:
        # student A: the landing page, then its link to lesson 01 (the link carries the seed)
        context, first = _student(chromium)
        contexts.append(context)
        first.goto(f"{base}/", wait_until="domcontentloaded")
        link = first.get_by_role("link", name=FIRST_LESSON, exact=True)
        assert link.get_attribute("href").endswith(f"{NOTEBOOK}?seed={SEED}")
        with first.expect_navigation(wait_until="commit", timeout=FIRST_PAINT):
            link.click()
        # students B and C type the address; their kernels start while A's page still loads
        pages = {"A": first}
        for name, seed in (("B", SEED), ("C", OTHER_SEED)):
            context, page = _student(chromium)
            contexts.append(context)
            page.goto(f"{base}/voila/render/{NOTEBOOK}?seed={seed}", wait_until="commit")
            pages[name] = page
        seen = {name: _questions(page) for name, page in pages.items()}

        assert pages["A"].url == f"{base}/voila/render/{NOTEBOOK}?seed={SEED}"
        assert len(seen["A"]) >= 3
        assert seen["A"] == seen["B"]  # the same questions, the same numbers in their tables
        assert seen["C"] != seen["A"]  # another seed: other numbers
        for name, seed in (("A", SEED), ("B", SEED), ("C", OTHER_SEED)):
            body = pages[name].inner_text("body")
            assert f"your numbers: #{seed} (the class's numbers" in body, name
            assert "Traceback" not in body

        # the teacher's sheet asks the same questions with the same numbers, in page order
        for name, seed in (("A", SEED), ("C", OTHER_SEED)):
            _assert_the_sheet_asks(seen[name], _sheet_questions(_sheet(seed)))

        # ... and its answers are the ones the page reveals for them
        answers = [answer for _, _, answer in _sheet_questions(_sheet(SEED))]
        shows = pages["B"].locator("button:has-text('show answer')")
        for number, answer in enumerate(answers):
            shows.nth(number).scroll_into_view_if_needed()
            shows.nth(number).click()
            pages["B"].wait_for_function(
                "n => [...document.querySelectorAll('i')]"
                ".filter(i => i.textContent.startsWith('Answer:')).length > n", arg=number,
                timeout=REACT,
            )  # fmt: skip
            assert answer in pages["B"].inner_text("body"), answer
        pages["B"].screenshot(path=str(artifacts / "class-seed-01.png"))
        assert all(page.cnnviz_errors == [] for page in pages.values())
    finally:
        for context in contexts:
            context.close()
