"""Lessons 2 and 3: the backward pass as a forward convolution, and as a matrix (what libraries do).

* :func:`backward_as_forward_conv`: ``dx`` is ``conv2d`` of the padded, dilated δ with the
  filter bank transposed (K ↔ C, ``w.swapaxes(0, 1)``) and every slice turned by rot180.
* The matrix view: ``z = W_mat · cols`` (im2col), ``dx = col2im(W_matᵀ · δ)``, ``dW = δ · colsᵀ``.
  The forward pass is one matrix ``M`` acting on the flattened input; the backward pass
  multiplies by ``Mᵀ``: hence the name *transposed* convolution.
* :func:`conv_arithmetic_transposed`: the recipe of the conv-arithmetic guide, on its own
  (scipy.signal, no cnnviz routine): insert s − 1 zeros, pad e − p − 1, add output_padding,
  slide rot180 of the kernel at stride 1.

One sample: ``x (C, H, W)``, ``w (K, C, kh, kw)``, ``delta (K, Ho, Wo)``.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import signal

from cnnviz.core.conv import conv2d, dilate, rot180
from cnnviz.core.geometry import Geometry
from cnnviz.lessons.checks import as_geometry, as_real

__all__ = [
    "backward_as_forward_conv",
    "col2im",
    "conv_arithmetic_transposed",
    "forward_matrix",
    "im2col",
    "input_grad_by_matrix",
    "weight_grad_by_matrix",
    "weight_matrix",
    "z_by_matrix",
]


def _checked(geometry: object, **arrays: object) -> tuple[Geometry, dict[str, np.ndarray]]:
    """The geometry and float copies of the arrays, each checked against it (names in errors)."""
    g = as_geometry(geometry)
    layouts = {"x": (3, "(C, H, W)"), "w": (4, "(K, C, kh, kw)"), "delta": (3, "(K, Ho, Wo)")}
    out = {name: as_real(value, name, *layouts[name]) for name, value in arrays.items()}
    expected = {"x": g.input_size, "w": g.kernel_size, "delta": g.output_size}
    for name, array in out.items():
        if array.shape[-2:] != expected[name]:
            raise ValueError(f"{name} must end in {expected[name]} for {g.describe()}; "
                             f"got {array.shape}")
    return g, out


def backward_as_forward_conv(delta: np.ndarray, w: np.ndarray, geometry: Geometry) -> np.ndarray:
    """``dx (C, H, W)`` as a *forward* ``conv2d``: the depth question answered in code.

    ``conv2d(pad_{e-1}(dilate_s(δ)), rot180(w).swapaxes(0, 1), dilation=d)``: the bank is
    transposed (C filters, each K deep) and each slice turned, then the padding is cropped.
    """
    g, a = _checked(geometry, delta=delta, w=w)
    delta, w = a["delta"], a["w"]
    (eh, ew), (ph, pw), (h, wd) = g.kernel_extent, g.padding, g.input_size
    spread = np.pad(dilate(delta, g.stride), ((0, 0), (eh - 1, eh - 1), (ew - 1, ew - 1)))
    bank = rot180(w).swapaxes(0, 1)  # (C, K, kh, kw): the filter bank transposed
    full = conv2d(spread[None], bank, dilation=g.dilation)[0]  # (C, Hd+eh-1, Wd+ew-1)
    grid = np.zeros((bank.shape[0], *g.padded_size))  # rows no window reached stay 0
    grid[:, : full.shape[1], : full.shape[2]] = full
    return grid[:, ph : ph + h, pw : pw + wd]


def im2col(x: np.ndarray, geometry: Geometry) -> np.ndarray:
    """``cols (C·kh·kw, Ho·Wo)``: column ``(i, j)`` holds the window that makes ``z[:, i, j]``."""
    g, a = _checked(geometry, x=x)
    (ph, pw), (dh, dw), (sh, sw) = g.padding, g.dilation, g.stride
    padded = np.pad(a["x"], ((0, 0), (ph, ph), (pw, pw)))
    windows = sliding_window_view(padded, g.kernel_extent, axis=(1, 2))  # (C, ., ., eh, ew)
    windows = windows[:, ::sh, ::sw, ::dh, ::dw]  # (C, Ho, Wo, kh, kw): the real taps
    c, ho, wo, kh, kw = windows.shape
    return windows.transpose(0, 3, 4, 1, 2).reshape(c * kh * kw, ho * wo)


def weight_matrix(w: np.ndarray) -> np.ndarray:
    """``W_mat (K, C·kh·kw)``: one row per filter, its slices laid end to end."""
    w = np.asarray(w, dtype=float)
    return w.reshape(w.shape[0], -1)


def z_by_matrix(x: np.ndarray, w: np.ndarray, geometry: Geometry) -> np.ndarray:
    """``z (K, Ho, Wo) = W_mat · cols``, without the bias."""
    g = as_geometry(geometry)
    return (weight_matrix(w) @ im2col(x, g)).reshape(w.shape[0], *g.output_size)


def col2im(cols: np.ndarray, channels: int, geometry: Geometry) -> np.ndarray:
    """Add columns ``(C·kh·kw, Ho·Wo)`` back onto the windows they came from: ``(C, H, W)``.

    The inverse walk of :func:`im2col`; overlapping windows add up, the padding is cropped.
    """
    g = as_geometry(geometry)
    (kh, kw), (ho, wo), (sh, sw), (dh, dw) = g.kernel_size, g.output_size, g.stride, g.dilation
    blocks = np.asarray(cols, dtype=float).reshape(channels, kh, kw, ho, wo)
    grid = np.zeros((channels, *g.padded_size))
    for u in range(kh):  # one slice assignment per tap, never per pixel
        for v in range(kw):
            rows = slice(u * dh, u * dh + (ho - 1) * sh + 1, sh)
            cols_ = slice(v * dw, v * dw + (wo - 1) * sw + 1, sw)
            grid[:, rows, cols_] += blocks[:, u, v]
    (ph, pw), (h, wd) = g.padding, g.input_size
    return grid[:, ph : ph + h, pw : pw + wd]


def input_grad_by_matrix(delta: np.ndarray, w: np.ndarray, geometry: Geometry) -> np.ndarray:
    """``dx (C, H, W) = col2im(W_matᵀ · δ_mat)``."""
    geometry, a = _checked(geometry, delta=delta, w=w)
    delta, w = a["delta"], a["w"]
    columns = weight_matrix(w).T @ delta.reshape(delta.shape[0], -1)  # (C·kh·kw, Ho·Wo)
    return col2im(columns, np.shape(w)[1], geometry)


def weight_grad_by_matrix(x: np.ndarray, delta: np.ndarray, geometry: Geometry) -> np.ndarray:
    """``dW (K, C, kh, kw) = δ_mat · colsᵀ``."""
    g, a = _checked(geometry, x=x, delta=delta)
    x, delta = a["x"], a["delta"]
    grads = delta.reshape(delta.shape[0], -1) @ im2col(x, g).T  # (K, C·kh·kw)
    return grads.reshape(delta.shape[0], np.shape(x)[0], *g.kernel_size)


def forward_matrix(w: np.ndarray, geometry: Geometry) -> np.ndarray:
    """``M (K·Ho·Wo, C·H·W)``: the whole convolution as one matrix, ``z.ravel() = M @ x.ravel()``.

    Built column by column from :func:`z_by_matrix` of one-hot inputs (small layers only).
    """
    g = as_geometry(geometry)
    c, (h, wd) = np.shape(w)[1], g.input_size
    basis = np.eye(c * h * wd).reshape(-1, c, h, wd)
    return np.stack([z_by_matrix(e, w, g).ravel() for e in basis], axis=1)


def conv_arithmetic_transposed(
    delta: np.ndarray, w: np.ndarray, geometry: Geometry, output_padding: tuple[int, int]
) -> np.ndarray:
    """The conv-arithmetic recipe for a transposed convolution, with scipy only: ``(C, H, W)``.

    Insert ``s − 1`` zeros between δ's elements, pad ``e − p − 1`` zeros on every side
    (``e = d(kh − 1) + 1``; a negative amount crops), add ``output_padding`` zeros at the
    bottom and right, then slide rot180 of the dilated kernel at stride 1 (valid), summing
    over the filters.
    """
    g, a = _checked(geometry, delta=delta, w=w)
    delta, w = a["delta"], a["w"]
    spread = np.zeros((delta.shape[0], *g.dilated_output_size))
    spread[:, :: g.stride[0], :: g.stride[1]] = delta  # s − 1 zeros between neighbours
    amount = [e - p - 1 for e, p in zip(g.kernel_extent, g.padding, strict=True)]
    pads = [(max(a, 0), max(a, 0) + extra) for a, extra in zip(amount, output_padding,
                                                                 strict=True)]
    framed = np.pad(spread, [(0, 0), *pads])
    framed = framed[:, max(-amount[0], 0) : framed.shape[1] - max(-amount[0], 0) or None,
                    max(-amount[1], 0) : framed.shape[2] - max(-amount[1], 0) or None]
    taps = np.zeros((*w.shape[:2], *g.kernel_extent))
    taps[..., :: g.dilation[0], :: g.dilation[1]] = w
    return np.stack([
        sum(signal.correlate2d(framed[k], taps[k, c][::-1, ::-1], "valid")
            for k in range(w.shape[0]))
        for c in range(w.shape[1])
    ])
