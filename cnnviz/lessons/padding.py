"""Lesson 5, padding, dilation and overlap: the gradient padding gets, and uneven overlap."""

from __future__ import annotations

import numpy as np

from cnnviz.core.conv import IntOrPair, conv2d_backward, input_grad_contributions
from cnnviz.core.geometry import Geometry
from cnnviz.lessons.checks import as_geometry, as_real

__all__ = [
    "all_ones_input_grad",
    "input_grad_before_crop",
]


def input_grad_before_crop(
    delta: np.ndarray,
    w: np.ndarray,
    input_size: IntOrPair,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """The input gradient on the *padded* grid, before the padding is cropped off.

    The border is the gradient with respect to the padding zeros: they are constants, not
    inputs, so backprop throws it away.

    Parameters
    ----------
    delta : ``(K, Ho, Wo)``; w : ``(K, C, kh, kw)``; input_size : int or ``(H, W)``

    Returns
    -------
    grad : ``(C, H + 2*ph, W + 2*pw)``
    """
    w = as_real(w, "w", 4, "(K, C, kh, kw)")
    g = Geometry(input_size, w.shape[2:], stride=stride, padding=padding, dilation=dilation)
    contrib = input_grad_contributions(
        delta, w, g.padded_size, stride=g.stride, padding=0, dilation=g.dilation
    )  # (K, C, Hp, Wp)
    return contrib.sum(axis=0)


def all_ones_input_grad(geometry: Geometry) -> np.ndarray:
    """dL/dx ``(H, W)`` when every delta element and every kernel tap is 1.

    Each pixel then receives exactly one unit per (window, tap) that read it, so this equals
    :meth:`Geometry.window_counts`: the checkerboard of uneven overlap, from the backward pass.
    """
    geometry = as_geometry(geometry)
    ones_delta = np.ones((1, 1, *geometry.output_size))
    ones_kernel = np.ones((1, 1, *geometry.kernel_size))
    dx, _, _ = conv2d_backward(
        ones_delta,
        np.zeros((1, 1, *geometry.input_size)),
        ones_kernel,
        stride=geometry.stride,
        padding=geometry.padding,
        dilation=geometry.dilation,
    )
    return dx[0, 0]
