"""When the page loses its kernel, it says so: one sentence, a reload button, controls disabled.

Two ways a classroom page loses its kernel, each on a Voila of this module's own:

* the kernel process dies (killed here; the same as a crash or running out of memory): Voila
  restarts a fresh kernel that holds none of the page's widgets;
* the server goes away (stopped here; the same as a restart, or a laptop waking up after the
  kernel was culled): the page's websocket cannot reconnect.

Before this watcher the page showed nothing but small broken-link icons while the readout
still moved. Screenshots go to ``test-artifacts/kernel-gone-*.png``.
"""

from __future__ import annotations

import re

import psutil
import pytest
from servers import start_voila, stop_voila, wait_for_picture

from cnnviz.explorer.kernel_watch import GONE_SENTENCE, RECONNECT_GRACE_MS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIRST_PAINT = 120_000  # ms
BANNER = ".cnnviz-kernel-banner:not([hidden])"
KERNEL_ID = re.compile(r"/api/kernels/([0-9a-f-]{36})/channels")


@pytest.fixture
def own_server(tmp_path):
    process, base = start_voila(tmp_path / "voila.log")
    try:
        yield process, base
    finally:
        stop_voila(process)


def _open_explorer(chromium, base: str):
    page = chromium.new_page(viewport={"width": 1366, "height": 900})
    page.kernel_ids = []
    page.on("websocket", lambda ws: page.kernel_ids.extend(KERNEL_ID.findall(ws.url)))
    page.goto(f"{base}/voila/render/explorer.ipynb", wait_until="domcontentloaded")
    wait_for_picture(page, timeout=FIRST_PAINT)
    page.wait_for_selector("[data-watching=kernel]", state="attached", timeout=FIRST_PAINT)
    # the details the page draws after its first picture (the watch tells the kernel it shows)
    page.get_by_text("finite-difference check").wait_for(timeout=FIRST_PAINT)
    page.get_by_text("(2, 3, 3, 3)").first.wait_for(timeout=FIRST_PAINT)
    assert page.locator(BANNER).count() == 0  # nothing said while the kernel is alive
    return page


def _controls_state(page) -> tuple[int, int]:
    """(disabled, all) buttons, inputs and selects of the explorer, the reload button aside."""
    return page.evaluate(
        """() => { const all = [...document.querySelectorAll(
               '.cnnviz-explorer button, .cnnviz-explorer input, .cnnviz-explorer select')]
               .filter(e => !e.closest('.cnnviz-kernel-banner'));
           return [all.filter(e => e.disabled).length, all.length]; }"""
    )


def _assert_said(page) -> None:
    banner = page.locator(BANNER)
    assert banner.locator("span").inner_text() == GONE_SENTENCE
    reload = banner.get_by_role("button", name="Reload the page")
    assert reload.is_visible()
    disabled, total = _controls_state(page)
    assert total >= 10 and disabled == total, f"{disabled} of {total} controls disabled"
    assert page.locator(".cnnviz-explorer.cnnviz-kernel-gone").count() == 1


def test_a_killed_kernel_is_said_and_the_controls_stop(own_server, chromium, artifacts):
    process, base = own_server
    page = _open_explorer(chromium, base)
    assert _controls_state(page)[0] < _controls_state(page)[1]  # live controls work
    page.get_by_role("button", name="step ▶").first.wait_for()
    (kernel_id,) = set(page.kernel_ids)
    kernels = [p for p in psutil.Process(process.pid).children(recursive=True)
               if any(kernel_id in part for part in p.cmdline())]
    assert len(kernels) == 1, "the page's kernel process"
    kernels[0].kill()
    page.wait_for_selector(BANNER, timeout=30_000)
    page.wait_for_timeout(500)  # let the controls' views take the disabled state
    page.screenshot(path=str(artifacts / "kernel-gone-killed.png"))
    _assert_said(page)
    with page.expect_navigation(timeout=FIRST_PAINT):
        page.locator(BANNER).get_by_role("button", name="Reload the page").click()
    page.close()


def test_a_server_that_went_away_is_said(own_server, chromium, artifacts):
    process, base = own_server
    page = _open_explorer(chromium, base)
    stop_voila(process)
    page.wait_for_selector(BANNER, timeout=RECONNECT_GRACE_MS + 60_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / "kernel-gone-server.png"))
    _assert_said(page)
    page.close()
