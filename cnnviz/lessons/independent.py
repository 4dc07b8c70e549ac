"""Lesson 03's checks from outside cnnviz: PyTorch when it is installed, scipy otherwise.

The matrix view and the transposed convolution of lesson 03 are built by cnnviz; checking them
against cnnviz's own ``conv2d_backward`` would only show cnnviz agrees with itself. These give
the same numbers from a library the student already trusts: ``torch.nn.ConvTranspose2d`` and
``torch.nn.functional.conv2d`` (torch is in the test requirements), or, without torch,
``scipy.signal.correlate2d`` and the conv-arithmetic recipe written with scipy alone.

One sample: ``x (C, H, W)``, ``w (K, C, kh, kw)``, ``delta (K, Ho, Wo)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from cnnviz.core.geometry import Geometry
from cnnviz.lessons.checks import as_geometry, as_real
from cnnviz.lessons.matrix_view import conv_arithmetic_transposed

__all__ = ["Reference", "forward_reference", "transposed_reference"]


@dataclass(frozen=True)
class Reference:
    """A result and the library that computed it (``"torch …"`` or ``"scipy …"``)."""

    route: str
    value: np.ndarray


def _torch():
    """The torch module, or None when it is not installed (the lesson then uses scipy)."""
    try:
        import torch  # optional: only for this independent check
    except ImportError:
        return None
    return torch


def _shapes(g: Geometry, w: np.ndarray, **arrays: np.ndarray) -> None:
    expected = {"x": (w.shape[1], *g.input_size), "delta": (w.shape[0], *g.output_size)}
    for name, array in arrays.items():
        if array.shape != expected[name]:
            raise ValueError(f"{name} must be {expected[name]} for {g.describe()}; "
                             f"got {array.shape}")  # fmt: skip


def transposed_reference(
    delta: np.ndarray, w: np.ndarray, geometry: Geometry, output_padding: tuple[int, int],
    *, use_torch: bool = True,
) -> Reference:  # fmt: skip
    """``dL/dx (C, H, W)`` as a transposed convolution, by torch's ``ConvTranspose2d`` (its
    weight set to ``w``, no bias) or, without torch, by the scipy conv-arithmetic recipe."""
    g = as_geometry(geometry)
    w = as_real(w, "w", 4, "(K, C, kh, kw)")
    delta = as_real(delta, "delta", 3, "(K, Ho, Wo)")
    _shapes(g, w, delta=delta)
    torch = _torch() if use_torch else None
    if torch is None:
        return Reference("scipy conv-arithmetic recipe",
                         conv_arithmetic_transposed(delta, w, g, output_padding))  # fmt: skip
    layer = torch.nn.ConvTranspose2d(
        w.shape[0], w.shape[1], g.kernel_size, stride=g.stride, padding=g.padding,
        output_padding=tuple(output_padding), dilation=g.dilation, bias=False,
        dtype=torch.float64,
    )  # fmt: skip
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(w))  # (K, C, kh, kw): in_channels = K filters
        out = layer(torch.from_numpy(delta)[None])[0].numpy()
    return Reference("torch.nn.ConvTranspose2d", out)


def forward_reference(
    x: np.ndarray, w: np.ndarray, geometry: Geometry, *, use_torch: bool = True
) -> Reference:
    """``z (K, Ho, Wo)`` by ``torch.nn.functional.conv2d`` or, without torch, by
    ``scipy.signal.correlate2d`` of each padded channel with each dilated slice, every s-th."""
    g = as_geometry(geometry)
    w = as_real(w, "w", 4, "(K, C, kh, kw)")
    x = as_real(x, "x", 3, "(C, H, W)")
    _shapes(g, w, x=x)
    torch = _torch() if use_torch else None
    if torch is not None:
        z = torch.nn.functional.conv2d(torch.from_numpy(x)[None], torch.from_numpy(w),
                                       stride=g.stride, padding=g.padding,
                                       dilation=g.dilation)  # fmt: skip
        return Reference("torch.nn.functional.conv2d", z[0].numpy())
    (ph, pw), (sh, sw), (dh, dw) = g.padding, g.stride, g.dilation
    framed = np.pad(x, ((0, 0), (ph, ph), (pw, pw)))
    taps = np.zeros((*w.shape[:2], *g.kernel_extent))
    taps[..., ::dh, ::dw] = w
    (ho, wo) = g.output_size
    z = np.stack([
        sum(signal.correlate2d(framed[c], taps[k, c], "valid") for c in range(w.shape[1]))
        for k in range(w.shape[0])
    ])  # fmt: skip
    return Reference("scipy.signal.correlate2d", z[:, : (ho - 1) * sh + 1 : sh,
                                                  : (wo - 1) * sw + 1 : sw])  # fmt: skip
