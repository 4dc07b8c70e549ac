"""Full gesture-CNN training: held-out accuracy and seconds, against the target (>= 0.95 in 60 s).

For each seed this runs what ``python -m cnnviz train-gestures --seed S`` runs (same defaults:
6 000 training and 2 000 held-out images, 6 epochs, batch 32, Adam) in this process with one
BLAS thread, and prints the seconds spent drawing the data, training, and in all, with the
held-out accuracy. Other processes on the machine slow it down: the table shows each run.

Run: ``.venv/bin/python bench/bench_train.py [--seeds 0 1 2] [--epochs E]``.
"""

from __future__ import annotations

import os

# One BLAS thread, set before numpy loads its BLAS: two stall small matrix products (README.md).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from cnnviz.nn.gestures import train_test_split  # noqa: E402
from cnnviz.nn.training import DEFAULTS, accuracy, gesture_network, train  # noqa: E402

TARGET_ACCURACY = 0.95
TARGET_SECONDS = 60.0


def run(seed: int, epochs: int) -> tuple[float, float, float]:
    """Seconds to draw the data, seconds to train, held-out accuracy."""
    started = time.perf_counter()
    train_set, test_set = train_test_split(
        DEFAULTS["train_count"], DEFAULTS["test_count"], seed=seed
    )
    drawn = time.perf_counter()
    network = gesture_network(seed=seed)
    train(
        network,
        train_set,
        epochs=epochs,
        batch_size=DEFAULTS["batch_size"],
        learning_rate=DEFAULTS["learning_rate"],
        seed=seed,
    )
    trained = time.perf_counter()
    return drawn - started, trained - drawn, accuracy(network, test_set)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    args = parser.parse_args()
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores, "
        f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, "
        f"load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{DEFAULTS['train_count']} training / {DEFAULTS['test_count']} held-out images, "
        f"{args.epochs} epochs, batch {DEFAULTS['batch_size']}"
    )
    print(f"{'seed':>4} {'data s':>7} {'train s':>8} {'total s':>8} {'accuracy':>9}  target")
    worst_ok = True
    for seed in args.seeds:
        data_s, train_s, acc = run(seed, args.epochs)
        total = data_s + train_s
        ok = acc >= TARGET_ACCURACY and total <= TARGET_SECONDS
        worst_ok &= ok
        print(
            f"{seed:>4} {data_s:>7.1f} {train_s:>8.1f} {total:>8.1f} {acc:>9.3f}  "
            f"{'met' if ok else 'MISSED'}",
            flush=True,
        )
    print(
        f"target: held-out accuracy >= {TARGET_ACCURACY} within {TARGET_SECONDS:.0f} s: "
        f"{'met by every seed' if worst_ok else 'missed'}"
    )
    return 0 if worst_ok else 1


if __name__ == "__main__":
    sys.exit(main())
