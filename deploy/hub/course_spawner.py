"""The local hub's spawner: SimpleLocalProcessSpawner, with each student held to a memory limit.

How the limit is held (a cgroup per student, or a per-process rlimit) is in memory_box.py.
"""

from __future__ import annotations

import contextlib

import memory_box
from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import Enum, Unicode


class CourseSpawner(SimpleLocalProcessSpawner):
    """One Jupyter server per student, in its own memory cgroup where the machine allows."""

    memory_group = Unicode(
        "cnnviz-hub", config=True, help="Name of the hub's cgroup folder of students' groups."
    )
    memory_hold = Enum(
        ["auto", "rlimit"], "auto", config=True,
        help="auto: a cgroup per student where one can be made, else a per-process rlimit; "
        "rlimit: the per-process rlimit only.",
    )  # fmt: skip

    @property
    def memory_limit_bytes(self) -> int:
        """JupyterHub's own ``Spawner.mem_limit`` (bytes; None or 0 is no limit): the one number
        both this spawner and Kubernetes' read."""
        return int(self.mem_limit or 0)

    def memory_box(self) -> tuple[str, object]:
        """How this student is held: ("cgroup v1" or "cgroup v2", their cgroup.procs file),
        ("rlimit", bytes), or ("none", None)."""
        if self.memory_limit_bytes <= 0:
            return "none", None
        found = memory_box.hub_folder(self.memory_group) if self.memory_hold == "auto" else None
        if found is not None:
            version, folder = found
            try:
                procs = memory_box.student_box(
                    version, folder, self.user.id, self.memory_limit_bytes
                )
                return f"cgroup {version}", procs
            except OSError:
                self.log.warning("no memory cgroup for %s in %s", self.user.name, folder)
        return "rlimit", self.memory_limit_bytes

    def make_preexec_fn(self, name):
        base = super().make_preexec_fn(name)
        hold, where = self.memory_box()
        self.log.info("memory limit for %s: %d bytes, held by %s", name,
                      self.memory_limit_bytes, hold)  # fmt: skip

        def preexec():
            base()
            # Errors here end the spawn (Popen raises): a server is never started unheld.
            if hold.startswith("cgroup"):
                memory_box.join_box(where)
            elif hold == "rlimit":
                memory_box.limit_this_process(where)

        return preexec

    async def stop(self, now=False):
        await super().stop(now=now)
        found = memory_box.hub_folder(self.memory_group, create=False)
        if found is not None:  # the student's group goes once their processes have
            with contextlib.suppress(OSError):
                (found[1] / f"student-{self.user.id}").rmdir()
