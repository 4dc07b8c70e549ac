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

# --- Sizing, from bench/bench_hub.py (6 students, 2-core machine; docs/hub.md has the run) ---
# One student's single-user server + explorer kernel, resident memory after the first picture.
MEASURED_MB_PER_STUDENT = 190
# CPU seconds one student's arrival costs (server start, kernel start, first picture).
MEASURED_CPU_S_PER_STUDENT = 4.0
# The guarantee is what was measured; the limit leaves room for a student who opens the
# network page or a lesson in a second tab (a second kernel, ~100 MB), no more.
MEM_GUARANTEE_MB = MEASURED_MB_PER_STUDENT
MEM_LIMIT_MB = 2 * MEASURED_MB_PER_STUDENT + 100
# An idle explorer uses no CPU; a student playing the walk keeps about a tenth of a core busy.
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
