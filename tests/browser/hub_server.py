"""A real JupyterHub for the hub tests and bench/bench_hub.py: ``make hub``'s config, loopback.

A plain module (not a conftest), so bench scripts can import it. The hub's database, cookie
secret, pid files and students' homes go in a folder the caller gives (a temporary one), never
in the repository.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
from servers import ROOT, STARTUP_TIMEOUT, _free_port

HUB_CONFIG = ROOT / "deploy" / "hub" / "jupyterhub_config.py"
HUB_PROXY = ROOT / "deploy" / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
TEACHER_PASSWORD = "a-test-teacher-password-of-32-characters!"
sys.path.insert(0, str(HUB_CONFIG.parent))
import memory_box  # noqa: E402
from hub_settings import DEFAULT_URL  # noqa: E402, F401  (re-exported for the tests)


class Hub:
    """One ``jupyterhub -f deploy/hub/jupyterhub_config.py`` (or ``config``) and its proxy.

    ``start()`` may be called again after ``stop()``: same ports, same state folder (a restart).
    Every student server it ever started is remembered, so ``close()`` ends them too (the hub
    leaves them running on purpose: ``cleanup_servers = False``).
    """

    def __init__(self, state: Path, config: Path = HUB_CONFIG, **env: str):
        self.state, self.config = Path(state), Path(config)
        ports = {_free_port() for _ in range(6)}
        while len(ports) < 3:
            ports.add(_free_port())
        self.port, api_port, proxy_api_port = sorted(ports)[:3]
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(
            os.environ,
            CNNVIZ_HUB_STATE=str(self.state), CNNVIZ_HUB_PORT=str(self.port),
            CNNVIZ_HUB_API_PORT=str(api_port), CNNVIZ_PROXY_API_PORT=str(proxy_api_port),
            CNNVIZ_TEACHER_PASSWORD=TEACHER_PASSWORD,
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            **env,
        )  # fmt: skip
        self.process: subprocess.Popen | None = None
        self.servers: set[int] = set()
        self.starts = 0

    @property
    def log(self) -> Path:
        return self.state / f"hub-{self.starts}.log"

    def start(self) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        with open(self.log, "w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub", "-f", str(self.config)],
                cwd=self.state, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyterhub exited:\n{self.log.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{self.base}/hub/api/", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.close()
        raise RuntimeError(f"jupyterhub did not answer in {STARTUP_TIMEOUT} s")

    def student_servers(self) -> dict[str, psutil.Process]:
        """Running single-user servers this hub started, by user name (their JUPYTERHUB_USER)."""
        found = {}
        candidates = [psutil.Process(pid) for pid in self.servers if psutil.pid_exists(pid)]
        if self.process is not None and self.process.poll() is None:
            candidates += psutil.Process(self.process.pid).children()
        for process in candidates:
            try:
                if "jupyterhub.singleuser" in process.cmdline():
                    found[process.environ()["JUPYTERHUB_USER"]] = process
            except (psutil.Error, KeyError):
                continue
        self.servers.update(p.pid for p in found.values())
        return found

    def kernels_of(self, user: str) -> list[psutil.Process]:
        """The kernel processes of ``user``'s server."""
        server = self.student_servers()[user]
        return [p for p in server.children(recursive=True) if "ipykernel_launcher" in p.cmdline()]

    def stop(self) -> None:
        """Stop the hub, as Ctrl-C would; students' servers keep running. Its proxy and culler
        end with it (killed here should the hub have been killed before it stopped them)."""
        servers = self.student_servers()  # remember them before they lose their parent
        if self.process is None or self.process.poll() is not None:
            return
        helpers = [p for p in psutil.Process(self.process.pid).children()
                   if p.pid not in {s.pid for s in servers.values()}]  # fmt: skip
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for helper in helpers:
            try:
                helper.kill()
            except psutil.Error:
                continue

    def close(self) -> None:
        """Stop the hub and end every student server (and its kernels) it started."""
        self.stop()
        for pid in self.servers:
            try:
                server = psutil.Process(pid)
                for process in [*server.children(recursive=True), server]:
                    process.kill()
            except psutil.Error:
                continue
        # the kernels' ipc sockets (jupyterhub_config.py's JUPYTER_RUNTIME_DIR)
        shutil.rmtree(f"/tmp/cnnviz-hub-{self.port}", ignore_errors=True)
        # the students' memory cgroups (course_spawner.py), once their processes are gone
        found = memory_box.hub_folder(f"cnnviz-hub-{self.port}", create=False)
        for _ in range(50 if found else 0):
            memory_box.remove(found[1])
            if not found[1].exists():
                break
            time.sleep(0.1)
