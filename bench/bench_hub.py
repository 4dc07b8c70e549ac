"""N students through the course's JupyterHub against the same N on plain Voila, in one run.

For each way of serving: one headless Chromium, a browser context per student (their own
cookies), the N pages asked one after another without waiting (a class arriving), then:

* seconds until every page shows the explorer's picture (and the slowest page),
* CPU seconds spent by the serving processes (hub, proxy, culler, students' servers, kernels;
  or Voila and its kernels) from the first request to the last picture, per student,
* resident memory (MB) per student after the last picture, and the fixed cost (hub + proxy),
* where the hub's extra cost goes: each student's own Jupyter server (its CPU and MB) against
  the kernel that both ways run.

    python bench/bench_hub.py              # 6 students
    python bench/bench_hub.py --students 3

The hub is ``make hub``'s configuration (deploy/hub/jupyterhub_config.py, workshop mode) on
loopback with its state in a temporary folder; Voila is ``make app``'s. Chromium runs on the
same cores, so the times are pessimistic for a real class (each student brings a laptop).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import psutil
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))
from hub_server import Hub  # noqa: E402
from servers import CHROMIUM, CHROMIUM_ARGS, start_voila, stop_voila, wait_for_picture  # noqa: E402

MB = 1024 * 1024


def _tree(root_pids) -> list[psutil.Process]:
    found = {}
    for pid in root_pids:
        try:
            process = psutil.Process(pid)
            for p in [process, *process.children(recursive=True)]:
                found[p.pid] = p
        except psutil.Error:
            continue
    return list(found.values())


def _cpu(processes) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        except psutil.Error:
            continue
    return total


def _rss(processes) -> float:
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            continue
    return total / MB


def _class_arrives(browser, url: str, students: int) -> tuple[float, list]:
    """Open ``students`` pages one after another: (seconds to the last picture, contexts)."""
    contexts = [browser.new_context(viewport={"width": 1366, "height": 768})
                for _ in range(students)]  # fmt: skip
    start = time.monotonic()
    pages = []
    for context in contexts:
        page = context.new_page()
        page.goto(url, wait_until="commit", timeout=300_000)
        pages.append(page)
    shown = []
    for page in pages:
        wait_for_picture(page, timeout=300_000)
        shown.append(time.monotonic() - start)
    return max(shown), contexts


def servers_pids(servers: dict) -> set[int]:
    return {process.pid for process in servers.values()}


def _run_hub(browser, students: int, state: Path) -> dict:
    hub = Hub(state)
    hub.start()
    try:
        base_cpu = _cpu(_tree([hub.process.pid]))
        fixed_mb = _rss(_tree([hub.process.pid]))
        seconds, contexts = _class_arrives(browser, hub.base + "/", students)
        servers = hub.student_servers()
        kernels = [k for name in servers for k in hub.kernels_of(name)]
        server_only = list(servers.values())
        total = _cpu(_tree([hub.process.pid, *(p.pid for p in server_only)])) - base_cpu
        hub_root = psutil.Process(hub.process.pid)
        hub_and_proxy = [hub_root, *hub_root.children()]
        hub_and_proxy = [p for p in hub_and_proxy if p.pid not in servers_pids(servers)]
        result = {
            "seconds": seconds,
            "cpu": total / students,
            "mb": (_rss(server_only) + _rss(kernels)) / students,
            "server_cpu": _cpu(server_only) / students,
            "server_mb": _rss(server_only) / students,
            "kernel_cpu": _cpu(kernels) / students,
            "kernel_mb": _rss(kernels) / students,
            "hub_cpu": (total - _cpu(server_only) - _cpu(kernels)) / students,
            "fixed_mb": _rss(hub_and_proxy),
            "fixed_mb_before": fixed_mb,
        }
        for context in contexts:
            context.close()
        return result
    finally:
        hub.close()


def _run_voila(browser, students: int, log: Path) -> dict:
    process, base = start_voila(log)
    try:
        server = psutil.Process(process.pid)
        base_cpu, fixed_mb = _cpu([server]), _rss([server])
        seconds, contexts = _class_arrives(browser, f"{base}/voila/render/explorer.ipynb", students)
        kernels = server.children(recursive=True)
        result = {
            "seconds": seconds,
            "cpu": (_cpu([server, *kernels]) - base_cpu) / students,
            "mb": (_rss([server]) - fixed_mb + _rss(kernels)) / students,
            "kernel_cpu": _cpu(kernels) / students,
            "kernel_mb": _rss(kernels) / students,
            "fixed_mb": fixed_mb,
        }
        for context in contexts:
            context.close()
        return result
    finally:
        stop_voila(process)


def _report(students: int, hub: dict, voila: dict, load: float) -> str:
    lines = [
        f"{students} students, one after another, load average before {load:.1f}"
        f" ({os.cpu_count()} cores; Chromium on the same machine)",
        f"{'':14}{'all pictures':>14}{'CPU s/student':>15}{'MB/student':>12}{'fixed MB':>10}",
    ]
    for name, r in (("hub", hub), ("plain Voila", voila)):
        lines.append(
            f"{name:14}{r['seconds']:>12.1f} s{r['cpu']:>15.2f}{r['mb']:>12.0f}"
            f"{r['fixed_mb']:>10.0f}"
        )
    lines += [
        "where the hub's extra cost goes (per student):",
        f"  own Jupyter server: {hub['server_cpu']:.2f} CPU s, {hub['server_mb']:.0f} MB",
        f"  explorer kernel:    {hub['kernel_cpu']:.2f} CPU s, {hub['kernel_mb']:.0f} MB"
        f" (plain Voila: {voila['kernel_cpu']:.2f} CPU s, {voila['kernel_mb']:.0f} MB)",
        f"  hub + proxy (login, spawn, OAuth, routes): {hub['hub_cpu']:.2f} CPU s",
        f"  time ratio hub / plain Voila: {hub['seconds'] / voila['seconds']:.2f}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=6)
    args = parser.parse_args(argv)
    if not 1 <= args.students <= 60:
        parser.error("--students must be 1..60")
    options = {"args": CHROMIUM_ARGS, "headless": True}
    if Path(CHROMIUM).exists():
        options["executable_path"] = CHROMIUM
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="cnnviz-bench-hub-") as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(**options)
        hub = _run_hub(browser, args.students, Path(tmp) / "hub")
        voila = _run_voila(browser, args.students, Path(tmp) / "voila.log")
        browser.close()
    print(_report(args.students, hub, voila, load))
    return 0


if __name__ == "__main__":
    sys.exit(main())
