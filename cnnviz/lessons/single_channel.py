"""Lesson 1, one channel: connections and shared weights, and the input gradient two ways.

Scatter (one ``+=`` per delta element, no flip) and gather (``δ ⋆_full rot180(w)``), and which
kernel tap carries each delta element back to a given input pixel. The maps are 2-D: ``delta`` is
``(Ho, Wo)`` and ``kernel`` is ``(kh, kw)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.core.arrays import as_count
from cnnviz.core.conv import IntOrPair, input_grad_by_full_convolution, rot180
from cnnviz.core.geometry import Geometry, Pair, as_pair
from cnnviz.lessons.checks import as_geometry, as_real, single_geometry

__all__ = [
    "ConnectionCount",
    "count_connections",
    "format_taps",
    "gather_input_grad",
    "scatter_input_grad",
    "scatter_partial_sums",
    "taps_reaching",
]


@dataclass(frozen=True)
class ConnectionCount:
    """How many connections a conv layer has, and how few numbers it learns.

    Attributes
    ----------
    connections : int
        Multiplications from input to ``z``: every tap of every window of every filter
        (``K * Ho * Wo * C * kh * kw``; taps landing on padding count too).
    weights : int
        Distinct weights the layer learns: ``K * C * kh * kw``.
    biases : int
        One per filter: ``K``.
    dense_weights : int
        Weights a fully connected layer between the same input and ``z`` would need:
        ``(C * H * W) * (K * Ho * Wo)``.
    reads_per_pixel : int array ``(H, W)``
        How many windows of one filter read each input pixel (0 = untouched).
    """

    connections: int
    weights: int
    biases: int
    dense_weights: int
    reads_per_pixel: np.ndarray

    @property
    def uses_per_weight(self) -> int:
        """How many connections share each weight: ``Ho * Wo``."""
        return self.connections // self.weights


def count_connections(geometry: Geometry, *, depth: int = 1, filters: int = 1) -> ConnectionCount:
    """Count connections, shared weights and biases for ``filters`` filters of depth ``depth``.

    Parameters
    ----------
    geometry : Geometry
        Sizes, stride, padding and dilation of one channel.
    depth : int
        Input channels C (each filter is this deep).
    filters : int
        Output channels K.
    """
    geometry = as_geometry(geometry)
    depth, filters = as_count(depth, "depth"), as_count(filters, "filters")
    (h, w), (kh, kw), (ho, wo) = geometry.input_size, geometry.kernel_size, geometry.output_size
    weights = filters * depth * kh * kw
    return ConnectionCount(
        connections=weights * ho * wo,
        weights=weights,
        biases=filters,
        dense_weights=(depth * h * w) * (filters * ho * wo),
        reads_per_pixel=geometry.window_counts(),
    )


def scatter_partial_sums(
    delta: np.ndarray,
    kernel: np.ndarray,
    input_size: IntOrPair,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """The input gradient as the blog's loop builds it: one ``+=`` per delta element, no flip.

    Step ``t`` visits delta element ``t`` (row-major) and adds ``delta[i, j] * kernel`` onto
    the window that made ``z[i, j]``: each element sends its error back along the very
    connections it came from. Written as a loop over delta elements on purpose (it is the
    picture); :func:`cnnviz.conv2d_backward` is the fast path.

    Parameters
    ----------
    delta : ``(Ho, Wo)``; kernel : ``(kh, kw)``; input_size : int or ``(H, W)``

    Returns
    -------
    sums : ``(Ho*Wo + 1, H, W)``
        ``sums[t]`` is the gradient after ``t`` delta elements; ``sums[-1]`` is dL/dx.
    """
    delta = as_real(delta, "delta", 2, "(Ho, Wo)")
    kernel = as_real(kernel, "kernel", 2, "(kh, kw)")
    g = single_geometry(delta, kernel, input_size, stride, padding, dilation)
    (sh, sw), (dil_h, dil_w), (eh, ew) = g.stride, g.dilation, g.kernel_extent
    (ph, pw), (h, w) = g.padding, g.input_size
    grad = np.zeros(g.padded_size)  # (Hp, Wp): the padded grid the windows live on
    sums = [grad[ph : ph + h, pw : pw + w].copy()]
    for i, j in np.ndindex(*delta.shape):
        top, left = i * sh, j * sw
        grad[top : top + eh : dil_h, left : left + ew : dil_w] += delta[i, j] * kernel  # (kh, kw)
        sums.append(grad[ph : ph + h, pw : pw + w].copy())
    return np.stack(sums)  # (Ho*Wo + 1, H, W)


def scatter_input_grad(
    delta: np.ndarray,
    kernel: np.ndarray,
    input_size: IntOrPair,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """dL/dx ``(H, W)`` by scatter, ``+=`` and no flip: the last of :func:`scatter_partial_sums`."""
    return scatter_partial_sums(
        delta, kernel, input_size, stride=stride, padding=padding, dilation=dilation
    )[-1]


def gather_input_grad(
    delta: np.ndarray,
    kernel: np.ndarray,
    input_size: IntOrPair,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    flip: bool = True,
) -> np.ndarray:
    """dL/dx ``(H, W)`` by gather: ``dilate_s(δ) ⋆_full rot180(w)``, cropped by the padding.

    A full cross-correlation (⋆, no flip of its own) with the turned kernel; the same as a
    full convolution ∗ with the kernel as it is.

    Each input pixel collects from every delta element whose window covered it. With
    ``flip=False`` the kernel is *not* rotated: the wrong gather a learner might try, kept so
    the lesson can show its mismatch.
    """
    delta = as_real(delta, "delta", 2, "(Ho, Wo)")
    kernel = as_real(kernel, "kernel", 2, "(kh, kw)")
    if not isinstance(flip, (bool, np.bool_)):
        raise TypeError(f"flip must be True or False; got {flip!r}")
    g = single_geometry(delta, kernel, input_size, stride, padding, dilation)
    # The core's full convolution rotates the kernel it is given; rotating first undoes that.
    used = kernel if flip else rot180(kernel)
    contrib = input_grad_by_full_convolution(
        delta[None],
        used[None, None],
        g.input_size,
        stride=g.stride,
        padding=g.padding,
        dilation=g.dilation,
    )  # (1, 1, H, W)
    return contrib[0, 0]


def taps_reaching(geometry: Geometry, pixel: tuple[int, int]) -> list[tuple[Pair, Pair]]:
    """Which delta elements reach input ``pixel``, and through which kernel tap.

    Returns ``[((i, j), (u, v)), ...]`` in row-major order of ``(i, j)``: ``z[i, j]`` read
    ``x[pixel]`` with tap ``w[u, v]``, so ``dL/dx[pixel] = Σ δ[i, j] · w[u, v]``. As ``(i, j)``
    walks forward, ``(u, v)`` walks backward: that reversal is the ``rot180``.
    """
    geometry = as_geometry(geometry)
    p, q = as_pair(pixel, "pixel", 0)
    h, w = geometry.input_size
    if p >= h or q >= w:
        raise ValueError(f"pixel must lie inside the {h}x{w} input; got {(p, q)}")
    (sh, sw), (dil_h, dil_w) = geometry.stride, geometry.dilation
    (ph, pw), (kh, kw) = geometry.padding, geometry.kernel_size
    found = []
    for i, j in np.ndindex(*geometry.output_size):
        u, rest_u = divmod(p + ph - i * sh, dil_h)
        v, rest_v = divmod(q + pw - j * sw, dil_w)
        if rest_u == 0 and rest_v == 0 and 0 <= u < kh and 0 <= v < kw:
            found.append(((i, j), (int(u), int(v))))
    return found


def format_taps(taps: list[tuple[Pair, Pair]], *, prefix: str = "") -> str:
    """The products of :func:`taps_reaching` as text, one line per row of delta.

    E.g. ``prefix + "δ[0,0]·w[2,2] + δ[0,1]·w[2,1] + δ[0,2]·w[2,0]"`` on the first line and
    each later row starting ``+ `` under it, so the terms line up.
    """
    rows: dict[int, list[str]] = {}
    for (i, j), (u, v) in taps:
        rows.setdefault(i, []).append(f"δ[{i},{j}]·w[{u},{v}]")
    lines = [" + ".join(terms) for terms in rows.values()]
    joint = "\n" + " " * max(len(prefix) - 2, 0) + "+ "
    return prefix + joint.join(lines)
