"""``make class``: the landing page's links come from the lesson notebooks and the presets, the
course server gets the same settings as ``make app``, and it announces the students' address."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cnnviz.explorer.presets import PRESETS
from cnnviz.serve import course, landing

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs)["href"]

    def handle_data(self, data):
        if self._href is not None:
            self.links.append((self._href, data))
            self._href = None


def links_of(html: str) -> list[tuple[str, str]]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def test_every_lesson_notebook_the_pages_and_every_preset_have_a_link():
    hrefs = [href for href, _ in links_of(landing.landing_html(NOTEBOOKS))]
    lessons = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert len(lessons) >= 8
    for notebook in ["explorer.ipynb", "network.ipynb", *lessons]:
        assert f"voila/render/{notebook}" in hrefs, notebook
    for name in PRESETS:
        assert f"voila/render/explorer.ipynb?preset={name}" in hrefs, name
    assert len(hrefs) == 2 + len(lessons) + len(PRESETS)
    # every link opens a notebook that exists
    for href in hrefs:
        assert (NOTEBOOKS / href.removeprefix("voila/render/").split("?")[0]).exists(), href


def _notebook(title: str) -> str:
    return json.dumps({"cells": [{"cell_type": "markdown", "source": [f"# {title}\n", "x"]}],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})  # fmt: skip


def test_a_new_lesson_appears_when_its_notebook_exists(tmp_path):
    for path in NOTEBOOKS.glob("*.ipynb"):
        shutil.copy(path, tmp_path / path.name)
    before = landing.landing_html(tmp_path)
    (tmp_path / "08_torch_capture.ipynb").write_text(_notebook("8 · A PyTorch model's layers"))
    (tmp_path / "notes.ipynb").write_text(_notebook("not a lesson"))
    after = dict(links_of(landing.landing_html(tmp_path)))
    assert "voila/render/08_torch_capture.ipynb" not in before
    assert after["voila/render/08_torch_capture.ipynb"] == "8 · A PyTorch model's layers"
    assert "voila/render/notes.ipynb" not in after
    numbers = [lesson.number for lesson in landing.lessons_in(tmp_path)]
    assert numbers == sorted(numbers) and numbers[-1] == "08"


def test_titles_are_escaped_and_a_notebook_without_heading_keeps_its_name(tmp_path):
    (tmp_path / "01_a.ipynb").write_text(_notebook('<img src=x onerror="alert(1)">'))
    (tmp_path / "02_b.ipynb").write_text("not json")
    html = landing.landing_html(tmp_path)
    assert "<img" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert dict(links_of(html))["voila/render/02_b.ipynb"] == "02_b"


def test_class_seed_goes_on_lesson_links_only_and_theme_on_every_link():
    html = landing.landing_html(NOTEBOOKS, theme="dark", seed=7)
    hrefs = [href for href, _ in links_of(html)]
    lesson_links = [h for h in hrefs if re.search(r"/\d\d_", h)]
    assert lesson_links and all(h.endswith("?theme=dark&seed=7") for h in lesson_links)
    assert all("seed=" not in h for h in hrefs if h not in lesson_links)
    assert all("theme=dark" in h for h in hrefs)
    assert '<body class="dark">' in html
    # a hostile theme is dropped, never written
    html = landing.landing_html(NOTEBOOKS, theme='"><script>alert(1)</script>')
    assert "<script>" not in html and "theme=" not in html


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": 2**32}, ValueError, "seed"),
        ({"seed": "7"}, TypeError, "seed"),
        ({"seed": True}, TypeError, "seed"),
        ({"render_url": "voila/render"}, ValueError, "render_url"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, name):
    with pytest.raises(error, match=name):
        landing.landing_html(NOTEBOOKS, **kwargs)


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(ValueError, match="folder"):
        landing.lessons_in(tmp_path / "nowhere")


def test_students_address_is_the_lan_address_when_serving_every_interface():
    assert course.lan_address("127.0.0.1") == "127.0.0.1"
    assert course.lan_address("10.1.2.3") == "10.1.2.3"
    shared = course.lan_address("0.0.0.0")
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", shared) and shared != "0.0.0.0"
    with pytest.raises(TypeError, match="host"):
        course.lan_address(None)


def test_course_server_is_voila_with_the_make_app_settings():
    args = course._arguments(["--host", "0.0.0.0", "--port", "9000", "--seed", "3"])
    argv = course.voila_arguments(args)
    assert argv[0] == str(NOTEBOOKS)
    assert "--Voila.ip=0.0.0.0" in argv and "--port=9000" in argv
    assert f"--Voila.config_file_paths={ROOT / 'deploy'}" in argv
    assert (ROOT / "deploy" / "voila.py").exists()
    assert args.seed == 3
    with pytest.raises(SystemExit):
        course._arguments(["--seed", "-4"])


@pytest.fixture(scope="module")
def binder_server(tmp_path_factory):
    """A Jupyter server set up as binder/postBuild sets it up (tools/voila_server_config.py),
    rooted at the repository: its base address."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    config = tmp_path_factory.mktemp("jupyter-config")
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), JUPYTER_CONFIG_PATH="",
               PYTHONPATH=path, OPENBLAS_NUM_THREADS="1")  # fmt: skip
    subprocess.run([sys.executable, "tools/voila_server_config.py"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=60)  # fmt: skip
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", f"--port={port}", "--no-browser",
         "--ServerApp.ip=127.0.0.1", "--allow-root", f"--IdentityProvider.token={TOKEN}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2).close()
                break
            except OSError:
                time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


TOKEN = "cnnviz-test"


def _get(url: str) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_binder_server_serves_the_landing_page_at_course(binder_server):
    """On Binder (and the hub) the settings enable cnnviz.serve.web: /course is the same page,
    its links pointing at that server's Voila under notebooks/."""
    status, html = _get(f"{binder_server}/course")
    assert status == 200
    hrefs = [href for href, _ in links_of(html)]
    assert "/voila/render/notebooks/explorer.ipynb" in hrefs
    assert "/voila/render/notebooks/01_single_channel.ipynb" in hrefs


def test_binder_server_writes_no_link_value_into_the_page(binder_server):
    """Voila as the server's extension, as on Binder: a hostile ?theme= is dropped, a bad
    ?template= is ignored, ?theme=dark is honoured (the hook from voila.py in ~/.jupyter)."""
    page = f"{binder_server}/voila/render/notebooks/network.ipynb?token={TOKEN}"
    status, html = _get(f"{page}&theme=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    assert status == 200 and "onerror" not in html and 'class="jp-Notebook theme-light"' in html
    status, html = _get(f"{page}&theme=dark&template=..%2F..%2F..")
    assert status == 200 and 'class="jp-Notebook theme-dark"' in html
