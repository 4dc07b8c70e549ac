"""Lesson 4, weights and bias: dW as a correlation, each position's vote, one entry checked.

The correlation helpers take one sample: ``x`` is ``(C, H, W)`` and ``delta`` is
``(K, Ho, Wo)``; :func:`finite_difference_entry` takes a batch, ``x`` ``(N, C, H, W)``.
``weight_grad_by_correlation`` (``dW[k, c] = x_c ⋆ dilate(δ_k)``, ⋆ cross-correlation) is the
core's textbook route, :func:`cnnviz.core.conv.weight_grad_by_correlation`, re-exported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnviz.core.conv import IntOrPair, conv2d, conv2d_backward, pad_input
from cnnviz.core.conv import weight_grad_by_correlation as weight_grad_by_correlation
from cnnviz.core.geometry import Geometry
from cnnviz.core.gradcheck import numerical_partials
from cnnviz.lessons.checks import as_real

__all__ = [
    "EntryCheck",
    "finite_difference_entry",
    "per_position_weight_grads",
    "weight_grad_by_correlation",
]


def _deep_inputs(
    x: object,
    delta: object,
    kernel_size: IntOrPair,
    stride: IntOrPair,
    padding: IntOrPair,
    dilation: IntOrPair,
) -> tuple[np.ndarray, np.ndarray, Geometry]:
    x = as_real(x, "x", 3, "(C, H, W)")
    delta = as_real(delta, "delta", 3, "(K, Ho, Wo)")
    g = Geometry(x.shape[1:], kernel_size, stride=stride, padding=padding, dilation=dilation)
    if delta.shape[1:] != g.output_size:
        raise ValueError(
            f"delta must be (K, {g.output_size[0]}, {g.output_size[1]}) for "
            f"{g.describe()}; got {delta.shape}"
        )
    return x, delta, g


def per_position_weight_grads(
    x: np.ndarray,
    delta: np.ndarray,
    kernel_size: IntOrPair,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """What each output position alone says about each weight: ``δ[k, i, j] · window(i, j)``.

    Returns
    -------
    parts : ``(Ho, Wo, K, C, kh, kw)``
        Summed over the first two axes it is ``dW``: the filter is one set of numbers shared
        by every position, so every position's vote is added into the same weights.
    """
    x, delta, g = _deep_inputs(x, delta, kernel_size, stride, padding, dilation)
    (eh, ew), (sh, sw), (dil_h, dil_w) = g.kernel_extent, g.stride, g.dilation
    (ho, wo) = g.output_size
    xp = pad_input(x, g.padding)  # (C, Hp, Wp)
    windows = sliding_window_view(xp, (eh, ew), axis=(1, 2))  # (C, ., ., eh, ew)
    windows = windows[:, : (ho - 1) * sh + 1 : sh, : (wo - 1) * sw + 1 : sw, ::dil_h, ::dil_w]
    return np.einsum("kij,cijuv->ijkcuv", delta, windows)  # (Ho, Wo, K, C, kh, kw)


@dataclass(frozen=True)
class EntryCheck:
    """One gradient entry, analytic beside finite difference."""

    parameter: str
    index: tuple[int, ...]
    analytic: float
    numeric: float

    @property
    def error(self) -> float:
        """``|analytic - numeric|``."""
        return abs(self.analytic - self.numeric)

    def __str__(self) -> str:
        return (
            f"d{self.parameter}{list(self.index)}: backprop {self.analytic:+.6f}, finite "
            f"difference {self.numeric:+.6f}, difference {self.error:.1e}"
        )


def finite_difference_entry(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    delta: np.ndarray,
    *,
    parameter: str,
    index: tuple[int, ...],
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    eps: float = 1e-6,
) -> EntryCheck:
    """Nudge one entry of ``x``, ``w`` or ``b`` up and down; compare with backprop.

    The loss is ``L = Σ z · delta``, so that ``dL/dz = delta``.

    Parameters
    ----------
    x : ``(N, C, H, W)``; w : ``(K, C, kh, kw)``; b : ``(K,)``; delta : ``(N, K, Ho, Wo)``
    parameter : ``"x"``, ``"w"`` or ``"b"``
    index : tuple of int, a valid index into that array
    """
    arrays = {
        "x": as_real(x, "x", 4, "(N, C, H, W)"),
        "w": as_real(w, "w", 4, "(K, C, kh, kw)"),
        "b": as_real(b, "b", 1, "(K,)"),
    }
    if parameter not in arrays:
        raise ValueError(f"parameter must be 'x', 'w' or 'b'; got {parameter!r}")
    target = arrays[parameter]
    index = tuple(int(i) for i in np.atleast_1d(index))
    if len(index) != target.ndim or not all(
        0 <= i < n for i, n in zip(index, target.shape, strict=True)
    ):
        raise ValueError(
            f"index must be a valid index into {parameter} {target.shape}; got {index}"
        )
    settings = {"stride": stride, "padding": padding, "dilation": dilation}
    delta = as_real(delta, "delta", 4, "(N, K, Ho, Wo)")

    def loss(nudged: np.ndarray) -> float:  # L with ``parameter`` replaced by ``nudged``
        given = {**arrays, parameter: nudged}
        return float(np.sum(conv2d(given["x"], given["w"], given["b"], **settings) * delta))

    entry = np.ravel_multi_index(index, target.shape)
    numeric = numerical_partials(loss, target, [entry], eps=eps)[0]
    dx, dw, db = conv2d_backward(delta, arrays["x"], arrays["w"], **settings)
    analytic = {"x": dx, "w": dw, "b": db}[parameter][index]
    return EntryCheck(parameter, index, float(analytic), float(numeric))
