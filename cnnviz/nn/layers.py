"""The smallest layer set that trains a real CNN, on top of the conv core.

Layers: :class:`Conv2D` (calls :func:`cnnviz.conv2d` and :func:`cnnviz.conv2d_backward`),
:class:`ReLU`, :class:`MaxPool2D`, :class:`Flatten`, :class:`Dense`; the loss
:func:`softmax_cross_entropy`; the optimizer :class:`Adam`; and :class:`Sequential`, which
stacks layers and checks, when it is built, that each layer fits the one before.

Every layer works on a batch and keeps what its backward pass needs:

* ``forward(x)`` returns the output and remembers the input;
* ``backward(dout)`` takes ``dL/d(output)``, fills ``layer.grads`` (same keys as
  ``layer.params``) and returns ``dL/d(input)``.

Shapes: images are ``(N, C, H, W)``, features ``(N, F)``, logits ``(N, classes)``. A layer's
``output_shape(shape)`` works on one sample's shape (no N) and raises ValueError when the
input does not fit. Parameters are float32 by default (fast); pass ``dtype=np.float64`` for
finite-difference checks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from cnnviz.core.arrays import as_count as _positive_int  # the one int checker
from cnnviz.core.conv import IntOrPair, conv2d, conv2d_backward
from cnnviz.core.geometry import Geometry

Shape = tuple[int, ...]


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


class Layer:
    """Base class: no parameters, identity shapes. Subclasses override what they change."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def output_shape(self, input_shape: Shape) -> Shape:
        """One sample's output shape for one sample's ``input_shape``; ValueError if unfit."""
        return tuple(input_shape)

    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def _cached(self, name: str) -> np.ndarray:
        value = getattr(self, name, None)
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return value

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Conv2D(Layer):
    """A convolutional layer: ``z = conv2d(x, w) + b``, ``(N, C, H, W) -> (N, K, Ho, Wo)``.

    Parameters
    ----------
    in_channels : int, C
    out_channels : int, K (the number of filters)
    kernel_size : int or (kh, kw)
    stride, padding, dilation : int or (h, w), as in :func:`cnnviz.conv2d`
    seed : int or Generator, for He initialisation ``w ~ N(0, 2 / (C*kh*kw))``
    dtype : float32 (default) or float64

    Attributes
    ----------
    params : ``{"w": (K, C, kh, kw), "b": (K,)}``
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrPair = 3,
        *,
        stride: IntOrPair = 1,
        padding: IntOrPair = 0,
        dilation: IntOrPair = 1,
        seed: int | np.random.Generator | None = None,
        dtype: type = np.float32,
    ) -> None:
        super().__init__()
        self.in_channels = _positive_int(in_channels, "in_channels")
        self.out_channels = _positive_int(out_channels, "out_channels")
        # a Geometry on a large dummy input checks the settings' types and ranges now
        probe = Geometry(10_000, kernel_size, stride=stride, padding=padding, dilation=dilation)
        self.kernel_size = probe.kernel_size
        self.settings = {
            "stride": probe.stride,
            "padding": probe.padding,
            "dilation": probe.dilation,
        }
        fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
        w = _rng(seed).normal(
            0.0, np.sqrt(2.0 / fan_in), (self.out_channels, self.in_channels, *self.kernel_size)
        )
        self.params = {"w": w.astype(dtype), "b": np.zeros(self.out_channels, dtype=dtype)}
        self.x: np.ndarray | None = None

    def geometry(self, input_size: tuple[int, int]) -> Geometry:
        """This layer's :class:`~cnnviz.core.geometry.Geometry` on an ``(H, W)`` input."""
        return Geometry(input_size, self.kernel_size, **self.settings)

    def output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 3:
            raise ValueError(
                f"{self!r} needs images (C, H, W) per sample; the layer before gives "
                f"{tuple(input_shape)} (a Flatten or Dense cannot come before a Conv2D)"
            )
        c, h, w = input_shape
        if c != self.in_channels:
            raise ValueError(
                f"{self!r} expects {self.in_channels} input channels (its filters are "
                f"{self.in_channels} deep) but its input {tuple(input_shape)} has {c}"
            )
        try:
            ho, wo = self.geometry((h, w)).output_size
        except ValueError as error:
            raise ValueError(
                f"{self!r} does not fit its input {tuple(input_shape)}: {error}"
            ) from None
        return (self.out_channels, ho, wo)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return conv2d(x, self.params["w"], self.params["b"], **self.settings)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, dw, db = conv2d_backward(dout, self._cached("x"), self.params["w"], **self.settings)
        self.grads = {"w": dw, "b": db}
        return dx

    def __repr__(self) -> str:
        kh, kw = self.kernel_size
        extras = "".join(
            f", {name}={value[0] if value[0] == value[1] else value}"
            for name, value in self.settings.items()
            if value != ((0, 0) if name == "padding" else (1, 1))
        )
        return f"Conv2D({self.in_channels}→{self.out_channels}, {kh}×{kw}{extras})"


class ReLU(Layer):
    """``max(z, 0)`` element-wise; its derivative is 1 where ``z > 0`` and 0 elsewhere."""

    def __init__(self) -> None:
        super().__init__()
        self.positive: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.positive = x > 0
        return np.where(self.positive, x, 0).astype(x.dtype, copy=False)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return np.where(self._cached("positive"), dout, 0).astype(dout.dtype, copy=False)


class MaxPool2D(Layer):
    """Largest value of each ``size × size`` block: ``(N, C, H, W) -> (N, C, H//s, W//s)``.

    Blocks do not overlap (stride = size). Rows or columns that do not fill a whole block
    are dropped, as in PyTorch. Backward sends each gradient to the block's (first) maximum.
    """

    def __init__(self, size: int = 2) -> None:
        super().__init__()
        self.size = _positive_int(size, "size")
        self.input_shape: Shape | None = None
        self.winner: np.ndarray | None = None

    def output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 3:
            raise ValueError(f"{self!r} needs images (C, H, W); got {tuple(input_shape)}")
        c, h, w = input_shape
        if h < self.size or w < self.size:
            raise ValueError(f"{self!r} needs maps at least {self.size}×{self.size}; got {h}×{w}")
        return (c, h // self.size, w // self.size)

    def _blocks(self, x: np.ndarray) -> np.ndarray:
        """``(N, C, Ho, Wo, s*s)``: each block's values in a row (a copy)."""
        n, c, h, w = x.shape
        s = self.size
        ho, wo = h // s, w // s
        cropped = x[:, :, : ho * s, : wo * s].reshape(n, c, ho, s, wo, s)
        return cropped.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, ho, wo, s * s)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.input_shape = x.shape
        blocks = self._blocks(x)
        self.winner = blocks.argmax(axis=-1)  # (N, C, Ho, Wo): which tap of the block won
        return np.take_along_axis(blocks, self.winner[..., None], axis=-1)[..., 0]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        winner = self._cached("winner")
        n, c, h, w = self.input_shape
        s = self.size
        ho, wo = winner.shape[2:]
        taps = np.arange(s * s) == winner[..., None]  # (N, C, Ho, Wo, s*s) one-hot
        blocks = np.where(taps, dout[..., None], 0).astype(dout.dtype, copy=False)
        dx = np.zeros((n, c, h, w), dtype=dout.dtype)
        dx[:, :, : ho * s, : wo * s] = (
            blocks.reshape(n, c, ho, wo, s, s)
            .transpose(0, 1, 2, 4, 3, 5)
            .reshape(n, c, ho * s, wo * s)
        )
        return dx

    def __repr__(self) -> str:
        return f"MaxPool2D({self.size}×{self.size})"


class Flatten(Layer):
    """``(N, C, H, W) -> (N, C*H*W)``, in C order (channel, row, column)."""

    def __init__(self) -> None:
        super().__init__()
        self.input_shape: Shape | None = None

    def output_shape(self, input_shape: Shape) -> Shape:
        return (int(np.prod(input_shape)),)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.input_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self.input_shape is None:
            raise RuntimeError("Flatten.backward called before forward")
        return dout.reshape(self.input_shape)


class Dense(Layer):
    """A fully connected layer: ``y = x @ w + b``, ``(N, F) -> (N, out_features)``.

    Parameters
    ----------
    in_features, out_features : int
    seed : int or Generator, for He initialisation
    dtype : float32 (default) or float64

    Attributes
    ----------
    params : ``{"w": (in_features, out_features), "b": (out_features,)}``
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        seed: int | np.random.Generator | None = None,
        dtype: type = np.float32,
    ) -> None:
        super().__init__()
        self.in_features = _positive_int(in_features, "in_features")
        self.out_features = _positive_int(out_features, "out_features")
        w = _rng(seed).normal(
            0.0, np.sqrt(2.0 / self.in_features), (self.in_features, self.out_features)
        )
        self.params = {"w": w.astype(dtype), "b": np.zeros(self.out_features, dtype=dtype)}
        self.x: np.ndarray | None = None

    def output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 1:
            raise ValueError(
                f"{self!r} needs flat features (F,) per sample; the layer before gives "
                f"{tuple(input_shape)}: put a Flatten() in between"
            )
        if input_shape[0] != self.in_features:
            raise ValueError(
                f"{self!r} expects {self.in_features} input features but the layer before "
                f"gives {input_shape[0]}"
            )
        return (self.out_features,)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x @ self.params["w"] + self.params["b"]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x = self._cached("x")
        self.grads = {"w": x.T @ dout, "b": dout.sum(axis=0)}
        return dout @ self.params["w"].T

    def __repr__(self) -> str:
        return f"Dense({self.in_features}→{self.out_features})"


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``(N, classes)`` logits (shifted by the row max: no overflow)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against integer labels, and its gradient.

    Parameters
    ----------
    logits : ``(N, classes)``
    labels : ``(N,)`` int in ``[0, classes)``

    Returns
    -------
    loss : float, ``-mean(log p[n, labels[n]])``
    dlogits : ``(N, classes)``, ``(p - onehot) / N``
    """
    logits = np.asarray(logits)
    labels = np.asarray(labels)
    if logits.ndim != 2:
        raise ValueError(f"logits must be (N, classes); got shape {logits.shape}")
    if labels.shape != (logits.shape[0],):
        raise ValueError(f"labels must be ({logits.shape[0]},), one per row; got {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must be integers; got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
        raise ValueError(
            f"labels must lie in [0, {logits.shape[1]}); got {labels.min()}..{labels.max()}"
        )
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = float(-log_p[rows, labels].mean())
    dlogits = np.exp(log_p)
    dlogits[rows, labels] -= 1
    return loss, dlogits / n


class Sequential:
    """Layers applied one after another, checked to fit together when built.

    Parameters
    ----------
    layers : sequence of Layer
    input_shape : one sample's shape, e.g. ``(1, 28, 28)``

    Raises
    ------
    ValueError
        Naming the first layer that does not fit the one before, and both shapes.
    """

    def __init__(self, layers: Sequence[Layer], *, input_shape: Shape) -> None:
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("layers must hold at least one layer")
        for index, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{index}] must be a Layer; got {type(layer).__name__}")
        self.input_shape = tuple(int(s) for s in input_shape)
        self.shapes = [self.input_shape]  # shapes[i] is layer i's input, shapes[-1] the output
        for index, layer in enumerate(self.layers):
            try:
                self.shapes.append(tuple(layer.output_shape(self.shapes[-1])))
            except ValueError as error:
                raise ValueError(f"layer {index}, {error}") from None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``(N, *input_shape)`` -> ``(N, *output_shape)``, remembering what backward needs."""
        x = np.asarray(x)
        if x.shape[1:] != self.input_shape:
            raise ValueError(
                f"x must be (N, {', '.join(map(str, self.input_shape))}); got {x.shape}"
            )
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """From ``dL/d(output)`` back to ``dL/d(input)``, filling every layer's grads."""
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def parameters(self) -> Iterator[tuple[Layer, str]]:
        """Each ``(layer, name)`` with a parameter array, in layer order."""
        for layer in self.layers:
            for name in layer.params:
                yield layer, name

    def predict(self, x: np.ndarray, *, batch_size: int = 512) -> np.ndarray:
        """Logits ``(N, classes)`` for ``x``, computed in batches."""
        parts = [self.forward(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0, *self.shapes[-1]))

    def describe(self) -> str:
        """A table: each layer, its output shape and its parameter count."""
        lines = [f"{'input':<30} {self.input_shape!s:<14}"]
        for layer, shape in zip(self.layers, self.shapes[1:], strict=True):
            count = sum(p.size for p in layer.params.values())
            lines.append(f"{layer!r:<30} {shape!s:<14} {count:>6} parameters")
        total = sum(layer.params[name].size for layer, name in self.parameters())
        lines.append(f"{'total':<45} {total:>6} parameters")
        return "\n".join(lines)


class Adam:
    """Adam (Kingma & Ba, 2015): per-parameter steps from running means of g and g².

    Parameters
    ----------
    network : Sequential, whose layers' ``params`` are updated in place by :meth:`step`
    learning_rate : float > 0
    beta1, beta2 : float in [0, 1)
    eps : float > 0
    """

    def __init__(
        self,
        network: Sequential,
        *,
        learning_rate: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        if not learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0; got {learning_rate}")
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ValueError(f"beta1 and beta2 must lie in [0, 1); got {beta1}, {beta2}")
        self.network = network
        self.learning_rate = float(learning_rate)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.steps = 0
        self.moments = {
            (id(layer), name): (
                np.zeros_like(layer.params[name]),
                np.zeros_like(layer.params[name]),
            )
            for layer, name in network.parameters()
        }

    def step(self) -> None:
        """Move every parameter by its Adam step, using the grads of the last backward."""
        self.steps += 1
        correction1 = 1 - self.beta1**self.steps
        correction2 = 1 - self.beta2**self.steps
        for layer, name in self.network.parameters():
            grad = layer.grads.get(name)
            if grad is None:
                raise RuntimeError("Adam.step called before the network's backward pass")
            m, v = self.moments[(id(layer), name)]
            m *= self.beta1
            m += (1 - self.beta1) * grad
            v *= self.beta2
            v += (1 - self.beta2) * grad * grad
            step = self.learning_rate * (m / correction1) / (np.sqrt(v / correction2) + self.eps)
            layer.params[name] -= step.astype(layer.params[name].dtype, copy=False)
