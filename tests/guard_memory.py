"""Run in a child process by tests/test_guard_memory.py: peak memory of each conv route.

For each case it prints one JSON line: the route, the sizes, the guard's estimate in bytes and
the measured peak (the process's peak resident set, reset with ``/proc/self/clear_refs`` just
before the call, minus what was resident then). The allocator is told to give every large
block back at once (``MALLOC_MMAP_THRESHOLD_``, set by the caller), so one case's freed arrays
do not hide or inflate the next one's.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from cnnviz.core import arrays, conv
from cnnviz.core.budget import plan_for

# (name, direction, N, C, K, H, W, kernel, stride, padding): the routes, each at two sizes
CASES = [
    ("forward stride 1, 1x1", "forward", 1, 1, 1, 3000, 3000, 1, 1, 0),
    ("forward stride 1, 1x1", "forward", 16, 4, 4, 500, 500, 1, 1, 0),
    ("forward stride 1, 3x3", "forward", 1, 1, 1, 1800, 1800, 3, 1, 1),
    ("forward stride 1, 3x3", "forward", 8, 4, 4, 400, 400, 3, 1, 0),
    ("forward stride 2, 1x1", "forward", 1, 4, 16, 2000, 2000, 1, 2, 0),
    ("forward stride 2, 1x1", "forward", 32, 2, 8, 600, 600, 1, 2, 0),
    ("forward stride 2, 3x3", "forward", 1, 1, 1, 3000, 3000, 3, 2, 1),
    ("forward stride 2, 3x3", "forward", 16, 4, 4, 500, 500, 3, 2, 0),
    ("backward stride 1, 1x1", "backward", 1, 1, 1, 2500, 2500, 1, 1, 0),
    ("backward stride 1, 1x1", "backward", 16, 4, 4, 400, 400, 1, 1, 1),
    ("backward stride 1, 3x3", "backward", 1, 1, 1, 1500, 1500, 3, 1, 1),
    ("backward stride 1, 3x3", "backward", 8, 4, 4, 400, 400, 3, 1, 4),
    ("backward stride 2, 1x1", "backward", 1, 2, 2, 2500, 2500, 1, 2, 0),
    ("backward stride 2, 1x1", "backward", 16, 4, 4, 500, 500, 1, 2, 0),
    ("backward stride 2, 3x3", "backward", 1, 1, 1, 2000, 2000, 3, 2, 1),
    ("backward stride 2, 3x3", "backward", 16, 4, 4, 400, 400, 3, 2, 0),
    ("backward stride 2, 3x3 (gather)", "backward", 1, 16, 1, 1000, 1000, 3, 2, 1),
    ("backward stride 2, 3x3 (gather)", "backward", 16, 8, 1, 300, 300, 3, 2, 0),
]


def _kb(field: str) -> int:
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def measure(case: tuple) -> dict:
    name, direction, n, c, k, h, w, kernel, stride, padding = case
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, w), dtype=np.float64)
    weights = rng.standard_normal((k, c, kernel, kernel), dtype=np.float64)
    plan = plan_for((h, w), (kernel, kernel), stride, padding, 1)
    dtype = np.dtype(np.float64)
    if direction == "forward":
        estimate = conv.forward_bytes(x, weights, None, dtype, plan)
        run = lambda: conv.conv2d(x, weights, stride=stride, padding=padding)  # noqa: E731
    else:
        dout = rng.standard_normal((n, k, *plan.output_size), dtype=np.float64)
        estimate = conv.backward_bytes(dout, x, weights, dtype, plan)
        run = lambda: conv.conv2d_backward(dout, x, weights, stride=stride, padding=padding)  # noqa: E731
    with open("/proc/self/clear_refs", "w") as reset:
        reset.write("5")  # the peak resident set starts again from here
    before = _kb("VmRSS")
    result = run()
    measured = (_kb("VmHWM") - before) * 1024
    del result
    size = f"N={n} C={c} K={k} {h}x{w} pad {padding}"
    return {"route": name, "size": size, "estimate": estimate, "measured": measured}


def main() -> None:
    arrays.numeric_array(np.ones(1), "warm-up", 1, "(n,)")
    conv.conv2d_backward(np.ones((1, 1, 8, 8)), np.ones((1, 1, 10, 10)), np.ones((1, 1, 3, 3)))
    picked = CASES if len(sys.argv) < 2 else [CASES[int(i)] for i in sys.argv[1:]]
    for case in picked:
        print(json.dumps(measure(case)), flush=True)


if __name__ == "__main__":
    main()
