"""How :mod:`cnnviz.core.conv` computes fast: index plans, im2col/col2im, chunks, scratch.

Every pass is a gather and a matrix product; there is no Python loop over pixels.

* Forward: lay every window out as a column (im2col), then one product with the filters.
  Small problems gather with index arrays cached per geometry (one ``take``, microseconds);
  large ones copy a ``sliding_window_view``.
* Backward, small problems: gather, for each input pixel and kernel tap, the delta of the
  window that tap read it for (``delta_taps``); dx and dw are each one product with that.
* Backward, large problems: dw from the im2col columns; dx by scattering each tap's share back
  with one slice-add per kernel tap (col2im).
* Large batches go through in chunks of about a megabyte that reuse their work arrays.
* Stride 1 past the one-``take`` size: contiguous runs per tap (:mod:`._rows`).

Measured against PyTorch in bench/bench_core.py. Symbols: kernel taps ``(u, v)``, window
positions ``(i, j)``, dilation ``(dil_h, dil_w)``; ``dw`` is only ever the weight gradient.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnviz.core import _rows
from cnnviz.core.budget import INDEX_BYTES, Plan
from cnnviz.core.geometry import Geometry

# Below these sizes (in array elements) the gathers use precomputed index arrays (one ``take``
# call, about a microsecond); above them, strided views and one slice-add per kernel tap copy
# faster. Measured with bench/bench_core.py; the tests run both routes by patching these.
_TAKE_LIMIT = 65_536  # im2col: N*C*kh*kw*Ho*Wo
_GATHER_LIMIT = 65_536  # dx by gather: N*K*kh*kw*H*W ...
_GATHER_RATIO = 1.0  # ... or up to this many times what col2im would add, N*C*kh*kw*Ho*Wo
# A large batch goes through in chunks of about this many gathered numbers (1 MiB of float64),
# so that each chunk's columns are still in cache when the matrix product reads them.
_CHUNK = 131_072

__all__ = ["forward", "backward", "forward_bytes", "backward_bytes", "col2im"]



def _chunks(n: int, per_sample: int) -> list[slice]:
    """Slices of a batch of ``n`` holding about ``_CHUNK`` numbers each (at least one sample)."""
    step = max(1, _CHUNK // max(per_sample, 1))
    return [slice(start, start + step) for start in range(0, n, step)]


class _Scratch:
    """Work arrays that one call reuses from batch chunk to batch chunk.

    Fresh memory of a megabyte costs page faults on every allocation, as much as the
    arithmetic here, so the chunks of one call share their work arrays. The first chunk is the
    largest; later ones get a leading slice. ``None`` in place of a scratch means "allocate".
    A scratch lives for one call only, so it holds at most one array per name.
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



def _padded(x: np.ndarray, plan: Plan, scratch: _Scratch | None = None) -> np.ndarray:
    """``x`` itself when there is no padding (it is only read), else a zero-padded copy."""
    if plan.padded_size == plan.input_size:
        return x
    shape = x.shape[:2] + plan.padded_size
    x_padded = _work_array(scratch, "padded", shape, x.dtype, zeroed=True)  # (N, C, Hp, Wp)
    x_padded[:, :, plan.interior[0], plan.interior[1]] = x  # the zero border is never written
    return x_padded


def _windows(x_padded: np.ndarray, geometry: Geometry) -> np.ndarray:
    """Every window the forward pass reads, as a view: ``(N, C, Ho, Wo, kh, kw)``."""
    (sh, sw), (dil_h, dil_w) = geometry.stride, geometry.dilation
    ho, wo = geometry.output_size
    view = sliding_window_view(x_padded, geometry.kernel_extent, axis=(2, 3))  # (N,C,.,.,eh,ew)
    return view[:, :, : (ho - 1) * sh + 1 : sh, : (wo - 1) * sw + 1 : sw, ::dil_h, ::dil_w]


def _im2col(x: np.ndarray, plan: Plan, scratch: _Scratch | None = None) -> np.ndarray:
    """Every window of ``x`` ``(N, C, H, W)`` laid out for one matrix product.

    Returns ``(N, C*kh*kw, Ho*Wo)`` (new, or a scratch array); row ``c*kh*kw + u*kw + v``
    holds what tap ``(u, v)`` of filter channel ``c`` meets in each window.
    """
    n, c = x.shape[:2]
    (kh, kw), (ho, wo), (hp, wp) = plan.kernel_size, plan.output_size, plan.padded_size
    x_padded = _padded(x, plan, scratch)  # (N, C, Hp, Wp)
    shape = (n, c * kh * kw, ho * wo)
    if n * c * plan.window_tap_count <= _TAKE_LIMIT:  # one gather beats building a view
        flat = x_padded.reshape(n, c, hp * wp)  # (N, C, Hp*Wp)
        return _take(flat, plan.window_taps, shape, scratch, "columns")  # (N, C*kk, HoWo)
    columns = _work_array(scratch, "columns", shape, x.dtype, zeroed=False)  # (N, C*kk, HoWo)
    windows = _windows(x_padded, plan.geometry)  # (N, C, Ho, Wo, kh, kw) view
    laid_out = windows.transpose(0, 1, 4, 5, 2, 3)  # (N, C, kh, kw, Ho, Wo) view
    np.copyto(columns.reshape(n, c, kh, kw, ho, wo), laid_out)
    return columns


def col2im(columns: np.ndarray, geometry: Geometry, scratch: _Scratch | None = None) -> np.ndarray:
    """Add each column entry back onto the pixel it was read from, then crop the padding.

    ``columns`` is ``(M, C, kh, kw, Ho, Wo)``; returns ``(M, C, H, W)``, a view into a
    new (or scratch) padded array. One slice-add per kernel tap: tap ``(u, v)`` of every
    window ``(i, j)`` lands on padded pixel ``(i*sh + u*dil_h, j*sw + v*dil_w)``, a strided grid.
    """
    m, c, kh, kw = columns.shape[:4]
    (sh, sw), (dil_h, dil_w) = geometry.stride, geometry.dilation
    (ho, wo), (hp, wp) = geometry.output_size, geometry.padded_size
    (ph, pw), (h, w) = geometry.padding, geometry.input_size
    grad = _work_array(scratch, "grad", (m, c, hp, wp), columns.dtype, zeroed=False)
    grad.fill(0)  # (M, C, Hp, Wp), every pixel written below is added to
    for u in range(kh):
        rows = slice(u * dil_h, u * dil_h + (ho - 1) * sh + 1, sh)  # the Ho rows tap row u hits
        for v in range(kw):
            cols = slice(v * dil_w, v * dil_w + (wo - 1) * sw + 1, sw)  # the Wo cols of tap v
            grad[:, :, rows, cols] += columns[:, :, u, v]  # (M, C, Ho, Wo)
    return grad[:, :, ph : ph + h, pw : pw + w]  # (M, C, H, W)



def forward(x: np.ndarray, kernel: np.ndarray, plan: Plan) -> np.ndarray:
    """``kernel @ im2col(x)``: x ``(N, C, H, W)``, kernel ``(K, C*kh*kw)`` -> ``(N, K, Ho*Wo)``."""
    n, k = x.shape[0], kernel.shape[0]
    if _rows_pay(n, x.shape[1], plan):
        return _rows.forward(x, kernel, plan)
    chunks = _chunks(n, x.shape[1] * plan.window_tap_count)
    if len(chunks) == 1:
        return np.matmul(kernel, _im2col(x, plan))  # (N, K, Ho*Wo)
    z = np.empty((n, k, plan.output_size[0] * plan.output_size[1]), dtype=x.dtype)
    scratch = _Scratch()
    for batch in chunks:
        np.matmul(kernel, _im2col(x[batch], plan, scratch), out=z[batch])  # (B, K, Ho*Wo)
    return z


def backward(
    delta: np.ndarray, x: np.ndarray, w: np.ndarray, plan: Plan
) -> tuple[np.ndarray, np.ndarray]:
    """``(dx, dw)`` from delta ``(N, K, Ho*Wo)``, x ``(N, C, H, W)``, w ``(K, C, kh, kw)``.

    Picks the gather or the scatter route by size, and chunks a large batch.
    """
    n, c = x.shape[:2]
    k = w.shape[0]
    if _rows_pay(n, c, plan):
        return _rows.backward(delta, x, w, plan)
    if _gather_pays(n, c, k, plan):
        grads, chunks = _grads_by_gather, _chunks(n, k * plan.delta_tap_count)
    else:
        grads, chunks = _grads_by_scatter, _chunks(n, c * plan.window_tap_count)
    if len(chunks) == 1:
        return grads(delta, x, w, plan, None)
    dx = np.empty(x.shape, dtype=x.dtype)  # (N, C, H, W)
    dw = np.zeros(w.shape, dtype=x.dtype)  # (K, C, kh, kw)
    scratch = _Scratch()
    for batch in chunks:
        dx[batch], dw_part = grads(delta[batch], x[batch], w, plan, scratch)
        dw += dw_part  # summed over the batch, chunk by chunk
    return dx, dw


def _rows_pay(n: int, c: int, plan: Plan) -> bool:
    """Stride 1 and past the one-``take`` size: contiguous runs per tap (:mod:`._rows`)."""
    return plan.geometry.stride == (1, 1) and n * c * plan.window_tap_count > _TAKE_LIMIT


def _gather_pays(n: int, c: int, k: int, plan: Plan) -> bool:
    """Whether :func:`_grads_by_gather` beats :func:`_grads_by_scatter` for this problem.

    Gathering moves K*kh*kw*H*W numbers per sample; scattering (im2col for dw, col2im for
    dx) moves C*kh*kw*Ho*Wo twice. Below a few ten thousand, one gather is cheapest anyway.
    """
    to_gather, to_scatter = n * k * plan.delta_tap_count, n * c * plan.window_tap_count
    return to_gather <= _GATHER_LIMIT or to_gather <= _GATHER_RATIO * to_scatter


def _grads_by_gather(
    delta: np.ndarray, x: np.ndarray, w: np.ndarray, plan: Plan, scratch: _Scratch | None
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
    delta: np.ndarray, x: np.ndarray, w: np.ndarray, plan: Plan, scratch: _Scratch | None
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
    dx = col2im(shares.reshape(n, c, kh, kw, ho, wo), plan.geometry, scratch)  # (N,C,H,W)
    return dx, dw.reshape(w.shape)


# --------------------------------------------------------------------------- what a call costs


def _first_chunk(n: int, per_sample: int) -> int:
    """Samples in the first (largest) of :func:`_chunks`' slices."""
    return min(n, max(1, _CHUNK // max(per_sample, 1)))


def _index_bytes(plan: Plan, name: str) -> tuple[int, int]:
    """(kept, peak while built) bytes of the plan's index array ``name``; 0s once it is built.

    Building ``delta_taps`` holds a boolean mask and two index arrays of its length at once.
    """
    if name in plan.__dict__:
        return 0, 0
    if name == "window_taps":
        return INDEX_BYTES * plan.window_tap_count, INDEX_BYTES * plan.window_tap_count
    return INDEX_BYTES * plan.delta_tap_count, (2 * INDEX_BYTES + 1) * plan.delta_tap_count


def _im2col_bytes(n: int, c: int, itemsize: int, plan: Plan, contiguous: bool) -> tuple[int, int]:
    """(columns, peak while they are made) bytes of :func:`_im2col` for ``n`` samples."""
    (h, w), (hp, wp) = plan.input_size, plan.padded_size
    columns = itemsize * n * c * plan.window_tap_count
    padded = itemsize * n * c * hp * wp if plan.padded_size != plan.input_size else 0
    if n * c * plan.window_tap_count > _TAKE_LIMIT:
        return columns, padded + columns
    kept, building = _index_bytes(plan, "window_taps")
    flat = itemsize * n * c * h * w if not padded and not contiguous else 0  # reshape copies
    return columns, padded + flat + kept + max(building - kept, columns)


def forward_bytes(n: int, c: int, k: int, itemsize: int, plan: Plan, contiguous: bool) -> int:
    """Peak bytes :func:`forward` allocates (the result included) for x ``(N, C, H, W)``.

    ``contiguous``: whether x is C-contiguous (a broadcast view is not: some routes copy it).
    """
    if _rows_pay(n, c, plan):
        return _rows.forward_bytes(n, c, k, itemsize, plan)
    result = itemsize * n * k * plan.output_size[0] * plan.output_size[1]
    chunk = _first_chunk(n, c * plan.window_tap_count)
    columns, making = _im2col_bytes(chunk, c, itemsize, plan, contiguous)
    if chunk == n:  # one chunk: the padded copy is gone before the product's result is made
        return max(making, columns + result)
    return result + making  # chunks: the result, and the scratch every chunk reuses


def backward_bytes(n: int, c: int, k: int, itemsize: int, plan: Plan, contiguous: bool) -> int:
    """Peak bytes :func:`backward` allocates (dx and dw included), on the route it takes."""
    if _rows_pay(n, c, plan):
        return _rows.backward_bytes(n, c, k, itemsize, plan)
    (h, w), (hp, wp), (kh, kw) = plan.input_size, plan.padded_size, plan.kernel_size
    weights = itemsize * k * c * kh * kw
    if _gather_pays(n, c, k, plan):
        chunk = _first_chunk(n, k * plan.delta_tap_count)
        framed = itemsize * chunk * k * (plan.output_size[0] * plan.output_size[1] + 1)
        taps = itemsize * chunk * k * plan.delta_tap_count
        kept, building = _index_bytes(plan, "delta_taps")
        pixels = itemsize * chunk * c * h * w * (1 if contiguous else 2)  # dx, and x's copy
        work = framed + max(building, kept + taps + pixels + weights * (chunk + 3))
        dx = itemsize * n * c * h * w if chunk < n else 0  # one chunk: dx is the product
        return dx + work
    chunk = _first_chunk(n, c * plan.window_tap_count)
    columns, making = _im2col_bytes(chunk, c, itemsize, plan, contiguous)
    grad = itemsize * chunk * c * hp * wp  # col2im's padded dx
    if chunk == n:  # dx is a view into col2im's array; nothing else outlives the call
        return max(making, 2 * columns + grad + weights * (n + 1))
    return itemsize * n * c * h * w + making + columns + grad + weights * (chunk + 2)
