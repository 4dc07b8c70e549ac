"""Lessons 1 and 2: the previous layer's delta, ``δ^l`` from ``δ^{l+1}``, for one sample.

Analytic (a full correlation ⋆ with ``rot180(w)``, times ``σ'(z^l)``) and by finite differences,
so a lesson can set the two side by side. ``z_prev`` is ``(C, H, W)``, ``w`` is
``(K, C, kh, kw)`` and ``delta_next`` is ``(K, Ho, Wo)``.
"""

from __future__ import annotations

import numpy as np

from cnnviz.core.activations import activate, derivative
from cnnviz.core.conv import IntOrPair, conv2d, input_grad_by_full_convolution
from cnnviz.core.geometry import Geometry
from cnnviz.core.gradcheck import numerical_gradient
from cnnviz.lessons.checks import as_real

__all__ = [
    "delta_previous_layer",
    "delta_previous_layer_numeric",
]


def _previous_layer_inputs(z_prev, w, delta_next, stride, padding, dilation):
    z_prev = as_real(z_prev, "z_prev", 3, "(C, H, W)")
    w = as_real(w, "w", 4, "(K, C, kh, kw)")
    delta_next = as_real(delta_next, "delta_next", 3, "(K, Ho, Wo)")
    g = Geometry(z_prev.shape[1:], w.shape[2:], stride=stride, padding=padding, dilation=dilation)
    if delta_next.shape != (w.shape[0], *g.output_size):
        raise ValueError(
            f"delta_next must be {(w.shape[0], *g.output_size)} for "
            f"{g.describe()}; got {delta_next.shape}"
        )
    return z_prev, w, delta_next, g


def delta_previous_layer(
    z_prev: np.ndarray,
    w: np.ndarray,
    delta_next: np.ndarray,
    *,
    activation_name: str = "sigmoid",
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """``δ^l = (Σ_k δ^{l+1}_k ⋆_full rot180(w^{l+1}_{k,c})) ⊙ σ'(z^l)``, for one sample.

    Parameters
    ----------
    z_prev : ``(C, H, W)``, the layer-l pre-activation ``z^l`` (``a^l = σ(z^l)``)
    w : ``(K, C, kh, kw)``, the next layer's filters ``w^{l+1}``
    delta_next : ``(K, Ho, Wo)``, ``δ^{l+1} = dL/dz^{l+1}``

    Returns
    -------
    delta : ``(C, H, W)``, ``δ^l = dL/dz^l``
    """
    z_prev, w, delta_next, g = _previous_layer_inputs(
        z_prev, w, delta_next, stride, padding, dilation
    )
    contrib = input_grad_by_full_convolution(
        delta_next, w, g.input_size, stride=g.stride, padding=g.padding, dilation=g.dilation
    )  # (K, C, H, W)
    return contrib.sum(axis=0) * derivative(activation_name, z_prev)


def delta_previous_layer_numeric(
    z_prev: np.ndarray,
    w: np.ndarray,
    delta_next: np.ndarray,
    *,
    activation_name: str = "sigmoid",
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """``δ^l`` by finite differences: nudge each ``z^l`` entry, watch ``L = Σ z^{l+1}·δ^{l+1}``."""
    z_prev, w, delta_next, g = _previous_layer_inputs(
        z_prev, w, delta_next, stride, padding, dilation
    )
    derivative(activation_name, z_prev)  # refuses an unknown activation before the loop
    settings = {"stride": g.stride, "padding": g.padding, "dilation": g.dilation}

    def loss(z: np.ndarray) -> float:
        return float(
            np.sum(conv2d(activate(activation_name, z)[None], w, **settings)[0] * delta_next)
        )

    return numerical_gradient(loss, z_prev)
