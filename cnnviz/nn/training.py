"""Train the small gesture CNN: one loop shared by the command line and the notebook.

``python -m cnnviz train-gestures [--seed S] [--epochs E]`` (in :mod:`cnnviz.cli.commands`) draws a
training set and a held-out test set (:mod:`cnnviz.nn.gestures`), trains :func:`gesture_network`
with Adam, shows a terminal progress bar, and ends with the line ``test accuracy: 0.xxx``.

From Python::

    from cnnviz.nn.training import gesture_network, train
    from cnnviz.nn.gestures import train_test_split
    train_set, test_set = train_test_split(6000, 2000, seed=0)
    network = gesture_network(seed=0)
    history = train(network, train_set, test_set=test_set, epochs=6,
                    on_progress=print)   # called with a Progress after every batch

:func:`conv_layer_snapshot` runs one sample forward and backward through a trained network
and returns the :class:`~cnnviz.explorer.layer.LayerSnapshot` of one conv layer: the real ``x``,
``W`` and ``δ`` the explorer can show.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from cnnviz.core.arrays import as_count
from cnnviz.explorer.layer import LayerSnapshot
from cnnviz.nn.gestures import CLASS_NAMES, DEFAULT_SIZE, Gestures
from cnnviz.nn.layers import (
    Conv2D,
    Dense,
    Flatten,
    MaxPool2D,
    ReLU,
    Sequential,
    softmax_cross_entropy,
)
from cnnviz.nn.optim import Adam

DEFAULTS = {
    "seed": 0,
    "epochs": 6,
    "train_count": 6000,
    "test_count": 2000,
    "batch_size": 32,
    "learning_rate": 2e-3,
}


def gesture_network(
    *,
    seed: int = 0,
    size: int = DEFAULT_SIZE,
    classes: int = len(CLASS_NAMES),
    dtype: type = np.float32,
) -> Sequential:
    """The gesture CNN: two conv blocks and one dense layer, about 7 000 parameters.

    ``(1, 28, 28)`` → Conv2D 1→8 3×3 pad 1 → ReLU → MaxPool 2×2 ``(8, 14, 14)`` →
    Conv2D 8→16 3×3 pad 1 → ReLU → MaxPool 2×2 ``(16, 7, 7)`` → Flatten → Dense 784→8.
    """
    rng = np.random.default_rng(seed)
    flat = 16 * (size // 4) * (size // 4)
    return Sequential(
        [
            Conv2D(1, 8, 3, padding=1, seed=rng, dtype=dtype),
            ReLU(),
            MaxPool2D(2),
            Conv2D(8, 16, 3, padding=1, seed=rng, dtype=dtype),
            ReLU(),
            MaxPool2D(2),
            Flatten(),
            Dense(flat, classes, seed=rng, dtype=dtype),
        ],
        input_shape=(1, size, size),
    )


@dataclass(frozen=True)
class Progress:
    """Where training is, handed to the ``on_progress`` callback after every batch.

    ``loss`` and ``accuracy`` are running means over this epoch's batches so far.
    ``test_accuracy`` is set only on the last batch of an epoch (when a test set is given).
    """

    epoch: int  # 1-based
    epochs: int
    batch: int  # 1-based, within the epoch
    batches: int
    loss: float
    accuracy: float
    seconds: float  # since training started
    epoch_done: bool
    test_accuracy: float | None = None


@dataclass
class History:
    """Per-epoch figures of one training run."""

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    seconds: float = 0.0


def accuracy(network: Sequential, data: Gestures) -> float:
    """Fraction of ``data`` the network classifies right."""
    return float(np.mean(network.predict(data.images).argmax(axis=1) == data.labels))


def confusion_matrix(network: Sequential, data: Gestures) -> np.ndarray:
    """``(classes, classes)`` counts: row = true class, column = predicted class."""
    n = len(data.class_names)
    predicted = network.predict(data.images).argmax(axis=1)
    return np.bincount(data.labels * n + predicted, minlength=n * n).reshape(n, n)


def train(
    network: Sequential,
    train_set: Gestures,
    *,
    epochs: int = DEFAULTS["epochs"],
    batch_size: int = DEFAULTS["batch_size"],
    learning_rate: float = DEFAULTS["learning_rate"],
    seed: int = 0,
    test_set: Gestures | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> History:
    """Mini-batch training with Adam and softmax cross-entropy; updates ``network`` in place.

    Parameters
    ----------
    network : Sequential, mapping ``(N, 1, H, W)`` images to ``(N, classes)`` logits
    train_set : Gestures
    epochs, batch_size : int >= 1
    learning_rate : float > 0, Adam's step size (halved for the last third of the epochs)
    seed : int, shuffles the batches
    test_set : Gestures, optional; its accuracy is measured after every epoch
    on_progress : callable, optional; called with a :class:`Progress` after every batch

    Returns
    -------
    History

    Raises
    ------
    TypeError, ValueError, Diverged
        Before training, naming what cannot work; Diverged when the loss turns NaN mid-run.
    """
    epochs, batch_size, rng = _checked(network, train_set, test_set, epochs, batch_size, seed)
    optimizer = Adam(network, learning_rate=learning_rate)  # checks the learning rate
    history = History()
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        if epoch > max(1, 2 * epochs // 3):  # a smaller step to settle at the end
            optimizer.learning_rate = learning_rate / 2
        order = rng.permutation(len(train_set))

        def report(batch, batches, loss, right, test_accuracy, epoch=epoch) -> None:
            if on_progress is not None:
                seconds = time.perf_counter() - started
                on_progress(Progress(epoch, epochs, batch, batches, loss, right, seconds,
                                     batch == batches, test_accuracy))  # fmt: skip

        _epoch(network, optimizer, train_set, order, batch_size, test_set, history, report)
    history.seconds = time.perf_counter() - started
    return history


def _checked(network, train_set, test_set, epochs, batch_size, seed) -> tuple:
    """``(epochs, batch_size, rng)`` once every argument of :func:`train` is checked."""
    epochs, batch_size = as_count(epochs, "epochs", 1), as_count(batch_size, "batch_size", 1)
    _check_data(network, train_set, "train_set")
    if test_set is not None:
        _check_data(network, test_set, "test_set")
    return epochs, batch_size, np.random.default_rng(as_count(seed, "seed", 0))


class Diverged(ArithmeticError):
    """Training stopped: the loss stopped being a finite number (the step was too large)."""


def _check_data(network: Sequential, data: Gestures, name: str) -> None:
    """Training that cannot work says so before it starts: types, shapes, finite pixels."""
    if not isinstance(network, Sequential):
        raise TypeError(f"network must be a Sequential; got {type(network).__name__}")
    if not isinstance(data, Gestures):
        raise TypeError(f"{name} must be a Gestures (see make_gestures); got {type(data).__name__}")
    images, labels = data.images, data.labels
    if not isinstance(images, np.ndarray) or images.shape[1:] != network.input_shape:
        shape = getattr(images, "shape", type(images).__name__)
        raise ValueError(f"{name}.images must be (N, {network.input_shape}); got {shape}")
    if images.dtype.kind != "f":
        raise TypeError(f"{name}.images must hold floats; got dtype {images.dtype}")
    if not isinstance(labels, np.ndarray) or labels.shape != images.shape[:1]:
        raise ValueError(f"{name}.labels must be ({len(images)},), one per image")
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name}.labels must be ints; got dtype {labels.dtype}")
    if len(labels) == 0:
        raise ValueError(f"{name} must hold at least one sample")
    classes = network.shapes[-1][0]
    if labels.min() < 0 or labels.max() >= classes:
        raise ValueError(f"{name}.labels must lie in [0, {classes}); got {labels.min()}.."
                         f"{labels.max()}")  # fmt: skip
    bad = np.count_nonzero(~np.isfinite(images))
    if bad:
        raise ValueError(f"{name}.images holds {bad} NaN or infinite values: one would turn "
                         "every weight to NaN")  # fmt: skip


def _epoch(network, optimizer, train_set, order, batch_size, test_set, history, report) -> None:
    """One pass over ``train_set`` in ``order``; ``report(batch, batches, loss, acc, test)``."""
    batches = -(-len(train_set) // batch_size)
    total_loss = total_right = seen = 0.0
    for batch in range(1, batches + 1):
        pick = order[(batch - 1) * batch_size : batch * batch_size]
        logits = network.forward(train_set.images[pick])
        loss, dlogits = softmax_cross_entropy(logits, train_set.labels[pick])
        if not np.isfinite(loss):  # every step from here on would only spread NaN
            raise Diverged(
                f"training diverged at batch {batch} of {batches}: the loss is {loss}; try a "
                f"smaller learning_rate (it was {optimizer.learning_rate:g})"
            )
        network.backward(dlogits)
        optimizer.step()
        total_loss += loss * pick.size
        total_right += float(np.sum(logits.argmax(axis=1) == train_set.labels[pick]))
        seen += pick.size
        last = batch == batches
        test_accuracy = accuracy(network, test_set) if last and test_set else None
        if last:
            history.train_loss.append(total_loss / seen)
            history.train_accuracy.append(total_right / seen)
            if test_accuracy is not None:
                history.test_accuracy.append(test_accuracy)
        report(batch, batches, total_loss / seen, total_right / seen, test_accuracy)


# --------------------------------------------------------------------------- one real layer


def conv_layer_snapshot(
    network: Sequential, image: np.ndarray, label: int, *, conv: int = 1
) -> LayerSnapshot:
    """One sample's real ``x``, ``W``, ``b`` and ``δ = dL/dz`` at one conv layer.

    Runs the sample forward, takes the cross-entropy loss against ``label``, runs backward,
    and reads what the chosen conv layer saw and received.

    Parameters
    ----------
    network : Sequential containing Conv2D layers
    image : ``(C, H, W)``, one sample (e.g. ``test_set.images[i]``)
    label : int, its true class
    conv : int, which conv layer, counting from 0 (0 = the first, whose x is the image)

    Returns
    -------
    LayerSnapshot
        For a conv layer above a ReLU and a max-pool, ``activation`` is "relu" and ``z_below``
        is the max-pooled pre-activation of the conv below: max-pooling and ReLU commute
        (``pool(relu(z)) = relu(pool(z))``), so ``x = relu(z_below)`` holds exactly and
        ``δ_below = dx ⊙ σ'(z_below)`` is the delta at the pooled pre-activation.
    """
    positions = [i for i, layer in enumerate(network.layers) if isinstance(layer, Conv2D)]
    conv = as_count(conv, "conv", 0)
    if conv >= len(positions):
        raise ValueError(f"conv must be < {len(positions)}, the number of conv layers; got {conv}")
    image = np.asarray(image)
    if image.shape != network.input_shape:
        raise ValueError(f"image must be one sample {network.input_shape}; got {image.shape}")
    position = positions[conv]
    inputs, delta = _delta_at(network, image, as_count(label, "label", 0), position)
    layer = network.layers[position]
    layer.backward(delta)  # its grads now belong to this one sample, like the snapshot
    activation, z_below = _activation_below(network, positions, conv, inputs)
    return LayerSnapshot.from_arrays(
        inputs[position][0],
        layer.params["w"],
        layer.params["b"],
        delta[0],
        stride=layer.settings["stride"],
        padding=layer.settings["padding"],
        dilation=layer.settings["dilation"],
        activation=activation,
        z_below=z_below,
    )


def _delta_at(
    network: Sequential, image: np.ndarray, label: int, position: int
) -> tuple[list[np.ndarray], np.ndarray]:
    """Every layer's input (``inputs[i]`` is what layer i receives) and dL/d(output) of layer
    ``position``, for one sample and the cross-entropy against ``label``."""
    inputs = [image[None]]
    for layer in network.layers:
        inputs.append(layer.forward(inputs[-1]))
    _, delta = softmax_cross_entropy(inputs[-1], np.array([label]))
    for above in reversed(network.layers[position + 1 :]):
        delta = above.backward(delta)  # ends as dL/dz of the chosen conv layer
    return inputs, delta


def _activation_below(
    network: Sequential, positions: list[int], conv: int, inputs: list[np.ndarray]
) -> tuple[str, np.ndarray | None]:
    """σ between the conv below and this one, and ``z_below`` with ``x = σ(z_below)``.

    Handles the shapes this module builds: nothing below (the image), or ReLU followed by
    max-pools. Anything else is shown as "identity" (``z_below = x``).
    """
    if conv == 0:
        return "identity", None
    below = positions[conv - 1]
    between = network.layers[below + 1 : positions[conv]]
    if not between or not isinstance(between[0], ReLU):
        return "identity", None
    if not all(isinstance(layer, MaxPool2D) for layer in between[1:]):
        return "identity", None
    z_below = inputs[below + 1]  # the conv below's output z
    for pool in between[1:]:
        z_below = MaxPool2D(pool.size).forward(z_below)  # a fresh pool: caches stay intact
    return "relu", z_below[0]
