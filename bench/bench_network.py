"""The gesture network against torch: a training step and a forward pass, float32, one thread.

Three tables, all measured in this one run with interleaved blocks (numpy, torch, numpy, ...)
so that load from other processes hits both sides alike:

1. **step**: one training step at batch 32 (forward, softmax cross-entropy, backward, Adam),
   and **forward** at batch 512, of :func:`cnnviz.nn.training.gesture_network`, against the
   same network in torch (same weights, ``torch.optim.Adam``). Ratio = numpy / torch.
2. where cnnviz's step goes: forward + backward of each layer at batch 32 (the max-pools and
   ReLUs are the ones that must do no copies they don't need).
3. the conv core's float32 batch path (forward + dx, dw, db) against ``F.conv2d``.

Run: ``.venv/bin/python bench/bench_network.py [--repeats N]``. torch is not a project
dependency: ``.venv/bin/pip install torch==2.13.0`` (CPU build; see bench/README.md).
"""

from __future__ import annotations

import os

# One BLAS thread, set before numpy loads its BLAS (FIELD_NOTES: two threads stall small GEMMs).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from bench_core import INSTALL_HINT, blas_line, calls_per_block, machine_line  # noqa: E402

from cnnviz import conv2d, conv2d_backward  # noqa: E402
from cnnviz.nn import Adam, softmax_cross_entropy  # noqa: E402
from cnnviz.nn.training import gesture_network  # noqa: E402

STEP_BATCH = 32
FORWARD_BATCH = 512
TARGET_STEP = 1.0  # numpy / torch, training step
TARGET_CORE = 1.2  # numpy / torch, conv core batch path


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def race(ours, theirs, repeats: int, clock=time.perf_counter) -> tuple[float, float]:
    """Median seconds per call of each, from interleaved blocks, on ``clock``.

    ``time.process_time`` counts only this process's CPU time: on a machine shared with other
    work it leaves out the time the scheduler gave to others (both sides run one thread).
    """
    for step in (ours, theirs):  # warm caches and allocators
        for _ in range(3):
            step()
    calls = min(calls_per_block(ours), calls_per_block(theirs))
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for step, found in zip((ours, theirs), times, strict=True):
            start = clock()
            for _ in range(calls):
                step()
            found.append((clock() - start) / calls)
    return statistics.median(times[0]), statistics.median(times[1])


def make_batch(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random gesture-shaped images ``(n, 1, 28, 28)`` float32 and labels ``(n,)``."""
    rng = np.random.default_rng(seed)
    return rng.random((n, 1, 28, 28), dtype=np.float32), rng.integers(0, 8, n)


def torch_network(torch, network):
    """The same layers in torch, with the numpy network's weights copied in."""
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(784, 8),
    )  # fmt: skip
    with torch.no_grad():
        for ours, theirs in zip((0, 3), (0, 3), strict=True):
            model[theirs].weight.copy_(torch.from_numpy(network.layers[ours].params["w"]))
            model[theirs].bias.copy_(torch.from_numpy(network.layers[ours].params["b"]))
        model[7].weight.copy_(torch.from_numpy(network.layers[7].params["w"].T.copy()))
        model[7].bias.copy_(torch.from_numpy(network.layers[7].params["b"]))
    return model


def steps(torch, images: np.ndarray, labels: np.ndarray):
    """(numpy step, torch step): one training step each, on the same batch and weights."""
    network = gesture_network(seed=0)
    model = torch_network(torch, network)
    optimizer = Adam(network, learning_rate=1e-3)
    torch_optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x_t, y_t = torch.from_numpy(images), torch.from_numpy(labels)

    def ours():
        logits = network.forward(images)
        _, dlogits = softmax_cross_entropy(logits, labels)
        network.backward(dlogits)
        optimizer.step()

    def theirs():
        torch_optimizer.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x_t), y_t).backward()
        torch_optimizer.step()

    return ours, theirs


def forwards(torch, images: np.ndarray):
    """(numpy forward, torch forward) at inference, same weights; and their max difference."""
    network = gesture_network(seed=0)
    model = torch_network(torch, network)
    x_t = torch.from_numpy(images)

    def theirs():
        with torch.no_grad():
            return model(x_t)

    diff = float(np.max(np.abs(network.forward(images) - theirs().numpy())))
    return (lambda: network.forward(images)), theirs, diff


def layer_breakdown(images: np.ndarray, labels: np.ndarray, repeats: int) -> list[tuple]:
    """Median ms of forward and of backward for each layer of the numpy network."""
    network = gesture_network(seed=0)
    inputs = [images]
    for layer in network.layers:
        inputs.append(layer.forward(inputs[-1]))
    _, delta = softmax_cross_entropy(inputs[-1], labels)
    deltas = [delta]
    for layer in reversed(network.layers):
        deltas.append(layer.backward(deltas[-1]))
    deltas = deltas[::-1]  # deltas[i + 1] is what layer i's backward receives
    rows = []
    for i, layer in enumerate(network.layers):
        forward_ms, backward_ms = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            layer.forward(inputs[i])
            middle = time.perf_counter()
            layer.backward(deltas[i + 1])
            end = time.perf_counter()
            forward_ms.append((middle - start) * 1e3)
            backward_ms.append((end - middle) * 1e3)
        rows.append((repr(layer), statistics.median(forward_ms), statistics.median(backward_ms)))
    return rows


def core_steps(torch, seed: int = 0):
    """The conv core's float32 batch path (the second conv at batch 32) and torch's."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((STEP_BATCH, 8, 14, 14), dtype=np.float32)
    w = rng.standard_normal((16, 8, 3, 3), dtype=np.float32)
    b = rng.standard_normal(16, dtype=np.float32)
    dout = rng.standard_normal((STEP_BATCH, 16, 14, 14), dtype=np.float32)
    x_t, w_t, b_t = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
    dout_t = torch.from_numpy(dout)

    def ours():
        conv2d(x, w, b, padding=1)
        conv2d_backward(dout, x, w, padding=1)

    def theirs():
        x_t.grad = w_t.grad = b_t.grad = None
        torch.nn.functional.conv2d(x_t, w_t, b_t, padding=1).backward(dout_t)

    return ours, theirs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="interleaved blocks per side")
    parser.add_argument("--clock", choices=list(CLOCKS), default="wall",
                        help="wall time, or this process's CPU time (steadier on a busy machine)")
    args = parser.parse_args(argv)
    clock = CLOCKS[args.clock]
    try:
        import torch
    except ImportError:
        print(INSTALL_HINT)
        return 0
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    torch.set_num_threads(1)
    print(f"gesture network vs torch {torch.__version__}, float32, one thread each, "
          f"{args.clock} clock")
    print(f"numpy {np.__version__}; {blas_line()}; machine: {machine_line()}")
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    one_thread = threadpool_limits(1, "blas") if threadpool_limits else contextlib.nullcontext()
    with one_thread:
        images, labels = make_batch(STEP_BATCH)
        step_ours, step_theirs = race(*steps(torch, images, labels), args.repeats, clock)
        big, _ = make_batch(FORWARD_BATCH, seed=1)
        ours, theirs, diff = forwards(torch, big)
        fwd_ours, fwd_theirs = race(ours, theirs, args.repeats, clock)
        core_ours, core_theirs = race(*core_steps(torch), args.repeats, clock)
        rows = layer_breakdown(images, labels, args.repeats)
    print()
    print(f"{'what':<34} {'numpy ms':>9} {'torch ms':>9} {'ratio':>6}  target")
    for name, a, b, target in (
        (f"training step, batch {STEP_BATCH}", step_ours, step_theirs, TARGET_STEP),
        (f"forward, batch {FORWARD_BATCH}", fwd_ours, fwd_theirs, None),
        (f"conv core 8->16 3x3, batch {STEP_BATCH}", core_ours, core_theirs, TARGET_CORE),
    ):
        verdict = "" if target is None else ("met" if a / b <= target else "MISSED")
        limit = "" if target is None else f"<= {target}"
        print(f"{name:<34} {a * 1e3:>9.3f} {b * 1e3:>9.3f} {a / b:>6.2f}  {limit} {verdict}")
    print(f"(forward outputs agree to {diff:.1e})")
    print()
    print(f"cnnviz's step, layer by layer (batch {STEP_BATCH}, median ms)")
    print(f"{'layer':<30} {'forward':>8} {'backward':>9}")
    for name, forward_ms, backward_ms in rows:
        print(f"{name:<30} {forward_ms:>8.3f} {backward_ms:>9.3f}")
    total = sum(r[1] + r[2] for r in rows)
    print(f"{'sum':<30} {total:>18.3f}")
    print(f"load average after {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
