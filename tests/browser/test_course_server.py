"""``make class`` in a real Chromium: the course server (python -m cnnviz.serve.course, what the
Makefile runs) prints the students' address, its landing page lists the explorer, the network
page, every lesson and every scenario, and its links open the pages with their pictures.

Screenshots go to ``test-artifacts/course-*.png``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
from servers import (
    EXPLORER_FIGURE,
    NOTEBOOKS,
    ROOT,
    _free_port,
    _wait_until_up,
    stop_voila,
    wait_for_picture,
)

from cnnviz.explorer.presets import PRESETS
from cnnviz.serve.landing import lessons_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIRST_PAINT = 120_000  # ms: a fresh kernel on a loaded 2-core CI machine
SEED = 7
FIRST_LESSON = lessons_in(NOTEBOOKS)[1].title  # lesson 01, as the landing page titles it


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The course server as ``make class SEED=7`` starts it: ``(base_url, log_path)``."""
    port = _free_port()
    log = tmp_path_factory.mktemp("course") / "course.log"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONUNBUFFERED="1")  # fmt: skip
    command = [sys.executable, "-m", "cnnviz.serve.course", "--host=127.0.0.1",
               f"--port={port}", f"--seed={SEED}"]  # fmt: skip
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                   env=env)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/", process, log)
        yield base, log
    finally:
        stop_voila(process)


def _landing(open_page, base: str):
    page = open_page(f"{base}/")
    page.wait_for_selector("h1")
    return page


def _links(page) -> dict[str, str]:
    """Link text -> href, as the landing page shows them."""
    pairs = page.eval_on_selector_all("a", "links => links.map(a => [a.textContent, a.href])")
    return dict(pairs)


def test_start_prints_the_address_and_the_landing_page_lists_every_page(course, open_page,
                                                                        artifacts):
    base, log = course
    deadline = time.monotonic() + 30
    while "Give the students this address" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert f"    {base}/" in log.read_text()
    page = _landing(open_page, base)
    page.screenshot(path=str(artifacts / "course-landing.png"), full_page=True)
    hrefs = list(_links(page).values())
    lessons = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    for notebook in lessons:
        assert f"{base}/voila/render/{notebook}?seed={SEED}" in hrefs, notebook
    for name in PRESETS:
        assert f"{base}/voila/render/explorer.ipynb?preset={name}" in hrefs, name
    assert f"{base}/voila/render/explorer.ipynb" in hrefs
    assert f"{base}/voila/render/network.ipynb" in hrefs
    assert page.cnnviz_errors == []


@pytest.mark.parametrize(
    ("label", "picture"),
    [
        ("The backprop explorer", EXPLORER_FIGURE),
        ("Through the whole network", ".cnnviz-stage img.widget-image"),
        (FIRST_LESSON, "img.widget-image"),
    ],
)
def test_landing_links_open_each_page_with_its_picture(course, open_page, artifacts, label,
                                                       picture):
    base, _ = course
    page = _landing(open_page, base)
    with page.expect_navigation(wait_until="domcontentloaded", timeout=FIRST_PAINT):
        page.get_by_role("link", name=label, exact=True).click()
    assert page.url.startswith(f"{base}/voila/render/")
    if picture == EXPLORER_FIGURE:
        wait_for_picture(page, timeout=FIRST_PAINT)
    else:
        page.wait_for_function(
            "sel => [...document.querySelectorAll(sel)].some(i => i.naturalWidth > 0)",
            arg=picture, timeout=FIRST_PAINT,
        )  # fmt: skip
    body = page.inner_text("body")
    assert "Traceback" not in body
    slug = re.sub(r"[^a-z]+", "-", label.lower()).strip("-")[:30]
    page.screenshot(path=str(artifacts / f"course-{slug}.png"))
    assert page.cnnviz_errors == []


def test_landing_page_writes_no_link_value_into_the_page(course, chromium):
    """The landing page reads ?theme= too: a payload is dropped, dark is honoured."""
    from test_link_safety import _assert_nothing_ran, _open, hostile_query

    base, _ = course
    page, response = _open(chromium, f"{base}/?{hostile_query(('theme', 'seed', 'x'))}")
    try:
        assert response.status == 200
        _assert_nothing_ran(page)
        assert "theme=" not in " ".join(_links(page).values())
        page.goto(f"{base}/?theme=dark")
        assert page.evaluate("document.body.classList.contains('dark')")
        assert all(href.count("theme=dark") == 1 for href in _links(page).values())
    finally:
        page.close()
