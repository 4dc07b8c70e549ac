"""Lesson 06's claims about the gesture CNN, checked on the trained network itself.

* max-pooling and ReLU commute: ``pool(relu(z)) == relu(pool(z))`` on the network's real ``z``;
* ``δ_below = dL/dx ⊙ relu'(z_below)`` (what the explorer shows for the second conv) equals
  the finite-difference gradient of the loss with respect to the pooled pre-activation;
* the held-out accuracy the lesson states, measured.

Pure NumPy on top of :mod:`cnnviz.nn`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from cnnviz.core.activations import activate
from cnnviz.core.gradcheck import numerical_gradient
from cnnviz.nn.gestures import Gestures
from cnnviz.nn.layers import Conv2D, MaxPool2D, ReLU, Sequential, softmax, softmax_cross_entropy
from cnnviz.nn.training import conv_layer_snapshot


def _check_network(network: object) -> Sequential:
    if not isinstance(network, Sequential):
        raise TypeError(f"network must be a cnnviz.nn Sequential; got {type(network).__name__}")
    return network


def pool_relu_gap(network: Sequential, images: np.ndarray) -> float:
    """Largest ``|pool(relu(z)) − relu(pool(z))|`` over every ReLU → MaxPool2D pair.

    Parameters
    ----------
    network : Sequential
    images : ``(N, C, H, W)``, a batch the network accepts

    Returns
    -------
    float, 0.0 when the two orders agree exactly
    """
    network = _check_network(network)
    z = np.asarray(images)
    gap = 0.0
    layers = network.layers
    for index, layer in enumerate(layers):
        after = layers[index + 1] if index + 1 < len(layers) else None
        if isinstance(layer, ReLU) and isinstance(after, MaxPool2D):
            pool = MaxPool2D(after.size)  # a fresh pool: the network's caches stay intact
            one = pool.forward(activate("relu", z))
            other = activate("relu", MaxPool2D(after.size).forward(z))
            gap = max(gap, float(np.abs(one - other).max()))
        z = copy.deepcopy(layer).forward(z)
    return gap


def hardest_sample(network: Sequential, data: Gestures) -> int:
    """Index of the sample whose true class gets the lowest probability: the largest loss,
    so the largest deltas (a confidently right sample has deltas near 0)."""
    network = _check_network(network)
    if not isinstance(data, Gestures):
        raise TypeError(f"data must be a cnnviz.nn Gestures set; got {type(data).__name__}")
    p = softmax(network.predict(data.images))
    return int(np.argmin(p[np.arange(len(data)), data.labels]))


@dataclass(frozen=True)
class DeltaBelowCheck:
    """``formula`` (the explorer's δ_below), ``numeric`` (finite differences), both
    ``(C, H, W)``, and ``max_gap`` between them."""

    formula: np.ndarray
    numeric: np.ndarray

    @property
    def max_gap(self) -> float:
        return float(np.abs(self.formula - self.numeric).max())


def as_float64(network: Sequential) -> Sequential:
    """A float64 copy of ``network`` (same weights), for finite differences."""
    twin = copy.deepcopy(_check_network(network))
    for layer in twin.layers:
        layer.params = {name: value.astype(np.float64) for name, value in layer.params.items()}
    return twin


def delta_below_check(
    network: Sequential, image: np.ndarray, label: int, *, conv: int = 1
) -> DeltaBelowCheck:
    """The explorer's ``δ_below`` for conv layer ``conv`` against finite differences.

    The loss is taken as a function of the pooled pre-activation ``z_below`` of the block
    below: ``L(relu(z_below))`` through the rest of the network (float64 copy), nudged by
    ``±1e-6`` one entry at a time.

    Parameters
    ----------
    network : Sequential, the gesture CNN (or any ReLU → MaxPool2D stack)
    image : ``(C, H, W)``, one sample; label : int, its true class
    conv : int, which conv layer (counting from 0; must have a ReLU block below it)
    """
    twin = as_float64(network)
    snapshot = conv_layer_snapshot(twin, np.asarray(image, dtype=np.float64), label, conv=conv)
    if snapshot.activation != "relu":
        raise ValueError(f"conv {conv} has no ReLU block below it; choose another conv")
    position = [i for i, layer in enumerate(twin.layers) if isinstance(layer, Conv2D)][conv]
    rest = twin.layers[position:]
    labels = np.array([label])

    def loss(z_below: np.ndarray) -> float:
        out = activate("relu", z_below)[None]
        for layer in rest:
            out = layer.forward(out)
        return softmax_cross_entropy(out, labels)[0]

    numeric = numerical_gradient(loss, snapshot.z_below)
    return DeltaBelowCheck(formula=np.array(snapshot.delta_below), numeric=numeric)
