"""The core's size guard and the plans it counts: bytes of a call's work arrays, and the limit.

Before a pass allocates (or converts an input to floats), it estimates the bytes of every work
array on its route (converted inputs, padded copy, im2col columns, index plan, result); past the
limit it raises a ValueError naming the parameter and the size, instead of numpy's "Unable to
allocate 671 GiB" (or a machine that swaps for minutes).

This module owns the :class:`Plan` of a geometry (its index arrays and their byte counts) and
the limit; :mod:`cnnviz.core._fast` and :mod:`cnnviz.core._rows` count their own routes' arrays
with these and import this module, never the other way round.

The limit is :data:`DEFAULT_WORK_LIMIT`, 2 GiB: every size the lessons and the explorer use fits
many times over (a 2048 x 2048 single-channel conv2d takes about 0.1 GiB). Change it with
:func:`set_work_limit`; :func:`work_limit` reads it.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from cnnviz.core.geometry import Geometry, IntOrPair, Pair, as_pair

DEFAULT_WORK_LIMIT = 2 * 1024**3
INDEX_BYTES = np.dtype(np.intp).itemsize  # one entry of an index plan
_limit = DEFAULT_WORK_LIMIT
# The plan cache keeps at most this many plans and this many bytes of index arrays: a long
# notebook session that meets many large sizes must not keep hundreds of megabytes per size.
_PLAN_CACHE_ENTRIES = 64
_PLAN_CACHE_BYTES = 64 * 1024**2


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


def check_contributions(
    w_shape: tuple[int, ...], itemsize: int, geometry: Geometry, what: str, factor: int, extra: int
) -> None:
    """The guard for one sample's per-channel shares ``(K, C, kh, kw, Ho, Wo)`` and their dx.

    ``extra``: bytes the caller allocates besides (its inputs converted to floats).
    """
    k, c, kh, kw = w_shape
    (ho, wo), (hp, wp) = geometry.output_size, geometry.padded_size
    nbytes = extra + factor * itemsize * k * c * (kh * kw * ho * wo + hp * wp)
    check_work(nbytes, what=what, blame=blame(geometry, f"input_size {geometry.input_size}"))


def check_parameters(count: int, dtype: object, what: str, blame: str) -> np.dtype:
    """The float dtype of a layer's ``count`` parameters, after the guard for making them.

    He initialisation draws float64 and casts: both arrays count, before either exists.
    """
    try:
        checked = np.dtype(dtype)
    except TypeError:
        checked = None
    if checked not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype must be float32 or float64; got {dtype!r}")
    check_work((8 + checked.itemsize) * count, what=what, blame=blame)
    return checked


def check_result(shape: tuple[int, ...], dtype: np.dtype, what: str, blame: str) -> None:
    """The guard for a function whose one new array is ``shape``."""
    total = np.dtype(dtype).itemsize
    for size in shape:
        total *= int(size)  # Python ints: no overflow however large the shape
    check_work(total, what=what, blame=blame)


@dataclass(frozen=True)
class Plan:
    """A checked geometry and the index arrays its small-size routes gather with.

    ``window_taps[(u*kw + v)*Ho*Wo + i*Wo + j]`` is the flat position, in one padded input map,
    that tap ``(u, v)`` of window ``(i, j)`` reads. ``delta_taps[(u*kw + v)*H*W + y*W + x]`` is
    the flat position, in one delta map, of the window whose tap ``(u, v)`` reads input pixel
    ``(y, x)``, or ``Ho*Wo`` (a zero appended to the map) when no window does. Each is built on
    first use: the routes for large sizes never need them.
    """

    geometry: Geometry
    # the geometry's sizes again, as plain tuples: its properties recompute on every read
    input_size: Pair
    kernel_size: Pair
    output_size: Pair
    padded_size: Pair
    interior: tuple[slice, slice]  # where the input sits inside the padded map
    window_tap_count: int  # kh*kw*Ho*Wo, the length of window_taps
    delta_tap_count: int  # kh*kw*H*W, the length of delta_taps

    @functools.cached_property
    def window_taps(self) -> np.ndarray:  # (kh*kw*Ho*Wo,)
        return _window_taps(self.geometry)

    @functools.cached_property
    def delta_taps(self) -> np.ndarray:  # (kh*kw*H*W,)
        return _delta_taps(self.geometry)


def _pair(value: IntOrPair, name: str, minimum: int) -> Pair:
    """:func:`as_pair` with a shortcut for plain ints and int tuples (the usual call)."""
    if type(value) is int and value >= minimum:  # exactly int: bools take the slow, strict path
        return (value, value)
    if (
        type(value) is tuple
        and len(value) == 2
        and type(value[0]) is int
        and type(value[1]) is int
        and min(value) >= minimum
    ):
        return value
    return as_pair(value, name, minimum)


def plan_for(
    input_size: IntOrPair,
    kernel_size: tuple[int, ...],
    stride: IntOrPair,
    padding: IntOrPair,
    dilation: IntOrPair,
) -> Plan:
    """The cached :class:`Plan` for these settings; raises naming the parameter at fault."""
    return _plan(
        _pair(input_size, "input_size", 1),
        _pair(tuple(kernel_size), "kernel_size", 1),
        _pair(stride, "stride", 1),
        _pair(padding, "padding", 0),
        _pair(dilation, "dilation", 1),
    )


# least recently used first; every step below is one dict operation, safe without a lock
_plans: OrderedDict[tuple, Plan] = OrderedDict()


def _plan(input_size: Pair, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair) -> Plan:
    """The plan for these pairs, from the cache when it is there (bounded by entries and bytes)."""
    key = (input_size, kernel_size, stride, padding, dilation)
    plan = _plans.get(key)
    if plan is not None:
        try:
            _plans.move_to_end(key)  # now the most recently used
        except KeyError:  # another thread let it go meanwhile: it still serves this call
            pass
        return plan
    geometry = Geometry(input_size, kernel_size, stride=stride, padding=padding, dilation=dilation)
    (h, w), (kh, kw), (ph, pw) = geometry.input_size, geometry.kernel_size, geometry.padding
    (ho, wo) = geometry.output_size
    plan = Plan(
        geometry, input_size=geometry.input_size, kernel_size=geometry.kernel_size,
        output_size=geometry.output_size, padded_size=geometry.padded_size,
        interior=(slice(ph, ph + h), slice(pw, pw + w)),
        window_tap_count=kh * kw * ho * wo, delta_tap_count=kh * kw * h * w,
    )  # fmt: skip
    most = INDEX_BYTES * (plan.window_tap_count + plan.delta_tap_count)  # once both are built
    if most <= _PLAN_CACHE_BYTES:  # a larger plan serves its call and is then let go
        _plans[key] = plan
        while _plans and (len(_plans) > _PLAN_CACHE_ENTRIES or cached_bytes() > _PLAN_CACHE_BYTES):
            _plans.pop(next(iter(_plans), None), None)  # the least recently used
    return plan


def cached_bytes() -> int:
    """Bytes the cached plans' index arrays take once built (what the cache is bounded by)."""
    plans = list(_plans.values())
    return sum(INDEX_BYTES * (p.window_tap_count + p.delta_tap_count) for p in plans)


def _window_taps(geometry: Geometry) -> np.ndarray:
    """See :class:`Plan`: ``(kh*kw*Ho*Wo,)`` flat padded positions, read-only."""
    (kh, kw), (sh, sw), (dil_h, dil_w) = geometry.kernel_size, geometry.stride, geometry.dilation
    (ho, wo), wp = geometry.output_size, geometry.padded_size[1]
    tap_rows = np.arange(kh)[:, None, None, None] * dil_h  # (kh, 1, 1, 1): u*dil_h
    tap_cols = np.arange(kw)[None, :, None, None] * dil_w  # (1, kw, 1, 1): v*dil_w
    out_rows = np.arange(ho)[None, None, :, None] * sh  # (1, 1, Ho, 1): i*sh
    out_cols = np.arange(wo)[None, None, None, :] * sw  # (1, 1, 1, Wo): j*sw
    window_taps = (tap_rows + out_rows) * wp + (tap_cols + out_cols)  # (kh, kw, Ho, Wo)
    window_taps.setflags(write=False)  # shared by every call with this geometry
    return window_taps.reshape(-1)


def _delta_taps(geometry: Geometry) -> np.ndarray:
    """See :class:`Plan`: ``(kh*kw*H*W,)`` flat delta positions (``Ho*Wo``: none), read-only."""
    (h, w), (kh, kw), (sh, sw) = geometry.input_size, geometry.kernel_size, geometry.stride
    (dil_h, dil_w), (ph, pw), (ho, wo) = geometry.dilation, geometry.padding, geometry.output_size
    tap_rows = np.arange(kh)[:, None, None, None] * dil_h  # (kh, 1, 1, 1): u*dil_h
    tap_cols = np.arange(kw)[None, :, None, None] * dil_w  # (1, kw, 1, 1): v*dil_w
    # invert "padded row = i*sh + u*dil_h": window row i = (y + ph - u*dil_h) / sh, when whole
    in_rows = np.arange(h)[None, None, :, None] + ph - tap_rows  # (kh, 1, H, 1)
    in_cols = np.arange(w)[None, None, None, :] + pw - tap_cols  # (1, kw, 1, W)
    i, j = in_rows // sh, in_cols // sw  # window indices, valid where the checks below hold
    hit_rows = (in_rows % sh == 0) & (i >= 0) & (i < ho)  # (kh, 1, H, 1)
    hit_cols = (in_cols % sw == 0) & (j >= 0) & (j < wo)  # (1, kw, 1, W)
    delta_taps = np.where(hit_rows & hit_cols, i * wo + j, ho * wo)  # (kh, kw, H, W)
    delta_taps.setflags(write=False)  # shared by every call with this geometry
    return delta_taps.reshape(-1)
