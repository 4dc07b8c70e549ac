"""The backward pass of one conv layer as a walk of steps: pure data, no drawing.

Two walks reach the same ``dx``:

* **scatter**, one step per delta element ``δ[k, i, j]`` (k, then i, then j): the filter
  ``W[k, :, :, :]`` scaled by that element is added into the window at ``(i·s, j·s)`` of
  every input channel at once.
* **gather**, one step per input pixel ``(r, q)`` (row by row): ``rot180(dilate_d(W[k, c]))``
  slides over the dilated, framed delta; the window at ``(r + p, q + p)`` gives
  ``dx[c, r, q]`` for every channel c (:func:`gathered_contributions`, its own computation).

A :class:`Walk` knows its step count and builds any :class:`Step` on demand (O(one layer) of
work: the scatter's running sums are the core's contributions of a masked delta, the gather's
a mask over its own gathered map; never a Python loop over pixels). The step order is fixed,
so the app can scrub freely.

Coordinates: *input* coordinates index ``x`` (a scatter window can start at a negative row
when it reaches into the padding); *frame* coordinates index :func:`framed_delta`, the
dilated delta with ``extent - 1`` zeros before it and enough zeros after it that every input
pixel has a full window.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from cnnviz.core.conv import dilate, input_grad_contributions, rot180
from cnnviz.explorer.layer import LayerSnapshot

WALKS = ("scatter", "gather")


def framed_delta(layer: LayerSnapshot) -> np.ndarray:
    """The dilated delta inside its zero frame: ``(K, Hp + eh - 1, Wp + ew - 1)``.

    ``δ[k, i, j]`` sits at ``(eh - 1 + i·sh, ew - 1 + j·sw)``; the window of ``rot180`` of the
    dilated kernel at ``(r + ph, q + pw)`` gives ``dx`` at input pixel ``(r, q)``.
    """
    g = layer.geometry
    (eh, ew), (hp, wp) = g.kernel_extent, g.padded_size
    spread = dilate(layer.delta, g.stride)  # (K, Hd, Wd)
    frame = np.zeros((layer.filters, hp + eh - 1, wp + ew - 1))  # (K, Hf, Wf)
    frame[:, eh - 1 : eh - 1 + spread.shape[1], ew - 1 : ew - 1 + spread.shape[2]] = spread
    return frame


def gathered_contributions(layer: LayerSnapshot) -> np.ndarray:
    """What each filter sends to each input pixel, by gathering: ``(K, C, H, W)``.

    ``[k, c, r, q] = Σ_{u,v} rot180(dilate_d(W[k, c]))[u, v] · F_k[r + ph + u, q + pw + v]``
    with ``F`` = :func:`framed_delta`: the full correlation read pixel by pixel, computed for
    every pixel at once from the delta and the weights only. It does not use the core's col2im
    (the scatter walk's route), so the two walks' agreement is a check, not a copy.
    """
    g = layer.geometry
    (eh, ew), (ph, pw), (h, w) = g.kernel_extent, g.padding, g.input_size
    kernels = rot180(dilate(layer.w, g.dilation))  # (K, C, eh, ew)
    windows = np.lib.stride_tricks.sliding_window_view(framed_delta(layer), (eh, ew),
                                                       axis=(1, 2))  # (K, Hp, Wp, eh, ew)
    windows = windows[:, ph : ph + h, pw : pw + w]  # (K, H, W, eh, ew)
    return np.einsum("khwuv,kcuv->kchw", windows, kernels, optimize=True)


def flipped_kernels(layer: LayerSnapshot) -> np.ndarray:
    """``rot180(W)``: ``(K, C, kh, kw)``, each slice turned half a turn."""
    return rot180(layer.w)


@dataclass(frozen=True)
class Step:
    """One step of a walk and everything accumulated up to and including it.

    Attributes
    ----------
    walk : {"scatter", "gather"}
    index, count : int
        This step (0-based) and the number of steps in the walk.
    filter_index : int or None
        Scatter: k of the delta element being spread. Gather: None (all filters at once).
    delta_index : (i, j) or None
        Scatter: the delta element's position in ``δ_k``.
    delta_value : float or None
        Scatter: ``δ[k, i, j]``.
    window : (top, left, height, width)
        Scatter: the window in input coordinates (it may start in the padding).
        Gather: the window in frame coordinates (see :func:`framed_delta`).
    pixel : (r, q) or None
        Gather: the input pixel whose gradient is computed.
    pixel_values : ``(K, C)`` or None
        Gather: what each filter k sends to pixel (r, q) of channel c.
    added : ``(C, kh, kw)`` or None
        Scatter: ``δ[k, i, j] · W[k]``, the patch added into each channel's window.
    contributions : ``(K, C, H, W)``
        Running contribution of filter k into channel c.
    dx : ``(C, H, W)``
        Running input gradient, ``contributions.sum(axis=0)``.
    delta_below : ``(C, H, W)``
        Running ``dx ⊙ σ'(z_below)``.
    done : bool array
        Scatter: ``(K, Ho, Wo)`` delta elements already spread. Gather: ``(H, W)`` pixels done.
    """

    walk: str
    index: int
    count: int
    filter_index: int | None
    delta_index: tuple[int, int] | None
    delta_value: float | None
    window: tuple[int, int, int, int]
    pixel: tuple[int, int] | None
    pixel_values: np.ndarray | None
    added: np.ndarray | None
    contributions: np.ndarray
    dx: np.ndarray
    delta_below: np.ndarray
    done: np.ndarray


class Walk:
    """The steps of one walk over one layer.

    Parameters
    ----------
    layer : LayerSnapshot
    walk : {"scatter", "gather"}

    Raises
    ------
    TypeError, ValueError
        If ``layer`` is not a snapshot or ``walk`` is unknown.
    """

    def __init__(self, layer: LayerSnapshot, walk: str = "scatter") -> None:
        if not isinstance(layer, LayerSnapshot):
            raise TypeError(f"layer must be a LayerSnapshot; got {type(layer).__name__}")
        if walk not in WALKS:
            raise ValueError(f"walk must be one of {WALKS}; got {walk!r}")
        self.layer = layer
        self.walk = walk

    def __len__(self) -> int:
        g = self.layer.geometry
        if self.walk == "scatter":
            return self.layer.filters * g.output_size[0] * g.output_size[1]
        return g.input_size[0] * g.input_size[1]

    @property
    def count(self) -> int:
        """Number of steps: ``K·Ho·Wo`` (scatter) or ``H·W`` (gather)."""
        return len(self)

    @cached_property
    def frame(self) -> np.ndarray:
        """:func:`framed_delta` of the layer, ``(K, Hf, Wf)``."""
        return framed_delta(self.layer)

    @cached_property
    def gathered(self) -> np.ndarray:
        """:func:`gathered_contributions` of the layer, ``(K, C, H, W)`` (gather walk)."""
        return gathered_contributions(self.layer)

    def step(self, index: int) -> Step:
        """The step at ``index`` (0-based; negative counts from the end).

        Raises
        ------
        TypeError, IndexError
            If ``index`` is not an int or is out of range.
        """
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise TypeError(f"index must be an int; got {index!r}")
        count = len(self)
        if not -count <= index < count:
            raise IndexError(f"index must be in [0, {count}); got {index}")
        index = int(index) % count
        if self.walk == "scatter":
            return self._scatter_step(index)
        return self._gather_step(index)

    def __iter__(self):
        return (self.step(t) for t in range(len(self)))

    def _finish(self, **fields: object) -> Step:
        contributions = fields["contributions"]
        dx = contributions.sum(axis=0)  # (C, H, W)
        return Step(
            walk=self.walk,
            count=len(self),
            dx=dx,
            delta_below=dx * self.layer.sigma_prime,
            **fields,
        )

    def _scatter_step(self, index: int) -> Step:
        layer, g = self.layer, self.layer.geometry
        k, i, j = (int(v) for v in np.unravel_index(index, layer.delta.shape))
        done = (np.arange(layer.delta.size) <= index).reshape(layer.delta.shape)  # (K,Ho,Wo)
        # filters before k are done (their full shares), those after k have sent nothing:
        # only filter k's share is computed, from its masked delta (a big layer stays quick)
        contributions = np.zeros(layer.contributions.shape)  # (K, C, H, W)
        contributions[:k] = layer.contributions[:k]
        contributions[k] = input_grad_contributions(
            np.where(done[k], layer.delta[k], 0.0)[None],
            layer.w[k : k + 1],
            g.input_size,
            stride=g.stride,
            padding=g.padding,
            dilation=g.dilation,
        )[0]  # (C, H, W)
        top, left = i * g.stride[0] - g.padding[0], j * g.stride[1] - g.padding[1]
        value = float(layer.delta[k, i, j])
        return self._finish(
            index=index,
            filter_index=k,
            delta_index=(i, j),
            delta_value=value,
            window=(top, left, *g.kernel_extent),
            pixel=None,
            pixel_values=None,
            added=value * layer.w[k],  # (C, kh, kw)
            contributions=contributions,
            done=done,
        )

    def _gather_step(self, index: int) -> Step:
        g = self.layer.geometry
        h, w = g.input_size
        r, q = (int(v) for v in np.unravel_index(index, (h, w)))
        done = (np.arange(h * w) <= index).reshape(h, w)  # (H, W)
        full = self.gathered  # (K, C, H, W), gathered here, not the core's scatter
        return self._finish(
            index=index,
            filter_index=None,
            delta_index=None,
            delta_value=None,
            window=(r + g.padding[0], q + g.padding[1], *g.kernel_extent),
            pixel=(r, q),
            pixel_values=full[:, :, r, q].copy(),  # (K, C)
            added=None,
            contributions=np.where(done, full, 0.0),
            done=done,
        )


def gather_window_products(walk: Walk, step: Step, k: int, c: int) -> np.ndarray:
    """Gather: the element-wise products ``rot180(W_dil[k, c]) ⊙ frame window``, ``(eh, ew)``.

    Their sum is ``step.pixel_values[k, c]``.
    """
    if step.walk != "gather":
        raise ValueError("gather_window_products needs a gather step")
    top, left, eh, ew = step.window
    kernel = rot180(dilate(walk.layer.w[k, c], walk.layer.dilation))  # (eh, ew)
    return kernel * walk.frame[k, top : top + eh, left : left + ew]


def final_dx(layer: LayerSnapshot, walk: str) -> np.ndarray:
    """``dx`` after the last step of a walk, ``(C, H, W)``."""
    trace = Walk(layer, walk)
    return trace.step(len(trace) - 1).dx
