"""The whole network's gradient against finite differences, in float64: the page's badge.

:func:`whole_network_check` copies the network to float64, traces the backward pass
(:func:`cnnviz.nn.backward_trace.trace_backward`) and compares, for the image and every
parameter array, a few entries of the analytic gradient with central differences of the
whole network's loss: ``(L(v + ε) − L(v − ε)) / 2ε``. It picks the entries with the largest
gradients (where a wrong route would show) and a few at random (where a zero should be).

Kinks: the loss is not differentiable where a max-pool block ties or a ReLU's input is 0.
Ties are common here: black pixels are exactly 0, so a conv sees the same all-zero patch in
many places and a pool block holds four copies of ``relu(b)``; nudging ``b`` moves all four and
the slope from the left differs from the slope from the right. Such an entry (its one-sided
differences disagree by more than :data:`KINK`) is counted and left out of ``worst``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from cnnviz.nn.backward_trace import trace_backward
from cnnviz.nn.layers import Sequential
from cnnviz.nn.losses import softmax_cross_entropy

TOLERANCE = 1e-6  # float64 central differences with eps = 1e-7 land near 1e-9 here
KINK = 2e-6  # |right slope − left slope| above this: a kink lies within eps (smooth: ~1e-8)


@dataclass(frozen=True)
class NetworkCheck:
    """Result of :func:`whole_network_check`.

    Attributes
    ----------
    worst : float, largest ``|analytic − numeric|`` over the checked entries
    checked : int, how many gradient entries were compared
    where : str, the array holding the worst one (e.g. ``"image"``, ``"Dense(784→8) w"``)
    kinks : int, entries left out because the loss has a kink there (a tie, or z = 0)
    tolerance : float
    """

    worst: float
    checked: int
    where: str
    kinks: int = 0
    tolerance: float = TOLERANCE

    @property
    def ok(self) -> bool:
        return self.worst <= self.tolerance

    def badge(self) -> str:
        """One line for the page, e.g. ``whole network ✓ 40 gradient entries ...``."""
        mark = "✓" if self.ok else "✗"
        kinks = (
            f" ({self.kinks} more sit on a kink, a max-pool tie or z = 0: left out)"
            if self.kinks else ""
        )  # fmt: skip
        return (
            f"whole network {mark} {self.checked} gradient entries (image and every W, b) "
            f"against finite differences, float64: worst |analytic − numeric| = "
            f"{self.worst:.1e}{kinks}"
        )


def as_float64(network: Sequential) -> Sequential:
    """A float64 copy of ``network`` (the original is not touched)."""
    twin = copy.deepcopy(network)
    for layer in twin.layers:
        for name, value in layer.params.items():
            layer.params[name] = value.astype(np.float64)
    return twin


def _picks(gradient: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Flat indices: the ``count`` largest ``|gradient|`` entries and ``count`` at random."""
    flat = np.abs(gradient).ravel()
    largest = np.argsort(flat)[-count:]
    chosen = rng.choice(flat.size, size=min(count, flat.size), replace=False)
    return np.unique(np.concatenate([largest, chosen]))


def _numeric(loss, array: np.ndarray, flat_index: int, eps: float, at: float) -> tuple:
    """The central difference at one entry, and whether the entry sits on a kink."""
    view = array.reshape(-1)  # array is a private float64 copy: nudge it in place
    saved = view[flat_index]
    view[flat_index] = saved + eps
    up = loss()
    view[flat_index] = saved - eps
    down = loss()
    view[flat_index] = saved
    kink = abs((up - at) - (at - down)) / eps > KINK  # right and left slopes differ
    return (up - down) / (2 * eps), kink


def whole_network_check(
    network: Sequential,
    images: np.ndarray,
    labels: np.ndarray | int,
    *,
    per_array: int = 3,
    eps: float = 1e-7,
    seed: int = 0,
) -> NetworkCheck:
    """Check the traced gradient of the image and of every W and b against finite differences.

    Parameters
    ----------
    network : Sequential (not modified: a float64 copy is checked)
    images : ``(B, *input_shape)`` or one sample; labels : ``(B,)`` or one int
    per_array : int >= 1, entries of each array taken among the largest, and again at random
    eps : float > 0, the central-difference step
    seed : int, for the random picks

    Returns
    -------
    NetworkCheck
    """
    if not isinstance(per_array, int) or per_array < 1:
        raise ValueError(f"per_array must be an int >= 1; got {per_array!r}")
    twin = as_float64(network)
    images = np.array(images, dtype=np.float64)  # a copy we may nudge
    trace = trace_backward(twin, images, labels)
    batch_images, batch_labels = trace.images, trace.labels  # batch_images is `images`' data

    def loss() -> float:
        return softmax_cross_entropy(twin.forward(batch_images), batch_labels)[0]

    arrays = [("image", batch_images, trace.saliency)]
    for stage in trace.stages:
        layer = twin.layers[stage.index]
        arrays += [(f"{stage.name} {n}", layer.params[n], stage.grads[n]) for n in stage.grads]
    rng = np.random.default_rng(seed)
    worst, where, checked, kinks, at = 0.0, "", 0, 0, loss()
    for name, values, gradient in arrays:
        for flat_index in _picks(gradient, per_array, rng):
            numeric, kink = _numeric(loss, values, int(flat_index), eps, at)
            if kink:
                kinks += 1
                continue
            checked += 1
            error = abs(numeric - gradient.flat[flat_index])
            if error >= worst:
                worst, where = float(error), name
    return NetworkCheck(worst, checked, where, kinks)
