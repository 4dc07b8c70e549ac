"""The hub's configuration, read back without starting it: the same settings as Voila, Binder
and the Kubernetes values; both ways of logging in; the sizing sentence in values.yaml.

The running hub is tested in tests/browser/test_hub.py.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from cnnviz.serve import settings as course

ROOT = Path(__file__).resolve().parent.parent
HUB = ROOT / "deploy" / "hub"
VALUES = ROOT / "deploy" / "k8s" / "values.yaml"
sys.path.insert(0, str(HUB))
import hub_settings as hs  # noqa: E402

TEACHER = "t" * 40


def _run(coroutine):
    """Run ``coroutine`` to its end in a thread of its own: Playwright's sync API (the browser
    tests, in the same pytest run) keeps an event loop running in the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _load(path: Path) -> Config:
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


@pytest.fixture
def hub_config(monkeypatch, tmp_path):
    """``make hub``'s config as JupyterHub reads it, for a mode: ``hub_config("password")``."""

    def load(mode: str = "workshop", **env: str) -> Config:
        monkeypatch.setenv("CNNVIZ_HUB_STATE", str(tmp_path / "state"))
        monkeypatch.setenv("CNNVIZ_HUB_AUTH", mode)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return _load(HUB / "jupyterhub_config.py")

    return load


def _culler_args(c: Config) -> dict[str, int]:
    (service,) = [s for s in c.JupyterHub.services if s["name"] == "idle-culler"]
    assert service["command"][1:3] == ["-m", "jupyterhub_idle_culler"]
    return {
        a[2:].split("=")[0]: int(a.split("=")[1]) for a in service["command"] if a.startswith("--")
    }


def test_students_servers_read_the_one_settings_source_as_voila_and_binder_do(hub_config, tmp_path):
    c = hub_config()
    config_dir = Path(c.Spawner.environment["JUPYTER_CONFIG_PATH"])
    student = _load(config_dir / "jupyter_server_config.py")  # what each student's server reads
    voila = _load(ROOT / "deploy" / "voila.py")  # what make app reads
    sys.path.insert(0, str(ROOT / "tools"))
    import voila_server_config  # what binder/postBuild runs

    binder = voila_server_config.write(tmp_path / "binder" / "jupyter_server_config.json")
    expected = course.server_config()
    assert expected["VoilaConfiguration"]["allow_theme_override"] != "YES"  # the XSS fix
    for section, values in expected.items():
        for key, value in values.items():
            assert student[section][key] == value, (section, key)
            assert voila[section][key] == value, (section, key)
            assert binder[section][key] == value, (section, key)
    assert student.VoilaConfiguration.prelaunch_hook is course.prelaunch_hook
    assert json.loads((tmp_path / "binder" / "jupyter_server_config.json").read_text()) == binder


def test_workshop_mode_makes_temporary_students_and_a_teacher_admin(hub_config, tmp_path):
    c = hub_config("workshop")
    from course_auth import WorkshopAuthenticator

    assert c.JupyterHub.authenticator_class is WorkshopAuthenticator
    saved = tmp_path / "state" / "teacher-password"  # made when none is given
    assert saved.stat().st_mode & 0o077 == 0
    assert c.WorkshopAuthenticator.teacher_password == saved.read_text().strip()
    assert len(c.WorkshopAuthenticator.teacher_password) >= 32
    assert c.Authenticator.admin_users == {c.WorkshopAuthenticator.teacher_name}

    auth = WorkshopAuthenticator(teacher_password=TEACHER)
    student = _run(auth.authenticate(None, None))
    assert re.fullmatch(r"[0-9a-f-]{36}", student["name"]) and not student.get("admin")
    teacher = _run(auth.authenticate(None, {"username": "teacher", "password": TEACHER}))
    assert teacher == {"name": "teacher", "admin": True}
    for wrong in ({"username": "teacher", "password": TEACHER[:-1]},
                  {"username": "someone", "password": TEACHER}):  # fmt: skip
        assert _run(auth.authenticate(None, wrong)) is None
    assert (
        _run(WorkshopAuthenticator().authenticate(None, {"username": "teacher", "password": ""}))
        is None
    )


def test_password_mode_uses_the_class_and_teacher_passwords(hub_config):
    c = hub_config("password", CNNVIZ_CLASS_PASSWORD="class-pass", CNNVIZ_TEACHER_PASSWORD=TEACHER)
    assert c.JupyterHub.authenticator_class == "shared-password"
    assert c.SharedPasswordAuthenticator.user_password == "class-pass"
    assert c.SharedPasswordAuthenticator.admin_password == TEACHER
    assert c.Authenticator.admin_users == {"teacher"}


def test_the_hub_listens_on_loopback_keeps_state_out_of_the_repository(hub_config, tmp_path):
    c = hub_config()
    assert c.JupyterHub.ip == "127.0.0.1" and c.JupyterHub.hub_ip == "127.0.0.1"
    assert c.JupyterHub.cleanup_servers is False
    for path in (c.JupyterHub.db_url.removeprefix("sqlite:///"), c.JupyterHub.cookie_secret_file,
                 c.JupyterHub.pid_file, c.ConfigurableHTTPProxy.pid_file):  # fmt: skip
        assert Path(path).is_relative_to(tmp_path), path
    assert Path(c.ConfigurableHTTPProxy.command[0]).is_relative_to(HUB / "node_modules")
    assert c.Spawner.default_url == hs.DEFAULT_URL
    assert (Path(c.Spawner.notebook_dir) / hs.DEFAULT_URL.removeprefix("/voila/render/")).exists()


def _bytes(spec: str) -> int:
    number, unit = re.fullmatch(r"([0-9.]+)([KMG])", spec).groups()
    return int(float(number) * 1024 ** "KMG".index(unit) * 1024)


def test_kubernetes_values_carry_the_local_hubs_settings(hub_config):
    c = hub_config()
    values = yaml.safe_load(VALUES.read_text(encoding="utf-8"))
    single = values["singleuser"]
    assert single["defaultUrl"] == c.Spawner.default_url
    assert _bytes(single["memory"]["guarantee"]) == _bytes(c.Spawner.mem_guarantee)
    assert _bytes(single["memory"]["limit"]) == _bytes(c.Spawner.mem_limit)
    assert single["cpu"] == {"guarantee": c.Spawner.cpu_guarantee, "limit": c.Spawner.cpu_limit}
    assert single["startTimeout"] == c.Spawner.start_timeout
    assert single["storage"]["type"] == "none"  # a home volume would hide ~/.jupyter
    for name, value in single["extraEnv"].items():
        assert c.Spawner.environment[name] == value, name
    culler = _culler_args(c)
    assert values["cull"]["enabled"] is True
    assert values["cull"]["timeout"] == culler["timeout"]
    assert values["cull"]["every"] == culler["cull-every"]
    assert values["cull"]["maxAge"] == culler["max-age"]
    hub = values["hub"]["config"]
    assert hub["JupyterHub"]["cleanup_servers"] is c.JupyterHub.cleanup_servers is False
    assert set(hub["Authenticator"]["admin_users"]) == c.Authenticator.admin_users
    assert hub["JupyterHub"]["authenticator_class"] == "shared-password"


def _students_by_loop(cores: float, gb: float, reserved_gb: float = 1.0) -> int:
    """Add students one at a time while their guarantees still fit (independent of the formula)."""
    n = 0
    while ((n + 1) * hs.MEM_GUARANTEE_MB <= (gb - reserved_gb) * 1024
           and (n + 1) * hs.CPU_GUARANTEE <= cores + 1e-9):  # fmt: skip
        n += 1
    return n


@settings(max_examples=40, deadline=None)
@given(cores=st.integers(1, 64), gb=st.integers(2, 256))
def test_students_per_node_is_what_fits_by_guarantees(cores, gb):
    assert hs.students_per_node(cores, gb) == _students_by_loop(cores, gb)


def test_the_values_files_students_per_node_sentence_is_computed():
    said = re.findall(r"(\d+) cores, (\d+) GB -> (\d+)", VALUES.read_text(encoding="utf-8"))
    assert len(said) >= 3
    for cores, gb, students in said:
        assert int(students) == hs.students_per_node(int(cores), int(gb)), (cores, gb)


@pytest.mark.parametrize("cores, gb", [(0, 8), (4, 0), (math.nan, 8), (4, -1)])
def test_students_per_node_refuses_a_node_of_nothing(cores, gb):
    with pytest.raises(ValueError, match="node_"):
        hs.students_per_node(cores, gb)


def test_the_docs_sizing_table_is_built_from_the_measurements():
    docs = (ROOT / "docs" / "hub.md").read_text(encoding="utf-8")
    for name, per_core_minute, per_gb in hs.sizing_rows():
        assert f"| {name} | {per_core_minute} | {per_gb} |" in docs, name
    for cores, gb in ((4, 8), (8, 32), (16, 64)):
        assert f"{cores} cores / {gb} GB → {hs.students_per_node(cores, gb)}" in docs
    assert f"**{hs.MEM_GUARANTEE_MB} MB and {hs.CPU_GUARANTEE} CPU**" in docs
    assert f"**{hs.MEM_LIMIT_MB} MB and {hs.CPU_LIMIT:g} CPU**" in docs


# --- Each student's memory limit on the local hub (course_spawner.py, memory_box.py) ---
import memory_box  # noqa: E402

_ALLOCATE = "import numpy as np; x = np.ones({} << 20, np.uint8); print(int(x.sum()) >> 20)"


def test_the_local_hub_holds_each_student_to_the_one_memory_limit(hub_config):
    c = hub_config()
    from course_spawner import CourseSpawner

    assert c.JupyterHub.spawner_class is CourseSpawner
    assert hs.MEM_LIMIT_MB << 20 == _bytes(c.Spawner.mem_limit)
    assert CourseSpawner(mem_limit=c.Spawner.mem_limit).memory_limit_bytes == hs.MEM_LIMIT_MB << 20
    assert c.CourseSpawner.memory_hold == "auto"
    assert c.CourseSpawner.memory_group == f"cnnviz-hub-{c.JupyterHub.port}"
    assert hub_config(CNNVIZ_HUB_MEMORY="rlimit").CourseSpawner.memory_hold == "rlimit"


def _run_held(preexec, megabytes: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _ALLOCATE.format(megabytes)], preexec_fn=preexec,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_the_per_process_fallback_stops_an_allocation_past_the_limit():
    limit = hs.MEM_LIMIT_MB << 20
    held = lambda: memory_box.limit_this_process(limit)  # noqa: E731
    past = _run_held(held, 4 * hs.MEM_LIMIT_MB)
    assert past.returncode == 1 and "MemoryError" in past.stderr, past.stderr[-300:]
    within = _run_held(held, hs.MEM_LIMIT_MB // 4)  # numpy and Python fit beside it
    assert within.returncode == 0 and within.stdout.strip() == str(hs.MEM_LIMIT_MB // 4)


def test_a_student_cgroup_holds_its_processes_and_not_another_students():
    found = memory_box.hub_folder(f"cnnviz-hub-test-{os.getpid()}")
    if found is None:
        pytest.skip("no writable memory cgroup here: the hub falls back to the rlimit")
    version, folder = found
    try:
        small = 64 << 20  # a small limit keeps the test quick; the hub's is hs.MEM_LIMIT_MB
        runaway = memory_box.student_box(version, folder, 1, small)
        neighbour = memory_box.student_box(version, folder, 2, small)
        past = _run_held(lambda: memory_box.join_box(runaway), 4 * 64)
        assert past.returncode in (-signal.SIGKILL, 1), past  # killed, or MemoryError
        assert past.returncode == -signal.SIGKILL or "MemoryError" in past.stderr
        within = _run_held(lambda: memory_box.join_box(neighbour), 16)
        assert within.returncode == 0 and within.stdout.strip() == "16", within
    finally:
        memory_box.remove(folder)
    assert not folder.exists()


def _fake_tree(tmp_path: Path, version: str, own: str, controller: bool) -> Path:
    """A cgroup filesystem where the hub's folder ``cnnviz-hub`` would be made: the files the
    kernel would put in it are put there in advance (or not, for a group without memory)."""
    root = tmp_path / "cgroup"
    parent = (
        root / "memory" / own.lstrip("/") if version == "v1" else (root / own.lstrip("/")).parent
    )
    (parent / "cnnviz-hub").mkdir(parents=True)
    if controller:
        (parent / "cnnviz-hub" / memory_box.LIMIT_FILE[version]).write_text("max")
    return root


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_the_hubs_cgroup_folder_is_found_where_each_cgroup_version_puts_it(tmp_path, version):
    own = "/process_api/abc"
    lines = {"v1": f"9:name=systemd:/\n4:memory:{own}\n0::/\n", "v2": f"0::{own}\n"}[version]
    root = _fake_tree(tmp_path, version, own, controller=True)
    found_version, folder = memory_box.hub_folder("cnnviz-hub", root, lines)
    assert found_version == version
    if version == "v1":  # a child of the hub's own group in the memory tree
        assert folder == root / "memory" / "process_api" / "abc" / "cnnviz-hub"
    else:  # a sibling of it, passing the memory controller on to the students' groups
        assert folder == root / "process_api" / "cnnviz-hub"
        assert (folder / "cgroup.subtree_control").read_text() == "+memory"
    without = _fake_tree(tmp_path / "no", version, own, controller=False)
    assert memory_box.hub_folder("cnnviz-hub", without, lines) is None
    assert memory_box.hub_folder("cnnviz-hub", root, "") is None
