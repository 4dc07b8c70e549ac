"""The 2-D map routines the formula vocabulary (:mod:`cnnviz.core.notation`) computes with.

One map ``(H, W)`` at a time, written the way the formulas read, not for speed; sizes may be an
int or an ``(h, w)`` pair. Tests compare them with ``scipy.signal``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnviz.core import budget
from cnnviz.core.conv import dilate, pad_input

FLOAT = np.dtype(float)

__all__ = ["convolve_2d", "correlate_2d", "dilate_map", "every_map", "pad_map", "pair"]


def pair(value: Any) -> tuple[int, int]:
    """An int or an ``(h, w)`` pair (any array-like) as a pair of ints."""
    value = np.asarray(value).astype(int)
    return (int(value), int(value)) if value.ndim == 0 else (int(value[0]), int(value[1]))


def correlate_2d(image: np.ndarray, kernel: np.ndarray, *, full: bool = False) -> np.ndarray:
    """``image ⋆ kernel``: slide ``kernel`` over ``image`` unflipped; ``(H, W) -> (H', W')``.

    ``out[i, j] = Σ_{u,v} image[i + u, j + v] · kernel[u, v]`` over the "valid" positions, or
    over every overlap when ``full`` (``image`` first padded with ``kh - 1``, ``kw - 1`` zeros).
    The size guard (:func:`correlate_bytes`) runs before anything is converted or copied.
    """
    image, kernel = _one_map(image, "image"), _one_map(kernel, "kernel")
    nbytes = correlate_bytes(image.shape, kernel.shape, full, image.dtype, kernel.dtype)
    budget.check_work(nbytes, what="correlate_2d", blame=f"image of shape {image.shape}")
    image, kernel = image.astype(FLOAT, copy=False), kernel.astype(FLOAT, copy=False)
    kh, kw = kernel.shape
    if full:
        image = np.pad(image, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    windows = np.lib.stride_tricks.sliding_window_view(image, (kh, kw))  # (H', W', kh, kw)
    return np.tensordot(windows, kernel, axes=([2, 3], [0, 1]))  # (H', W')


def _one_map(value: Any, name: str) -> np.ndarray:
    """``value`` as an array (not yet floats) with two axes, or a Type/ValueError naming it."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":  # strings, objects, complex: the float conversion below
        raise TypeError(f"{name} must hold real numbers; got dtype {array.dtype}")
    if array.ndim != 2:
        raise ValueError(f"{name} must be one map (H, W); got shape {array.shape}")
    return array


def correlate_bytes(
    image_shape: tuple[int, int],
    kernel_shape: tuple[int, int],
    full: bool,
    image_dtype: np.dtype = FLOAT,
    kernel_dtype: np.dtype = FLOAT,
) -> int:
    """Peak bytes :func:`correlate_2d` allocates: the maps as floats, the padded image (when
    ``full``), the windows laid out as rows (``tensordot`` copies them unless the kernel is
    1 x 1) and the result ``(H', W')``.
    """
    (h, w), (kh, kw) = image_shape, kernel_shape
    grow = 1 if full else -1  # H' = H + kh - 1 when full, H - kh + 1 when valid
    ho, wo = max(h + grow * (kh - 1), 0), max(w + grow * (kw - 1), 0)
    floats = h * w * (image_dtype != FLOAT) + kh * kw * (kernel_dtype != FLOAT)
    padded = (h + 2 * kh - 2) * (w + 2 * kw - 2) if full else 0
    rows = ho * wo * kh * kw if kh * kw > 1 else 0
    return FLOAT.itemsize * (floats + padded + rows + ho * wo)


def convolve_2d(image: np.ndarray, kernel: np.ndarray, *, full: bool = False) -> np.ndarray:
    """``image ∗ kernel``: true convolution, the kernel turned half a turn, then slid."""
    return correlate_2d(image, np.asarray(kernel)[::-1, ::-1], full=full)


def pad_map(image: np.ndarray, amount: Any) -> np.ndarray:
    """``pad_p``: ``p`` zeros on every side (the core's :func:`~cnnviz.core.conv.pad_input`)."""
    return pad_input(image, pair(amount))


def dilate_map(image: np.ndarray, step: Any) -> np.ndarray:
    """``dilate_s``: ``s - 1`` zeros between neighbours (the core's :func:`~.conv.dilate`)."""
    return dilate(image, pair(step))


def every_map(image: np.ndarray, step: Any) -> np.ndarray:
    """``every_s``: every s-th row and column, starting at 0."""
    sh, sw = pair(step)
    return image[::sh, ::sw]
