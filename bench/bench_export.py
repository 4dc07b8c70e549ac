"""Export memory against frame count: the command line's peak RSS and time, and the page's button.

Issue 14's targets: a 1,000-frame GIF peaks at <= 500 MB RSS and finishes in <= 120 s; Export
GIF in the page costs <= 150 MB above the kernel's baseline and the memory is given back.

1. ``python -m cnnviz export`` of the issue's scenario (depth 10, 4 filters, 16x16 input,
   padding 3, stride 1: 1,600 scatter steps) at 50, 200 and 1,000 frames, each in a fresh child
   process; its peak RSS comes from ``os.wait4`` (the kernel's own count, nothing sampled).
2. The explorer's Export GIF button on the default preset, in a child that plays the kernel: RSS
   before, the peak during the click (sampled every 2 ms), and RSS after.

Run: ``.venv/bin/python bench/bench_export.py [--frames 50 200 1000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1",
       "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}  # one BLAS thread: see README.md
SCENARIO = ["--depth", "10", "--filters", "4", "--input-height", "16", "--input-width", "16",
            "--padding", "3", "--stride", "1"]
CLI_PEAK_MB, CLI_SECONDS, PAGE_MB = 500, 120, 150

PAGE_CHILD = r"""
import gc, json, threading, time
import psutil
from cnnviz.explorer.app import Explorer
process = psutil.Process()
page = Explorer()
page.export.click()  # a first export: imports and caches that every later click reuses
gc.collect(); time.sleep(0.5)
before = process.memory_info().rss
peak, running = [before], True
def sample():
    while running:
        peak[0] = max(peak[0], process.memory_info().rss)
        time.sleep(0.002)
watcher = threading.Thread(target=sample); watcher.start()
started = time.perf_counter()
page.export.click()
seconds = time.perf_counter() - started
running = False; watcher.join()
gc.collect(); time.sleep(0.5)
after = process.memory_info().rss
print(json.dumps({"before": before, "peak": peak[0], "after": after, "seconds": seconds,
                  "download": page.download.value[:80]}))
"""


def cli_run(frames: int, folder: str) -> tuple[float, float, int]:
    """(peak RSS in MB, seconds, GIF size in KB) of one export in a fresh process."""
    out = Path(folder) / f"long-{frames}.gif"
    argv = [sys.executable, "-m", "cnnviz", "export", *SCENARIO, "--max-frames", str(frames),
            "--out", str(out), "--quiet"]
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"export failed: {child.stderr.read().decode()}")
    child.returncode = 0  # already reaped by wait4
    return usage.ru_maxrss / 1024, seconds, out.stat().st_size // 1024  # ru_maxrss is in KB


def page_run() -> dict:
    result = subprocess.run([sys.executable, "-c", PAGE_CHILD], env=ENV, capture_output=True,
                            text=True, check=True, timeout=600)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, nargs="+", default=[50, 200, 1000])
    parser.add_argument("--no-page", action="store_true", help="skip the explorer's button")
    args = parser.parse_args()
    print(f"load average: {open('/proc/loadavg').read().split()[:3]}, cores: {os.cpu_count()}")
    print("python -m cnnviz export " + " ".join(SCENARIO) + " --max-frames N --out long.gif")
    print(f"{'frames':>7} {'peak RSS MB':>12} {'seconds':>8} {'ms/frame':>9} {'GIF KB':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for frames in args.frames:
            peak, seconds, size = cli_run(frames, folder)
            print(f"{frames:>7} {peak:>12.0f} {seconds:>8.1f} {1000 * seconds / frames:>9.1f} "
                  f"{size:>8}", flush=True)
    if 1000 in args.frames:
        print(f"1000 frames: peak {peak:.0f} MB = {peak / CLI_PEAK_MB:.2f} of the "
              f"{CLI_PEAK_MB} MB target; {seconds:.1f} s = {seconds / CLI_SECONDS:.2f} of the "
              f"{CLI_SECONDS} s target")
    if not args.no_page:
        page = page_run()
        mb = {key: page[key] / 2**20 for key in ("before", "peak", "after")}
        print(f"Export GIF in the page (default preset): kernel {mb['before']:.0f} MB before, "
              f"peak {mb['peak']:.0f} MB (+{mb['peak'] - mb['before']:.0f} MB, "
              f"{(mb['peak'] - mb['before']) / PAGE_MB:.2f} of the {PAGE_MB} MB target), "
              f"{mb['after']:.0f} MB after ({mb['after'] - mb['before']:+.0f} MB kept), "
              f"{page['seconds']:.1f} s")
        print(f"  the page shows: {page['download']}")
    print(f"load average after: {open('/proc/loadavg').read().split()[:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
