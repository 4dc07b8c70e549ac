"""Speed of the conv core against PyTorch's CPU autograd: forward + full backward, float64.

Each case times ``conv2d`` then ``conv2d_backward`` (dx, dw, db) and the same step in torch
(``F.conv2d`` then ``backward``), on the same data, in the same process, one thread each.
Runs are interleaved (numpy block, torch block, numpy block, ...) so that load from other
processes hits both sides alike; the table shows medians and the ratio numpy / torch.

Run: ``make bench`` or ``.venv/bin/python bench/bench_core.py [--repeats N]``.
torch is not a project dependency; install its CPU build with
``.venv/bin/pip install torch==2.13.0`` (see bench/README.md).
"""

from __future__ import annotations

import os

# One BLAS thread, set before numpy loads its BLAS: two stall small matrix products (README.md).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402

from cnnviz import conv2d, conv2d_backward  # noqa: E402

INSTALL_HINT = (
    "torch is not installed, so there is nothing to compare against.\n"
    "Install PyTorch's CPU build (for this bench only, not a project dependency) and rerun:\n"
    "  .venv/bin/pip install torch==2.13.0\n"
    "On the project's machines a CPU wheel of exactly that version lies on disk. Elsewhere,\n"
    "take the CPU-only wheel as PyTorch's install page shows: a plain 'pip install torch'\n"
    "on Linux pulls a CUDA build of several GB.\n"
)


@dataclass(frozen=True)
class Case:
    name: str
    x_shape: tuple[int, int, int, int]  # (N, C, H, W)
    filters: int  # K
    kernel: int  # kh = kw
    stride: int
    padding: int


CASES = (
    Case("classroom", (1, 3, 7, 7), 2, 3, 2, 1),
    Case("lesson", (1, 8, 16, 16), 4, 3, 1, 1),
    Case("batch", (32, 16, 32, 32), 32, 3, 1, 1),
    Case("strided", (32, 16, 32, 32), 32, 5, 2, 2),
)


def make_data(case: Case, seed: int = 0) -> dict[str, np.ndarray]:
    """float64 x, w, b and a dout shaped like the forward output."""
    rng = np.random.default_rng(seed)
    n, c, h, w = case.x_shape
    x = rng.standard_normal(case.x_shape)  # (N, C, H, W)
    kernel = rng.standard_normal((case.filters, c, case.kernel, case.kernel))  # (K, C, kh, kw)
    bias = rng.standard_normal(case.filters)  # (K,)
    z = conv2d(x, kernel, bias, stride=case.stride, padding=case.padding)  # (N, K, Ho, Wo)
    dout = rng.standard_normal(z.shape)  # (N, K, Ho, Wo)
    return {"x": x, "w": kernel, "b": bias, "dout": dout}


def numpy_step(case: Case, data: dict[str, np.ndarray]):
    """What a training step of the core costs: forward, then every gradient."""

    def step():
        settings = {"stride": case.stride, "padding": case.padding}
        z = conv2d(data["x"], data["w"], data["b"], **settings)
        dx, dw, db = conv2d_backward(data["dout"], data["x"], data["w"], **settings)
        return z, dx, dw, db

    return step


def torch_step(torch, case: Case, data: dict[str, np.ndarray]):
    """The same step in torch: leaf tensors made once, grads cleared each call."""
    functional = torch.nn.functional
    x, w, b = (torch.from_numpy(data[k]).requires_grad_() for k in ("x", "w", "b"))
    dout = torch.from_numpy(data["dout"])

    def step():
        x.grad = w.grad = b.grad = None
        z = functional.conv2d(x, w, b, stride=case.stride, padding=case.padding)
        z.backward(dout)
        return z, x.grad, w.grad, b.grad

    return step


def check_agreement(ours, theirs) -> float:
    """Largest absolute difference between the two steps' outputs (z, dx, dw, db)."""
    pairs = zip(ours, theirs, strict=True)
    return max(float(np.max(np.abs(a - t.detach().numpy()))) for a, t in pairs)


def calls_per_block(step, target_seconds: float = 0.02) -> int:
    """How many calls fill about ``target_seconds``, so the timer's resolution doesn't matter."""
    start = time.perf_counter()
    step()
    once = max(time.perf_counter() - start, 1e-7)
    return max(1, min(10_000, int(target_seconds / once)))


def time_block(step, calls: int) -> float:
    """Mean seconds per call over one block of ``calls`` calls."""
    start = time.perf_counter()
    for _ in range(calls):
        step()
    return (time.perf_counter() - start) / calls


def race(ours, theirs, repeats: int) -> tuple[float, float]:
    """Median seconds per call of each, from interleaved blocks."""
    for step in (ours, theirs):  # warm caches and allocators
        for _ in range(3):
            step()
    calls = min(calls_per_block(ours), calls_per_block(theirs))
    ours_times, theirs_times = [], []
    for _ in range(repeats):
        ours_times.append(time_block(ours, calls))
        theirs_times.append(time_block(theirs, calls))
    return statistics.median(ours_times), statistics.median(theirs_times)


def machine_line() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs, {model}, Python {platform.python_version()}"


def blas_line() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl missing: BLAS threads pinned by OPENBLAS_NUM_THREADS only"
    pools = [
        f"{p.get('internal_api')} {p.get('version')} {p.get('architecture')} "
        f"threads={p.get('num_threads')}"
        for p in threadpool_info()
        if p.get("user_api") == "blas"
    ]
    return "; ".join(pools) or "no BLAS pool found"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="interleaved blocks per side")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print(INSTALL_HINT)
        return 0
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # OPENBLAS_NUM_THREADS=1, set above, still pins numpy's BLAS
        threadpool_limits = None

    torch.set_num_threads(1)
    print(f"conv core vs torch {torch.__version__} (CPU autograd), float64, one thread each")
    print(f"numpy {np.__version__}; {blas_line()}")
    print(f"machine: {machine_line()}")
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    print()
    header = f"{'case':<10} {'input':<14} {'filters':<10} {'s/p':<5} "
    header += f"{'numpy ms':>10} {'torch ms':>10} {'ratio':>7} {'max |diff|':>11}"
    print(header)
    print("-" * len(header))
    worst = 0.0
    one_thread = threadpool_limits(1, "blas") if threadpool_limits else contextlib.nullcontext()
    with one_thread:
        for case in CASES:
            data = make_data(case)
            ours, theirs = numpy_step(case, data), torch_step(torch, case, data)
            diff = check_agreement(ours(), theirs())
            ours_s, theirs_s = race(ours, theirs, args.repeats)
            ratio = ours_s / theirs_s
            worst = max(worst, ratio)
            shape = "x".join(map(str, case.x_shape))
            kernel = f"{case.filters}x{case.kernel}x{case.kernel}"
            print(
                f"{case.name:<10} {shape:<14} {kernel:<10} {case.stride}/{case.padding:<3} "
                f"{ours_s * 1e3:>10.3f} {theirs_s * 1e3:>10.3f} {ratio:>7.2f} {diff:>11.1e}"
            )
            sys.stdout.flush()
    print()
    print(f"ratio = numpy median / torch median (lower is better, target <= 1.0); "
          f"worst {worst:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
