"""The core at impossible and very large sizes: the size guard's answers, and memory kept.

Issue 14 found: a 10^5 x 10^5 (broadcast) input failed with numpy's "Unable to allocate 671
GiB"; ``padding=10**6`` with "262 TiB"; ``stride=10**30`` with an OverflowError naming nothing;
the index cache kept about 575 MB per 2048 x 2048 size it had seen (up to 64 sizes); a 4096 x
4096 input needed 3.6 GB and 11 s. This prints, for each, what happens now: the message and how
long it took to say it, then RSS over a session of large sizes, and the 4096 x 4096 passes.

Run: ``.venv/bin/python bench/bench_sizes.py``.
"""

from __future__ import annotations

import os

# One BLAS thread, set before numpy loads its BLAS: two stall small matrix products (README.md).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import gc  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import psutil  # noqa: E402

from cnnviz import conv2d, conv2d_backward  # noqa: E402
from cnnviz.core import budget  # noqa: E402

W = np.ones((1, 1, 3, 3))
REFUSED = {
    "10^5 x 10^5 broadcast input": lambda: conv2d(
        np.broadcast_to(np.float64(1), (1, 1, 10**5, 10**5)), W),
    "padding=10**6": lambda: conv2d(np.ones((1, 1, 5, 5)), W, padding=10**6),
    "stride=10**30": lambda: conv2d(np.ones((1, 1, 5, 5)), W, stride=10**30),
    "4096 x 4096 backward": lambda: conv2d_backward(  # broadcast: no time spent making data
        np.broadcast_to(1.0, (1, 1, 4096, 4096)), np.broadcast_to(1.0, (1, 1, 4096, 4096)), W,
        padding=1),
}  # fmt: skip


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def main() -> int:
    print(f"load average: {open('/proc/loadavg').read().split()[:3]}, cores: {os.cpu_count()}")
    for name, call in REFUSED.items():
        started = time.perf_counter()
        try:
            call()
            answer = "ran"
        except ValueError as error:
            answer = f"ValueError: {error}"
        print(f"{name}: {1000 * (time.perf_counter() - started):.1f} ms -> {answer[:150]}")
    print(f"session of large sizes (conv2d + conv2d_backward, 1 channel, 3x3, padding 1); "
          f"RSS at start {rss_mb():.0f} MB")
    for side in (2048, 2040, 2032, 2024, 2016, 1536, 1024):
        x = np.ones((1, 1, side, side))
        started = time.perf_counter()
        z = conv2d(x, W, padding=1)
        conv2d_backward(np.ones_like(z), x, W, padding=1)
        seconds = time.perf_counter() - started
        del x, z
        gc.collect()
        print(f"  {side} x {side}: {seconds:.2f} s, RSS after {rss_mb():.0f} MB, plans cached "
              f"{len(budget._plans)} holding at most {budget.cached_bytes() / 2**20:.1f} MiB")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    conv2d(np.ones((1, 1, 4096, 4096)), W, padding=1)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"4096 x 4096 conv2d: {seconds:.2f} s, process peak RSS {peak:.0f} MB "
          f"(its peak before this pass: {before:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
