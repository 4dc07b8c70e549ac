"""The explorer in JupyterLab (not only Voila): run the notebook's cell, see the figure, move
a control with the keyboard and see the picture change."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest
from servers import (
    NOTEBOOKS,
    _free_port,
    _wait_until_up,
    picture_of,
    wait_for_new_picture,
    wait_for_picture,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def jupyterlab_url(tmp_path_factory):
    """A JupyterLab on loopback serving a copy of the explorer notebook (no token)."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(NOTEBOOKS / "explorer.ipynb", root / "explorer.ipynb")
    port = _free_port()
    log = root / "lab.log"
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
        "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.root_dir={root}", "--allow-root", "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    with open(log, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/api", process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_explorer_runs_in_jupyterlab(jupyterlab_url, open_page, artifacts):
    page = open_page(f"{jupyterlab_url}/lab/tree/explorer.ipynb", height=900)
    page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=120_000)
    page.wait_for_timeout(3000)  # let the kernel start and the cell settle
    page.locator(".jp-CodeCell").first.click()
    page.keyboard.press("Shift+Enter")
    wait_for_picture(page, timeout=120_000)
    # the page's accessibility script runs in JupyterLab too: names and alternative text
    page.wait_for_function(
        "document.querySelector('canvas.cnnviz-frame').getAttribute('aria-label')"
        ".startsWith('Fan-out grid')"
        " && [...document.querySelectorAll('.noUi-handle')]"
        ".some(h => h.getAttribute('aria-label') === 'stride s')", timeout=30_000,
    )
    before = picture_of(page)
    slider = page.locator(".widget-slider", has=page.get_by_text("stride s", exact=True))
    slider.locator(".noUi-handle").focus()
    page.keyboard.press("ArrowLeft")
    wait_for_new_picture(page, before)
    page.screenshot(path=str(artifacts / "jupyterlab-explorer.png"))
    outputs = page.inner_text(".jp-OutputArea")
    assert "Traceback" not in outputs and "Error" not in outputs
    assert page.cnnviz_errors == []
