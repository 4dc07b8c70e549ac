"""Stride-1 convolutions on large batches: every window tap as one contiguous run of memory.

At stride 1, flatten each zero-padded map ``(Hp, Wp)`` into one row of ``Hp*Wp`` numbers. Tap
``(u, v)`` of window ``(i, j)`` reads flat position ``(i + u*dil_h)*Wp + j + v*dil_w``: for a
fixed tap, the windows read ``Ho*Wp`` *consecutive* numbers starting at ``u*dil_h*Wp +
v*dil_w`` ("wide" windows: ``j`` runs to ``Wp - 1``, and the ``Wp - Wo`` extra columns of each
row are thrown away). So:

* im2col is one contiguous slice copy per tap (no strided views);
* forward is one product with those columns, then the extra columns are cropped;
* backward widens δ with zeros in the extra columns, takes dw from the same columns, and
  scatters each tap's share back with one contiguous slice-add per tap: the zeros of the
  extra columns land harmlessly where a wide window wraps into the next row.

The flat padded maps carry a tail of ``(kw-1)*dil_w`` zeros so the last tap's run stays in
bounds. Large batches go in chunks small enough to stay in cache, and the chunks of one call
reuse their work arrays (fresh memory costs a page fault per 4 KiB).
"""

from __future__ import annotations

import numpy as np

_CHUNK = 65_536  # column numbers per chunk: 256 KiB of float32


def _layout(plan) -> tuple[int, int, int, list[int]]:
    """(Ho, Wp, flat length with tail, every tap's start) for a stride-1 plan."""
    (kh, kw), (dil_h, dil_w) = plan.kernel_size, plan.geometry.dilation
    hp, wp = plan.padded_size
    starts = [u * dil_h * wp + v * dil_w for u in range(kh) for v in range(kw)]
    return plan.output_size[0], wp, hp * wp + (kw - 1) * dil_w, starts


def _batches(n: int, per_sample: int) -> list[slice]:
    step = max(1, _CHUNK // max(per_sample, 1))
    return [slice(start, min(start + step, n)) for start in range(0, n, step)]


class _Work:
    """The work arrays of one call, sized for its first (largest) chunk, zeroed once.

    ``flat`` holds the zero-padded maps end to end, ``columns`` every tap's run, ``wide`` the
    product (``out_rows`` rows per sample): :func:`_work_bytes` counts exactly these.
    """

    def __init__(self, step: int, c: int, length: int, taps: int, run: int, out_rows: int, dtype):
        self.flat = np.zeros((step, c, length), dtype=dtype)  # border and tail stay zero
        self.columns = np.empty((step, c, taps, run), dtype=dtype)
        self.wide = np.empty((step, out_rows, run), dtype=dtype)

    def columns_of(self, x: np.ndarray, plan, starts: list[int]) -> np.ndarray:
        """``(B, C*kh*kw, run)``: row ``c*kh*kw + t`` is tap t's run of channel c."""
        b, c = x.shape[:2]
        hp, wp = plan.padded_size
        flat, columns = self.flat[:b], self.columns[:b]
        flat[:, :, : hp * wp].reshape(b, c, hp, wp)[:, :, plan.interior[0], plan.interior[1]] = x
        run = columns.shape[-1]
        for tap, start in enumerate(starts):
            columns[:, :, tap] = flat[:, :, start : start + run]
        return columns.reshape(b, -1, run)


def _work_bytes(step: int, c: int, length: int, taps: int, run: int, out_rows: int) -> int:
    """Numbers in a :class:`_Work` of these sizes."""
    return step * (c * length + c * taps * run + out_rows * run)


def forward(x: np.ndarray, kernel: np.ndarray, plan) -> np.ndarray:
    """``(N, K, Ho*Wo)`` from x ``(N, C, H, W)`` and kernel ``(K, C*kh*kw)``, stride 1."""
    n, c = x.shape[:2]
    k = kernel.shape[0]
    ho, wp, length, starts = _layout(plan)
    wo = plan.output_size[1]
    z = np.empty((n, k, ho, wo), dtype=x.dtype)
    parts = _batches(n, kernel.shape[1] * ho * wp)
    work = _Work(parts[0].stop, c, length, len(starts), ho * wp, k, x.dtype)
    for part in parts:
        b = part.stop - part.start
        wide = np.matmul(kernel, work.columns_of(x[part], plan, starts), out=work.wide[:b])
        z[part] = wide.reshape(-1, k, ho, wp)[..., :wo]  # drop windows hanging off the edge
    return z.reshape(n, k, ho * wo)


def forward_bytes(n: int, c: int, k: int, itemsize: int, plan) -> int:
    """Bytes :func:`forward` allocates: the result and one :class:`_Work`."""
    ho, wp, length, starts = _layout(plan)
    step = min(n, max(1, _CHUNK // (c * len(starts) * ho * wp)))
    result = n * k * ho * plan.output_size[1]
    return itemsize * (result + _work_bytes(step, c, length, len(starts), ho * wp, k))


def backward(
    delta: np.ndarray, x: np.ndarray, w: np.ndarray, plan
) -> tuple[np.ndarray, np.ndarray]:
    """``(dx, dw)`` from delta ``(N, K, Ho*Wo)``, x ``(N, C, H, W)``, w ``(K, C, kh, kw)``."""
    dw = _dw(delta, x, w.shape[0], plan)  # its work arrays are gone before dx's are made
    if _correlation_fits(plan):
        return _dx_by_correlation(delta, w, plan), dw.reshape(w.shape)
    return _dx_by_scatter(delta, w, plan), dw.reshape(w.shape)


def backward_bytes(n: int, c: int, k: int, itemsize: int, plan) -> int:
    """Peak bytes :func:`backward` allocates: dw, then the larger of dw's and dx's work."""
    ho, wp, length, starts = _layout(plan)
    taps = len(starts)
    (h, wd), (eh, ew) = plan.input_size, plan.geometry.kernel_extent
    step = min(n, max(1, _CHUNK // (c * taps * ho * wp)))
    dw = k * c * taps
    dw_work = _work_bytes(step, c, length, taps, ho * wp, k) + dw * (step + 1)
    if _correlation_fits(plan):
        frame_w = wd + ew - 1
        step = min(n, max(1, _CHUNK // (k * taps * h * frame_w)))
        flat = (h + eh - 1) * frame_w + (plan.kernel_size[1] - 1) * plan.geometry.dilation[1]
        dx_work = _work_bytes(step, k, flat, taps, h * frame_w, c) + dw
    else:
        dx_work = step * (k * ho * wp + c * length + c * taps * ho * wp)  # wide, grad, shares
    return itemsize * (dw + max(dw_work, n * c * h * wd + dx_work))


def _correlation_fits(plan) -> bool:
    """Whether δ fits inside the full-correlation frame (dx by :func:`_dx_by_correlation`)."""
    (ph, pw), (eh, ew) = plan.geometry.padding, plan.geometry.kernel_extent
    return ph <= eh - 1 and pw <= ew - 1


def _dw(delta: np.ndarray, x: np.ndarray, k: int, plan) -> np.ndarray:
    """``(K, C*kh*kw)``: δ widened with zeros in the extra columns, times the columns."""
    n, c = x.shape[:2]
    ho, wp, length, starts = _layout(plan)
    wo = plan.output_size[1]
    dw = np.zeros((k, c * len(starts)), dtype=x.dtype)
    parts = _batches(n, c * len(starts) * ho * wp)
    work = _Work(parts[0].stop, c, length, len(starts), ho * wp, k, x.dtype)
    wide_all = work.wide.reshape(-1, k, ho, wp)
    wide_all.fill(0)  # δ, zero in the extra columns (which are never written)
    for part in parts:
        b = part.stop - part.start
        columns = work.columns_of(x[part], plan, starts)
        wide_all[:b, ..., :wo] = delta[part].reshape(b, k, ho, wo)
        wide = wide_all[:b].reshape(b, k, ho * wp)
        dw += np.matmul(wide, columns.transpose(0, 2, 1)).sum(axis=0)  # (K, C*kh*kw)
    return dw


def _dx_by_correlation(delta: np.ndarray, w: np.ndarray, plan) -> np.ndarray:
    """``dx = δ ⋆ rot180(w)`` (full cross-correlation, padding cropped) as contiguous runs.

    δ sits in a zero frame of ``(H + eh - 1, W + ew - 1)`` at offset ``(eh-1-ph, ew-1-pw)``;
    then ``dx[c, y, x] = Σ_{k,u,v} rot180(w)[k, c, u, v] · frame[k, y + u·dil_h, x + v·dil_w]``,
    a stride-1 forward pass of its own (this module's columns, with K channels in).
    """
    n, k = delta.shape[:2]
    c, kh, kw = w.shape[1:]
    (h, wd), (ho, wo) = plan.input_size, plan.output_size
    (ph, pw), (eh, ew) = plan.geometry.padding, plan.geometry.kernel_extent
    (dil_h, dil_w), frame_w = plan.geometry.dilation, wd + ew - 1
    starts = [u * dil_h * frame_w + v * dil_w for u in range(kh) for v in range(kw)]
    length = (h + eh - 1) * frame_w + (kw - 1) * dil_w
    kernel = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).reshape(c, -1)  # (C, K*kh*kw), rot180
    dx = np.empty((n, c, h, wd), dtype=delta.dtype)
    parts = _batches(n, k * len(starts) * h * frame_w)
    work = _Work(parts[0].stop, k, length, len(starts), h * frame_w, c, delta.dtype)
    flat, columns = work.flat, work.columns  # the frame of flat stays zero
    top, left = eh - 1 - ph, ew - 1 - pw
    for part in parts:
        b = part.stop - part.start
        framed = flat[:b, :, : (h + eh - 1) * frame_w].reshape(b, k, h + eh - 1, frame_w)
        framed[:, :, top : top + ho, left : left + wo] = delta[part].reshape(b, k, ho, wo)
        for tap, start in enumerate(starts):
            columns[:b, :, tap] = flat[:b, :, start : start + h * frame_w]
        wide = np.matmul(kernel, columns[:b].reshape(b, -1, h * frame_w), out=work.wide[:b])
        dx[part] = wide.reshape(b, c, h, frame_w)[..., :wd]  # wide: (B, C, H*frame_w)
    return dx


def _dx_by_scatter(delta: np.ndarray, w: np.ndarray, plan) -> np.ndarray:
    """dx by one contiguous slice-add per tap of each tap's share (any padding)."""
    n, k = delta.shape[:2]
    c, h, wd = w.shape[1], *plan.input_size
    ho, wp, length, starts = _layout(plan)
    wo = plan.output_size[1]
    (ph, pw), hp = plan.geometry.padding, plan.padded_size[0]
    kernel_t = w.reshape(k, -1).T  # (C*kh*kw, K)
    dx = np.empty((n, c, h, wd), dtype=delta.dtype)
    parts = _batches(n, kernel_t.shape[0] * ho * wp)
    step = parts[0].stop
    wide_all = np.zeros((step, k, ho, wp), dtype=delta.dtype)
    grad_all = np.empty((step, c, length), dtype=delta.dtype)
    shares_all = np.empty((step, kernel_t.shape[0], ho * wp), dtype=delta.dtype)
    for part in parts:
        b = part.stop - part.start
        wide_all[:b, ..., :wo] = delta[part].reshape(b, k, ho, wo)
        shares = np.matmul(kernel_t, wide_all[:b].reshape(b, k, ho * wp), out=shares_all[:b])
        grad = grad_all[:b]
        grad.fill(0)
        for tap, start in enumerate(starts):  # the zeros of the extra columns add nothing
            grad[:, :, start : start + ho * wp] += shares.reshape(b, c, len(starts), -1)[:, :, tap]
        dx[part] = grad[:, :, : hp * wp].reshape(b, c, hp, wp)[:, :, ph : ph + h, pw : pw + wd]
    return dx
