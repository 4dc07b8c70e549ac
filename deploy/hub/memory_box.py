"""Each student's memory limit on the local hub (``make hub``), held by the kernel, not advised.

Where the machine lets the hub make control groups (root with a writable ``/sys/fs/cgroup``:
cgroup v1's memory tree or cgroup v2 with its memory controller), every student gets one
cgroup, ``cnnviz-hub-<port>/student-<id>``, whose limit is ``hub_settings.MEM_LIMIT_MB``; their
server joins it before it starts, so its kernels (its children) are in it too, and the limit
holds for the server and all its kernels together. When the group fills, the kernel's
out-of-memory killer ends the largest process in it (the kernel that allocated), not a
process of another student.

Where no cgroup can be made (an unprivileged user, a container with a read-only cgroup
mount), the fallback is a per-process limit: ``RLIMIT_DATA`` (a process's writable private
memory, which is what a NumPy array takes) set to the same number, inherited by the server's
kernels. Each process is then held on its own, so a student with two kernels may use twice it;
an allocation past it raises MemoryError in that kernel instead of ending it.
"""

from __future__ import annotations

import contextlib
import os
import resource
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
# The file that holds a group's limit, by cgroup version, and the one that holds its swap.
LIMIT_FILE = {"v1": "memory.limit_in_bytes", "v2": "memory.max"}
SWAP_FILE = {"v1": "memory.memsw.limit_in_bytes", "v2": "memory.swap.max"}


def own_cgroups(proc_cgroup: str) -> dict[str, str]:
    """The hub's cgroup paths by controller, from the text of ``/proc/self/cgroup``.

    cgroup v2's single line (``0::/path``) is under the key ``""``.
    """
    found = {}
    for line in proc_cgroup.splitlines():
        if line.count(":") >= 2:
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(","):
                found[controller] = path
    return found


def hub_folder(
    name: str, root: Path = CGROUP_ROOT, proc_cgroup: str | None = None, create: bool = True
) -> tuple[str, Path] | None:
    """The hub's memory cgroup folder ``name`` and its cgroup version ("v1" or "v2").

    cgroup v1: a child of the hub's own group in the memory tree. cgroup v2: a sibling of the
    hub's own group (a v2 group that holds processes cannot give its children a memory
    controller), with the memory controller passed on to the students' groups inside it.
    ``None`` when no such folder can be made (or, with ``create=False``, none exists).
    """
    if proc_cgroup is None:
        proc_cgroup = Path("/proc/self/cgroup").read_text(encoding="utf-8")
    own = own_cgroups(proc_cgroup)
    if "memory" in own:
        candidates = [("v1", root / "memory" / own["memory"].lstrip("/"))]
    elif "" in own:
        mine = root / own[""].lstrip("/")
        candidates = [("v2", mine.parent), ("v2", mine)] if own[""] != "/" else [("v2", mine)]
    else:
        return None
    for version, parent in candidates:
        folder = parent / name
        try:
            if create:
                folder.mkdir(exist_ok=True)
            if not (folder / LIMIT_FILE[version]).exists():
                raise OSError(f"no memory controller in {folder}")
            if version == "v2" and create:
                (folder / "cgroup.subtree_control").write_text("+memory", encoding="ascii")
            return version, folder
        except OSError:
            if create:
                with contextlib.suppress(OSError):
                    folder.rmdir()
    return None


def student_box(version: str, folder: Path, user_id: int, limit_bytes: int) -> Path:
    """Make (or find again) a student's cgroup in ``folder`` with ``limit_bytes`` of memory,
    swap included; returns the ``cgroup.procs`` file a process writes its pid to to join it."""
    box = folder / f"student-{user_id}"
    box.mkdir(exist_ok=True)
    if not (box / LIMIT_FILE[version]).exists():
        raise OSError(f"{box} has no memory controller")
    (box / LIMIT_FILE[version]).write_text(str(limit_bytes), encoding="ascii")
    # No swapping past the limit either (where swap is accounted; v1 needs memory+swap >= memory)
    swap = str(limit_bytes if version == "v1" else 0)
    with contextlib.suppress(OSError):
        (box / SWAP_FILE[version]).write_text(swap, encoding="ascii")
    return box / "cgroup.procs"


def join_box(procs: Path) -> None:
    """Move the calling process into the cgroup whose ``cgroup.procs`` is ``procs`` (called in
    the new server's process before it starts: its kernels, its children, follow it)."""
    with open(procs, "w", encoding="ascii") as out:
        out.write(str(os.getpid()))


def limit_this_process(limit_bytes: int) -> None:
    """The fallback: hold the calling process (and the processes it starts) to ``limit_bytes``
    of writable private memory each."""
    resource.setrlimit(resource.RLIMIT_DATA, (limit_bytes, limit_bytes))


def remove(folder: Path) -> None:
    """Remove the students' groups in ``folder`` and ``folder`` itself, where they are empty."""
    for box in folder.glob("student-*"):
        with contextlib.suppress(OSError):
            box.rmdir()
    with contextlib.suppress(OSError):
        folder.rmdir()
