"""The course's JupyterHub on one machine (``make hub``): every student gets their own server.

Read by ``jupyterhub -f deploy/hub/jupyterhub_config.py``. The sizes and culling come from
hub_settings.py, the students' Voila settings from cnnviz/serve/settings.py (through
singleuser/jupyter_server_config.py); what changes per run comes from the environment
(``make hub`` sets these):

=========================  ==================================================================
CNNVIZ_HUB_IP              address the class opens (127.0.0.1; ``HOST=0.0.0.0`` for a room)
CNNVIZ_HUB_PORT            its port (8000); the hub's API and the proxy's API take the next two
CNNVIZ_HUB_STATE           folder for the database, cookie secret and pid files (.hub/)
CNNVIZ_HUB_AUTH            ``workshop`` (the link is enough) or ``password`` (a class password)
CNNVIZ_CLASS_PASSWORD      the students' password in ``password`` mode (8 characters or more)
CNNVIZ_TEACHER_PASSWORD    the teacher's (32 characters or more); unset: one is made and
                           written to CNNVIZ_HUB_STATE/teacher-password
CNNVIZ_HUB_MEMORY          ``auto`` (a memory cgroup per student where one can be made, else a
                           per-process rlimit) or ``rlimit`` (only the per-process one)
=========================  ==================================================================
"""

import os
import secrets
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import hub_settings as hs  # noqa: E402

c = get_config()  # noqa: F821  (provided by JupyterHub when it reads this file)

env = os.environ.get
state = Path(env("CNNVIZ_HUB_STATE", str(hs.ROOT / ".hub"))).resolve()
state.mkdir(parents=True, exist_ok=True)
port = int(env("CNNVIZ_HUB_PORT", "8000"))

# --- Where it listens; its state stays out of the repository's files ---
c.JupyterHub.ip = env("CNNVIZ_HUB_IP", "127.0.0.1")
c.JupyterHub.port = port
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(env("CNNVIZ_HUB_API_PORT", str(port + 1)))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env('CNNVIZ_PROXY_API_PORT', port + 2)}"
c.ConfigurableHTTPProxy.command = [str(HERE / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
# A restarted hub finds the students' servers still running and keeps them.
c.JupyterHub.cleanup_servers = False

# --- Each student's own server: the explorer, with the course's Voila settings ---
from course_spawner import CourseSpawner  # noqa: E402

# SimpleLocalProcessSpawner (no system users needed) holding each student to MEM_LIMIT_MB
c.JupyterHub.spawner_class = CourseSpawner
c.SimpleLocalProcessSpawner.home_dir_template = str(state / "homes" / "{username}")
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.notebook_dir = str(hs.ROOT)  # the repository, as on Binder
c.Spawner.default_url = hs.DEFAULT_URL
if os.geteuid() == 0:  # CI and containers run as root: the spawned servers do too
    c.Spawner.args = ["--ServerApp.allow_root=True"]
c.Spawner.environment = {
    # Voila's settings (cnnviz/serve/settings.py) through singleuser/jupyter_server_config.py
    "JUPYTER_CONFIG_PATH": str(hs.SINGLEUSER_CONFIG),
    "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    # Kernels talk over ipc sockets, whose paths must stay under 107 characters: the default
    # (inside the home folder, named by a 36-character temporary user name) is too long.
    "JUPYTER_RUNTIME_DIR": lambda spawner: f"/tmp/cnnviz-hub-{port}/{spawner.user.id}",
}  # fmt: skip
# The memory limit is held by the machine: a cgroup per student (server and kernels together)
# where the hub can make one, else a per-process RLIMIT_DATA (memory_box.py says which and
# why); CNNVIZ_HUB_MEMORY=rlimit asks for the per-process one. Kubernetes holds the same
# numbers (deploy/k8s/values.yaml). CPU limits are held only there. The limit held is
# Spawner.mem_limit below.
c.CourseSpawner.memory_group = f"cnnviz-hub-{port}"
c.CourseSpawner.memory_hold = env("CNNVIZ_HUB_MEMORY", "auto")
c.Spawner.mem_guarantee = f"{hs.MEM_GUARANTEE_MB}M"
c.Spawner.mem_limit = f"{hs.MEM_LIMIT_MB}M"
c.Spawner.cpu_guarantee = hs.CPU_GUARANTEE
c.Spawner.cpu_limit = hs.CPU_LIMIT
c.Spawner.start_timeout = 120  # a class arriving together on two cores
c.Spawner.http_timeout = 120
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 0}  # wait for the server, no interim page

# --- jupyterhub-idle-culler: a closed laptop frees its seat ---
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [
            sys.executable, "-m", "jupyterhub_idle_culler",
            f"--timeout={hs.CULL_TIMEOUT_S}", f"--cull-every={hs.CULL_EVERY_S}",
            f"--max-age={hs.CULL_MAX_AGE_S}",
        ],
    }
]  # fmt: skip
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }
]

# --- Logging in ---
teacher_password = env("CNNVIZ_TEACHER_PASSWORD", "")
if not teacher_password:
    saved = state / "teacher-password"
    if not saved.exists():
        saved.touch(mode=0o600)
        saved.write_text(secrets.token_urlsafe(32) + "\n", encoding="utf-8")
    teacher_password = saved.read_text(encoding="utf-8").strip()
teacher = env("CNNVIZ_TEACHER", "teacher")
c.Authenticator.admin_users = {teacher}
c.Authenticator.allow_all = True
if env("CNNVIZ_HUB_AUTH", "workshop") == "password":
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = env("CNNVIZ_CLASS_PASSWORD", "")
    c.SharedPasswordAuthenticator.admin_password = teacher_password
else:
    from course_auth import WorkshopAuthenticator

    c.JupyterHub.authenticator_class = WorkshopAuthenticator
    c.WorkshopAuthenticator.teacher_name = teacher
    c.WorkshopAuthenticator.teacher_password = teacher_password
