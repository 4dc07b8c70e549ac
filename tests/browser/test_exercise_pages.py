"""The exercises in Voila: no lesson shows an answer when it loads; "show answer" reveals it.

Each page draws its own numbers; the test reads the seed the page shows ("your numbers: #N"),
draws the same exercises in the test process, and looks for their answers in the page text.
"""

from __future__ import annotations

import re

import pytest

from cnnviz.lessons.exercises import exercises

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIRST_PAINT = 180_000  # ms: a fresh kernel on a loaded 2-core CI machine (lesson 06 trains)
REACT = 30_000  # ms
LESSONS = {
    "00": "00_start_here",
    "01": "01_single_channel",
    "02": "02_depth",
    "03": "03_stride",
    "04": "04_weights_and_bias",
    "05": "05_padding_dilation_overlap",
    "06": "06_gesture_cnn",
    "07": "07_whole_network",
}


@pytest.fixture
def open_slow_page(open_page):
    """conftest's ``open_page`` with a navigation timeout for a loaded machine: Voila sends the
    page only once the notebook's first cells have run."""

    def opener(url: str, *, width: int = 1200, height: int = 900):
        return open_page(url, width=width, height=height, timeout=FIRST_PAINT)

    return opener


def _open_exercises(open_page, base: str, name: str):
    page = open_page(f"{base}/voila/render/{name}.ipynb")
    page.wait_for_selector("text=your numbers: #", timeout=FIRST_PAINT)
    page.wait_for_selector("button:has-text('show answer')", timeout=REACT)
    return page


@pytest.mark.parametrize("lesson", list(LESSONS))
def test_no_answer_is_visible_when_a_lesson_loads_and_show_answer_reveals_it(
    open_slow_page, voila_base_url, artifacts, lesson
):
    page = _open_exercises(open_slow_page, voila_base_url, LESSONS[lesson])
    text = page.inner_text("body")
    seed = int(re.search(r"your numbers: #(\d+)", text).group(1))
    items = exercises(lesson, seed)
    for item in items:
        assert item.question in text  # the page shows these very exercises
        assert item.answer_text not in text
    assert "Right:" not in text and "Answer:" not in text and "Answer key" not in text
    assert "Traceback" not in text
    shows = page.locator("button:has-text('show answer')")
    assert shows.count() == len(items)
    shows.nth(0).scroll_into_view_if_needed()
    shows.nth(0).click()
    page.wait_for_selector("text=Answer:", timeout=REACT)
    text = page.inner_text("body")
    assert items[0].answer_text in text
    assert all(item.answer_text not in text for item in items[1:])
    page.screenshot(path=str(artifacts / f"exercises-{lesson}.png"))
    assert page.cnnviz_errors == []


def test_a_classic_mistake_gets_its_sentence_in_the_page(
    open_slow_page, voila_base_url, artifacts
):
    page = _open_exercises(open_slow_page, voila_base_url, LESSONS["03"])
    seed = int(re.search(r"your numbers: #(\d+)", page.inner_text("body")).group(1))
    item = exercises("03", seed)[1]  # dL/dx at stride 2
    # listed at every pixel: no rot180 and turned twice give one number, named in one sentence
    mistake = next(m for m in item.mistakes if "no rot180" in m.routes)
    boxes = page.locator(".widget-text input")
    checks = page.locator("button:has-text('check')")
    boxes.nth(1).fill(", ".join(f"{v:g}" for v in mistake.value))
    checks.nth(1).click()
    page.wait_for_selector("text=Not yet:", timeout=REACT)
    assert mistake.sentence in page.inner_text("body")
    boxes.nth(1).fill(", ".join(f"{v:g}" for v in item.answer))
    checks.nth(1).click()
    page.wait_for_selector("text=Right:", timeout=REACT)
    page.locator("button:has-text('new numbers')").click()
    page.wait_for_function(
        "old => !document.body.innerText.includes(`your numbers: #${old}`)"
        " && !document.body.innerText.includes('Right:')",
        arg=str(seed),
        timeout=REACT,
    )
    boxes.nth(1).scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "exercises-03-checked.png"))
    assert page.cnnviz_errors == []


def test_lesson_00_offers_the_handout_as_a_download(open_slow_page, voila_base_url):
    page = _open_exercises(open_slow_page, voila_base_url, LESSONS["00"])
    assert page.locator("a[download]").count() == 0  # made only when asked
    button = page.locator("button:has-text('make the handout')")
    button.scroll_into_view_if_needed()
    button.click()
    link = page.locator("a[download]")
    link.wait_for(timeout=REACT * 2)
    assert link.get_attribute("download") == "cnnviz-handout.pdf"
    assert link.get_attribute("href").startswith("data:application/pdf;base64,JVBERi")  # %PDF
    with page.expect_download(timeout=REACT) as download:
        link.click()
    assert download.value.suggested_filename == "cnnviz-handout.pdf"
    assert page.cnnviz_errors == []
