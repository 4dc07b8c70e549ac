"""The convolution core: forward, backward and per-channel input-gradient contributions.

Notation, as in the lessons:

* ``x``  input,  ``(N, C, H, W)``: N samples, C input channels (the depth D).
* ``w``  filters, ``(K, C, kh, kw)``: K filters, each as deep as the input.
* ``b``  bias,   ``(K,)``: one number per filter, not per position.
* ``z``  output, ``(N, K, Ho, Wo)``: one map per filter, every pixel computed.
* ``dout`` / ``delta``: dL/dz, shaped like ``z``.

The forward pass is cross-correlation (no kernel flip), as deep-learning libraries compute it.
The fast paths gather windows with ``sliding_window_view`` (im2col) and do one matrix product;
the input gradient scatters columns back with one slice-add per kernel tap (col2im). There is
no Python loop over pixels. The "dilate, pad, rot180, full-correlate" route that the lessons
draw is :func:`input_grad_by_full_convolution`; the tests check that both routes agree.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnviz.geometry import Geometry, Pair, as_pair

IntOrPair = int | tuple[int, int]


# --------------------------------------------------------------------------- argument checks


def _as_array(value: object, name: str, ndim: int, layout: str) -> np.ndarray:
    """A read-only view of ``value`` as a real floating array of rank ``ndim``."""
    if not isinstance(value, (np.ndarray, list, tuple, numbers.Number)):
        raise TypeError(f"{name} must be a numeric array {layout}; got {type(value).__name__}")
    array = np.asarray(value)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{name} must hold real numbers; got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers; got complex dtype {array.dtype}")
    if array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions {layout}; got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.floating) or array.dtype == np.float16:
        array = array.astype(np.float64 if array.dtype != np.float16 else np.float32)
    return array


def _common_dtype(*arrays: np.ndarray) -> np.dtype:
    """float32 stays float32 only when every array is float32; otherwise float64."""
    return np.result_type(*arrays)


def _check_filters(x: np.ndarray, w: np.ndarray) -> None:
    if w.shape[1] != x.shape[1]:
        raise ValueError(
            f"w has depth {w.shape[1]} but x has {x.shape[1]} channels: each filter must be "
            "as deep as the input (w is (K, C, kh, kw), x is (N, C, H, W))"
        )


def _geometry(
    input_size: Pair, kernel_size: Pair, stride: IntOrPair, padding: IntOrPair, dilation: IntOrPair
) -> Geometry:
    return Geometry(input_size, kernel_size, stride=stride, padding=padding, dilation=dilation)


def _check_dout(dout: np.ndarray, expected: tuple[int, ...], layout: str) -> None:
    if dout.shape != expected:
        raise ValueError(
            f"dout must have the forward output's shape {expected} {layout}; got {dout.shape}"
        )


# --------------------------------------------------------------------------- small pieces


def pad_input(x: np.ndarray, padding: IntOrPair) -> np.ndarray:
    """Zero-pad the last two axes of ``x``: ``(..., H, W)`` -> ``(..., H+2ph, W+2pw)``.

    Always returns a new array, so callers may write into it.
    """
    ph, pw = as_pair(padding, "padding", 0)
    x = np.asarray(x)
    out = np.zeros(x.shape[:-2] + (x.shape[-2] + 2 * ph, x.shape[-1] + 2 * pw), dtype=x.dtype)
    out[..., ph : ph + x.shape[-2], pw : pw + x.shape[-1]] = x
    return out


def dilate(delta: np.ndarray, stride: IntOrPair) -> np.ndarray:
    """Insert ``stride - 1`` zeros between neighbouring elements of the last two axes.

    ``(..., Ho, Wo)`` -> ``(..., (Ho-1)*sh+1, (Wo-1)*sw+1)``. This is how a delta computed at
    stride s is spread back onto the stride-1 grid of window positions.

    Examples
    --------
    >>> dilate(np.array([[1, 2], [3, 4]]), 2)
    array([[1, 0, 2],
           [0, 0, 0],
           [3, 0, 4]])
    """
    sh, sw = as_pair(stride, "stride", 1)
    delta = np.asarray(delta)
    if delta.ndim < 2:
        raise ValueError(f"delta must have at least 2 dimensions (..., H, W); got {delta.shape}")
    ho, wo = delta.shape[-2:]
    out = np.zeros(delta.shape[:-2] + ((ho - 1) * sh + 1, (wo - 1) * sw + 1), dtype=delta.dtype)
    out[..., ::sh, ::sw] = delta
    return out


def rot180(kernel: np.ndarray) -> np.ndarray:
    """Rotate the last two axes by 180 degrees (flip both): ``(..., kh, kw)``, a copy."""
    kernel = np.asarray(kernel)
    if kernel.ndim < 2:
        raise ValueError(
            f"kernel must have at least 2 dimensions (..., kh, kw); got {kernel.shape}"
        )
    return kernel[..., ::-1, ::-1].copy()


def _windows(x_padded: np.ndarray, geometry: Geometry) -> np.ndarray:
    """Every window the forward pass reads, as a view: ``(N, C, Ho, Wo, kh, kw)``."""
    (sh, sw), (dh, dw) = geometry.stride, geometry.dilation
    ho, wo = geometry.output_size
    view = sliding_window_view(x_padded, geometry.kernel_extent, axis=(2, 3))  # (N,C,.,.,eh,ew)
    return view[:, :, : (ho - 1) * sh + 1 : sh, : (wo - 1) * sw + 1 : sw, ::dh, ::dw]


def _im2col(x_padded: np.ndarray, geometry: Geometry) -> np.ndarray:
    """Windows laid out for one matrix product: ``(N, C*kh*kw, Ho*Wo)`` (a copy)."""
    n, c = x_padded.shape[:2]
    (kh, kw), (ho, wo) = geometry.kernel_size, geometry.output_size
    windows = _windows(x_padded, geometry)  # (N, C, Ho, Wo, kh, kw)
    columns = windows.transpose(0, 1, 4, 5, 2, 3)  # (N, C, kh, kw, Ho, Wo)
    return columns.reshape(n, c * kh * kw, ho * wo)  # (N, C*kh*kw, Ho*Wo)


def _col2im(columns: np.ndarray, geometry: Geometry) -> np.ndarray:
    """Add each column entry back onto the pixel it was read from, then crop the padding.

    ``columns`` is ``(M, C, kh, kw, Ho, Wo)``; returns ``(M, C, H, W)``. One slice-add per
    kernel tap: the tap ``(i, j)`` of every window lands on a strided grid of pixels.
    """
    m, c, kh, kw = columns.shape[:4]
    (sh, sw), (dh, dw) = geometry.stride, geometry.dilation
    (ho, wo), (hp, wp) = geometry.output_size, geometry.padded_size
    (ph, pw), (h, w) = geometry.padding, geometry.input_size
    grad = np.zeros((m, c, hp, wp), dtype=columns.dtype)  # (M, C, Hp, Wp)
    for i in range(kh):
        rows = slice(i * dh, i * dh + (ho - 1) * sh + 1, sh)  # Ho rows hit by tap row i
        for j in range(kw):
            cols = slice(j * dw, j * dw + (wo - 1) * sw + 1, sw)  # Wo cols hit by tap col j
            grad[:, :, rows, cols] += columns[:, :, i, j]  # (M, C, Ho, Wo)
    return grad[:, :, ph : ph + h, pw : pw + w]  # (M, C, H, W)


# --------------------------------------------------------------------------- public core


def conv2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """2-D cross-correlation of a batch with a bank of depth-C filters (a conv layer's ``z``).

    ``z[n, k, i, j] = b[k] + sum_{c, u, v} w[k, c, u, v] * xp[n, c, i*sh + u*dh, j*sw + v*dw]``
    where ``xp`` is ``x`` zero-padded by ``padding``. No kernel flip: this is what
    deep-learning libraries call convolution.

    Parameters
    ----------
    x : array ``(N, C, H, W)``
    w : array ``(K, C, kh, kw)``
    b : array ``(K,)`` or None
    stride, padding, dilation : int or (h, w)
        PyTorch's meanings: stride >= 1, padding >= 0, dilation >= 1 (1 = dense).

    Returns
    -------
    z : array ``(N, K, Ho, Wo)``
        ``Ho = floor((H + 2*ph - dh*(kh-1) - 1) / sh) + 1``, likewise ``Wo``.
        float32 when every input is float32, otherwise float64.

    Raises
    ------
    TypeError, ValueError
        Naming the parameter and the rule it broke.
    """
    x = _as_array(x, "x", 4, "(N, C, H, W)")
    w = _as_array(w, "w", 4, "(K, C, kh, kw)")
    _check_filters(x, w)
    arrays = (x, w)
    if b is not None:
        b = _as_array(b, "b", 1, "(K,)")
        if b.shape[0] != w.shape[0]:
            raise ValueError(f"b must have one entry per filter, K={w.shape[0]}; got {b.shape}")
        arrays = (x, w, b)
    geometry = _geometry(x.shape[2:], w.shape[2:], stride, padding, dilation)
    dtype = _common_dtype(*arrays)
    n, k = x.shape[0], w.shape[0]
    ho, wo = geometry.output_size
    columns = _im2col(pad_input(x.astype(dtype, copy=False), geometry.padding), geometry)
    z = np.matmul(w.reshape(k, -1).astype(dtype, copy=False), columns)  # (N, K, Ho*Wo)
    if b is not None:
        z += b.astype(dtype, copy=False)[:, None]  # same bias at every position of map k
    return z.reshape(n, k, ho, wo)  # (N, K, Ho, Wo)


def conv2d_backward(
    dout: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of a loss through :func:`conv2d`, given ``dout = dL/dz``.

    * ``dx[n, c] = sum_k full_conv(dilate(dout[n, k]), rot180(w[k, c]))``, padding cropped.
    * ``dw[k, c] = sum_n xp[n, c] ⋆ dilate(dout[n, k])`` (a correlation, dilated by ``dilation``).
    * ``db[k] = sum_{n, i, j} dout[n, k, i, j]``.

    Parameters
    ----------
    dout : array ``(N, K, Ho, Wo)``
    x : array ``(N, C, H, W)``, the forward input
    w : array ``(K, C, kh, kw)``
    stride, padding, dilation : int or (h, w)
        The forward pass's settings.

    Returns
    -------
    dx : array ``(N, C, H, W)``
    dw : array ``(K, C, kh, kw)``
    db : array ``(K,)``
    """
    x = _as_array(x, "x", 4, "(N, C, H, W)")
    w = _as_array(w, "w", 4, "(K, C, kh, kw)")
    dout = _as_array(dout, "dout", 4, "(N, K, Ho, Wo)")
    _check_filters(x, w)
    geometry = _geometry(x.shape[2:], w.shape[2:], stride, padding, dilation)
    n, c = x.shape[:2]
    k, _, kh, kw = w.shape
    ho, wo = geometry.output_size
    _check_dout(dout, (n, k, ho, wo), "(N, K, Ho, Wo)")
    dtype = _common_dtype(x, w, dout)
    x, w, dout = (a.astype(dtype, copy=False) for a in (x, w, dout))

    delta = dout.reshape(n, k, ho * wo)  # (N, K, Ho*Wo)
    db = delta.sum(axis=(0, 2))  # (K,)
    columns = _im2col(pad_input(x, geometry.padding), geometry)  # (N, C*kh*kw, Ho*Wo)
    dw = np.matmul(delta, columns.transpose(0, 2, 1)).sum(axis=0)  # (K, C*kh*kw)
    dcolumns = np.matmul(w.reshape(k, -1).T, delta)  # (N, C*kh*kw, Ho*Wo)
    dx = _col2im(dcolumns.reshape(n, c, kh, kw, ho, wo), geometry)  # (N, C, H, W)
    return dx, dw.reshape(w.shape), db


def input_grad_contributions(
    dout: np.ndarray,
    w: np.ndarray,
    input_size: IntOrPair,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """What each output channel's delta sends into each input channel, for one sample.

    ``contrib[k, c] = full_conv(dilate(dout[k]), rot180(w[k, c]))`` with the padding cropped
    off, so that ``contrib.sum(axis=0)`` is that sample's ``dx``.

    Parameters
    ----------
    dout : array ``(K, Ho, Wo)``
        One sample's delta, dL/dz.
    w : array ``(K, C, kh, kw)``
    input_size : int or (H, W)
    stride, padding, dilation : int or (h, w)

    Returns
    -------
    contrib : array ``(K, C, H, W)``
    """
    w = _as_array(w, "w", 4, "(K, C, kh, kw)")
    dout = _as_array(dout, "dout", 3, "(K, Ho, Wo)")
    geometry = _geometry(input_size, w.shape[2:], stride, padding, dilation)
    _check_dout(dout, (w.shape[0], *geometry.output_size), "(K, Ho, Wo)")
    dtype = _common_dtype(w, dout)
    # every tap of filter slice w[k, c] times every delta element of map k
    columns = (
        w.astype(dtype, copy=False)[:, :, :, :, None, None]
        * dout.astype(dtype, copy=False)[:, None, None, None, :, :]
    )  # (K, C, kh, kw, Ho, Wo)
    return _col2im(columns, geometry)  # (K, C, H, W)


def input_grad_by_full_convolution(
    dout: np.ndarray,
    w: np.ndarray,
    input_size: IntOrPair,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """The textbook route to the same ``(K, C, H, W)`` as :func:`input_grad_contributions`.

    1. dilate the delta: insert ``stride - 1`` zeros between its elements;
    2. pad it with ``extent - 1`` zeros on every side (a "full" convolution);
    3. slide ``rot180`` of the (dilated) kernel over it at stride 1;
    4. rows/columns past the last window get zeros; crop off the forward padding.

    Slower than the col2im path; kept as the picture the lessons draw and as a test oracle.

    Parameters
    ----------
    dout : array ``(K, Ho, Wo)``
    w : array ``(K, C, kh, kw)``
    input_size : int or (H, W)

    Returns
    -------
    contrib : array ``(K, C, H, W)``
    """
    w = _as_array(w, "w", 4, "(K, C, kh, kw)")
    dout = _as_array(dout, "dout", 3, "(K, Ho, Wo)")
    geometry = _geometry(input_size, w.shape[2:], stride, padding, dilation)
    _check_dout(dout, (w.shape[0], *geometry.output_size), "(K, Ho, Wo)")
    dtype = _common_dtype(w, dout)
    eh, ew = geometry.kernel_extent
    spread = dilate(dout.astype(dtype, copy=False), geometry.stride)  # (K, Hd, Wd)
    framed = np.pad(spread, ((0, 0), (eh - 1, eh - 1), (ew - 1, ew - 1)))  # (K, Hd+2eh-2, .)
    kernel = rot180(dilate(w.astype(dtype, copy=False), geometry.dilation))  # (K, C, eh, ew)
    windows = sliding_window_view(framed, (eh, ew), axis=(1, 2))  # (K, Hd+eh-1, ., eh, ew)
    full = np.einsum("kijuv,kcuv->kcij", windows, kernel)  # (K, C, Hd+eh-1, Wd+ew-1)
    k, c = w.shape[:2]
    (hp, wp), (ph, pw) = geometry.padded_size, geometry.padding
    grad = np.zeros((k, c, hp, wp), dtype=dtype)  # (K, C, Hp, Wp)
    grad[:, :, : full.shape[2], : full.shape[3]] = full  # untouched tail stays 0
    h, wd = geometry.input_size
    return grad[:, :, ph : ph + h, pw : pw + wd]  # (K, C, H, W)
