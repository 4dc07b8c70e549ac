"""The smallest layer set that trains a real CNN, on top of the conv core.

Layers: :class:`Conv2D` (calls :func:`cnnviz.conv2d` and :func:`cnnviz.conv2d_backward`),
:class:`ReLU`, :class:`MaxPool2D`, :class:`Flatten`, :class:`Dense`, and :class:`Sequential`,
which stacks layers and checks, when it is built, that each layer fits the one before. The
loss lives in :mod:`cnnviz.nn.losses` (re-exported here), the optimizer in
:mod:`cnnviz.nn.optim`, which imports this module (so this one never imports it).

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

from cnnviz.core.arrays import as_count, numeric_array
from cnnviz.core.budget import check_parameters
from cnnviz.core.conv import IntOrPair, conv2d, conv2d_backward
from cnnviz.core.geometry import Geometry
from cnnviz.nn.losses import softmax, softmax_cross_entropy  # noqa: F401  (re-exported)

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
        self.in_channels = as_count(in_channels, "in_channels")
        self.out_channels = as_count(out_channels, "out_channels")
        # a Geometry on a large dummy input checks the settings' types and ranges now
        probe = Geometry(10_000, kernel_size, stride=stride, padding=padding, dilation=dilation)
        self.kernel_size = probe.kernel_size
        self.settings = {
            "stride": probe.stride,
            "padding": probe.padding,
            "dilation": probe.dilation,
        }
        fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
        blame = f"in_channels, out_channels, kernel_size {in_channels, out_channels, kernel_size}"
        dtype = check_parameters(self.out_channels * fan_in, dtype, "Conv2D's weights", blame)
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
        self.x = numeric_array(x, "x", 4, f"(N, {self.in_channels}, H, W) for {self!r}")
        return conv2d(self.x, self.params["w"], self.params["b"], **self.settings)

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
    """``max(z, 0)`` element-wise; σ' is 1 where ``z > 0``, else 0 (kept as ``positive``).

    Backward is one multiply, ``dout * positive``: no copy beyond the result."""

    def __init__(self) -> None:
        super().__init__()
        self.positive: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.positive = x > 0
        return np.maximum(x, 0).astype(x.dtype, copy=False)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self._cached("positive")


def _fold(taps: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The element-wise largest of equally shaped views, and which view won (uint8).

    A later view wins only when strictly larger, so ties go to the first, like ``argmax``.
    """
    if len(taps) == 2:  # the usual 2×2 pool: one comparison, one maximum
        return np.maximum(taps[0], taps[1]), (taps[1] > taps[0]).view(np.uint8)
    best = taps[0].copy()
    choice = np.zeros(best.shape, dtype=np.uint8)
    for index, tap in enumerate(taps[1:], start=1):
        np.putmask(choice, tap > best, index)
        np.maximum(best, tap, out=best)
    return best, choice


class MaxPool2D(Layer):
    """Largest value of each ``size × size`` block: ``(N, C, H, W) -> (N, C, H//s, W//s)``.

    Blocks do not overlap (stride = size). Rows or columns that do not fill a whole block
    are dropped, as in PyTorch. Backward sends each gradient to its block's maximum, and to
    the first one in reading order (row by row) when several tie, like ``argmax``.

    No block is copied: the columns of each block are folded first (strided views
    ``x[..., v::s]``), then the rows; ``column_choice`` ``(N, C, Ho*s, Wo)`` and ``row_choice``
    ``(N, C, Ho, Wo)`` say which won, and backward multiplies δ by them into strided views of
    ``dx``. First largest column per row, then first such row: the first maximum in reading
    order."""

    def __init__(self, size: int = 2) -> None:
        super().__init__()
        self.size = as_count(size, "size")
        self.input_shape: Shape | None = None
        self.column_choice: np.ndarray | None = None
        self.row_choice: np.ndarray | None = None

    def output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 3:
            raise ValueError(f"{self!r} needs images (C, H, W); got {tuple(input_shape)}")
        c, h, w = input_shape
        if h < self.size or w < self.size:
            raise ValueError(f"{self!r} needs maps at least {self.size}×{self.size}; got {h}×{w}")
        return (c, h // self.size, w // self.size)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.input_shape = x.shape
        s = self.size
        ho, wo = x.shape[2] // s, x.shape[3] // s
        used = x[:, :, : ho * s, : wo * s]  # a view: cropped rows/columns never take part
        rows, self.column_choice = _fold([used[..., v::s] for v in range(s)])
        out, self.row_choice = _fold([rows[:, :, u::s] for u in range(s)])
        return out

    def winners(self) -> np.ndarray:
        """``(N, C, H, W)`` bool: True where an input won its block in the last forward."""
        ones = np.ones(self._cached("row_choice").shape, dtype=np.uint8)
        return self.backward(ones).astype(bool)  # route a 1 from every block to its winner

    def backward(self, dout: np.ndarray) -> np.ndarray:
        column, row = self._cached("column_choice"), self._cached("row_choice")
        n, c, h, w = self.input_shape
        s = self.size
        ho, wo = row.shape[2:]
        rows = np.empty(column.shape, dtype=dout.dtype)  # (N, C, Ho*s, Wo)
        for u in range(s):  # δ to the winning row of each block ...
            np.multiply(dout, row == u, out=rows[:, :, u::s])
        cropped = h != ho * s or w != wo * s
        dx = (np.zeros if cropped else np.empty)((n, c, h, w), dtype=dout.dtype)
        for v in range(s):  # ... then to the winning column in that row
            np.multiply(rows, column == v, out=dx[:, :, : ho * s, v : wo * s : s])
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
        return x.reshape(x.shape[0], int(np.prod(x.shape[1:])))  # -1 is ambiguous when N = 0

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
        self.in_features = as_count(in_features, "in_features")
        self.out_features = as_count(out_features, "out_features")
        blame = f"in_features x out_features {self.in_features} x {self.out_features}"
        dtype = check_parameters(self.in_features * self.out_features, dtype, "Dense's", blame)
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
        x = numeric_array(x, "x", 2, f"(N, {self.in_features}) for {self!r}")
        if x.shape[1] != self.in_features:
            raise ValueError(f"x must be (N, {self.in_features}) for {self!r}; got {x.shape}")
        self.x = x
        return x @ self.params["w"] + self.params["b"]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x = self._cached("x")
        self.grads = {"w": x.T @ dout, "b": dout.sum(axis=0)}
        return dout @ self.params["w"].T

    def __repr__(self) -> str:
        return f"Dense({self.in_features}→{self.out_features})"


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
