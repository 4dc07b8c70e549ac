"""The lessons' computations: every number a lesson states, computed here and checked in tests.

Pure NumPy, built on :mod:`cnnviz.conv` and :mod:`cnnviz.geometry`. The notebooks call these
functions and check them against the core; no lesson holds logic of its own.

Notation, as in the blog and the lessons: ``z`` the pre-activation, ``a = σ(z)``, ``δ = dL/dz``
(``delta``), ``rot180`` the kernel turned half a turn, ``σ'`` the activation's slope.

Single-channel helpers take 2-D maps: ``delta`` is ``(Ho, Wo)``, ``kernel`` is ``(kh, kw)``.
The deep helpers take one sample: ``x`` is ``(C, H, W)``, ``delta`` is ``(K, Ho, Wo)`` and
``w`` is ``(K, C, kh, kw)``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnviz.activations import activate, derivative
from cnnviz.arrays import real_array
from cnnviz.conv import (
    IntOrPair,
    conv2d,
    conv2d_backward,
    dilate,
    input_grad_by_full_convolution,
    input_grad_contributions,
    pad_input,
    rot180,
)
from cnnviz.geometry import Geometry, Pair, as_pair
from cnnviz.gradcheck import numerical_gradient

__all__ = [
    "ConnectionCount",
    "Question",
    "EntryCheck",
    "StrideAttempt",
    "Verdict",
    "all_ones_input_grad",
    "check_answer",
    "count_connections",
    "delta_previous_layer",
    "delta_previous_layer_numeric",
    "finite_difference_entry",
    "format_taps",
    "gather_input_grad",
    "input_grad_before_crop",
    "markdown_table",
    "output_padding_for",
    "per_position_weight_grads",
    "read_answer",
    "same_stride_attempt",
    "scatter_input_grad",
    "scatter_partial_sums",
    "shapes_from_core",
    "shapes_table",
    "taps_reaching",
    "transposed_conv2d",
    "transposed_output_size",
    "weight_grad_by_correlation",
]


# --------------------------------------------------------------------------- argument checks


def _as_real(value: object, name: str, ndim: int, layout: str) -> np.ndarray:
    """A float64 copy of ``value`` with rank ``ndim``, or a TypeError/ValueError naming it."""
    return real_array(value, name, ndim, layout).astype(np.float64)  # the caller's is untouched


def _as_count(value: object, name: str, minimum: int = 1) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


def _single_geometry(
    delta: np.ndarray,
    kernel: np.ndarray,
    input_size: IntOrPair,
    stride: IntOrPair,
    padding: IntOrPair,
    dilation: IntOrPair,
) -> Geometry:
    geometry = Geometry(input_size, kernel.shape, stride=stride, padding=padding, dilation=dilation)
    if delta.shape != geometry.output_size:
        raise ValueError(
            f"delta must have the forward output's shape {geometry.output_size} for "
            f"{geometry.describe()}; got {delta.shape}"
        )
    return geometry


# --------------------------------------------------------------------------- lesson 1: one channel


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
    if not isinstance(geometry, Geometry):
        raise TypeError(f"geometry must be a cnnviz Geometry; got {type(geometry).__name__}")
    depth, filters = _as_count(depth, "depth"), _as_count(filters, "filters")
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
    delta = _as_real(delta, "delta", 2, "(Ho, Wo)")
    kernel = _as_real(kernel, "kernel", 2, "(kh, kw)")
    g = _single_geometry(delta, kernel, input_size, stride, padding, dilation)
    (sh, sw), (dh, dw), (eh, ew) = g.stride, g.dilation, g.kernel_extent
    (ph, pw), (h, w) = g.padding, g.input_size
    grad = np.zeros(g.padded_size)  # (Hp, Wp): the padded grid the windows live on
    sums = [grad[ph : ph + h, pw : pw + w].copy()]
    for i, j in np.ndindex(*delta.shape):
        top, left = i * sh, j * sw
        grad[top : top + eh : dh, left : left + ew : dw] += delta[i, j] * kernel  # (kh, kw)
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
    """dL/dx ``(H, W)`` by gather: ``δ ∗ rot180(w)``, a full convolution of the dilated delta.

    Each input pixel collects from every delta element whose window covered it. With
    ``flip=False`` the kernel is *not* rotated: the wrong gather a learner might try, kept so
    the lesson can show its mismatch.
    """
    delta = _as_real(delta, "delta", 2, "(Ho, Wo)")
    kernel = _as_real(kernel, "kernel", 2, "(kh, kw)")
    if not isinstance(flip, (bool, np.bool_)):
        raise TypeError(f"flip must be True or False; got {flip!r}")
    g = _single_geometry(delta, kernel, input_size, stride, padding, dilation)
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
    if not isinstance(geometry, Geometry):
        raise TypeError(f"geometry must be a cnnviz Geometry; got {type(geometry).__name__}")
    p, q = as_pair(pixel, "pixel", 0)
    h, w = geometry.input_size
    if p >= h or q >= w:
        raise ValueError(f"pixel must lie inside the {h}x{w} input; got {(p, q)}")
    (sh, sw), (dh, dw) = geometry.stride, geometry.dilation
    (ph, pw), (kh, kw) = geometry.padding, geometry.kernel_size
    found = []
    for i, j in np.ndindex(*geometry.output_size):
        u, rest_u = divmod(p + ph - i * sh, dh)
        v, rest_v = divmod(q + pw - j * sw, dw)
        if rest_u == 0 and rest_v == 0 and 0 <= u < kh and 0 <= v < kw:
            found.append(((i, j), (int(u), int(v))))
    return found


def _previous_layer_inputs(z_prev, w, delta_next, stride, padding, dilation):
    z_prev = _as_real(z_prev, "z_prev", 3, "(C, H, W)")
    w = _as_real(w, "w", 4, "(K, C, kh, kw)")
    delta_next = _as_real(delta_next, "delta_next", 3, "(K, Ho, Wo)")
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
    """``δ^l = (Σ_k δ^{l+1}_k ∗ rot180(w^{l+1}_{k,c})) ⊙ σ'(z^l)``, for one sample.

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


# --------------------------------------------------------------------------- lesson 2: depth


def shapes_table(
    depth: int,
    input_size: IntOrPair,
    filters: int,
    kernel_size: IntOrPair,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> list[dict[str, object]]:
    """Every array of one conv layer's forward and backward pass, with its shape and why.

    Returns
    -------
    rows : list of dict with keys ``"name"``, ``"symbol"``, ``"shape"`` (a tuple), ``"why"``.
        The names match :func:`shapes_from_core`.
    """
    c, k = _as_count(depth, "depth"), _as_count(filters, "filters")
    g = Geometry(input_size, kernel_size, stride=stride, padding=padding, dilation=dilation)
    (h, w), (kh, kw), (ho, wo) = g.input_size, g.kernel_size, g.output_size
    hd, wd = g.dilated_output_size
    return [
        {"name": "x", "symbol": "$a^{l}$", "shape": (c, h, w), "why": "D input channels"},
        {
            "name": "w",
            "symbol": "$w^{l+1}$",
            "shape": (k, c, kh, kw),
            "why": "K filters, each as deep as the input",
        },
        {"name": "b", "symbol": "$b^{l+1}$", "shape": (k,), "why": "one bias per filter"},
        {
            "name": "z",
            "symbol": "$z^{l+1}$",
            "shape": (k, ho, wo),
            "why": "one map per filter; every pixel computed",
        },
        {
            "name": "delta",
            "symbol": "$\\delta^{l+1}$",
            "shape": (k, ho, wo),
            "why": "dL/dz: shaped like z",
        },
        {
            "name": "dilated_delta",
            "symbol": "dilate($\\delta^{l+1}$)",
            "shape": (k, hd, wd),
            "why": f"{g.stride[0] - 1} zero(s) between neighbours",
        },
        {
            "name": "contributions",
            "symbol": "$\\delta_k \\ast$ rot180($w_{k,c}$)",
            "shape": (k, c, h, w),
            "why": "filter k's delta sent into input channel c",
        },
        {
            "name": "dx",
            "symbol": "$\\partial L/\\partial a^{l}$",
            "shape": (c, h, w),
            "why": "contributions summed over k",
        },
        {
            "name": "dw",
            "symbol": "$\\partial L/\\partial w^{l+1}$",
            "shape": (k, c, kh, kw),
            "why": "shaped like w",
        },
        {
            "name": "db",
            "symbol": "$\\partial L/\\partial b^{l+1}$",
            "shape": (k,),
            "why": "shaped like b",
        },
    ]


def shapes_from_core(
    depth: int,
    input_size: IntOrPair,
    filters: int,
    kernel_size: IntOrPair,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    seed: int = 0,
) -> dict[str, tuple[int, ...]]:
    """The same shapes as :func:`shapes_table`, measured by running the core on random data."""
    c, k = _as_count(depth, "depth"), _as_count(filters, "filters")
    g = Geometry(input_size, kernel_size, stride=stride, padding=padding, dilation=dilation)
    settings = {"stride": g.stride, "padding": g.padding, "dilation": g.dilation}
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, c, *g.input_size))
    w = rng.standard_normal((k, c, *g.kernel_size))
    b = rng.standard_normal(k)
    z = conv2d(x, w, b, **settings)
    delta = rng.standard_normal(z.shape)
    dx, dw, db = conv2d_backward(delta, x, w, **settings)
    contrib = input_grad_contributions(delta[0], w, g.input_size, **settings)
    return {
        "x": x.shape[1:],
        "w": w.shape,
        "b": b.shape,
        "z": z.shape[1:],
        "delta": delta.shape[1:],
        "dilated_delta": dilate(delta[0], g.stride).shape,
        "contributions": contrib.shape,
        "dx": dx.shape[1:],
        "dw": dw.shape,
        "db": db.shape,
    }


def markdown_table(rows: list[dict[str, object]], columns: tuple[str, ...] | None = None) -> str:
    """Rows of dicts as a Markdown table (for ``IPython.display.Markdown``); shapes as ``a×b``."""
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise TypeError("rows must be a non-empty list of dicts")
    columns = tuple(rows[0]) if columns is None else tuple(columns)

    def cell(value: object) -> str:
        if isinstance(value, tuple):
            return "×".join(str(v) for v in value)
        return str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c, "")) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------- lesson 3: stride


@dataclass(frozen=True)
class StrideAttempt:
    """The wrong "same stride" backward pass beside the right one.

    Attributes
    ----------
    attempt : ``(h, w)``
        The un-dilated delta, full-convolved with ``rot180(w)`` *at the forward's stride*.
    truth : ``(H, W)``
        dL/dx from :func:`cnnviz.conv2d_backward`.
    placed : ``(H, W)``
        ``attempt`` written into the top-left of an input-sized grid of zeros (cropped if
        larger), so the two can be compared pixel by pixel.
    """

    attempt: np.ndarray
    truth: np.ndarray
    placed: np.ndarray

    @property
    def shape_matches(self) -> bool:
        """Whether the attempt even has the input's shape."""
        return self.attempt.shape == self.truth.shape

    @property
    def max_error(self) -> float:
        """Largest ``|placed - truth|``."""
        return float(np.max(np.abs(self.placed - self.truth)))


def same_stride_attempt(
    delta: np.ndarray, kernel: np.ndarray, input_size: IntOrPair, *, stride: IntOrPair
) -> StrideAttempt:
    """Run the backward convolution at the forward's stride, as if it were strided too.

    Padding 0 and dilation 1 (the question as readers asked it).

    Parameters
    ----------
    delta : ``(Ho, Wo)``; kernel : ``(kh, kw)``; input_size : int or ``(H, W)``
    stride : int or (h, w)
    """
    delta = _as_real(delta, "delta", 2, "(Ho, Wo)")
    kernel = _as_real(kernel, "kernel", 2, "(kh, kw)")
    g = _single_geometry(delta, kernel, input_size, stride, 0, 1)
    (kh, kw), (sh, sw) = g.kernel_size, g.stride
    framed = np.pad(delta, ((kh - 1, kh - 1), (kw - 1, kw - 1)))  # "full": every overlap
    windows = sliding_window_view(framed, (kh, kw))[::sh, ::sw]  # (h, w, kh, kw), strided
    attempt = np.einsum("ijuv,uv->ij", windows, rot180(kernel))  # (h, w)
    truth = conv2d_backward(
        delta[None, None], np.zeros((1, 1, *g.input_size)), kernel[None, None], stride=g.stride
    )[0][0, 0]  # (H, W)
    placed = np.zeros_like(truth)
    rows, cols = min(attempt.shape[0], truth.shape[0]), min(attempt.shape[1], truth.shape[1])
    placed[:rows, :cols] = attempt[:rows, :cols]
    return StrideAttempt(attempt=attempt, truth=truth, placed=placed)


def transposed_output_size(
    size: int,
    kernel: int,
    *,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Output length of a transposed convolution along one axis (PyTorch's formula).

    ``(size - 1)*stride - 2*padding + dilation*(kernel - 1) + output_padding + 1``.
    ``output_padding`` must be smaller than ``stride`` or ``dilation``, as in PyTorch.
    """
    size, kernel = _as_count(size, "size"), _as_count(kernel, "kernel")
    stride, dilation = _as_count(stride, "stride"), _as_count(dilation, "dilation")
    padding = _as_count(padding, "padding", 0)
    output_padding = _as_count(output_padding, "output_padding", 0)
    if output_padding >= max(stride, dilation):
        raise ValueError(
            f"output_padding must be smaller than stride or dilation ({max(stride, dilation)});"
            f" got {output_padding}"
        )
    length = (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    if length < 1:
        raise ValueError(f"these settings give a transposed output of length {length} (< 1)")
    return length


def output_padding_for(geometry: Geometry) -> Pair:
    """The ``output_padding`` that makes a transposed convolution give back ``input_size``.

    It is the number of bottom rows (right columns) no window touched:
    ``(H + 2*ph - extent_h) mod sh``.
    """
    if not isinstance(geometry, Geometry):
        raise TypeError(f"geometry must be a cnnviz Geometry; got {type(geometry).__name__}")
    return tuple(
        (n + 2 * p - e) % s
        for n, p, e, s in zip(
            geometry.input_size,
            geometry.padding,
            geometry.kernel_extent,
            geometry.stride,
            strict=True,
        )
    )


def transposed_conv2d(
    delta: np.ndarray,
    w: np.ndarray,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """A transposed convolution (PyTorch's ``conv_transpose2d``), for one sample.

    Spreads each element of ``delta`` ``(K, Ho, Wo)`` back through filters ``w``
    ``(K, C, kh, kw)`` and sums over K: exactly the input gradient of a forward conv with the
    same settings, whose input size ``output_padding`` pins down.

    Returns
    -------
    out : ``(C, H, W)`` with ``H = transposed_output_size(Ho, kh, ...)``.
    """
    delta = _as_real(delta, "delta", 3, "(K, Ho, Wo)")
    w = _as_real(w, "w", 4, "(K, C, kh, kw)")
    if delta.shape[0] != w.shape[0]:
        raise ValueError(f"delta has {delta.shape[0]} maps but w has {w.shape[0]} filters")
    pairs = [
        as_pair(v, name, 0)
        for v, name in (
            (stride, "stride"),
            (padding, "padding"),
            (output_padding, "output_padding"),
            (dilation, "dilation"),
        )
    ]
    size = tuple(
        transposed_output_size(
            delta.shape[1 + a],
            w.shape[2 + a],
            stride=pairs[0][a],
            padding=pairs[1][a],
            output_padding=pairs[2][a],
            dilation=pairs[3][a],
        )
        for a in (0, 1)
    )
    contrib = input_grad_contributions(
        delta, w, size, stride=pairs[0], padding=pairs[1], dilation=pairs[3]
    )  # (K, C, H, W)
    return contrib.sum(axis=0)


# ------------------------------------------------------------------------ lesson 4: weights, bias


def _deep_inputs(
    x: object,
    delta: object,
    kernel_size: IntOrPair,
    stride: IntOrPair,
    padding: IntOrPair,
    dilation: IntOrPair,
) -> tuple[np.ndarray, np.ndarray, Geometry]:
    x = _as_real(x, "x", 3, "(C, H, W)")
    delta = _as_real(delta, "delta", 3, "(K, Ho, Wo)")
    g = Geometry(x.shape[1:], kernel_size, stride=stride, padding=padding, dilation=dilation)
    if delta.shape[1:] != g.output_size:
        raise ValueError(
            f"delta must be (K, {g.output_size[0]}, {g.output_size[1]}) for "
            f"{g.describe()}; got {delta.shape}"
        )
    return x, delta, g


def weight_grad_by_correlation(
    x: np.ndarray,
    delta: np.ndarray,
    kernel_size: IntOrPair,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """``dW[k, c] = x_c ⋆ dilate(δ_k)``: slide the dilated delta over the padded input.

    Parameters
    ----------
    x : ``(C, H, W)``; delta : ``(K, Ho, Wo)``; kernel_size : int or ``(kh, kw)``

    Returns
    -------
    dw : ``(K, C, kh, kw)``
    """
    x, delta, g = _deep_inputs(x, delta, kernel_size, stride, padding, dilation)
    spread = dilate(delta, g.stride)  # (K, Hd, Wd)
    xp = pad_input(x, g.padding)  # (C, Hp, Wp)
    windows = sliding_window_view(xp, spread.shape[1:], axis=(1, 2))  # (C, a, b, Hd, Wd)
    full = np.einsum("cabij,kij->kcab", windows, spread)  # (K, C, a, b), a >= extent
    (eh, ew), (dh, dw) = g.kernel_extent, g.dilation
    return full[:, :, :eh:dh, :ew:dw]  # (K, C, kh, kw): only the taps a dilated kernel has


def per_position_weight_grads(
    x: np.ndarray,
    delta: np.ndarray,
    kernel_size: IntOrPair,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """What each output position alone says about each weight: ``δ[k, i, j] · window(i, j)``.

    Returns
    -------
    parts : ``(Ho, Wo, K, C, kh, kw)``
        Summed over the first two axes it is ``dW``: the filter is one set of numbers shared
        by every position, so every position's vote is added into the same weights.
    """
    x, delta, g = _deep_inputs(x, delta, kernel_size, stride, padding, dilation)
    (eh, ew), (sh, sw), (dh, dw) = g.kernel_extent, g.stride, g.dilation
    (ho, wo) = g.output_size
    xp = pad_input(x, g.padding)  # (C, Hp, Wp)
    windows = sliding_window_view(xp, (eh, ew), axis=(1, 2))  # (C, ., ., eh, ew)
    windows = windows[:, : (ho - 1) * sh + 1 : sh, : (wo - 1) * sw + 1 : sw, ::dh, ::dw]
    return np.einsum("kij,cijuv->ijkcuv", delta, windows)  # (Ho, Wo, K, C, kh, kw)


@dataclass(frozen=True)
class EntryCheck:
    """One gradient entry, analytic beside finite difference."""

    parameter: str
    index: tuple[int, ...]
    analytic: float
    numeric: float

    @property
    def error(self) -> float:
        """``|analytic - numeric|``."""
        return abs(self.analytic - self.numeric)

    def __str__(self) -> str:
        return (
            f"d{self.parameter}{list(self.index)}: backprop {self.analytic:+.6f}, finite "
            f"difference {self.numeric:+.6f}, difference {self.error:.1e}"
        )


def finite_difference_entry(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    delta: np.ndarray,
    *,
    parameter: str,
    index: tuple[int, ...],
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    eps: float = 1e-6,
) -> EntryCheck:
    """Nudge one entry of ``x``, ``w`` or ``b`` up and down; compare with backprop.

    The loss is ``L = Σ z · delta``, so that ``dL/dz = delta``.

    Parameters
    ----------
    x : ``(N, C, H, W)``; w : ``(K, C, kh, kw)``; b : ``(K,)``; delta : ``(N, K, Ho, Wo)``
    parameter : ``"x"``, ``"w"`` or ``"b"``
    index : tuple of int, a valid index into that array
    """
    arrays = {
        "x": _as_real(x, "x", 4, "(N, C, H, W)"),
        "w": _as_real(w, "w", 4, "(K, C, kh, kw)"),
        "b": _as_real(b, "b", 1, "(K,)"),
    }
    if parameter not in arrays:
        raise ValueError(f"parameter must be 'x', 'w' or 'b'; got {parameter!r}")
    target = arrays[parameter]
    index = tuple(int(i) for i in np.atleast_1d(index))
    if len(index) != target.ndim or not all(
        0 <= i < n for i, n in zip(index, target.shape, strict=True)
    ):
        raise ValueError(
            f"index must be a valid index into {parameter} {target.shape}; got {index}"
        )
    if not eps > 0:
        raise ValueError(f"eps must be > 0; got {eps}")
    settings = {"stride": stride, "padding": padding, "dilation": dilation}
    delta = _as_real(delta, "delta", 4, "(N, K, Ho, Wo)")

    def loss() -> float:
        return float(np.sum(conv2d(arrays["x"], arrays["w"], arrays["b"], **settings) * delta))

    saved = target[index]
    target[index] = saved + eps
    up = loss()
    target[index] = saved - eps
    down = loss()
    target[index] = saved
    dx, dw, db = conv2d_backward(delta, arrays["x"], arrays["w"], **settings)
    analytic = {"x": dx, "w": dw, "b": db}[parameter][index]
    return EntryCheck(parameter, index, float(analytic), (up - down) / (2 * eps))


# --------------------------------------------------------------------- lesson 5: padding, overlap


def input_grad_before_crop(
    delta: np.ndarray,
    w: np.ndarray,
    input_size: IntOrPair,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """The input gradient on the *padded* grid, before the padding is cropped off.

    The border is the gradient with respect to the padding zeros: they are constants, not
    inputs, so backprop throws it away.

    Parameters
    ----------
    delta : ``(K, Ho, Wo)``; w : ``(K, C, kh, kw)``; input_size : int or ``(H, W)``

    Returns
    -------
    grad : ``(C, H + 2*ph, W + 2*pw)``
    """
    w = _as_real(w, "w", 4, "(K, C, kh, kw)")
    g = Geometry(input_size, w.shape[2:], stride=stride, padding=padding, dilation=dilation)
    contrib = input_grad_contributions(
        delta, w, g.padded_size, stride=g.stride, padding=0, dilation=g.dilation
    )  # (K, C, Hp, Wp)
    return contrib.sum(axis=0)


def all_ones_input_grad(geometry: Geometry) -> np.ndarray:
    """dL/dx ``(H, W)`` when every delta element and every kernel tap is 1.

    Each pixel then receives exactly one unit per (window, tap) that read it, so this equals
    :meth:`Geometry.window_counts`: the checkerboard of uneven overlap, from the backward pass.
    """
    if not isinstance(geometry, Geometry):
        raise TypeError(f"geometry must be a cnnviz Geometry; got {type(geometry).__name__}")
    ones_delta = np.ones((1, 1, *geometry.output_size))
    ones_kernel = np.ones((1, 1, *geometry.kernel_size))
    dx, _, _ = conv2d_backward(
        ones_delta,
        np.zeros((1, 1, *geometry.input_size)),
        ones_kernel,
        stride=geometry.stride,
        padding=geometry.padding,
        dilation=geometry.dilation,
    )
    return dx[0, 0]


# --------------------------------------------------------------------------- check yourself


@dataclass(frozen=True)
class Verdict:
    """The checker's answer: ``correct`` and one plain sentence saying why."""

    correct: bool
    message: str

    def __str__(self) -> str:
        return self.message


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return f"an array of shape {value.shape}"
    if isinstance(value, tuple):
        return "(" + ", ".join(str(v) for v in value) + ")"
    return repr(value) if isinstance(value, str) else str(value)


def check_answer(
    answer: object,
    expected: object,
    *,
    what: str = "the answer",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    reveal: bool = True,
) -> Verdict:
    """Compare a learner's answer with the core's and say, in one sentence, how it went.

    Never raises for a bad answer: a string, a wrong shape or ``None`` all get a verdict.

    Parameters
    ----------
    answer : number, bool, tuple of ints (a shape) or array; ``None`` means "not answered yet"
    expected : the same kind of thing, computed by the core
    what : str
        What is asked for, e.g. ``"the shape of dx"``, used in the sentence.
    rtol, atol : float
        Tolerances for numbers and arrays (``np.allclose``).
    reveal : bool
        Whether a "not yet" verdict states the right answer (False for answer boxes, so that
        a learner can try again).
    """
    if not isinstance(what, str):
        raise TypeError(f"what must be a str; got {type(what).__name__}")
    if answer is None:
        return Verdict(False, f"No answer yet: replace None with {what}.")
    if isinstance(expected, (bool, np.bool_, str)) or (
        isinstance(expected, tuple) and all(isinstance(v, numbers.Integral) for v in expected)
    ):
        given = tuple(answer) if isinstance(answer, (list, tuple)) else answer
        if isinstance(given, tuple):
            given = tuple(int(v) if isinstance(v, numbers.Integral) else v for v in given)
        if isinstance(expected, (bool, np.bool_)):
            right = isinstance(given, (bool, np.bool_)) and bool(given) == bool(expected)
        else:
            right = type(given) is type(expected) and given == expected
        if right:
            return Verdict(True, f"Right: {what} is {_describe(expected)}.")
        return Verdict(
            False,
            f"Not yet: you said {_describe(answer)}, but {what} is {_describe(expected)}."
            if reveal
            else f"Not yet: {_describe(answer)} is not {what}; try again.",
        )
    expected_array = np.asarray(expected, dtype=np.float64)
    try:
        given = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return Verdict(
            False,
            f"Not yet: {_describe(answer)} is not a number or an array of numbers"
            + (f"; {what} is {_describe(expected)}." if reveal else "; try again."),
        )
    if given.shape != expected_array.shape:
        return Verdict(
            False,
            f"Not yet: your answer has shape {given.shape}, but {what} has "
            f"shape {expected_array.shape}.",
        )
    close = np.isclose(given, expected_array, rtol=rtol, atol=atol)
    if close.all():
        if expected_array.ndim:
            return Verdict(True, f"Right: all {close.size} entries of {what} match the core.")
        return Verdict(True, f"Right: {what} is {float(expected_array):g}.")
    if expected_array.ndim == 0:
        return Verdict(
            False,
            f"Not yet: you said {float(given):g}, but {what} is {float(expected_array):g}."
            if reveal
            else f"Not yet: {float(given):g} is not {what}; try again.",
        )
    worst = np.unravel_index(np.argmax(np.abs(given - expected_array)), given.shape)
    return Verdict(
        False,
        f"Not yet: {int((~close).sum())} of {close.size} entries of {what} "
        f"differ; the largest gap is at {tuple(int(i) for i in worst)}: you "
        f"have {given[worst]:g}, the core has {expected_array[worst]:g}.",
    )


ANSWER_KINDS = ("number", "ints")
_MAX_ANSWER_LENGTH = 200  # a typed answer longer than this is not an answer to these questions


def read_answer(text: object, kind: str) -> float | tuple[int, ...]:
    """Read what a learner typed into an answer box.

    Parameters
    ----------
    text : str
        What was typed, e.g. ``"-2"``, ``"1.5"``, ``"4, 8, 8"``, ``"(10, 12, 12)"`` or ``"[7]"``.
    kind : {"number", "ints"}
        One number, or a list of whole numbers (a shape, or a list of rows).

    Returns
    -------
    float, or tuple of int

    Raises
    ------
    ValueError
        With a plain sentence a learner can act on, when the text cannot be read.
    """
    if kind not in ANSWER_KINDS:
        raise ValueError(f"kind must be one of {ANSWER_KINDS}; got {kind!r}")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("Type an answer first.")
    text = text.strip()
    if len(text) > _MAX_ANSWER_LENGTH:
        raise ValueError("That answer is too long: type just the number or numbers.")
    if kind == "number":
        try:
            value = float(text)
        except ValueError:
            message = f"Could not read {text[:20]!r} as a number; type e.g. -2 or 1.5."
            raise ValueError(message) from None
        if not np.isfinite(value):
            raise ValueError("Type a finite number.")
        return value
    parts = [p for p in text.strip("()[] ").replace(",", " ").replace("x", " ").split() if p]
    if not parts or not all(p.lstrip("+-").isdigit() and p.isascii() for p in parts):
        raise ValueError(
            f"Could not read {text[:20]!r} as whole numbers; type them separated by commas, "
            "e.g. 4, 8, 8."
        )
    return tuple(int(p) for p in parts)


@dataclass(frozen=True)
class Question:
    """One "check yourself" question: what to ask, the core's answer, and how to read a reply.

    Attributes
    ----------
    prompt : str
        The question as shown, e.g. ``"Shape of δ?"``.
    expected : number or tuple of int
        The right answer, computed by the core.
    what : str
        What is asked for, in the verdict's sentence (``"the shape of δ"``).
    kind : {"number", "ints"}
        How :func:`read_answer` reads what the learner types.
    atol : float
        How far a typed number may be from ``expected`` (e.g. 0.005 for "two decimals").
    """

    prompt: str
    expected: object
    what: str
    kind: str = "number"
    atol: float = 1e-9

    def __post_init__(self) -> None:
        if self.kind not in ANSWER_KINDS:
            raise ValueError(f"kind must be one of {ANSWER_KINDS}; got {self.kind!r}")

    def mark(self, text: object) -> Verdict:
        """The verdict on what the learner typed (never raises)."""
        try:
            answer = read_answer(text, self.kind)
        except ValueError as error:
            return Verdict(False, str(error))
        return check_answer(
            answer, self.expected, what=self.what, rtol=0.0, atol=self.atol, reveal=False
        )
