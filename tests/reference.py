"""The convolution's maths as plain Python loops: the oracle the fast core is checked against.

Written straight from the definitions, one loop per index (n, k, c, i, j, u, v), with no
vectorisation and nothing imported from cnnviz, so a bug in the core cannot hide here too.
Slow on purpose: use it on small arrays.

    z[n, k, i, j] = b[k] + sum_{c, u, v} w[k, c, u, v] * x[n, c, row, col]
    row = i*sh + u*dil_h - ph,  col = j*sw + v*dil_w - pw

where x reads as 0 outside its bounds (the zero padding); (dil_h, dil_w) is the dilation.
"""

from __future__ import annotations

import numpy as np


def pair(value) -> tuple[int, int]:
    """An int or an (h, w) pair as a pair of ints."""
    if isinstance(value, (tuple, list)):
        return int(value[0]), int(value[1])
    return int(value), int(value)


def output_size(input_size, kernel_size, stride=1, padding=0, dilation=1) -> tuple[int, int]:
    """(Ho, Wo) by counting window positions one by one (no closed formula)."""
    sizes = []
    for size, kernel, s, p, d in zip(
        pair(input_size),
        pair(kernel_size),
        pair(stride),
        pair(padding),
        pair(dilation),
        strict=True,
    ):
        extent = d * (kernel - 1) + 1
        count, origin = 0, 0
        while origin + extent <= size + 2 * p:  # the window's last tap stays inside the padding
            count += 1
            origin += s
        sizes.append(count)
    return sizes[0], sizes[1]


def _read(x_map, row, col):
    """x_map[row, col], or 0 in the zero padding."""
    if 0 <= row < x_map.shape[0] and 0 <= col < x_map.shape[1]:
        return float(x_map[row, col])
    return 0.0


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1) -> np.ndarray:
    """Forward pass, (N, C, H, W) * (K, C, kh, kw) -> (N, K, Ho, Wo), float64."""
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    (sh, sw), (ph, pw), (dil_h, dil_w) = pair(stride), pair(padding), pair(dilation)
    n_samples, channels = x.shape[:2]
    filters, _, kh, kw = w.shape
    ho, wo = output_size(x.shape[2:], w.shape[2:], stride, padding, dilation)
    z = np.zeros((n_samples, filters, ho, wo))
    for n in range(n_samples):
        for k in range(filters):
            for i in range(ho):
                for j in range(wo):
                    total = 0.0 if b is None else float(b[k])
                    for c in range(channels):
                        for u in range(kh):
                            for v in range(kw):
                                row = i * sh + u * dil_h - ph
                                col = j * sw + v * dil_w - pw
                                total += float(w[k, c, u, v]) * _read(x[n, c], row, col)
                    z[n, k, i, j] = total
    return z


def grad_contributions(dout, w, input_size, stride=1, padding=0, dilation=1) -> np.ndarray:
    """One sample's dL/dx split by output channel: (K, Ho, Wo) -> (K, C, H, W).

    contrib[k, c, y, x] = sum of dout[k, i, j] * w[k, c, u, v] over every window (i, j) and
    tap (u, v) that reads input pixel (y, x). Scatter form: walk each output position and add
    its delta times the weight onto every pixel its window read.
    """
    dout, w = np.asarray(dout, dtype=np.float64), np.asarray(w, dtype=np.float64)
    (sh, sw), (ph, pw), (dil_h, dil_w) = pair(stride), pair(padding), pair(dilation)
    h, wd = pair(input_size)
    filters, channels, kh, kw = w.shape
    ho, wo = dout.shape[1:]
    contrib = np.zeros((filters, channels, h, wd))
    for k in range(filters):
        for c in range(channels):
            for i in range(ho):
                for j in range(wo):
                    for u in range(kh):
                        for v in range(kw):
                            row = i * sh + u * dil_h - ph
                            col = j * sw + v * dil_w - pw
                            if 0 <= row < h and 0 <= col < wd:  # taps in the padding are lost
                                contrib[k, c, row, col] += dout[k, i, j] * w[k, c, u, v]
    return contrib


def conv2d_backward(dout, x, w, stride=1, padding=0, dilation=1):
    """(dx, dw, db) for the loss L with dL/dz = dout, all by loops."""
    dout = np.asarray(dout, dtype=np.float64)
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    (sh, sw), (ph, pw), (dil_h, dil_w) = pair(stride), pair(padding), pair(dilation)
    n_samples, channels, h, wd = x.shape
    filters, _, kh, kw = w.shape
    ho, wo = dout.shape[2:]
    dx = np.zeros(x.shape)
    for n in range(n_samples):
        dx[n] = grad_contributions(dout[n], w, (h, wd), stride, padding, dilation).sum(axis=0)
    dw = np.zeros(w.shape)
    for k in range(filters):
        for c in range(channels):
            for u in range(kh):
                for v in range(kw):
                    total = 0.0
                    for n in range(n_samples):
                        for i in range(ho):
                            for j in range(wo):
                                row = i * sh + u * dil_h - ph
                                col = j * sw + v * dil_w - pw
                                total += float(dout[n, k, i, j]) * _read(x[n, c], row, col)
                    dw[k, c, u, v] = total
    db = np.zeros(filters)
    for k in range(filters):
        for n in range(n_samples):
            for i in range(ho):
                for j in range(wo):
                    db[k] += dout[n, k, i, j]
    return dx, dw, db


def reads(input_size, kernel_size, stride=1, padding=0, dilation=1) -> np.ndarray:
    """(H, W) integer count of (window, tap) pairs that read each input pixel, by brute force."""
    (sh, sw), (ph, pw), (dil_h, dil_w) = pair(stride), pair(padding), pair(dilation)
    h, wd = pair(input_size)
    kh, kw = pair(kernel_size)
    ho, wo = output_size(input_size, kernel_size, stride, padding, dilation)
    counts = np.zeros((h, wd), dtype=int)
    for i in range(ho):
        for j in range(wo):
            for u in range(kh):
                for v in range(kw):
                    row, col = i * sh + u * dil_h - ph, j * sw + v * dil_w - pw
                    if 0 <= row < h and 0 <= col < wd:
                        counts[row, col] += 1
    return counts
