"""Lesson 3, stride: why the backward pass is not strided, and the transposed convolution.

:func:`same_stride_attempt` takes 2-D maps (``delta`` ``(Ho, Wo)``, ``kernel`` ``(kh, kw)``);
:func:`transposed_conv2d` takes one sample (``delta`` ``(K, Ho, Wo)``, ``w`` ``(K, C, kh, kw)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnviz.core.arrays import as_count
from cnnviz.core.claims import output_padding
from cnnviz.core.conv import IntOrPair, conv2d_backward, input_grad_contributions, rot180
from cnnviz.core.geometry import Geometry, Pair, as_pair
from cnnviz.lessons.checks import as_geometry, as_real, single_geometry

__all__ = [
    "StrideAttempt",
    "output_padding_for",
    "same_stride_attempt",
    "transposed_conv2d",
    "transposed_output_size",
]


@dataclass(frozen=True)
class StrideAttempt:
    """The wrong "same stride" backward pass beside the right one.

    Attributes
    ----------
    attempt : ``(h, w)``
        The un-dilated delta, full-correlated (⋆) with ``rot180(w)`` *at the forward's stride*.
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
    delta = as_real(delta, "delta", 2, "(Ho, Wo)")
    kernel = as_real(kernel, "kernel", 2, "(kh, kw)")
    g = single_geometry(delta, kernel, input_size, stride, 0, 1)
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
    size, kernel = as_count(size, "size"), as_count(kernel, "kernel")
    stride, dilation = as_count(stride, "stride"), as_count(dilation, "dilation")
    padding = as_count(padding, "padding", 0)
    output_padding = as_count(output_padding, "output_padding", 0)
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
    """The ``output_padding`` that makes a transposed convolution give back ``input_size``:
    ``a = (H + 2p − d(kh − 1) − 1) mod s`` per axis (:func:`cnnviz.core.claims.output_padding`).

    Those last ``a`` rows (columns) are not always zero: with padding a window may still read
    them; :func:`output_padding_sentence` says which are, for the layer at hand.
    """
    return output_padding(as_geometry(geometry))


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
    delta = as_real(delta, "delta", 3, "(K, Ho, Wo)")
    w = as_real(w, "w", 4, "(K, C, kh, kw)")
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
