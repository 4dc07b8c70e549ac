"""The whole-network page on the server: how long one sample's backward view takes (<= 50 ms).

For 30 held-out samples, one after another as a learner picks them, this times what the page
does on a sample change, in three parts: the trace (forward, loss, backward through every
layer, :func:`cnnviz.nn.backward_trace.trace_backward`), drawing every picture and caption
(NumPy pictures, PNG bytes, HTML), and the whole-network finite-difference badge (float64),
which the page computes after the pictures are sent. "view" = trace + drawing: the target.
Medians of wall time and of this process's CPU time (the second is less sensitive to other
processes on the machine); the load average is printed with them.

Run: ``.venv/bin/python bench/bench_network_page.py [--samples N] [--batch B]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from cnnviz.nn.network_app import NetworkPage  # noqa: E402

TARGET_MS = 50.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--batch", type=int, default=1, choices=(1, 4, 8))
    args = parser.parse_args(argv)
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    page = NetworkPage()
    page.batch.value = args.batch
    values = [value for _, value in page.sample.options][: args.samples + 1]
    parts: dict[str, list[float]] = {"trace": [], "draw": [], "check": [], "view": []}
    cpu: list[float] = []
    for value in values[1:]:
        started = time.process_time()
        page.sample.value = value
        cpu.append((time.process_time() - started) * 1e3)
        timings = {name: seconds * 1e3 for name, seconds in page.timings.items()}
        timings["view"] = timings["trace"] + timings["draw"]
        for name, ms in timings.items():
            parts[name].append(ms)
    print(f"batch {args.batch}, {len(values) - 1} sample changes, median wall ms:")
    for name, values_ms in parts.items():
        print(f"  {name:<6} {statistics.median(values_ms):8.1f}")
    view = statistics.median(parts["view"])
    print(f"  whole update CPU ms (view + badge), median {statistics.median(cpu):.1f}")
    print(f"view (trace + pictures + words) {view:.1f} ms: target <= {TARGET_MS:.0f} ms "
          f"{'met' if view <= TARGET_MS else 'MISSED'}")
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
