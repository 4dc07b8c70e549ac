"""Argument checks shared by every room: arrays of numbers, counts, the conv core's layouts.

Each raises a TypeError or ValueError naming the parameter and the rule it breaks, and never
modifies the caller's array.
"""

from __future__ import annotations

import numbers

import numpy as np

from cnnviz.core import budget
from cnnviz.core.budget import plan_for
from cnnviz.core.geometry import Geometry, IntOrPair


def real_array(value: object, name: str, ndim: int, layout: str) -> np.ndarray:
    """``value`` as a NumPy array of real numbers with ``ndim`` dimensions; no copy is made.

    Parameters
    ----------
    value : array-like
        An ndarray, a (nested) list or tuple, or a number.
    name : str
        The parameter's name, used in error messages.
    ndim : int
        The rank the caller needs.
    layout : str
        The expected axes, e.g. ``"(N, C, H, W)"``, quoted in error messages.

    Raises
    ------
    TypeError
        If ``value`` is not array-like, or holds bools, strings, objects or complex numbers.
    ValueError
        If nested lists are ragged, or the rank is not ``ndim``.
    """
    if not isinstance(value, (np.ndarray, list, tuple, numbers.Number)):
        raise TypeError(f"{name} must be a numeric array {layout}; got {type(value).__name__}")
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular numeric array {layout}: {error}") from None
    if array.dtype.kind == "c":
        raise TypeError(f"{name} must hold real numbers; got complex dtype {array.dtype}")
    if array.dtype.kind not in "iuf":  # bools, times (timedelta64 is an int to numpy), objects
        raise TypeError(f"{name} must hold real numbers; got dtype {array.dtype}")
    if array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions {layout}; got shape {array.shape}")
    return array


def any_rank(value: object, name: str, min_ndim: int, layout: str) -> np.ndarray:
    """``value`` as a numeric array (ints or floats, not converted) of rank ``>= min_ndim``."""
    if isinstance(value, np.ndarray) and value.ndim >= 2:
        array = value
    elif isinstance(value, (np.ndarray, list, tuple, numbers.Number)):
        array = real_array(value, name, np.ndim(value), layout) if np.ndim(value) else None
    else:
        raise TypeError(f"{name} must be a numeric array {layout}; got {type(value).__name__}")
    if array is None or array.ndim < min_ndim:
        shape = np.shape(value)
        raise ValueError(f"{name} must have at least {min_ndim} dimensions {layout}; got {shape}")
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers; got dtype {array.dtype}")
    return array


def as_count(value: object, name: str, minimum: int = 1) -> int:
    """``value`` as an int ``>= minimum`` (bools refused), or a TypeError/ValueError naming it.

    Examples
    --------
    >>> as_count(3, "depth")
    3
    """
    if not isinstance(value, numbers.Integral) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


def float_dtype(array: np.ndarray) -> np.dtype:
    """The float dtype :func:`float_array` gives ``array``: ints float64, float16 float32."""
    if array.dtype.kind == "f":
        return array.dtype if array.dtype.itemsize >= 4 else np.dtype(np.float32)
    return np.dtype(np.float64)


def numeric_array(value: object, name: str, ndim: int, layout: str) -> np.ndarray:
    """:func:`real_array`, not yet converted (see :func:`float_dtype`): guards count first."""
    if (
        type(value) is np.ndarray
        and value.dtype.kind == "f"
        and value.dtype.itemsize >= 4
        and value.ndim == ndim
    ):
        return value  # the common case, checked in a few attribute reads
    return real_array(value, name, ndim, layout)


def float_array(value: object, name: str, ndim: int, layout: str) -> np.ndarray:
    """:func:`real_array`, as floats: ints become float64, float16 float32; never a copy of a float.

    The caller's array is only read. Raises as :func:`real_array` does.
    """
    array = numeric_array(value, name, ndim, layout)
    return array.astype(float_dtype(array), copy=False)


def conversion_bytes(dtype: np.dtype, *arrays: np.ndarray) -> int:
    """Bytes that ``array.astype(dtype, copy=False)`` allocates, summed over ``arrays``."""
    return sum(a.size * dtype.itemsize for a in arrays if a.dtype != dtype)


def check_not_empty(array: np.ndarray, name: str, layout: str, first_axis: int) -> None:
    """Every axis from ``first_axis`` on must have a length: no zero-size map or filter bank."""
    if 0 in array.shape[first_axis:]:
        raise ValueError(f"{name} {layout} must not have an empty axis; got shape {array.shape}")


# The layouts the conv core names in its errors.
X, W, DOUT = "(N, C, H, W)", "(K, C, kh, kw)", "(N, K, Ho, Wo)"


def input_and_filters(x: object, w: object) -> tuple[np.ndarray, np.ndarray]:
    """x ``(N, C, H, W)`` and w ``(K, C, kh, kw)``, numeric (not yet floats), depths agreeing."""
    x, w = numeric_array(x, "x", 4, X), numeric_array(w, "w", 4, W)
    check_not_empty(x, "x", X, 1)  # an empty batch (N = 0) is allowed
    check_not_empty(w, "w", W, 0)
    if w.shape[1] != x.shape[1]:
        raise ValueError(
            f"w has depth {w.shape[1]} but x has {x.shape[1]} channels: each filter must be "
            f"as deep as the input (w is {W}, x is {X})"
        )
    return x, w


def bias(b: object, k: int) -> np.ndarray:
    """The bias ``(K,)``, numeric (not yet floats), with one entry per filter."""
    b = numeric_array(b, "b", 1, "(K,)")
    if b.shape[0] != k:
        raise ValueError(f"b must have one entry per filter, K={k}; got {b.shape}")
    return b


def sample_and_delta(x: object, delta: object) -> tuple[np.ndarray, np.ndarray]:
    """One sample ``(C, H, W)`` and its delta ``(K, Ho, Wo)``, non-empty, in a common dtype."""
    x = numeric_array(x, "x", 3, "(C, H, W)")
    delta = numeric_array(delta, "delta", 3, "(K, Ho, Wo)")
    check_not_empty(x, "x", "(C, H, W)", 0)
    check_not_empty(delta, "delta", "(K, Ho, Wo)", 0)
    dtype = np.result_type(float_dtype(x), float_dtype(delta))
    nbytes = conversion_bytes(dtype, x, delta)
    budget.check_work(nbytes, what="weight_grad_by_correlation", blame=f"x of shape {x.shape}")
    return x.astype(dtype, copy=False), delta.astype(dtype, copy=False)


def one_sample(
    dout: object, w: object, input_size: IntOrPair, *settings: IntOrPair, what: str, factor: int
) -> tuple[np.ndarray, np.ndarray, Geometry]:
    """One sample's delta ``(K, Ho, Wo)`` and w ``(K, C, kh, kw)``, in their common dtype.

    ``settings`` are stride, padding and dilation; returns the checked geometry too. The size
    guard (:func:`budget.check_contributions` with ``what`` and ``factor``) runs before any
    conversion.
    """
    w = numeric_array(w, "w", 4, W)
    dout = numeric_array(dout, "dout", 3, "(K, Ho, Wo)")
    check_not_empty(w, "w", W, 0)
    geometry = plan_for(input_size, w.shape[2:], *settings).geometry
    check_shape(dout, "dout", (w.shape[0], *geometry.output_size), "(K, Ho, Wo)")
    dtype = np.result_type(float_dtype(w), float_dtype(dout))
    extra = conversion_bytes(dtype, w, dout)
    budget.check_contributions(w.shape, dtype.itemsize, geometry, what, factor, extra)
    return dout.astype(dtype, copy=False), w.astype(dtype, copy=False), geometry


def check_shape(array: np.ndarray, name: str, expected: tuple[int, ...], layout: str) -> None:
    """A delta (``dout``) must have the forward output's shape ``expected``."""
    if array.shape != expected:
        raise ValueError(
            f"{name} must have the forward output's shape {expected} {layout}; got {array.shape}"
        )
