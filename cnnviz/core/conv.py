"""The convolution core, in lesson order: forward, backward, each channel's share, textbook routes.

Notation, as in the lessons: input ``x`` ``(N, C, H, W)`` (C is the depth D); filters ``w``
``(K, C, kh, kw)``; bias ``b`` ``(K,)``; output ``z`` ``(N, K, Ho, Wo)``; ``dout`` = ``delta`` =
dL/dz, shaped like ``z``; gradients ``dx``, ``dw``, ``db``. Kernel taps ``(u, v)``, window
positions ``(i, j)``; stride ``(sh, sw)``, padding ``(ph, pw)``, dilation ``(dil_h, dil_w)``.
⋆ is cross-correlation (slide, no flip): what :func:`conv2d` computes and deep-learning libraries
call convolution. ∗ is true convolution: ``a ∗ k = a ⋆ rot180(k)``.

The first three functions are fast (a gather and a matrix product, :mod:`cnnviz.core._fast`).
The textbook routes the lessons draw, :func:`input_grad_by_full_convolution` (dx) and
:func:`weight_grad_by_correlation` (dw), are built from :func:`dilate`, :func:`rot180` and
:func:`pad_input`; the tests check every route against them and a loop reference.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnviz.core import _fast, arrays, budget
from cnnviz.core.arrays import DOUT
from cnnviz.core.budget import Plan, plan_for
from cnnviz.core.geometry import Geometry, IntOrPair, as_pair


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

    ``z[n, k, i, j] = b[k] + sum_{c,u,v} w[k, c, u, v] * xp[n, c, i*sh + u*dil_h, j*sw + v*dil_w]``
    where ``xp`` is ``x`` zero-padded by ``padding``; in short
    ``z[n, k] = b[k] + sum_c xp[n, c] ⋆ w[k, c]``.

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
        ``Ho = floor((H + 2*ph - dil_h*(kh - 1) - 1) / sh) + 1``, likewise ``Wo``.
        float32 when every input is float32, otherwise float64.

    Raises
    ------
    TypeError, ValueError
        Naming the parameter and the rule it broke (every function here does the same).
    """
    x, w = arrays.input_and_filters(x, w)  # checked, not yet converted: the guard comes first
    b = None if b is None else arrays.bias(b, w.shape[0])
    plan = plan_for(x.shape[2:], w.shape[2:], stride, padding, dilation)
    given = [x, w] if b is None else [x, w, b]
    dtype = np.result_type(*map(arrays.float_dtype, given))  # float32 if all are float32
    n, k = x.shape[0], w.shape[0]
    nbytes = forward_bytes(x, w, b, dtype, plan)
    if nbytes > budget.work_limit():  # the message is built only when it is needed
        budget.refuse(nbytes, "conv2d", budget.blame(plan.geometry, f"x of shape {x.shape}"))
    kernel = np.ascontiguousarray(w, dtype=dtype).reshape(k, -1)  # (K, C*kh*kw)
    z = _fast.forward(x.astype(dtype, copy=False), kernel, plan)  # (N, K, Ho*Wo)
    if b is not None:
        z += b.astype(dtype, copy=False)[:, None]  # same bias at every position of map k
    return z.reshape(n, k, *plan.output_size)  # (N, K, Ho, Wo)


def forward_bytes(
    x: np.ndarray, w: np.ndarray, b: np.ndarray | None, dtype: np.dtype, plan: Plan
) -> int:
    """Peak bytes :func:`conv2d` allocates for these (checked, unconverted) arrays.

    Everything is counted from shapes and dtypes alone: the inputs converted to ``dtype``, the
    kernel's contiguous copy, the route's work arrays and the result.
    """
    (n, c), k = x.shape[:2], w.shape[0]
    nbytes = _fast.forward_bytes(n, c, k, dtype.itemsize, plan, x.flags.c_contiguous)
    given = [x, w] if b is None else [x, w, b]
    return nbytes + arrays.conversion_bytes(dtype, *given) + _kernel_copy_bytes(w, dtype)


def backward_bytes(
    dout: np.ndarray, x: np.ndarray, w: np.ndarray, dtype: np.dtype, plan: Plan
) -> int:
    """Peak bytes :func:`conv2d_backward` allocates, counted as :func:`forward_bytes` does."""
    (n, c), k = x.shape[:2], w.shape[0]
    nbytes = _fast.backward_bytes(n, c, k, dtype.itemsize, plan, x.flags.c_contiguous)
    nbytes += arrays.conversion_bytes(dtype, x, w, dout) + _kernel_copy_bytes(w, dtype)
    if dout.dtype == dtype and not dout.flags.c_contiguous:  # its reshape copies
        nbytes += dout.size * dtype.itemsize
    return nbytes + k * dtype.itemsize  # db


def _kernel_copy_bytes(w: np.ndarray, dtype: np.dtype) -> int:
    """Bytes of the contiguous ``(K, C*kh*kw)`` copy of w a pass makes (none when w is one)."""
    same = w.dtype == dtype and w.flags.c_contiguous
    return 0 if same else w.size * dtype.itemsize


def conv2d_backward(
    dout: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of a loss through :func:`conv2d`, given ``dout = delta = dL/dz``.

    * ``dx[n, c] = sum_k pad_full(dilate(delta[n, k])) ⋆ rot180(w[k, c])``, a full convolution
      ∗ with the padding cropped (see :func:`input_grad_by_full_convolution`).
    * ``dw[k, c] = sum_n xp[n, c] ⋆ dilate(delta[n, k])``, every dilation-th entry (see
      :func:`weight_grad_by_correlation`).
    * ``db[k] = sum_{n, i, j} delta[n, k, i, j]``.

    Parameters
    ----------
    dout : array ``(N, K, Ho, Wo)``
    x : array ``(N, C, H, W)``, the forward input
    w : array ``(K, C, kh, kw)``
    stride, padding, dilation : int or (h, w), the forward pass's settings

    Returns
    -------
    dx : array ``(N, C, H, W)``
    dw : array ``(K, C, kh, kw)``
    db : array ``(K,)``
    """
    x, w = arrays.input_and_filters(x, w)  # checked, not yet converted: the guard comes first
    dout = arrays.numeric_array(dout, "dout", 4, DOUT)
    plan = plan_for(x.shape[2:], w.shape[2:], stride, padding, dilation)
    n, k = x.shape[0], w.shape[0]
    arrays.check_shape(dout, "dout", (n, k, *plan.output_size), DOUT)
    dtype = np.result_type(*map(arrays.float_dtype, (x, w, dout)))
    nbytes = backward_bytes(dout, x, w, dtype, plan)
    if nbytes > budget.work_limit():
        subject = budget.blame(plan.geometry, f"x of shape {x.shape}")
        budget.refuse(nbytes, "conv2d_backward", subject)
    x, dout = x.astype(dtype, copy=False), dout.astype(dtype, copy=False)
    w = np.ascontiguousarray(w, dtype=dtype)
    delta = dout.reshape(n, k, plan.output_size[0] * plan.output_size[1])  # (N, K, Ho*Wo)
    dx, dw = _fast.backward(delta, x, w, plan)
    return dx, dw, delta.sum(axis=(0, 2))  # db: (K,)


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

    ``contrib[k, c] = pad_full(dilate(delta[k])) ⋆ rot180(w[k, c])`` with the padding cropped
    off, so that ``contrib.sum(axis=0)`` is that sample's ``dx``.

    Parameters
    ----------
    dout : array ``(K, Ho, Wo)``, one sample's delta dL/dz
    w : array ``(K, C, kh, kw)``
    input_size : int or (H, W)
    stride, padding, dilation : int or (h, w)

    Returns
    -------
    contrib : array ``(K, C, H, W)``
    """
    dout, w, geometry = arrays.one_sample(
        dout, w, input_size, stride, padding, dilation, what="input_grad_contributions", factor=1
    )
    return _tap_shares(dout, w, geometry)  # (K, C, H, W)


def _tap_shares(dout: np.ndarray, w: np.ndarray, geometry: Geometry) -> np.ndarray:
    """col2im of the columns ``w[k, c, u, v] · dout[k]``, one kernel tap at a time.

    The ``(K, C, kh, kw, Ho, Wo)`` columns never exist at once (a 64×64 3×3 layer on 56×56 maps
    would need 0.9 GB for them): one ``(K, C, Ho, Wo)`` share is reused for every tap.
    """
    k, c, kh, kw = w.shape
    (sh, sw), (dil_h, dil_w) = geometry.stride, geometry.dilation
    (ho, wo), (hp, wp) = geometry.output_size, geometry.padded_size
    (ph, pw), (h, w_) = geometry.padding, geometry.input_size
    grad = np.zeros((k, c, hp, wp), dtype=dout.dtype)
    share = np.empty((k, c, ho, wo), dtype=dout.dtype)
    for u in range(kh):
        rows = slice(u * dil_h, u * dil_h + (ho - 1) * sh + 1, sh)  # the Ho rows tap row u hits
        for v in range(kw):
            cols = slice(v * dil_w, v * dil_w + (wo - 1) * sw + 1, sw)  # the Wo cols of tap v
            np.multiply(w[:, :, u, v, None, None], dout[:, None], out=share)
            grad[:, :, rows, cols] += share
    return grad[:, :, ph : ph + h, pw : pw + w_]  # (K, C, H, W)


# --------------------------------------------------------------------------- textbook routes


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
    delta = arrays.any_rank(delta, "delta", 2, "(..., H, W)")
    ho, wo = delta.shape[-2:]
    if ho == 0 or wo == 0:
        raise ValueError(f"delta must not be empty in its last two axes; got {delta.shape}")
    shape = delta.shape[:-2] + ((ho - 1) * sh + 1, (wo - 1) * sw + 1)
    budget.check_result(shape, delta.dtype, "dilate", f"stride {(sh, sw)}")
    out = np.zeros(shape, dtype=delta.dtype)
    out[..., ::sh, ::sw] = delta
    return out


def rot180(kernel: np.ndarray) -> np.ndarray:
    """Rotate the last two axes by 180 degrees (flip both): ``(..., kh, kw)``, a copy.

    ``a ∗ kernel`` (convolution) is ``a ⋆ rot180(kernel)`` (cross-correlation).
    """
    kernel = arrays.any_rank(kernel, "kernel", 2, "(..., kh, kw)")
    budget.check_result(kernel.shape, kernel.dtype, "rot180", f"kernel of shape {kernel.shape}")
    return kernel[..., ::-1, ::-1].copy()


def pad_input(x: np.ndarray, padding: IntOrPair) -> np.ndarray:
    """Zero-pad the last two axes: ``(..., H, W)`` -> ``(..., H+2ph, W+2pw)``, a new array."""
    ph, pw = as_pair(padding, "padding", 0)
    x = arrays.any_rank(x, "x", 2, "(..., H, W)")
    shape = x.shape[:-2] + (x.shape[-2] + 2 * ph, x.shape[-1] + 2 * pw)
    budget.check_result(shape, x.dtype, "pad_input", f"padding {(ph, pw)}")
    out = np.zeros(shape, dtype=x.dtype)
    out[..., ph : ph + x.shape[-2], pw : pw + x.shape[-1]] = x
    return out


def input_grad_by_full_convolution(
    dout: np.ndarray,
    w: np.ndarray,
    input_size: IntOrPair,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """The textbook dx: the same ``(K, C, H, W)`` as :func:`input_grad_contributions`.

    1. dilate the delta ``(K, Ho, Wo)``: insert ``stride - 1`` zeros between its elements;
    2. pad it with ``extent - 1`` zeros on every side (a "full" convolution);
    3. slide ``rot180`` of the (dilated) kernel over it at stride 1 (⋆ with rot180 is ∗);
    4. rows/columns past the last window get zeros; crop off the forward padding.

    Slower than col2im; kept as the picture the lessons draw and as a test oracle. Parameters
    as for :func:`input_grad_contributions`.
    """
    delta, w, geometry = arrays.one_sample(
        dout, w, input_size, stride, padding, dilation,
        what="input_grad_by_full_convolution", factor=3,
    )  # fmt: skip
    eh, ew = geometry.kernel_extent
    spread = dilate(delta, geometry.stride)  # (K, Hd, Wd)
    framed = np.pad(spread, ((0, 0), (eh - 1, eh - 1), (ew - 1, ew - 1)))  # (K, Hd+2eh-2, .)
    kernel = rot180(dilate(w, geometry.dilation))  # (K, C, eh, ew)
    windows = sliding_window_view(framed, (eh, ew), axis=(1, 2))  # (K, Hd+eh-1, ., eh, ew)
    full = np.einsum("kijuv,kcuv->kcij", windows, kernel)  # (K, C, Hd+eh-1, Wd+ew-1)
    (hp, wp), (ph, pw), (h, wd) = geometry.padded_size, geometry.padding, geometry.input_size
    grad = np.zeros((*w.shape[:2], hp, wp), dtype=full.dtype)  # (K, C, Hp, Wp)
    grad[:, :, : full.shape[2], : full.shape[3]] = full  # untouched tail stays 0
    return grad[:, :, ph : ph + h, pw : pw + wd]  # (K, C, H, W)


def weight_grad_by_correlation(
    x: np.ndarray,
    delta: np.ndarray,
    kernel_size: IntOrPair,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """The textbook dw of one sample: ``(K, C, kh, kw)``, :func:`conv2d_backward`'s for it.

    ``dw[k, c] = pad(x[c]) ⋆ dilate(delta[k])``, read at every dilation-th position: tap
    ``(u, v)`` met padded pixel ``(i*sh + u*dil_h, j*sw + v*dil_w)`` of window ``(i, j)``.
    x is ``(C, H, W)``, delta ``(K, Ho, Wo)``, kernel_size ``(kh, kw)``; a batch's dw is the
    sum over its samples.
    """
    x, delta = arrays.sample_and_delta(x, delta)
    kernel_size = as_pair(kernel_size, "kernel_size", 1)
    geometry = plan_for(x.shape[1:], kernel_size, stride, padding, dilation).geometry
    arrays.check_shape(delta, "delta", (delta.shape[0], *geometry.output_size), "(K, Ho, Wo)")
    spread = dilate(delta, geometry.stride)  # (K, Hd, Wd)
    windows = sliding_window_view(pad_input(x, geometry.padding), spread.shape[1:], axis=(1, 2))
    (kh, kw), (dil_h, dil_w) = geometry.kernel_size, geometry.dilation
    taps = windows[:, : (kh - 1) * dil_h + 1 : dil_h, : (kw - 1) * dil_w + 1 : dil_w]
    return np.einsum("cuvij,kij->kcuv", taps, spread)  # taps: (C, kh, kw, Hd, Wd)
