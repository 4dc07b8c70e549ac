"""The 2-D map routines the formula vocabulary (:mod:`cnnviz.core.notation`) computes with.

One map ``(H, W)`` at a time, written the way the formulas read, not for speed; sizes may be an
int or an ``(h, w)`` pair. Tests compare them with ``scipy.signal``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnviz.core.conv import dilate, pad_input

__all__ = ["convolve_2d", "correlate_2d", "dilate_map", "every_map", "pad_map", "pair"]

def pair(value: Any) -> tuple[int, int]:
    """An int or an ``(h, w)`` pair (any array-like) as a pair of ints."""
    value = np.asarray(value).astype(int)
    return (int(value), int(value)) if value.ndim == 0 else (int(value[0]), int(value[1]))


def correlate_2d(image: np.ndarray, kernel: np.ndarray, *, full: bool = False) -> np.ndarray:
    """``image ⋆ kernel``: slide ``kernel`` over ``image`` unflipped; ``(H, W) -> (H', W')``.

    ``out[i, j] = Σ_{u,v} image[i + u, j + v] · kernel[u, v]`` over the "valid" positions, or
    over every overlap when ``full`` (``image`` first padded with ``kh - 1``, ``kw - 1`` zeros).
    """
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    kh, kw = kernel.shape
    if full:
        image = np.pad(image, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    windows = np.lib.stride_tricks.sliding_window_view(image, (kh, kw))  # (H', W', kh, kw)
    return np.tensordot(windows, kernel, axes=([2, 3], [0, 1]))  # (H', W')


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
