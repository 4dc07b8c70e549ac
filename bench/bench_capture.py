"""Your own model in cnnviz: what a capture costs, and how soon a big layer's first picture comes.

Two measurements, both with torch and numpy on one thread each:

1. **capture vs training step.** A 4-layer CNN (three conv blocks and a linear head) on a
   batch of 32 gesture-sized images: :func:`cnnviz.capture` (forward, mean cross-entropy,
   autograd for dL/dz of every module, NumPy copies, the snapshots of sample 0) against the
   model's own training step (forward, loss, backward, Adam). Interleaved blocks; ratio =
   capture / step, target ≤ 2.
2. **a big layer.** A 64-channel conv on a 56×56 map (64 filters of 3×3, padding 1, after a
   ReLU), captured from torch and opened with ``Explorer(layer=..., defer_details=True)`` as
   the Voila page does: seconds until the first picture is drawn (target ≤ 2 s), how many
   channels and filters the windows show, and then the details below it (the gradient check,
   the two walks' agreement, dW and db). Wall and CPU seconds: on a shared machine the CPU
   figure is the one that does not count other people's work.

Run: ``.venv/bin/python bench/bench_capture.py [--repeats N]``.
"""

from __future__ import annotations

import os

# One BLAS thread, set before numpy loads its BLAS (FIELD_NOTES: two threads stall small GEMMs).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from bench_core import INSTALL_HINT, machine_line, race  # noqa: E402

BATCH = 32
TARGET_RATIO = 2.0  # capture / training step
TARGET_FIRST_PICTURE = 2.0  # seconds


def four_layer_model(torch):
    """Conv 1→16, conv 16→32, conv 32→64 (each with ReLU, the first two pooled), linear."""
    nn = torch.nn
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 8),
    )  # fmt: skip


def capture_against_step(torch, repeats: int) -> float:
    """Print capture and training-step times for a batch of 32; return the ratio."""
    import cnnviz
    from cnnviz.nn.capture import training_step

    model = four_layer_model(torch)
    rng = np.random.default_rng(0)
    images = rng.random((BATCH, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 8, BATCH)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)

    def capture() -> None:
        captured = cnnviz.capture(model, images, labels)
        assert len(captured) == 3 and captured[0].delta.shape == (16, 28, 28)

    ours, theirs = race(capture, lambda: training_step(model, optimizer, images, labels),
                        repeats)  # fmt: skip
    ratio = ours / theirs
    print(f"capture of a batch of {BATCH} through a 4-layer CNN: {ours * 1e3:.1f} ms; "
          f"its training step: {theirs * 1e3:.1f} ms; ratio {ratio:.2f} "
          f"(target ≤ {TARGET_RATIO:.0f}) {'ok' if ratio <= TARGET_RATIO else 'OVER'}")
    return ratio


def big_layer(torch) -> float:
    """Open a 64-channel 56×56 layer in the explorer; print the times; return the first
    picture's wall seconds."""
    import cnnviz
    from cnnviz.explorer.app import Explorer

    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.ReLU(),
                          nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
                          nn.Flatten(), nn.Linear(64 * 56 * 56, 10))  # fmt: skip
    images = np.random.default_rng(1).random((1, 3, 56, 56), dtype=np.float32)
    layer = cnnviz.capture(model, images, [3])[1]
    wall, cpu = time.perf_counter(), time.process_time()
    explorer = Explorer(layer=layer, defer_details=True)
    first = time.perf_counter() - wall, time.process_time() - cpu
    figure = explorer.figure
    wall, cpu = time.perf_counter(), time.process_time()
    explorer._show_details()  # what the page does once the picture shows
    details = time.perf_counter() - wall, time.process_time() - cpu
    wall = time.perf_counter()
    explorer.show_step(1234)
    step = time.perf_counter() - wall
    print(f"64-channel layer, x {layer.x.shape}, W {layer.w.shape}: first picture "
          f"{first[0]:.2f} s wall, {first[1]:.2f} s CPU (target ≤ {TARGET_FIRST_PICTURE:.0f} s) "
          f"{'ok' if first[0] <= TARGET_FIRST_PICTURE else 'OVER'}")
    print(f"  windows: channels {figure.channels[0] + 1}-{figure.channels[-1] + 1} of "
          f"{layer.depth}, filters {figure.filter_rows[0] + 1}-{figure.filter_rows[-1] + 1} of "
          f"{layer.filters}; frame {figure.width}×{figure.height} px")
    print(f"  details below it (check, agreement, dW/db): {details[0]:.2f} s wall, "
          f"{details[1]:.2f} s CPU; one more step: {step * 1e3:.0f} ms")
    return first[0]


def main(argv: list[str] | None = None) -> int:
    from cnnviz.nn.capture import torch_missing

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="interleaved blocks per side")
    repeats = parser.parse_args(argv).repeats
    if torch_missing():  # capture's own test: the same import, the same answer
        print(INSTALL_HINT)
        return 0
    import torch

    torch.set_num_threads(1)  # torch and numpy busy-wait against each other otherwise
    print(machine_line())
    print(f"load average {os.getloadavg()[0]:.1f}; torch {torch.__version__}, numpy "
          f"{np.__version__}")
    capture_against_step(torch, repeats)
    big_layer(torch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
