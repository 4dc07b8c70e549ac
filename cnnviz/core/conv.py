"""The convolution core: forward, backward and per-channel input-gradient contributions.

Notation, as in the lessons:

* ``x``  input,  ``(N, C, H, W)``: N samples, C input channels (the depth D).
* ``w``  filters, ``(K, C, kh, kw)``: K filters, each as deep as the input.
* ``b``  bias,   ``(K,)``: one number per filter, not per position.
* ``z``  output, ``(N, K, Ho, Wo)``: one map per filter, every pixel computed.
* ``dout`` / ``delta``: dL/dz, shaped like ``z``.

The forward pass is cross-correlation (no kernel flip), as deep-learning libraries compute it.
Every pass is a gather and a matrix product; there is no Python loop over pixels.

* Forward: lay every window out as a column (im2col), then one product with the filters.
  Small problems gather with index arrays cached per geometry (one ``take``, microseconds);
  large ones copy a ``sliding_window_view``.
* Backward, small problems: gather, for each input pixel and kernel tap, the delta of the
  window that tap read it for (``delta_taps``); dx and dw are each one product with that.
* Backward, large problems: dw from the im2col columns; dx by scattering each tap's share back
  with one slice-add per kernel tap (col2im).
* Large batches go through in chunks of about a megabyte that reuse their work arrays, so the
  columns stay in cache and fresh memory is not faulted in for every chunk.

Measured against PyTorch in bench/bench_core.py. The "dilate, pad, rot180, full-correlate"
route that the lessons draw is :func:`input_grad_by_full_convolution`; the tests check that
every route agrees with it and with a loop reference (tests/reference.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnviz.core.arrays import real_array
from cnnviz.core.geometry import Geometry, Pair, as_pair

IntOrPair = int | tuple[int, int]


# --------------------------------------------------------------------------- argument checks


def _as_array(value: object, name: str, ndim: int, layout: str) -> np.ndarray:
    """``value`` as a real floating array of rank ``ndim``, never a copy when it already is one.

    ints and bools-free integer arrays become float64, float16 becomes float32; the caller's
    array is only read.
    """
    if (
        type(value) is np.ndarray
        and value.dtype.kind == "f"
        and value.dtype.itemsize >= 4
        and value.ndim == ndim
    ):
        return value  # the common case, checked in a few attribute reads
    array = real_array(value, name, ndim, layout)
    if not np.issubdtype(array.dtype, np.floating) or array.dtype == np.float16:
        array = array.astype(np.float64 if array.dtype != np.float16 else np.float32)
    return array


def _common_dtype(*arrays: np.ndarray) -> np.dtype:
    """float32 stays float32 only when every array is float32; otherwise float64."""
    return np.result_type(*arrays)


def _check_not_empty(array: np.ndarray, name: str, layout: str, first_axis: int) -> None:
    """Every axis from ``first_axis`` on must have a length: no zero-size map or filter bank."""
    if 0 in array.shape[first_axis:]:
        raise ValueError(f"{name} {layout} must not have an empty axis; got shape {array.shape}")


def _check_filters(x: np.ndarray, w: np.ndarray) -> None:
    _check_not_empty(x, "x", "(N, C, H, W)", 1)  # an empty batch (N = 0) is allowed
    _check_not_empty(w, "w", "(K, C, kh, kw)", 0)
    if w.shape[1] != x.shape[1]:
        raise ValueError(
            f"w has depth {w.shape[1]} but x has {x.shape[1]} channels: each filter must be "
            "as deep as the input (w is (K, C, kh, kw), x is (N, C, H, W))"
        )


def _pair(value: IntOrPair, name: str, minimum: int) -> Pair:
    """:func:`as_pair` with a shortcut for plain ints and int tuples (the usual call)."""
    if type(value) is int and value >= minimum:  # exactly int: bools take the slow, strict path
        return (value, value)
    if (
        type(value) is tuple
        and len(value) == 2
        and type(value[0]) is int
        and type(value[1]) is int
        and min(value) >= minimum
    ):
        return value
    return as_pair(value, name, minimum)


def _plan_for(
    input_size: IntOrPair,
    kernel_size: tuple[int, ...],
    stride: IntOrPair,
    padding: IntOrPair,
    dilation: IntOrPair,
) -> _Plan:
    """The cached :class:`_Plan` for these settings; raises naming the parameter at fault."""
    return _plan(
        _pair(input_size, "input_size", 1),
        _pair(tuple(kernel_size), "kernel_size", 1),
        _pair(stride, "stride", 1),
        _pair(padding, "padding", 0),
        _pair(dilation, "dilation", 1),
    )


def _check_dout(dout: np.ndarray, expected: tuple[int, ...], layout: str) -> None:
    if dout.shape != expected:
        raise ValueError(
            f"dout must have the forward output's shape {expected} {layout}; got {dout.shape}"
        )


# --------------------------------------------------------------------------- routes and chunks

# Below these sizes (in array elements) the gathers use precomputed index arrays (one ``take``
# call, about a microsecond); above them, strided views and one slice-add per kernel tap copy
# faster. Measured with bench/bench_core.py; the tests run both routes by patching these.
_TAKE_LIMIT = 65_536  # im2col: N*C*kh*kw*Ho*Wo
_GATHER_LIMIT = 65_536  # dx by gather: N*K*kh*kw*H*W ...
_GATHER_RATIO = 1.0  # ... or up to this many times what col2im would add, N*C*kh*kw*Ho*Wo
# A large batch goes through in chunks of about this many gathered numbers (1 MiB of float64),
# so that each chunk's columns are still in cache when the matrix product reads them.
_CHUNK = 131_072


def _chunks(n: int, per_sample: int) -> list[slice]:
    """Slices of a batch of ``n`` holding about ``_CHUNK`` numbers each (at least one sample)."""
    step = max(1, _CHUNK // max(per_sample, 1))
    return [slice(start, start + step) for start in range(0, n, step)]


class _Scratch:
    """Work arrays that one call reuses from batch chunk to batch chunk.

    Fresh memory of a megabyte costs page faults on every allocation, as much as the
    arithmetic here, so the chunks of one call share their work arrays. The first chunk is the
    largest; later ones get a leading slice. ``None`` in place of a scratch means "allocate".
    """

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: np.dtype, zeroed: bool) -> np.ndarray:
        """An array of ``shape``; zeroed only when first made (see :func:`_work_array`)."""
        array = self._arrays.get(name)
        fits = array is not None and array.shape[0] >= shape[0] and array.shape[1:] == shape[1:]
        if not fits or array.dtype != dtype:
            array = (np.zeros if zeroed else np.empty)(shape, dtype=dtype)
            self._arrays[name] = array
        return array[: shape[0]]


def _take(
    source: np.ndarray,
    indices: np.ndarray,
    shape: tuple[int, ...],
    scratch: _Scratch | None,
    name: str,
) -> np.ndarray:
    """``source.take(indices, axis=-1)`` as an array of ``shape``, into scratch when given."""
    if scratch is None:
        return source.take(indices, axis=-1).reshape(shape)  # the fastest take for one call
    out = scratch.get(name, shape, source.dtype, zeroed=False)
    # indices are always in range; mode="clip" spares the copy numpy makes for out= otherwise
    source.take(indices, axis=-1, out=out.reshape(*source.shape[:-1], -1), mode="clip")
    return out


def _work_array(
    scratch: _Scratch | None, name: str, shape: tuple[int, ...], dtype: np.dtype, zeroed: bool
) -> np.ndarray:
    """A work array of ``shape``: new, or reused from ``scratch`` under ``name``.

    A ``zeroed`` array is zero when new and is *not* cleared on reuse: its callers only ever
    write its interior, so its zero border survives from chunk to chunk.
    """
    if scratch is None:
        return (np.zeros if zeroed else np.empty)(shape, dtype=dtype)
    return scratch.get(name, shape, dtype, zeroed)


# --------------------------------------------------------------------------- per-geometry plan


@dataclass(frozen=True)
class _Plan:
    """A checked geometry and the index arrays its small-size routes gather with.

    ``window_taps[(u*kw + v)*Ho*Wo + i*Wo + j]`` is the flat position, in one padded input map,
    that tap ``(u, v)`` of window ``(i, j)`` reads. ``delta_taps[(u*kw + v)*H*W + y*W + x]`` is
    the flat position, in one delta map, of the window whose tap ``(u, v)`` reads input pixel
    ``(y, x)``, or ``Ho*Wo`` (a zero appended to the map) when no window does.
    """

    geometry: Geometry
    window_taps: np.ndarray  # (kh*kw*Ho*Wo,)
    delta_taps: np.ndarray  # (kh*kw*H*W,)
    # the geometry's sizes again, as plain tuples: its properties recompute on every read
    input_size: Pair
    kernel_size: Pair
    output_size: Pair
    padded_size: Pair
    interior: tuple[slice, slice]  # where the input sits inside the padded map


@functools.lru_cache(maxsize=64)  # index arrays are kh*kw*(Ho*Wo + H*W) ints per plan
def _plan(
    input_size: Pair, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair
) -> _Plan:
    geometry = Geometry(input_size, kernel_size, stride=stride, padding=padding, dilation=dilation)
    (h, w), (kh, kw) = geometry.input_size, geometry.kernel_size
    (sh, sw), (dh, dw) = geometry.stride, geometry.dilation
    (ph, pw), (ho, wo) = geometry.padding, geometry.output_size
    wp = geometry.padded_size[1]
    tap_rows = np.arange(kh)[:, None, None, None] * dh  # (kh, 1, 1, 1)
    tap_cols = np.arange(kw)[None, :, None, None] * dw  # (1, kw, 1, 1)
    out_rows = np.arange(ho)[None, None, :, None] * sh  # (1, 1, Ho, 1)
    out_cols = np.arange(wo)[None, None, None, :] * sw  # (1, 1, 1, Wo)
    window_taps = (tap_rows + out_rows) * wp + (tap_cols + out_cols)  # (kh, kw, Ho, Wo)

    # invert "padded row = i*sh + u*dh": window row i = (y + ph - u*dh) / sh, when whole
    in_rows = np.arange(h)[None, None, :, None] + ph - tap_rows  # (kh, 1, H, 1)
    in_cols = np.arange(w)[None, None, None, :] + pw - tap_cols  # (1, kw, 1, W)
    i, j = in_rows // sh, in_cols // sw  # window indices, valid where the checks below hold
    hit_rows = (in_rows % sh == 0) & (i >= 0) & (i < ho)  # (kh, 1, H, 1)
    hit_cols = (in_cols % sw == 0) & (j >= 0) & (j < wo)  # (1, kw, 1, W)
    delta_taps = np.where(hit_rows & hit_cols, i * wo + j, ho * wo)  # (kh, kw, H, W)
    for taps in (window_taps, delta_taps):
        taps.setflags(write=False)  # shared by every call with this geometry
    return _Plan(
        geometry,
        window_taps.reshape(-1),
        delta_taps.reshape(-1),
        input_size=geometry.input_size,
        kernel_size=geometry.kernel_size,
        output_size=geometry.output_size,
        padded_size=geometry.padded_size,
        interior=(slice(ph, ph + h), slice(pw, pw + w)),
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
    if ho == 0 or wo == 0:
        raise ValueError(f"delta must not be empty in its last two axes; got {delta.shape}")
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


def _padded(x: np.ndarray, plan: _Plan, scratch: _Scratch | None = None) -> np.ndarray:
    """``x`` itself when there is no padding (it is only read), else a zero-padded copy."""
    if plan.padded_size == plan.input_size:
        return x
    shape = x.shape[:2] + plan.padded_size
    x_padded = _work_array(scratch, "padded", shape, x.dtype, zeroed=True)  # (N, C, Hp, Wp)
    x_padded[:, :, plan.interior[0], plan.interior[1]] = x  # the zero border is never written
    return x_padded


def _windows(x_padded: np.ndarray, geometry: Geometry) -> np.ndarray:
    """Every window the forward pass reads, as a view: ``(N, C, Ho, Wo, kh, kw)``."""
    (sh, sw), (dh, dw) = geometry.stride, geometry.dilation
    ho, wo = geometry.output_size
    view = sliding_window_view(x_padded, geometry.kernel_extent, axis=(2, 3))  # (N,C,.,.,eh,ew)
    return view[:, :, : (ho - 1) * sh + 1 : sh, : (wo - 1) * sw + 1 : sw, ::dh, ::dw]


def _im2col(x: np.ndarray, plan: _Plan, scratch: _Scratch | None = None) -> np.ndarray:
    """Every window of ``x`` ``(N, C, H, W)`` laid out for one matrix product.

    Returns ``(N, C*kh*kw, Ho*Wo)`` (new, or a scratch array); row ``c*kh*kw + u*kw + v``
    holds what tap ``(u, v)`` of filter channel ``c`` meets in each window.
    """
    n, c = x.shape[:2]
    (kh, kw), (ho, wo), (hp, wp) = plan.kernel_size, plan.output_size, plan.padded_size
    x_padded = _padded(x, plan, scratch)  # (N, C, Hp, Wp)
    shape = (n, c * kh * kw, ho * wo)
    if n * c * plan.window_taps.size <= _TAKE_LIMIT:  # one gather beats building a view
        flat = x_padded.reshape(n, c, hp * wp)  # (N, C, Hp*Wp)
        return _take(flat, plan.window_taps, shape, scratch, "columns")  # (N, C*kk, HoWo)
    columns = _work_array(scratch, "columns", shape, x.dtype, zeroed=False)  # (N, C*kk, HoWo)
    windows = _windows(x_padded, plan.geometry)  # (N, C, Ho, Wo, kh, kw) view
    laid_out = windows.transpose(0, 1, 4, 5, 2, 3)  # (N, C, kh, kw, Ho, Wo) view
    np.copyto(columns.reshape(n, c, kh, kw, ho, wo), laid_out)
    return columns


def _col2im(
    columns: np.ndarray, geometry: Geometry, scratch: _Scratch | None = None
) -> np.ndarray:
    """Add each column entry back onto the pixel it was read from, then crop the padding.

    ``columns`` is ``(M, C, kh, kw, Ho, Wo)``; returns ``(M, C, H, W)``, a view into a
    new (or scratch) padded array. One slice-add per kernel tap: the tap ``(i, j)`` of every
    window lands on a strided grid of pixels.
    """
    m, c, kh, kw = columns.shape[:4]
    (sh, sw), (dh, dw) = geometry.stride, geometry.dilation
    (ho, wo), (hp, wp) = geometry.output_size, geometry.padded_size
    (ph, pw), (h, w) = geometry.padding, geometry.input_size
    grad = _work_array(scratch, "grad", (m, c, hp, wp), columns.dtype, zeroed=False)
    grad.fill(0)  # (M, C, Hp, Wp), every pixel written below is added to
    for i in range(kh):
        rows = slice(i * dh, i * dh + (ho - 1) * sh + 1, sh)  # Ho rows hit by tap row i
        for j in range(kw):
            cols = slice(j * dw, j * dw + (wo - 1) * sw + 1, sw)  # Wo cols hit by tap col j
            grad[:, :, rows, cols] += columns[:, :, i, j]  # (M, C, Ho, Wo)
    return grad[:, :, ph : ph + h, pw : pw + w]  # (M, C, H, W)


def _gather_pays(n: int, c: int, k: int, plan: _Plan) -> bool:
    """Whether :func:`_grads_by_gather` beats :func:`_grads_by_scatter` for this problem.

    Gathering moves K*kh*kw*H*W numbers per sample; scattering (im2col for dw, col2im for
    dx) moves C*kh*kw*Ho*Wo twice. Below a few ten thousand, one gather is cheapest anyway.
    """
    to_gather, to_scatter = n * k * plan.delta_taps.size, n * c * plan.window_taps.size
    return to_gather <= _GATHER_LIMIT or to_gather <= _GATHER_RATIO * to_scatter


def _grads_by_gather(
    delta: np.ndarray, x: np.ndarray, w: np.ndarray, plan: _Plan, scratch: _Scratch | None
) -> tuple[np.ndarray, np.ndarray]:
    """``(dx, dw)`` from one gather of the delta, read by two matrix products.

    For every input pixel (y, x) and kernel tap (u, v), ``plan.delta_taps`` names the one
    window whose tap (u, v) read that pixel, or a zero when none did. Then
    ``dx[n, c, y, x] = sum_{k,u,v} w[k, c, u, v] * taps[n, k, u, v, y, x]`` and
    ``dw[k, c, u, v] = sum_{n,y,x} taps[n, k, u, v, y, x] * x[n, c, y, x]``: padding pixels
    are zeros, so they add nothing to dw and need no place here.
    """
    n, k, p = delta.shape
    c, kh, kw = w.shape[1:]
    h, wd = plan.input_size
    framed = _work_array(scratch, "framed", (n, k, p + 1), delta.dtype, zeroed=True)
    framed[:, :, :p] = delta  # (N, K, Ho*Wo + 1); the last slot, 0, is for taps that read no pixel
    taps = _take(framed, plan.delta_taps, (n, k * kh * kw, h * wd), scratch, "taps")
    kernel = w.transpose(1, 0, 2, 3).reshape(c, k * kh * kw)  # (C, K*kh*kw)
    dx = np.matmul(kernel, taps).reshape(n, c, h, wd)  # (N, C, H, W)
    pixels = x.reshape(n, c, h * wd).transpose(0, 2, 1)  # (N, H*W, C)
    dw = np.matmul(taps, pixels)  # (N, K*kh*kw, C)
    dw = dw[0] if n == 1 else dw.sum(axis=0)  # (K*kh*kw, C), summed over the batch
    dw = dw.reshape(k, kh, kw, c).transpose(0, 3, 1, 2)  # (K, C, kh, kw) view
    return dx, np.ascontiguousarray(dw)


def _grads_by_scatter(
    delta: np.ndarray, x: np.ndarray, w: np.ndarray, plan: _Plan, scratch: _Scratch | None
) -> tuple[np.ndarray, np.ndarray]:
    """``(dx, dw)`` the im2col way: dw from the windows each weight met, dx by col2im."""
    n, k, _ = delta.shape
    c, kh, kw = w.shape[1:]
    ho, wo = plan.output_size
    columns = _im2col(x, plan, scratch)  # (N, C*kh*kw, Ho*Wo), what each weight met
    dw = np.matmul(delta, columns.transpose(0, 2, 1))  # (N, K, C*kh*kw)
    dw = dw[0] if n == 1 else dw.sum(axis=0)  # (K, C*kh*kw), summed over the batch
    shares = _work_array(scratch, "shares", columns.shape, delta.dtype, zeroed=False)
    np.matmul(w.reshape(k, -1).T, delta, out=shares)  # (N, C*kh*kw, Ho*Wo): each tap's share
    dx = _col2im(shares.reshape(n, c, kh, kw, ho, wo), plan.geometry, scratch)  # (N,C,H,W)
    return dx, dw.reshape(w.shape)


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
    plan = _plan_for(x.shape[2:], w.shape[2:], stride, padding, dilation)
    dtype = _common_dtype(*arrays)
    n, k = x.shape[0], w.shape[0]
    ho, wo = plan.output_size
    x = x.astype(dtype, copy=False)
    kernel = w.reshape(k, -1).astype(dtype, copy=False)  # (K, C*kh*kw)
    chunks = _chunks(n, x.shape[1] * plan.window_taps.size)
    if len(chunks) == 1:
        z = np.matmul(kernel, _im2col(x, plan))  # (N, K, Ho*Wo)
    else:
        z = np.empty((n, k, ho * wo), dtype=dtype)  # (N, K, Ho*Wo)
        scratch = _Scratch()
        for batch in chunks:
            np.matmul(kernel, _im2col(x[batch], plan, scratch), out=z[batch])  # (B, K, Ho*Wo)
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
    plan = _plan_for(x.shape[2:], w.shape[2:], stride, padding, dilation)
    n, k = x.shape[0], w.shape[0]
    ho, wo = plan.output_size
    _check_dout(dout, (n, k, ho, wo), "(N, K, Ho, Wo)")
    dtype = _common_dtype(x, w, dout)
    x, w, dout = (a.astype(dtype, copy=False) for a in (x, w, dout))

    delta = dout.reshape(n, k, ho * wo)  # (N, K, Ho*Wo)
    db = delta.sum(axis=(0, 2))  # (K,)
    c = x.shape[1]
    if _gather_pays(n, c, k, plan):
        grads, chunks = _grads_by_gather, _chunks(n, k * plan.delta_taps.size)
    else:
        grads, chunks = _grads_by_scatter, _chunks(n, c * plan.window_taps.size)
    if len(chunks) == 1:
        dx, dw = grads(delta, x, w, plan, None)
        return dx, dw, db
    dx = np.empty(x.shape, dtype=dtype)  # (N, C, H, W)
    dw = np.zeros(w.shape, dtype=dtype)  # (K, C, kh, kw)
    scratch = _Scratch()
    for batch in chunks:
        dx[batch], dw_part = grads(delta[batch], x[batch], w, plan, scratch)
        dw += dw_part  # summed over the batch, chunk by chunk
    return dx, dw, db


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
    _check_not_empty(w, "w", "(K, C, kh, kw)", 0)
    geometry = _plan_for(input_size, w.shape[2:], stride, padding, dilation).geometry
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
    _check_not_empty(w, "w", "(K, C, kh, kw)", 0)
    geometry = _plan_for(input_size, w.shape[2:], stride, padding, dilation).geometry
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
