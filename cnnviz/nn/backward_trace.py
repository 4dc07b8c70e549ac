"""The whole network's backward pass as plain data: δ from the loss down to the image.

:func:`trace_backward` runs a batch of B samples (B = 1 for one sample) forward through a
:class:`~cnnviz.nn.layers.Sequential`, takes the mean cross-entropy, and walks back one layer
at a time, writing down what each layer receives and sends, with the maths spelled out
(each step is checked in the tests against the layer's own ``backward`` and against finite
differences):

=============  =========================================================================
loss           ``δ = (p − onehot) / B`` at the logits (``p − onehot`` for one sample)
dense          ``δ_in = δ Wᵀ``; ``dW = Σ_n x_nᵀ δ_n``, ``db = Σ_n δ_n``
unflatten      ``δ_in[n, c, i, j] = δ[n, f]`` with ``f = c·H·W + i·W + j`` (C order)
max-pool       each δ goes to its block's winner (the first maximum in reading order), 0
               elsewhere: ``δ_in = winners · upsample(δ)``
ReLU           the σ' gate: ``δ_in = δ · [z > 0]``
conv           ``dx[c] = Σ_k δ_k ⋆ rot180(W[k, c])`` (⋆: full cross-correlation), so δ
               fans out into every input channel; ``dW``, ``db`` summed over batch and
               positions
=============  =========================================================================

The last stage's ``delta_in`` is ``dL/d(image)``: the saliency map.

::

    trace = trace_backward(network, images, labels)   # images (B, 1, 28, 28), labels (B,)
    [(s.kind, s.delta_out.shape, s.delta_in.shape) for s in trace.stages]
    trace.saliency                                     # (B, 1, 28, 28)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cnnviz.core.conv import conv2d_backward, input_grad_contributions
from cnnviz.nn.layers import Conv2D, Dense, Flatten, Layer, MaxPool2D, ReLU, Sequential
from cnnviz.nn.losses import softmax, softmax_cross_entropy

KINDS = {Dense: "dense", Flatten: "unflatten", MaxPool2D: "max-pool", ReLU: "ReLU", Conv2D: "conv"}


@dataclass(frozen=True, eq=False)
class Stage:
    """One layer of the backward pass, for the whole batch.

    Attributes
    ----------
    index : int, the layer's position in ``network.layers``
    kind : str, one of "dense", "unflatten", "max-pool", "ReLU", "conv"
    name : str, the layer's repr, e.g. ``Conv2D(8→16, 3×3, padding=1)``
    x, y : the layer's forward input and output, ``(B, *shape)``
    delta_out : ``dL/dy``, what arrives from above, shaped like ``y``
    delta_in : ``dL/dx``, what this layer sends below, shaped like ``x``
    route : for max-pool the winners ``(B, C, H, W)`` bool, for ReLU the σ' mask ``(B, *x)``
        bool, for unflatten the flat index of every ``(c, i, j)``, ``(C, H, W)`` int; else None
    grads : ``{"w": dW, "b": db}`` summed over the batch (and positions), or empty
    """

    index: int
    kind: str
    name: str
    x: np.ndarray
    y: np.ndarray
    delta_out: np.ndarray
    delta_in: np.ndarray
    route: np.ndarray | None = None
    grads: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def shape_in(self) -> tuple[int, ...]:
        """One sample's input shape (no B)."""
        return tuple(self.x.shape[1:])

    @property
    def shape_out(self) -> tuple[int, ...]:
        """One sample's output shape (no B)."""
        return tuple(self.y.shape[1:])


@dataclass(frozen=True, eq=False)
class BackwardTrace:
    """A batch's forward values and its backward pass, layer by layer from the top.

    Attributes
    ----------
    images : ``(B, *input_shape)``; labels : ``(B,)`` int
    logits, probabilities : ``(B, classes)``
    loss : float, the mean cross-entropy
    delta_loss : ``(B, classes)``, ``(p − onehot) / B``
    stages : tuple of Stage, the top layer first (the order δ travels)
    """

    images: np.ndarray
    labels: np.ndarray
    logits: np.ndarray
    probabilities: np.ndarray
    loss: float
    delta_loss: np.ndarray
    stages: tuple[Stage, ...]
    network: Sequential = field(repr=False)

    @property
    def batch(self) -> int:
        return int(self.labels.shape[0])

    @property
    def saliency(self) -> np.ndarray:
        """``dL/d(image)``, ``(B, *input_shape)``: which pixels the loss depends on."""
        return self.stages[-1].delta_in

    def conv_stages(self) -> list[Stage]:
        """The conv stages, first conv (nearest the image) first."""
        return [s for s in reversed(self.stages) if s.kind == "conv"]

    def fan_out(self, stage: Stage, sample: int = 0) -> np.ndarray:
        """``(K, C, H, W)``: what each filter's δ sends into each input channel of one sample.

        ``fan_out(...).sum(axis=0)`` is that sample's ``stage.delta_in``.
        """
        if stage.kind != "conv":
            raise ValueError(f"stage must be a conv stage; got {stage.kind!r}")
        layer = self.network.layers[stage.index]
        return input_grad_contributions(
            stage.delta_out[sample], layer.params["w"], stage.shape_in[1:], **layer.settings
        )


def _check_batch(network: Sequential, images: np.ndarray, labels: np.ndarray) -> None:
    if not isinstance(network, Sequential):
        raise TypeError(f"network must be a Sequential; got {type(network).__name__}")
    if images.ndim != len(network.input_shape) + 1 or images.shape[1:] != network.input_shape:
        raise ValueError(
            f"images must be (B, {', '.join(map(str, network.input_shape))}); got {images.shape}"
        )
    if labels.shape != (images.shape[0],) or images.shape[0] < 1:
        raise ValueError(f"labels must be ({images.shape[0]},), one per image; got {labels.shape}")


def upsample(delta: np.ndarray, size: int, shape: tuple[int, ...]) -> np.ndarray:
    """Each element of ``delta`` ``(B, C, Ho, Wo)`` copied over its ``size × size`` block.

    Rows/columns of ``shape`` that no block covers (cropped by the pool) get 0.
    """
    blocks = np.repeat(np.repeat(delta, size, axis=2), size, axis=3)
    out = np.zeros(shape, dtype=delta.dtype)
    out[:, :, : blocks.shape[2], : blocks.shape[3]] = blocks
    return out


def _step(layer: Layer, x: np.ndarray, y: np.ndarray, delta: np.ndarray) -> tuple:
    """(delta_in, route, grads) for one layer, each written as the maths says."""
    if isinstance(layer, Dense):
        w = layer.params["w"]
        return delta @ w.T, None, {"w": x.T @ delta, "b": delta.sum(axis=0)}
    if isinstance(layer, Flatten):
        index = np.arange(int(np.prod(x.shape[1:]))).reshape(x.shape[1:])  # f = c·H·W + i·W + j
        return delta.reshape(x.shape), index, {}
    if isinstance(layer, MaxPool2D):
        winners = layer.winners()  # what the forward pass chose, ties as the code breaks them
        return winners * upsample(delta, layer.size, x.shape), winners, {}
    if isinstance(layer, ReLU):
        gate = x > 0  # σ'(z)
        return delta * gate, gate, {}
    if isinstance(layer, Conv2D):
        dx, dw, db = conv2d_backward(delta, x, layer.params["w"], **layer.settings)
        return dx, None, {"w": dw, "b": db}
    raise TypeError(f"no backward trace for {type(layer).__name__} layers")


def trace_backward(
    network: Sequential, images: np.ndarray, labels: np.ndarray | int
) -> BackwardTrace:
    """Forward a batch, take the mean cross-entropy, and record δ at every layer.

    Parameters
    ----------
    network : Sequential of Conv2D, ReLU, MaxPool2D, Flatten, Dense layers
    images : ``(B, *input_shape)``, or one sample ``input_shape`` (then B = 1)
    labels : ``(B,)`` int, or one int

    Returns
    -------
    BackwardTrace
        Runs the layers' forward passes (their caches now hold this batch); parameters are
        not changed and no layer's ``grads`` are touched.
    """
    images = np.asarray(images)
    if isinstance(network, Sequential) and images.shape == network.input_shape:
        images = images[None]
    labels = np.atleast_1d(np.asarray(labels))
    _check_batch(network, images, labels)
    outputs = [images]
    for layer in network.layers:
        outputs.append(layer.forward(outputs[-1]))
    loss, delta = softmax_cross_entropy(outputs[-1], labels)
    delta_loss = delta
    stages = []
    for index in range(len(network.layers) - 1, -1, -1):
        layer = network.layers[index]
        x, y = outputs[index], outputs[index + 1]
        delta_in, route, grads = _step(layer, x, y, delta)
        stages.append(
            Stage(index, KINDS[type(layer)], repr(layer), x, y, delta, delta_in, route, grads)
        )
        delta = delta_in
    return BackwardTrace(
        images,
        labels,
        outputs[-1],
        softmax(outputs[-1]),
        loss,
        delta_loss,
        tuple(stages),
        network,
    )


# --------------------------------------------------------------------------- the batch


def per_sample_grads(trace: BackwardTrace, stage: Stage) -> dict[str, np.ndarray]:
    """Each sample's own ``dW`` and ``db``, stacked: ``{"w": (B, *W.shape), "b": (B, *b)}``.

    Computed one sample at a time from that sample's ``x`` and ``δ``; their sum over the batch
    is the stage's ``grads`` (checked by :func:`batch_sum_errors`).
    """
    if not stage.grads:
        raise ValueError(f"stage {stage.name} has no parameters")
    layer = trace.network.layers[stage.index]
    if stage.kind == "dense":
        w = stage.x[:, :, None] * stage.delta_out[:, None, :]  # (B, F, classes): x_nᵀ δ_n
        return {"w": w, "b": stage.delta_out.copy()}
    parts = [
        conv2d_backward(stage.delta_out[n : n + 1], stage.x[n : n + 1], layer.params["w"],
                        **layer.settings)
        for n in range(trace.batch)
    ]  # fmt: skip
    return {"w": np.stack([p[1] for p in parts]), "b": np.stack([p[2] for p in parts])}


def batch_sum_errors(trace: BackwardTrace) -> dict[str, float]:
    """Largest ``|Σ_n dW_n − dW|`` and ``|Σ_n Σ_positions δ_n − db|`` for every layer.

    Keys are ``"<stage name> dW"`` and ``"<stage name> db"``. ``db`` is also checked against
    the plain sum of δ over the batch and every position, the bias's definition.
    """
    errors = {}
    for stage in trace.stages:
        if not stage.grads:
            continue
        parts = per_sample_grads(trace, stage)
        axes = (0,) if stage.delta_out.ndim == 2 else (0, 2, 3)
        by_definition = stage.delta_out.sum(axis=axes)
        errors[f"{stage.name} dW"] = float(np.max(np.abs(parts["w"].sum(0) - stage.grads["w"])))
        errors[f"{stage.name} db"] = float(
            max(
                np.max(np.abs(parts["b"].sum(0) - stage.grads["b"])),
                np.max(np.abs(by_definition - stage.grads["b"])),
            )
        )
    return errors
