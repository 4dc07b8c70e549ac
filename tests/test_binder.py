"""Binder: binder/ builds the same pinned stack as requirements.txt, and README links resolve."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from cnnviz.serve import settings

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
README = ROOT / "README.md"
# Files repo2docker reads as environment config; with binder/ present, root copies are ignored.
R2D_CONFIG_FILES = {
    "environment.yml", "requirements.txt", "runtime.txt", "postBuild", "start", "apt.txt",
    "install.R", "Project.toml", "REQUIRE", "setup.py", "Pipfile", "Pipfile.lock", "default.nix",
    "Dockerfile",
}


def _requirement_lines(path: Path) -> list[str]:
    """Non-comment lines, with nested ``-r`` files expanded relative to the including file."""
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith(("-r ", "--requirement ")):
            lines += _requirement_lines((path.parent / line.split(None, 1)[1]).resolve())
        else:
            lines.append(line)
    return lines


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*==\s*([A-Za-z0-9_.+!-]+)", line)
        assert match, f"not an exact pin: {line!r}"
        pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_binder_requirements_are_exactly_the_root_pins():
    root = _pins(_requirement_lines(ROOT / "requirements.txt"))
    binder = _pins(_requirement_lines(BINDER / "requirements.txt"))
    assert binder == root
    # Voila answers HTTP 500 without a kernel, and widgets break when these drift apart.
    for name in ("voila", "ipykernel", "ipywidgets", "jupyterlab-widgets", "widgetsnbextension"):
        assert name in binder, name


def test_runtime_is_python_3_11_exactly():
    assert (BINDER / "runtime.txt").read_text(encoding="utf-8").strip() == "python-3.11"
    assert (BINDER / "runtime.txt").read_text(encoding="utf-8").strip("\n") == "python-3.11"


def test_post_build_installs_the_package_and_fails_loudly():
    script = BINDER / "postBuild"
    text = script.read_text(encoding="utf-8")
    assert os.access(script, os.X_OK)
    assert text.startswith("#!/bin/bash\n")
    assert re.search(r"^set -e", text, re.M)
    assert re.search(r"pip install .*(-e )?\.\s*$", text, re.M), "postBuild must install ."


def test_start_sets_one_blas_thread_and_hands_over():
    script = BINDER / "start"
    text = script.read_text(encoding="utf-8")
    assert os.access(script, os.X_OK)
    assert text.startswith("#!/bin/bash\n")
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        assert f"export {name}=1" in text
    assert text.rstrip().splitlines()[-1] == 'exec "$@"'


def test_binder_folder_holds_only_files_repo2docker_reads_or_our_badge_script():
    names = {p.name for p in BINDER.iterdir() if p.name != "__pycache__"}
    assert names <= R2D_CONFIG_FILES | {"badges.py"}, names - R2D_CONFIG_FILES
    assert not (BINDER / "environment.yml").exists(), "two package managers would disagree"


def test_settings_hide_tracebacks_cull_idle_kernels_and_refuse_link_overrides():
    voila = settings.VOILA_CONFIGURATION
    assert voila["show_tracebacks"] is False
    assert voila["theme"] in settings.THEMES
    # YES would let a link's ?theme= / ?template= reach the page (issue 21: script ran).
    assert voila["allow_theme_override"] in ("NO", "NOTEBOOK")
    assert voila["allow_template_override"] == "NO"
    culling = settings.SERVER_SECTIONS["MappingKernelManager"]
    assert 0 < culling["cull_interval"] <= culling["cull_idle_timeout"] <= 3600
    assert not (ROOT / "voila.json").exists(), "a second copy of the settings would drift"


# Below this many seconds Voila's executor drops a busy kernel's last outputs when a class
# arrives together, and pages stay blank (issue 12: 5-9 of 12 with the default of 4 s).
IOPUB_TIMEOUT_AT_LEAST = 30


def _introspect(code: str, env: dict[str, str], cwd: Path) -> str:
    """Run ``code`` in a fresh interpreter and return its last output line."""
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], cwd=cwd, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()[-1]


def test_settings_give_the_executor_time_for_a_class_arriving_together():
    assert settings.SERVER_SECTIONS["VoilaExecutor"]["iopub_timeout"] >= IOPUB_TIMEOUT_AT_LEAST


def _env(tmp_path: Path) -> dict[str, str]:
    """A clean Jupyter config folder; this checkout's cnnviz first on the path (voila.py
    imports it)."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path), JUPYTER_CONFIG_PATH="",
                PYTHONPATH=path)  # fmt: skip


# What each server prints: the settings as it holds them, in one line.
_READ_BACK = (
    "v = {voila}\n"
    "print(executor.iopub_timeout, kernels.cull_idle_timeout, kernels.cull_connected,"
    " transport, v.show_tracebacks, v.theme, v.allow_theme_override,"
    " v.allow_template_override, getattr(v.prelaunch_hook, '__qualname__', None))"
)


def _expected() -> str:
    voila, server = settings.VOILA_CONFIGURATION, settings.SERVER_SECTIONS
    culling = server["MappingKernelManager"]
    return (
        f"{server['VoilaExecutor']['iopub_timeout']} {culling['cull_idle_timeout']}"
        f" {culling['cull_connected']} {server['KernelManager']['transport']}"
        f" {voila['show_tracebacks']} {voila['theme']} {voila['allow_theme_override']}"
        f" {voila['allow_template_override']} prelaunch_hook"
    )


def _read_back(setup: str, voila: str, kernels: str) -> str:
    """Code that builds a server with ``setup`` (it names ``app``) and prints its settings."""
    return (
        "import nbformat\n"
        "from voila.execute import VoilaExecutor\n"
        + setup
        + "executor = VoilaExecutor(nbformat.v4.new_notebook(), config=app.config)\n"
        f"kernels = {kernels}\n"
        "transport = app.config.KernelManager.transport\n"
        + _READ_BACK.format(voila=voila)
    )


# A Jupyter server with its extensions, and the VoilaConfiguration Voila's extension builds.
_SERVER = (
    "from jupyter_server.serverapp import ServerApp\n"
    "from voila.configuration import VoilaConfiguration\n"
    "app = ServerApp()\n"
    "app.initialize(argv=['--port=0'], find_extensions=True, new_httpserver=False)\n"
    "voila = VoilaConfiguration(parent=app)\n"
)


@pytest.mark.parametrize("notebooks", ["explorer.ipynb", "network.ipynb"])
def test_voila_started_as_make_app_and_network_reads_every_setting(tmp_path, notebooks):
    """``make app`` and ``make network`` pass ``--Voila.config_file_paths``: deploy/voila.py
    hands Voila every setting of cnnviz.serve.settings."""
    setup = (
        "from voila.app import Voila\n"
        "app = Voila()\n"
        f"app.initialize([\"--Voila.config_file_paths=['{ROOT / 'deploy'}']\", '{notebooks}'])\n"
    )
    code = _read_back(setup, "app.voila_configuration", "app.config.MappingKernelManager")
    assert _introspect(code, _env(tmp_path), ROOT / "notebooks") == _expected()


def test_make_class_course_server_reads_every_setting(tmp_path):
    """``make class`` starts cnnviz.serve.course: Voila over notebooks/ with the same voila.py."""
    setup = (
        "from cnnviz.serve.course import CourseVoila, _arguments, voila_arguments\n"
        "app = CourseVoila()\n"
        "app.initialize(voila_arguments(_arguments([])))\n"
    )
    code = _read_back(setup, "app.voila_configuration", "app.config.MappingKernelManager")
    assert _introspect(code, _env(tmp_path), ROOT) == _expected()


def test_binder_server_reads_the_same_settings(tmp_path):
    """On Binder Voila is a jupyter server extension: postBuild writes the server sections into
    the user's server config and voila.py beside it, where the extension looks for it."""
    assert "python tools/voila_server_config.py" in (BINDER / "postBuild").read_text()
    env = _env(tmp_path)
    subprocess.run([sys.executable, "tools/voila_server_config.py"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=60)  # fmt: skip
    # then exactly what voila.server_extension._load_jupyter_server_extension does
    setup = _SERVER + (
        "from voila.server_extension import load_config_file\n"
        "voila.update_config(load_config_file())\n"
    )
    assert _introspect(_read_back(setup, "voila", "app.kernel_manager"), env, ROOT) == _expected()


def test_a_server_config_that_calls_configure_reads_the_same_settings(tmp_path):
    """The hub's way (deploy/): a jupyter_server_config.py calling settings.configure(c)."""
    (tmp_path / "jupyter_server_config.py").write_text(
        "from cnnviz.serve.settings import configure\nconfigure(c)\n", encoding="utf-8"
    )
    code = _read_back(_SERVER, "voila", "app.kernel_manager")
    assert _introspect(code, _env(tmp_path), tmp_path) == _expected()


def _load_badges():
    spec = importlib.util.spec_from_file_location("badges", BINDER / "badges.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_badges_are_what_the_badge_script_writes():
    badges = _load_badges()
    text = README.read_text(encoding="utf-8")
    repository = badges.repository_in(text)
    assert badges.badge_block(repository) in text
    assert text.count("mybinder.org/v2/gh/") == len(badges.TARGETS)
    assert "voila%2Frender%2Fnotebooks%2Fexplorer.ipynb" in text
    assert "lab%2Ftree%2Fnotebooks%2F00_start_here.ipynb" in text


def test_badge_script_refuses_a_malformed_repository():
    badges = _load_badges()
    with pytest.raises(ValueError, match="OWNER/REPO"):
        badges.binder_url("not a repo", "notebooks/explorer.ipynb", "voila/render")
    assert "/alice/cnnviz/dev?" in badges.binder_url(
        "alice/cnnviz@dev", "notebooks/explorer.ipynb", "voila/render"
    )


def _readme_link_targets() -> list[str]:
    """Every repository path the README points at: relative links and Binder urlpaths."""
    text = README.read_text(encoding="utf-8")
    targets = []
    for url in re.findall(r"\]\(([^)\s]+)", text):
        parts = urlsplit(url)
        if parts.netloc == "mybinder.org" and parts.path.startswith("/v2/"):
            urlpath = unquote(re.search(r"urlpath=([^&]+)", parts.query).group(1))
            targets.append(re.sub(r"^(voila/render|lab/tree|tree|notebooks)/", "", urlpath))
        elif not parts.scheme and not parts.netloc and not url.startswith("#"):
            targets.append(unquote(parts.path))
    return targets


def test_every_path_a_readme_link_names_exists():
    targets = _readme_link_targets()
    assert "notebooks/explorer.ipynb" in targets
    missing = [target for target in targets if not (ROOT / target).exists()]
    assert missing == []


def _repo2docker() -> list[str] | None:
    if os.environ.get("REPO2DOCKER"):
        return [os.environ["REPO2DOCKER"]]
    if shutil.which("repo2docker"):
        return [shutil.which("repo2docker")]
    if importlib.util.find_spec("repo2docker") is not None:
        return [sys.executable, "-m", "repo2docker"]
    return None


@pytest.mark.slow
def test_repo2docker_would_build_python_3_11_with_our_scripts():
    command = _repo2docker()
    if command is None:
        pytest.skip("repo2docker not installed (set REPO2DOCKER=/path/to/repo2docker to run)")
    result = subprocess.run(
        [*command, "--no-build", "--debug", "--user-id", "1000", "--user-name", "jovyan", "."],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-2000:]
    assert "python=3.11" in output
    assert 'pip install --no-cache-dir -r "binder/requirements.txt"' in output
    assert "./binder/postBuild" in output
    assert 'R2D_ENTRYPOINT="${REPO_DIR}/binder/start"' in output


def test_server_config_keeps_what_the_users_config_already_holds(tmp_path):
    spec = importlib.util.spec_from_file_location("vsc", ROOT / "tools" / "voila_server_config.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    target = tmp_path / "jupyter_server_config.json"
    target.write_text(json.dumps({
        "ServerApp": {"open_browser": False, "jpserver_extensions": {"other": True}},
        "VoilaExecutor": {"timeout": 30, "iopub_timeout": 4},
    }))  # fmt: skip
    written = tool.write(target)
    assert written["ServerApp"] == {
        "open_browser": False, "jpserver_extensions": {"other": True, "cnnviz.serve.web": True}
    }
    expected = settings.SERVER_SECTIONS["VoilaExecutor"]
    assert written["VoilaExecutor"] == {"timeout": 30, **expected}
    assert written["KernelManager"]["transport"] == "ipc"
    assert written["VoilaConfiguration"]["allow_theme_override"] != "YES"
    assert json.loads(target.read_text()) == written
