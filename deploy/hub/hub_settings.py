"""What the course's JupyterHub serves, computed once for the local hub, its tests and the bench.

``deploy/hub/jupyterhub_config.py`` applies these to JupyterHub; ``deploy/k8s/values.yaml``
carries the same numbers for Zero to JupyterHub (tests/test_hub_config.py compares the two).

The single-user server's Voila settings are not written here: each student's server reads
``deploy/hub/singleuser/jupyter_server_config.py``, which takes them from
``cnnviz/serve/settings.py`` (what ``make app`` and Binder read), so the ways of serving cannot
drift.
"""

from __future__ import annotations

import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The folder a student's server takes its configuration from (on its JUPYTER_CONFIG_PATH).
SINGLEUSER_CONFIG = Path(__file__).resolve().parent / "singleuser"
# Where a student lands: the explorer, rendered by the Voila extension of their own server. The
# server's root is the repository, as on Binder, so the path is Binder's urlpath too.
DEFAULT_URL = "/voila/render/notebooks/explorer.ipynb"

# --- Sizing, measured by bench/bench_hub.py (6 students, 2 cores; the run is in docs/hub.md) ---
# Per student, resident memory after the first picture: their own Jupyter server with Voila's
# extension (175 MB) and the explorer's kernel (89 MB). Plain Voila shares one server: 92 MB.
MEASURED_MB_PER_STUDENT = 264
VOILA_MB_PER_STUDENT = 92
# CPU seconds one student's arrival costs (login, server start, kernel start, first picture):
# the server's start is most of it (3.85 s); the kernel 0.69 s, hub and proxy 0.43 s.
MEASURED_CPU_S_PER_STUDENT = 4.97
VOILA_CPU_S_PER_STUDENT = 0.99
# The guarantee is what was measured; the limit doubles it: room for a second page (a lesson or
# the network page in another tab, its own kernel), not for a runaway.
MEM_GUARANTEE_MB = MEASURED_MB_PER_STUDENT
MEM_LIMIT_MB = 2 * MEASURED_MB_PER_STUDENT
# An idle explorer uses no CPU; a tenth of a core each keeps a class that plays the walk
# responsive, and a whole core lets one student's start take the machine's spare time.
CPU_GUARANTEE = 0.1
CPU_LIMIT = 1.0

# --- Culling: a closed laptop frees its seat ---
CULL_TIMEOUT_S = 3600  # a server idle this long is stopped by jupyterhub-idle-culler
CULL_EVERY_S = 300
CULL_MAX_AGE_S = 0  # no cap on a working student's session


def students_per_node(node_cores: float, node_gb: float, reserved_gb: float = 1.0) -> int:
    """How many students a Kubernetes node of ``node_cores`` and ``node_gb`` holds.

    Memory guarantees bound it (the scheduler places pods by their requests); ``reserved_gb``
    stays for the node's own daemons. CPU guarantees bound it too, though far later.
    """
    for name, value in (("node_cores", node_cores), ("node_gb", node_gb)):
        if not value > 0:
            raise ValueError(f"{name} must be positive; got {value!r}")
    by_memory = math.floor((node_gb - reserved_gb) * 1024 / MEM_GUARANTEE_MB)
    by_cpu = math.floor(node_cores / CPU_GUARANTEE)
    return max(0, min(by_memory, by_cpu))


def sizing_rows() -> list[tuple[str, str, str]]:
    """The sizing table of docs/hub.md: (way of serving, students arriving per core-minute,
    students per GB), from the measured cost per student."""
    rows = []
    for name, cpu_s, mb in (("JupyterHub (a server each)", MEASURED_CPU_S_PER_STUDENT,
                             MEASURED_MB_PER_STUDENT),
                            ("plain Voila (make app)", VOILA_CPU_S_PER_STUDENT,
                             VOILA_MB_PER_STUDENT)):  # fmt: skip
        rows.append((name, f"{60 / cpu_s:.0f}", f"{1024 / mb:.1f}"))
    return rows
