"""Browser fixtures: a Voila server on loopback and Debian's Chromium driven by Playwright.

Reusable by any browser test:

* ``voila_base_url`` (session): base URL of a Voila serving the ``notebooks/`` folder, e.g.
  ``f"{voila_base_url}/voila/render/explorer.ipynb?preset=stride-2"``. Started once, on
  127.0.0.1 and a free port, with idle kernels culled and the settings of ``deploy/voila.py``.
* ``chromium`` (session): a Playwright ``Browser`` (Chromium; ``/usr/bin/chromium`` when it
  exists, never a download).
* ``open_page`` (function): ``open_page(url, *, width=1366, height=768)`` -> a Playwright
  ``Page`` that records page errors in ``page.cnnviz_errors``; closed after the test.
* ``artifacts``: the ``test-artifacts/`` folder for screenshots.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from servers import (  # noqa: F401  (re-exported for bench/bench_explorer.py)
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    NOTEBOOKS,
    ROOT,
    _free_port,
    _wait_until_up,
    voila_command,
)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def voila_base_url(tmp_path_factory) -> str:
    port = _free_port()
    log = tmp_path_factory.mktemp("voila") / "voila.log"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    command = voila_command(
        port,
        "--MappingKernelManager.cull_idle_timeout=120",
        "--MappingKernelManager.cull_interval=30",
    )
    with open(log, "w") as out:
        process = subprocess.Popen(
            command, cwd=NOTEBOOKS, stdout=out, stderr=subprocess.STDOUT, env=env
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/voila/tree", process, log)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        options = {"args": CHROMIUM_ARGS, "headless": True}
        if Path(CHROMIUM).exists():
            options["executable_path"] = CHROMIUM
        browser = playwright.chromium.launch(**options)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium):
    pages = []

    def opener(url: str, *, width: int = 1366, height: int = 768, timeout: float = 30_000):
        """``timeout`` (ms) for the page to arrive: Voila sends it once the first cells ran."""
        page = chromium.new_page(viewport={"width": width, "height": height})
        page.cnnviz_errors = []
        page.on("pageerror", lambda error: page.cnnviz_errors.append(str(error)))
        page.goto(url, wait_until="domcontentloaded", timeout=timeout)
        pages.append(page)
        return page

    yield opener
    for page in pages:
        page.close()
