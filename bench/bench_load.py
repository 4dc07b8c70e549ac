"""A class opens the explorer at the same minute: how long until every student sees a figure,
and how much memory each student costs.

Starts Voila on a free port with the project's settings (cnnviz/serve/settings.py, as
``make app`` does), opens N pages at once in one headless Chromium (one browser context per
student, so nothing is shared between them), and reports, for each N:

* seconds from "all pages asked" until each page shows its figure (min / median / max),
* memory: the Voila server and all its kernels (RSS and USS, via psutil), before and after,
  and the increase divided by N — the cost of one student,
* how many kernels were running,
* CPU seconds per student spent by the server and kernels, and by Chromium: these do not
  depend on what else the machine is doing, unlike the times,
* the load average just before the class arrived (other work skews the times).

    python bench/bench_load.py                       # N = 5, 10, 20
    python bench/bench_load.py --students 1 --repeat 5 --preheat 0   # first figure, cold
    python bench/bench_load.py --students 1 --repeat 5 --preheat 2   # ... with preheated kernels
    python bench/bench_load.py --students 10 --preheat 20            # a class on a warm pool

The browser runs on the same machine as the server, so the times include Chromium's own
work on the same cores: a real class's laptops each bring their own CPU, so this is a
pessimistic measure for the server. Failed pages leave a screenshot in bench/out/.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
# What "the page shows its figure" means: the explorer's canvas (or, with --selector, an
# Image widget of another page) holds a real picture, not just an empty placeholder.
DEFAULT_SELECTOR = "canvas.cnnviz-frame"
_FIGURE_SHOWN = """selector => [...document.querySelectorAll(selector)].some(el =>
    el.offsetParent !== null && (el.tagName === 'CANVAS' ? !!el.dataset.picture && el.width > 100
    : el.complete && el.naturalWidth > 100))"""
WIDGET_VIEW = b"application/vnd.jupyter.widget-view+json"  # a widget's output in the page
OUT = ROOT / "bench" / "out"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_voila(port: int, *, preheat: int, notebook: str) -> subprocess.Popen:
    """Voila as ``make app`` starts it, optionally with a pool of preheated kernels."""
    command = [
        sys.executable, "-m", "voila", notebook, "--no-browser", f"--port={port}",
        "--Voila.ip=127.0.0.1", f"--Voila.config_file_paths=['{ROOT / 'deploy'}']",
    ]
    if preheat:
        command += ["--preheat_kernel=True", f"--pool_size={preheat}"]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    log = open(OUT / f"voila-{port}.log", "w")  # noqa: SIM115 - kept open
    process = subprocess.Popen(
        command, cwd=ROOT / "notebooks", env=env, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/kernelspecs", timeout=2)
            return process
        except urllib.error.HTTPError:  # any answer means the server is up
            return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"Voila did not answer on port {port} within 60 s")


def wait_for_pool(server: psutil.Process, size: int, timeout: float = 240) -> None:
    """Wait until the preheated kernels exist and have gone quiet (their notebook ran)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kernels = _kernels(server)
        if len(kernels) >= size and sum(k.cpu_percent(interval=0.5) for k in kernels) < 10:
            return
        time.sleep(1)
    raise RuntimeError(f"the pool of {size} preheated kernels did not settle in {timeout} s")


def _kernels(server: psutil.Process) -> list[psutil.Process]:
    return [p for p in server.children(recursive=True) if "ipykernel" in " ".join(p.cmdline())]


def _cpu_seconds(server: psutil.Process) -> dict[int, float]:
    """pid -> user + system CPU seconds, for the server and every process under it."""
    seconds = {}
    for process in [server, *server.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        seconds[process.pid] = times.user + times.system
    return seconds


def memory(server: psutil.Process) -> dict[str, float]:
    """MB of RSS and USS: the server process alone, and everything under it (the kernels)."""
    totals = {"server_rss": 0.0, "server_uss": 0.0, "kernels_rss": 0.0, "kernels_uss": 0.0}
    for process in [server, *server.children(recursive=True)]:
        try:
            info = process.memory_full_info()
        except psutil.Error:
            continue
        who = "server" if process.pid == server.pid else "kernels"
        totals[f"{who}_rss"] += info.rss / 2**20
        totals[f"{who}_uss"] += info.uss / 2**20
    totals["kernels"] = len(_kernels(server))
    return totals


def _browser_cpu_seconds(server_pid: int) -> float:
    """CPU seconds of this process's children outside the Voila server: Chromium and driver."""
    total = 0.0
    for process in psutil.Process().children(recursive=True):
        try:
            if process.pid == server_pid or server_pid in [p.pid for p in process.parents()]:
                continue
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


async def open_class(
    url: str, students: int, selector: str, timeout: float, server_pid: int
) -> tuple[list[float], float]:
    """Open ``students`` pages at once: seconds until each shows its figure (inf if never),
    and the CPU seconds the browser spent."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        contexts = [await browser.new_context() for _ in range(students)]
        pages = [await context.new_page() for context in contexts]
        start = time.monotonic()

        async def one(number: int, page) -> float:
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            try:
                await page.goto(url, wait_until="commit", timeout=timeout * 1000)
                await page.wait_for_function(
                    _FIGURE_SHOWN, arg=selector, timeout=timeout * 1000, polling=100
                )
                return time.monotonic() - start
            except Exception as error:  # noqa: BLE001 - a page that never shows is a failure
                shot = OUT / f"failed-{os.getpid()}-{number}.png"
                state = "unknown"
                try:
                    await page.screenshot(path=str(shot), full_page=True)
                    state = await page.evaluate(
                        "() => document.readyState + ', ' + document.body.innerText.length"
                        " + ' chars, '"
                        " + document.querySelectorAll('.widget-image, .cnnviz-frame').length"
                        " + ' images'"
                    )
                except Exception:  # noqa: BLE001 - diagnostics only
                    pass
                print(
                    f"  page {number} failed ({state}): {str(error)[:120]}; {errors[:3]}; "
                    f"see {shot}",
                    file=sys.stderr,
                )
                return float("inf")

        times = await asyncio.gather(*(one(n, page) for n, page in enumerate(pages)))
        browser_cpu = _browser_cpu_seconds(server_pid)
        for context in contexts:
            await context.close()
        await browser.close()
        return list(times), browser_cpu


# With preheating, Voila runs the notebook before anyone asks; the page must then wait for the
# request (voila.utils.wait_for_request()) before reading its query string, which reaches the
# kernel as the QUERY_STRING environment variable. explorer.ipynb does not (the settings
# leaves preheating off, see bench/README.md), so the bench measures this copy instead.
PREHEAT_SOURCE = """import os
from cnnviz.explorer.app import explorer_page
if os.environ.get("VOILA_PREHEAT", "False") != "False":
    from voila.utils import wait_for_request  # importing voila costs ~1 s: only when preheated
    wait_for_request()
explorer_page()"""


def preheat_notebook() -> str:
    """A copy of the explorer page that waits for its request; returns its path."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(PREHEAT_SOURCE)]
    path = OUT / "explorer_preheat.ipynb"
    nbformat.write(notebook, path)
    return str(path)


def fetch_class(url: str, students: int, timeout: float) -> tuple[list[float], float]:
    """The server's share alone: N plain HTTP requests at once, seconds until each full page
    (the notebook executed in its kernel, the figure in the widget state) has arrived.
    No browser, so no browser CPU."""
    from concurrent.futures import ThreadPoolExecutor, wait

    start = time.monotonic()

    def one(_: int) -> float:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                body = response.read()
            # Voila streams the page and ends it after the last cell; with tracebacks hidden,
            # a failed cell says "There was an error". A complete page holds the explorer's
            # widget view: when the executor drops a busy kernel's outputs (iopub_timeout),
            # the page arrives with the title and intro only, and stays blank in a browser.
            if b"There was an error" in body or WIDGET_VIEW not in body:
                return float("inf")
            return time.monotonic() - start
        except OSError:
            return float("inf")

    # A page whose kernel never started never ends: give up on it at the timeout instead of
    # waiting for it (urlopen's timeout is per read, and such a page sends nothing at all).
    pool = ThreadPoolExecutor(max_workers=students)
    futures = [pool.submit(one, n) for n in range(students)]
    wait(futures, timeout=timeout)
    pool.shutdown(wait=False, cancel_futures=True)
    return [f.result() if f.done() else float("inf") for f in futures], 0.0


def run_once(args: argparse.Namespace, students: int) -> dict[str, object]:
    # as `make app` serves it: cnnviz compiled once (this machine's shells set
    # PYTHONDONTWRITEBYTECODE, so otherwise every kernel compiles it again)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "cnnviz")], check=True)
    port = free_port()
    notebook = args.notebook
    if args.preheat and notebook == "explorer.ipynb":
        notebook = preheat_notebook()
    server = start_voila(port, preheat=args.preheat, notebook=notebook)
    try:
        process = psutil.Process(server.pid)
        if args.preheat:
            wait_for_pool(process, args.preheat)
        before = memory(process)
        load_before = os.getloadavg()[0]  # other work on the machine skews the times
        cpu_before = _cpu_seconds(process)
        url = f"http://127.0.0.1:{port}/{args.query}"
        if args.http_only:
            times, browser_cpu = fetch_class(url, students, args.timeout)
        else:
            times, browser_cpu = asyncio.run(
                open_class(url, students, args.selector, args.timeout, server.pid)
            )
        time.sleep(1)  # let the kernels finish what the page asked of them
        after = memory(process)
        cpu_after = _cpu_seconds(process)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    shown = [t for t in times if t != float("inf")]
    return {
        "students": students,
        "preheat": args.preheat,
        "shown": len(shown),
        "min": min(shown, default=float("nan")),
        "median": statistics.median(shown) if shown else float("nan"),
        "max": max(times),
        "server_mb": after["server_rss"],
        "total_rss_mb": after["server_rss"] + after["kernels_rss"],
        # Everything the class added: the server's growth and every kernel (with preheating,
        # the refilled pool's kernels too, which the next students would use).
        "rss_per_student_mb": (
            after["server_rss"] - before["server_rss"] + after["kernels_rss"]
        ) / students,
        "uss_per_student_mb": (
            after["server_uss"] - before["server_uss"] + after["kernels_uss"]
        ) / students,
        "kernels": after["kernels"],
        "load_before": load_before,
        "browser_cpu_per_student_s": browser_cpu / students,
        # CPU the server and kernels spent while the class opened the page, per student: the
        # measure that does not depend on what else the machine is doing.
        "cpu_per_student_s": sum(
            cpu_after[pid] - cpu_before.get(pid, 0.0) for pid in cpu_after
        ) / students,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--preheat", type=int, default=0, help="pool size; 0 = no preheating")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--notebook", default="explorer.ipynb")
    parser.add_argument("--query", default="", help="e.g. '?preset=stride-2'")
    parser.add_argument("--selector", default=DEFAULT_SELECTOR)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument(
        "--http-only", action="store_true",
        help="no browser: time until each page's HTML has fully arrived (the server's share)",
    )
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    print(
        "students preheat shown  first  median   last  server MB  total RSS MB"
        "  RSS/student  USS/student  kernels  CPU s/student  browser CPU s/student"
        "  load before"
    )
    for students in args.students:
        for _ in range(args.repeat):
            r = run_once(args, students)
            print(
                f"{r['students']:>8} {r['preheat']:>7} {r['shown']:>5} {r['min']:>6.1f} "
                f"{r['median']:>7.1f} {r['max']:>6.1f} {r['server_mb']:>10.0f} "
                f"{r['total_rss_mb']:>13.0f} {r['rss_per_student_mb']:>12.0f} "
                f"{r['uss_per_student_mb']:>12.0f} {r['kernels']:>8} "
                f"{r['cpu_per_student_s']:>14.2f} {r['browser_cpu_per_student_s']:>22.2f} "
                f"{r['load_before']:>12.1f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
