"""The trained gesture CNN the network page opens on: a small weights file, or training at start.

``python -m cnnviz gesture-weights [--seed S]`` trains :func:`~cnnviz.nn.training.gesture_network`
with the defaults of ``train-gestures`` and writes its parameters (about 30 KB) to
:data:`WEIGHTS_PATH`, inside the package. :func:`trained_network` loads that file when it was
made from the same seed, and otherwise trains a network from the seed (a few seconds).

The page's samples come from the held-out stream of :func:`~cnnviz.nn.gestures.train_test_split`
for that seed: the network never trained on them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnnviz.nn.gestures import Gestures, make_gestures, train_test_split
from cnnviz.nn.layers import Sequential
from cnnviz.nn.training import DEFAULTS, gesture_network, train

WEIGHTS_PATH = Path(__file__).with_name("gesture_weights.npz")


def save_weights(network: Sequential, path: Path | str, *, seed: int) -> None:
    """Write every parameter as ``"<layer index>.<name>"``, with the seed, to an ``.npz``."""
    arrays = {f"{i}.{name}": layer.params[name] for i, layer in enumerate(network.layers)
              for name in layer.params}  # fmt: skip
    np.savez_compressed(path, seed=np.array(seed), **arrays)


def load_weights(path: Path | str) -> tuple[Sequential, int]:
    """The gesture network with the parameters of ``path``, and the seed it was trained from.

    Raises
    ------
    ValueError
        When the file's arrays do not fit :func:`gesture_network`'s layers.
    """
    network = gesture_network()
    with np.load(path) as stored:
        seed = int(stored["seed"])
        for i, layer in enumerate(network.layers):
            for name, value in layer.params.items():
                key = f"{i}.{name}"
                if key not in stored or stored[key].shape != value.shape:
                    raise ValueError(f"weights file {path} does not fit the network at {key}")
                layer.params[name] = stored[key].astype(value.dtype)
    return network, seed


def trained_network(*, seed: int = 0, path: Path | str = WEIGHTS_PATH) -> Sequential:
    """The trained gesture CNN: loaded from ``path`` if it holds ``seed``'s run, else trained."""
    if Path(path).exists():
        try:
            network, stored_seed = load_weights(path)
        except (OSError, ValueError, KeyError):
            stored_seed = None
        if stored_seed == seed:
            return network
    return train_from_seed(seed)


def train_from_seed(seed: int) -> Sequential:
    """Train with ``train-gestures``' defaults (data, epochs, batch, learning rate)."""
    train_set, _ = train_test_split(DEFAULTS["train_count"], 1, seed=seed)
    network = gesture_network(seed=seed)
    train(network, train_set, seed=seed)
    return network


def held_out(count: int = 200, *, seed: int = 0) -> Gestures:
    """``count`` images from the held-out stream of ``seed`` (never seen in training)."""
    test_seed = int(np.random.SeedSequence(seed).spawn(2)[1].generate_state(1)[0])
    return make_gestures(count, seed=test_seed)
