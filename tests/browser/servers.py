"""Helpers for the browser tests and benches: free ports, waiting for a server, Chromium flags.

A plain module (not a conftest), so tests and bench scripts can import it by name.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_TIMEOUT = 90  # seconds: a loaded 2-core CI machine


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"voila exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"voila did not answer {url} in {STARTUP_TIMEOUT} s:\n{log.read_text()}")


def voila_command(port: int, *extra: str) -> list[str]:
    """Voila serving ``notebooks/`` as ``make app`` starts it: ``deploy/voila.py`` (the settings of
    ``cnnviz.serve.settings``: theme hook, tracebacks, culling, ``iopub_timeout``).

    ``extra`` arguments come last and override those settings (e.g. shorter culling for tests).
    """
    return [
        sys.executable, "-m", "voila", str(NOTEBOOKS),
        "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
        f"--Voila.config_file_paths=['{ROOT / 'deploy'}']",
        *extra,
    ]  # fmt: skip


def start_voila(log: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    """A Voila of its own (:func:`voila_command`, one BLAS thread): ``(process, base_url)``.

    Stop it with :func:`stop_voila`; its output goes to ``log``.
    """
    port = _free_port()
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    with open(log, "w") as out:
        process = subprocess.Popen(
            voila_command(port, *extra), cwd=NOTEBOOKS, stdout=out, stderr=subprocess.STDOUT,
            env=env,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/voila/tree", process, log)
    except Exception:
        stop_voila(process)
        raise
    return process, base


def stop_voila(process: subprocess.Popen) -> None:
    """Terminate a server from :func:`start_voila` (its kernels end with it)."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


EXPLORER_FIGURE = "canvas.cnnviz-frame"  # the explorer's picture (cnnviz.explorer.frame_view)
# Which picture a figure shows: a canvas names its frame in data-picture, an <img> by its src.
_PICTURE = """(el) => !el ? null : el.tagName === 'CANVAS' ? (el.dataset.picture ?? null)
    : (el.complete && el.naturalWidth > 0 ? el.src : null)"""
_SHOWS = f"(sel) => ({_PICTURE})(document.querySelector(sel)) !== null"


# Every picture the explorer's canvas paints changes its data-picture (web/frame_view.js): one
# observer at a time (a second one left behind counted every picture twice).
_WATCH = """(sel) => { if (window.cnnvizWatch) window.cnnvizWatch.disconnect();
    const figure = document.querySelector(sel); window.cnnvizPictures = [];
    window.cnnvizWatch = new MutationObserver(
        () => window.cnnvizPictures.push([performance.now(), figure.dataset.step]));
    window.cnnvizWatch.observe(figure, {attributes: true, attributeFilter: ['data-picture']}); }"""


def watch_pictures(page, selector: str = EXPLORER_FIGURE) -> None:
    """From now on, note each picture the canvas ``selector`` paints (:func:`pictures_seen`)."""
    page.evaluate(_WATCH, selector)


def pictures_seen(page) -> list[tuple[float, str]]:
    """``(performance.now() ms, walk step)`` of each picture since :func:`watch_pictures`."""
    return [tuple(entry) for entry in page.evaluate("window.cnnvizPictures")]


def picture_of(page, selector: str = EXPLORER_FIGURE) -> str | None:
    """What the figure ``selector`` shows now (a canvas's frame id, an image's src), or None."""
    return page.evaluate(f"(sel) => ({_PICTURE})(document.querySelector(sel))", selector)


def wait_for_picture(page, selector: str = EXPLORER_FIGURE, timeout: float = 120_000) -> None:
    """Wait until the figure ``selector`` shows a picture at all."""
    page.wait_for_function(_SHOWS, arg=selector, timeout=timeout)


def wait_for_new_picture(page, old: str | None, selector: str = EXPLORER_FIGURE) -> None:
    """Wait until the figure ``selector`` shows a picture other than ``old`` (from picture_of)."""
    page.wait_for_function(
        f"([sel, old]) => {{ const now = ({_PICTURE})(document.querySelector(sel));"
        " return now !== null && now !== old; }",
        arg=[selector, old], timeout=30_000,
    )  # fmt: skip
