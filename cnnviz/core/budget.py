"""The core's size guard: how many bytes a call's work arrays take, and the limit they must keep.

Before a pass allocates, it estimates the bytes of its work arrays (padded copy, im2col columns,
index plan, result); past the limit it raises a ValueError naming the parameter and the size,
instead of numpy's "Unable to allocate 671 GiB" (or a machine that swaps for minutes).

The limit is :data:`DEFAULT_WORK_LIMIT`, 2 GiB: every size the lessons and the explorer use fits
many times over (a 2048 x 2048 single-channel conv2d takes about 0.3 GiB). Change it with
:func:`set_work_limit`; :func:`work_limit` reads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # only for annotations: _fast imports this module
    from cnnviz.core._fast import Plan
    from cnnviz.core.geometry import Geometry

DEFAULT_WORK_LIMIT = 2 * 1024**3
INDEX_BYTES = np.dtype(np.intp).itemsize  # one entry of an index plan
_limit = DEFAULT_WORK_LIMIT


def work_limit() -> int:
    """How many bytes of work arrays one core call may ask for."""
    return _limit


def set_work_limit(nbytes: int) -> int:
    """Set how many bytes of work arrays one core call may ask for; returns the old limit.

    Past the limit, :func:`cnnviz.conv2d` and the other passes raise a ValueError naming the
    parameter and the size, before they allocate anything.

    Raises
    ------
    ValueError
        If ``nbytes`` is not a whole number >= 1.
    """
    global _limit
    if not isinstance(nbytes, int) or isinstance(nbytes, bool) or nbytes < 1:
        raise ValueError(f"nbytes must be a whole number of bytes >= 1; got {nbytes!r}")
    old, _limit = _limit, nbytes
    return old


def check_work(nbytes: int, *, what: str, blame: str) -> None:
    """Raise ValueError if ``nbytes`` of work arrays for ``what`` would pass the limit.

    ``blame`` names the parameter and its value, e.g. ``"padding (1000000, 1000000)"``.
    """
    if nbytes > _limit:
        refuse(nbytes, what, blame)


def refuse(nbytes: int, what: str, blame: str) -> None:
    """Raise the guard's ValueError: ``blame`` asks for ``nbytes`` in ``what``, over the limit."""
    raise ValueError(
        f"{blame} asks for about {human(nbytes)} of work arrays in {what}, over the limit of "
        f"{human(_limit)}; use smaller sizes, or raise the limit with "
        "cnnviz.core.set_work_limit(nbytes)"
    )


def human(nbytes: int) -> str:
    """``nbytes`` in a unit a reader takes in at once: ``671 GiB``, ``3.5 MiB``."""
    for unit, size in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if nbytes >= size:
            return f"{nbytes / size:.3g} {unit}"
    return f"{nbytes} bytes"


def blame(geometry: Geometry, subject: str) -> str:
    """The parameter to name when the work is too large: the padding if it dominates."""
    (h, w), (hp, wp) = geometry.input_size, geometry.padded_size
    return f"padding {geometry.padding}" if hp * wp > 4 * h * w else subject


def check_contributions(w: np.ndarray, geometry: Geometry, what: str, factor: int = 1) -> None:
    """The guard for one sample's per-channel shares ``(K, C, kh, kw, Ho, Wo)`` and their dx."""
    k, c, kh, kw = w.shape
    (ho, wo), (hp, wp) = geometry.output_size, geometry.padded_size
    nbytes = factor * w.itemsize * k * c * (kh * kw * ho * wo + hp * wp)
    check_work(nbytes, what=what, blame=blame(geometry, f"input_size {geometry.input_size}"))


def check_result(shape: tuple[int, ...], dtype: np.dtype, what: str, blame: str) -> None:
    """The guard for a function whose one new array is ``shape``."""
    total = np.dtype(dtype).itemsize
    for size in shape:
        total *= int(size)  # Python ints: no overflow however large the shape
    check_work(total, what=what, blame=blame)


def _chunk(n: int, per_sample: int, chunk_numbers: int) -> int:
    """Samples in the first (largest) chunk of a batch, as ``_fast._chunks`` cuts it."""
    return min(n, max(1, chunk_numbers // max(per_sample, 1)))


def forward_bytes(n: int, c: int, k: int, itemsize: int, plan: Plan, chunk_numbers: int) -> int:
    """Bytes the forward pass allocates: the result, then per chunk a padded copy and columns."""
    (ho, wo), (hp, wp) = plan.output_size, plan.padded_size
    per_sample = c * plan.window_tap_count
    chunk = _chunk(n, per_sample, chunk_numbers)
    padded = chunk * c * hp * wp if plan.padded_size != plan.input_size else 0
    return itemsize * (n * k * ho * wo + chunk * per_sample + padded)


def backward_bytes(
    n: int, c: int, k: int, itemsize: int, plan: Plan, chunk_numbers: int, *, gather: bool
) -> int:
    """Bytes the backward pass allocates on its route: dx, dw and the per-chunk arrays."""
    (h, w), (hp, wp), (kh, kw) = plan.input_size, plan.padded_size, plan.kernel_size
    results = n * c * h * w + k * c * kh * kw  # dx and dw
    if gather:  # the delta framed, the taps gathered, and the index plan
        chunk = _chunk(n, k * plan.delta_tap_count, chunk_numbers)
        framed = plan.output_size[0] * plan.output_size[1] + 1
        work = chunk * k * (plan.delta_tap_count + framed)
        # building the plan's index array takes a temporary of its size and a boolean mask
        index = (2 * INDEX_BYTES + 1) * plan.delta_tap_count
        return itemsize * (results + work) + index
    chunk = _chunk(n, c * plan.window_tap_count, chunk_numbers)
    work = 2 * chunk * c * (plan.window_tap_count + hp * wp)  # columns, shares, padded, grad
    return itemsize * (results + work)
