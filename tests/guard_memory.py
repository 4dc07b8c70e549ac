"""Run in a child process by tests/test_guard_memory.py: peak memory of each guarded route.

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

F64 = np.dtype(np.float64)

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
# (name, K, C, H, W, kernel, stride, padding, dilation, delta's dtype): one sample's routes in
# core/conv.py; an int32 delta is converted to float64 after the guard, which counts it
SAMPLE_CASES = [
    ("input_grad_contributions", 16, 16, 200, 200, 3, 1, 1, 1, "float64"),
    ("input_grad_contributions", 8, 4, 800, 800, 3, 2, 1, 1, "float64"),
    ("input_grad_contributions", 4, 4, 400, 400, 5, 1, 2, 2, "float64"),
    ("input_grad_contributions", 2, 1, 2000, 2000, 1, 1, 0, 1, "int32"),
    ("input_grad_by_full_convolution", 8, 8, 300, 300, 3, 2, 1, 1, "float64"),
    ("input_grad_by_full_convolution", 4, 2, 600, 600, 3, 1, 0, 2, "int32"),
    ("weight_grad_by_correlation", 1, 4, 1500, 1500, 3, 1, 1, 1, "float64"),
    ("weight_grad_by_correlation", 4, 2, 1200, 1200, 3, 2, 0, 2, "int32"),
]


def _kb(field: str) -> int:
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def peak(estimate: int, run, route: str, size: str) -> dict:
    """The row for one case: ``run()``'s peak resident growth beside the guard's ``estimate``."""
    with open("/proc/self/clear_refs", "w") as reset:
        reset.write("5")  # the peak resident set starts again from here
    before = _kb("VmRSS")
    result = run()
    measured = (_kb("VmHWM") - before) * 1024
    del result
    return {"route": route, "size": size, "estimate": estimate, "measured": measured}


def measure_sample(case: tuple) -> dict:
    """One sample's dx shares, textbook dx or textbook dw (float64 in, nothing converted)."""
    name, k, c, h, w, kernel, stride, padding, dilation, delta_dtype = case
    rng = np.random.default_rng(0)
    settings = {"stride": stride, "padding": padding, "dilation": dilation}
    geometry = plan_for((h, w), (kernel, kernel), stride, padding, dilation).geometry
    weights = rng.standard_normal((k, c, kernel, kernel))
    dout = (100 * rng.standard_normal((k, *geometry.output_size))).astype(delta_dtype)
    size = f"K={k} C={c} {h}x{w} {kernel}x{kernel} s{stride} p{padding} d{dilation}"
    size += "" if delta_dtype == "float64" else f" {delta_dtype} delta"
    if name == "weight_grad_by_correlation":
        x = rng.standard_normal((c, h, w))
        estimate = conv.correlation_bytes(x, dout, F64, geometry)
        run = lambda: conv.weight_grad_by_correlation(x, dout, kernel, **settings)  # noqa: E731
    else:
        work = {
            "input_grad_contributions": conv.contributions_bytes,
            "input_grad_by_full_convolution": conv.full_convolution_bytes,
        }[name]
        estimate = work(dout, weights, F64, geometry)
        route = getattr(conv, name)
        run = lambda: route(dout, weights, (h, w), **settings)  # noqa: E731
    return peak(estimate, run, name, size)


def measure_copies() -> list[dict]:
    """dilate, pad_input and rot180: one new array each, what the guard counts."""
    rng = np.random.default_rng(0)
    delta = rng.standard_normal((64, 200, 200))
    x = rng.standard_normal((32, 700, 700))
    kernel = np.broadcast_to(np.float64(1), (6000, 6000))  # a view: rot180 copies it whole
    item = F64.itemsize
    return [
        peak(item * 64 * 399 * 399, lambda: conv.dilate(delta, 2), "dilate", "64x200x200 s2"),
        peak(item * 32 * 702**2, lambda: conv.pad_input(x, 1), "pad_input", "32x700x700 p1"),
        peak(item * 6000**2, lambda: conv.rot180(kernel), "rot180", "6000x6000 view"),
    ]


def measure_gradcheck() -> list[dict]:
    """The finite differences: at's float64 copy, its flat indices and the partials."""
    from cnnviz.core.gradcheck import numerical_gradient, numerical_partials

    big = np.ones((4000, 2000), dtype=np.int32)  # converted: the copy is twice its size
    small = np.ones((500, 800))
    first = lambda v: v[0, 0]  # noqa: E731 (a loss that allocates nothing)
    every = (2 * 8 + np.dtype(np.intp).itemsize) * small.size
    return [
        peak(8 * big.size + 2 * 3 * 8, lambda: numerical_partials(first, big, [0, 1, 2]),
             "numerical_partials", "4000x2000 int32, 3 entries"),
        peak(every, lambda: numerical_gradient(first, small), "numerical_gradient", "500x800"),
    ]  # fmt: skip


def measure_maps() -> list[dict]:
    """The formula vocabulary's correlation of one map: padded, windows as rows, result."""
    from cnnviz.core.maps2d import correlate_2d, correlate_bytes

    rng = np.random.default_rng(0)
    image, kernel = rng.standard_normal((1000, 1000)), rng.standard_normal((3, 3))
    counts = rng.integers(0, 9, (600, 800), dtype=np.int32)  # converted to floats first
    full = correlate_bytes(image.shape, kernel.shape, True)
    valid = correlate_bytes(counts.shape, (5, 5), False, counts.dtype)
    return [
        peak(full, lambda: correlate_2d(image, kernel, full=True), "correlate_2d",
             "1000x1000 3x3 full"),
        peak(valid, lambda: correlate_2d(counts, kernel[:1, :1].repeat(5, 0).repeat(5, 1)),
             "correlate_2d", "600x800 int32 5x5 valid"),
    ]  # fmt: skip


def measure_activations() -> list[dict]:
    """σ and σ' of a layer's z: temporaries of z's size, and z's float copy when it is ints."""
    from cnnviz.core.activations import activate, activation_bytes, derivative

    rng = np.random.default_rng(0)
    z = rng.standard_normal((4000, 2000))
    counts = rng.integers(-4, 4, (4000, 2000), dtype=np.int32)
    halves = z.astype(np.float32)
    cases = [(activate, "sigmoid", z), (derivative, "sigmoid", counts),
             (derivative, "tanh", z), (derivative, "relu", halves)]  # fmt: skip
    rows = []
    for function, name, arr in cases:
        run = lambda f=function, n=name, a=arr: f(n, a)  # noqa: E731
        size = f"4000x2000 {arr.dtype}"
        estimate = activation_bytes(name, arr, function is derivative)
        rows.append(peak(estimate, run, f"{function.__name__} {name}", size))
    return rows


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
    return peak(estimate, run, name, f"N={n} C={c} K={k} {h}x{w} pad {padding}")


def main() -> None:
    arrays.numeric_array(np.ones(1), "warm-up", 1, "(n,)")
    conv.conv2d_backward(np.ones((1, 1, 8, 8)), np.ones((1, 1, 10, 10)), np.ones((1, 1, 3, 3)))
    if sys.argv[1:] == ["samples"]:  # only the one-sample routes and the copies
        rows = [measure_sample(case) for case in SAMPLE_CASES] + measure_copies()
        rows += measure_gradcheck() + measure_maps() + measure_activations()
    elif len(sys.argv) > 1:
        rows = [measure(CASES[int(i)]) for i in sys.argv[1:]]
    else:
        rows = [measure(case) for case in CASES]
        rows += [measure_sample(case) for case in SAMPLE_CASES] + measure_copies()
        rows += measure_gradcheck() + measure_maps() + measure_activations()
    for row in rows:
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
