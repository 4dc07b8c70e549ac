"""The size guard counts before it converts, and its estimate is what a call really takes.

Issue 21, items 2, 3 and 5 (rot180), and the nn layers and gesture data: every refusal comes
before any allocation, and the estimate of each conv route is within 25 % of the peak memory
measured in a child process (tests/guard_memory.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from cnnviz import conv2d, conv2d_backward, rot180
from cnnviz.core import set_work_limit

HERE = Path(__file__).parent


def _peak_while(call) -> tuple[BaseException | None, int]:
    """(what ``call`` raised, peak bytes numpy allocated meanwhile), traced by tracemalloc."""
    tracemalloc.start()
    try:
        call()
        raised = None
    except Exception as error:  # the caller checks which
        raised = error
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return raised, peak


@pytest.fixture
def limit_16_mib():
    old = set_work_limit(16 * 1024**2)
    yield
    set_work_limit(old)


@pytest.mark.parametrize("call", ["conv2d", "conv2d_backward"])
def test_an_integer_image_is_refused_before_its_float_conversion(call, limit_16_mib):
    image = np.ones((1, 1, 1000, 3000), dtype=np.uint8)  # 3 MB; 24 MB once float64
    w = np.ones((1, 1, 1, 1))
    if call == "conv2d":
        raised, peak = _peak_while(lambda: conv2d(image, w))
    else:
        dout = np.ones((1, 1, 1000, 3000), dtype=np.uint8)
        raised, peak = _peak_while(lambda: conv2d_backward(dout, image, w))
    assert isinstance(raised, ValueError) and "work arrays" in str(raised), raised
    assert peak < 1024**2, f"{peak / 2**20:.1f} MiB allocated before the refusal"


def test_a_float32_broadcast_view_with_float64_weights_is_refused_not_a_memory_error():
    x = np.broadcast_to(np.float32(1), (1, 1, 60_000, 60_000))  # 29 GB once float64
    with pytest.raises(ValueError, match=r"^x of shape \(1, 1, 60000, 60000\) asks for"):
        conv2d(x, np.ones((1, 1, 1, 1)), stride=60_000)
    with pytest.raises(ValueError, match="work arrays"):
        conv2d(x, np.ones((1, 1, 1, 1), dtype=np.float32), stride=60_000)  # take's copy
    with pytest.raises(ValueError, match="work arrays"):
        conv2d_backward(np.ones((1, 1, 1, 1)), x, np.ones((1, 1, 1, 1)), stride=60_000)


def test_a_broadcast_weight_bank_counts_its_copy(limit_16_mib):
    w = np.broadcast_to(np.float64(1), (2048, 1024, 1, 1))  # 16 MiB once copied
    raised, peak = _peak_while(lambda: conv2d(np.ones((1, 1024, 1, 1)), w))
    assert isinstance(raised, ValueError), raised
    assert peak < 1024**2


def test_rot180_is_guarded(limit_16_mib):
    kernel = np.broadcast_to(np.float64(1), (2000, 2000))  # 32 MB as a copy
    raised, peak = _peak_while(lambda: rot180(kernel))
    assert isinstance(raised, ValueError) and "kernel" in str(raised), raised
    assert peak < 1024**2
    assert rot180(np.arange(6).reshape(2, 3)).tolist() == [[5, 4, 3], [2, 1, 0]]


@pytest.mark.parametrize(
    "make, name",
    [
        ("Conv2D(1, 10**9, 3)", "out_channels"),
        ("Conv2D(10**9, 4, 3)", "in_channels"),
        ("Conv2D(1, 16, 5000)", "kernel_size"),
        ("Dense(10**6, 10**6)", "out_features"),
        ("make_gestures(10**12)", "count"),
        ("make_gestures(10, size=10**6)", "size"),
    ],
)
def test_nn_layers_and_gesture_data_are_refused_before_allocating(make, name):
    from cnnviz.nn.gestures import make_gestures
    from cnnviz.nn.layers import Conv2D, Dense

    names = {"Conv2D": Conv2D, "Dense": Dense, "make_gestures": make_gestures}
    raised, peak = _peak_while(lambda: eval(make, names))
    assert isinstance(raised, ValueError), f"{make}: {raised!r}"
    assert name in str(raised) and "set_work_limit" in str(raised), str(raised)
    assert peak < 1024**2


def _can_measure() -> bool:
    return sys.platform.startswith("linux") and os.access("/proc/self/clear_refs", os.W_OK)


@pytest.mark.skipif(not _can_measure(), reason="needs Linux's /proc/self/clear_refs")
def test_the_estimate_of_every_route_is_within_a_quarter_of_the_measured_peak():
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536", OPENBLAS_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, str(HERE / "guard_memory.py")], env=env, capture_output=True,
        text=True, timeout=300, check=True,
    )  # fmt: skip
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    table = ["route | size | estimated MiB | measured MiB | measured / estimated"]
    for row in rows:
        ratio = row["measured"] / row["estimate"]
        table.append(f"{row['route']} | {row['size']} | {row['estimate'] / 2**20:.1f} | "
                     f"{row['measured'] / 2**20:.1f} | {ratio:.2f}")  # fmt: skip
    print("\n".join(table))
    assert len(rows) == 18
    bad = [line for row, line in zip(rows, table[1:], strict=True) if
           abs(row["measured"] / row["estimate"] - 1) > 0.25]  # fmt: skip
    assert not bad, "\n".join(table)
