"""Checks on array arguments, shared by every public function that takes numbers in bulk."""

from __future__ import annotations

import numbers

import numpy as np


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
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{name} must hold real numbers; got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers; got complex dtype {array.dtype}")
    if array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions {layout}; got shape {array.shape}")
    return array
