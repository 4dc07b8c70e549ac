"""No link runs script (issue 21, item 1): crafted links for every query key Voila or cnnviz
reads, opened in a real Chromium against Voila started as ``make app`` / ``make class`` start it.

Each key carries a payload that would call ``alert`` if it ever became markup, in any context
(inside an attribute, between tags, inside a ``<script>``). A test fails if a dialog opens, a
page error is raised, an element holds an ``on…`` attribute or a script with the payload's
marker, or the page does not open with its picture. Voila 0.5.13 with theme override allowed
(``allow_theme_override = YES``, its default) runs the ``theme`` payload: with that setting
these tests fail (see cnnviz/serve/settings.py).
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from servers import wait_for_picture

from cnnviz.explorer.links import MAX_QUERY_LENGTH, SHORTHANDS, VOILA_KEYS
from cnnviz.explorer.settings import field_names

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIRST_PAINT = 120_000  # ms: a fresh kernel on a loaded 2-core CI machine
MARKER = "cnnvizxss"
# Keys Voila and its Jupyter server read (theme, template, the tree's classic-tree, the
# server's token, Voila's own prefix) and every key the project's pages read: the explorer's
# preset, controls and shorthands, the dashed spelling, and a lesson's class seed.
VOILA_READS = (*VOILA_KEYS, "classic-tree", "token", "voila-kernel")
PROJECT_READS = ("preset", *field_names(), *SHORTHANDS, "kernel-height", "seed")
KEYS = tuple(dict.fromkeys((*PROJECT_READS, *VOILA_READS)))
# Pages with the selector of the picture each must still show once the hostile link is open.
PAGES = {
    "explorer.ipynb": "canvas.cnnviz-frame",
    "network.ipynb": ".cnnviz-stage img.widget-image",
    "01_single_channel.ipynb": "img.widget-image",
}


def payload(key: str) -> str:
    """A value that runs ``alert`` in an attribute, between tags or inside a script."""
    return f"</script>\"'><img src=x onerror=alert('{MARKER}-{key}')>"


def hostile_query(keys: tuple[str, ...] = KEYS) -> str:
    # ( ) ' = stay as they are (browsers send them so); everything else is percent-encoded
    return "&".join(f"{key}=" + quote(payload(key), safe="()'=") for key in keys)


# An element with an on… handler or a runnable script holding the marker. (The tree page's
# page-config JSON quotes the address, percent-encoded: data, not script; had the value broken
# out of it, the rest would have become elements with handlers, which this finds.)
_INJECTED = """(marker) => [...document.querySelectorAll('*')].filter(el =>
    [...el.attributes].some(a => a.name.startsWith('on') && a.value.includes(marker))
    || (el.tagName === 'SCRIPT' && !/json/.test(el.type) && el.textContent.includes(marker))
    ).map(el => el.outerHTML)"""


def _open(chromium, url: str):
    """A page at ``url`` that records dialogs and errors; ``(page, response)``."""
    page = chromium.new_page(viewport={"width": 1366, "height": 768})
    page.dialogs, page.errors = [], []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    response = page.goto(url, wait_until="domcontentloaded", timeout=FIRST_PAINT)
    return page, response


def _wait_for_listing(page) -> None:
    """The tree's file list, drawn by its script. Once in a full CI run (the shared server busy
    with the pages before) it had not appeared after 60 s, and the same test alone draws it in
    2 s: so one reload, with the same hostile address, before calling it a failure."""
    for attempt in range(2):
        try:
            page.wait_for_selector("text=explorer.ipynb", timeout=60_000)
            return
        except PlaywrightTimeout:
            if attempt:
                raise AssertionError(f"no file list: {page.inner_text('body')[:500]!r}") from None
            page.reload(wait_until="domcontentloaded", timeout=FIRST_PAINT)


def _assert_nothing_ran(page) -> None:
    page.wait_for_timeout(1000)  # a late image error or widget render would fire by now
    assert page.dialogs == [], f"a link's payload ran: {page.dialogs}"
    assert page.evaluate(_INJECTED, MARKER) == []
    assert [e for e in page.errors if MARKER in e] == []


def test_the_hostile_query_names_every_key_within_what_the_explorer_reads():
    query = hostile_query()
    assert len(query) <= MAX_QUERY_LENGTH, "keys past the limit would not be parsed at all"
    assert {"theme", "template", "preset", "seed", "stride", "kernel"} <= set(KEYS)


@pytest.mark.parametrize("notebook", list(PAGES))
def test_no_payload_runs_and_the_page_still_opens(chromium, voila_base_url, notebook, artifacts):
    # template is opened on its own below: with override on it answers 500 before any theme.
    keys = tuple(key for key in KEYS if key != "template")
    url = f"{voila_base_url}/voila/render/{notebook}?{hostile_query(keys)}"
    page, response = _open(chromium, url)
    try:
        assert response.status == 200
        if notebook == "explorer.ipynb":
            wait_for_picture(page, timeout=FIRST_PAINT)
        else:
            page.wait_for_selector(PAGES[notebook], timeout=FIRST_PAINT)
        _assert_nothing_ran(page)
        page.screenshot(path=str(artifacts / f"link-safety-{notebook}.png"))
        assert page.errors == []
    finally:
        page.close()


def test_a_bad_template_gets_the_plain_page_and_a_valid_theme_is_honoured(
    chromium, voila_base_url
):
    query = f"template={quote('../../..', safe='')}&theme=dark&preset=stride-2"
    page, response = _open(chromium, f"{voila_base_url}/voila/render/explorer.ipynb?{query}")
    try:
        assert response.status == 200
        wait_for_picture(page, timeout=FIRST_PAINT)
        # ?theme=dark reaches the page through cnnviz.serve.settings.prelaunch_hook
        assert page.evaluate("document.body.classList.contains('theme-dark')")
        assert page.errors == []
    finally:
        page.close()


@pytest.mark.parametrize("key", ["template", "theme", "classic-tree"])
def test_voila_tree_ignores_hostile_values(chromium, voila_base_url, key):
    page, response = _open(chromium, f"{voila_base_url}/voila/tree?{hostile_query((key,))}")
    try:
        assert response.status == 200
        _wait_for_listing(page)
        _assert_nothing_ran(page)
    finally:
        page.close()
