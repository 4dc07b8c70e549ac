"""Issue 21, item 9: training that cannot work says so before it starts, naming the parameter.

A learning rate of inf, nan or 1e308, an eps <= 0, one NaN pixel, images of the wrong shape:
each is a TypeError or ValueError before the first step (no progress reported, no weight moved).
A run that diverges anyway stops at once with one line saying where.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.nn import training
from cnnviz.nn.gestures import Gestures, make_gestures
from cnnviz.nn.layers import Conv2D, Dense, Flatten, ReLU, Sequential
from cnnviz.nn.optim import Adam


def _small():
    layers = [Conv2D(1, 2, 3, seed=0), ReLU(), Flatten(), Dense(2 * 10 * 10, 8, seed=1)]
    network = Sequential(layers, input_shape=(1, 12, 12))
    return network, make_gestures(16, seed=0, size=12)


def _refused(error: type, name: str, **overrides):
    network, data = _small()
    before = [network.layers[0].params["w"].copy()]
    steps = []
    settings = {"epochs": 1, "batch_size": 8, "on_progress": steps.append, **overrides}
    train_set = settings.pop("train_set", data)
    with pytest.raises(error) as caught:
        training.train(network, train_set, **settings)
    assert name in str(caught.value), f"{name!r} not named in: {caught.value}"
    assert "\n" not in str(caught.value)
    assert steps == [], "refused before the first step"
    assert np.array_equal(before[0], network.layers[0].params["w"]), "no weight moved"


@pytest.mark.parametrize(
    "value, error",
    [(float("inf"), ValueError), (float("nan"), ValueError), (1e308, ValueError),
     (-1e-3, ValueError), (0.0, ValueError), (2.0, ValueError), ("0.01", TypeError),
     (True, TypeError), (None, TypeError)],
)  # fmt: skip
def test_a_learning_rate_that_cannot_work_is_refused(value, error):
    _refused(error, "learning_rate", learning_rate=value)


@pytest.mark.parametrize("eps", [0.0, -1e-8, float("nan"), float("inf")])
def test_adam_refuses_an_eps_that_is_not_positive_and_finite(eps):
    network, _ = _small()
    with pytest.raises(ValueError, match="eps"):
        Adam(network, eps=eps)
    with pytest.raises(ValueError, match="beta1"):
        Adam(network, beta1=float("nan"))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_one_bad_pixel_in_the_data_is_refused(bad):
    _, data = _small()
    images = data.images.copy()
    images[3, 0, 5, 5] = bad
    _refused(ValueError, "train_set.images", train_set=Gestures(images, data.labels))
    _refused(ValueError, "test_set.images", test_set=Gestures(images, data.labels))


def test_wrong_shapes_and_types_name_the_parameter():
    _, data = _small()
    _refused(ValueError, "train_set.images",
             train_set=Gestures(data.images[:, :, :10], data.labels))  # fmt: skip
    _refused(TypeError, "train_set.labels",
             train_set=Gestures(data.images, data.labels.astype(float)))  # fmt: skip
    _refused(ValueError, "train_set.labels", train_set=Gestures(data.images, data.labels + 8))
    _refused(ValueError, "train_set.labels", train_set=Gestures(data.images, data.labels[:3]))
    _refused(TypeError, "train_set", train_set=(data.images, data.labels))
    _refused(TypeError, "epochs", epochs=1.5)
    _refused(TypeError, "seed", seed="0")
    with pytest.raises(TypeError, match="network"):
        training.train("a network", data)
    network, _ = _small()
    with pytest.raises(ValueError, match=r"x must be \(N, 1, H, W\)|x must have 4"):
        network.layers[0].forward(np.ones((12, 12)))
    with pytest.raises(ValueError, match=r"x must be \(N, 200\)"):
        network.layers[-1].forward(np.ones((2, 199)))
    with pytest.raises(TypeError, match="x must hold real numbers"):
        network.layers[-1].forward(np.array([["a"] * 200]))
    with pytest.raises(TypeError, match="dtype"):
        Dense(3, 4, dtype="int8")


def test_divergence_mid_run_stops_with_one_line(monkeypatch):
    network, data = _small()
    real = training.softmax_cross_entropy
    calls = []

    def explodes_at_the_third_batch(logits, labels):
        calls.append(1)
        loss, dlogits = real(logits, labels)
        return (float("nan") if len(calls) == 3 else loss), dlogits

    monkeypatch.setattr(training, "softmax_cross_entropy", explodes_at_the_third_batch)
    steps = []
    with pytest.raises(training.Diverged) as caught:
        training.train(network, data, epochs=3, batch_size=8, on_progress=steps.append)
    message = str(caught.value)
    assert "\n" not in message and "batch 1 of 2" in message and "learning_rate" in message
    assert len(steps) == 2, "stopped at the batch whose loss was NaN"
    assert len(calls) == 3


def test_the_command_line_says_divergence_in_one_line(capsys, monkeypatch):
    from cnnviz.cli import main

    def diverges(*args, **kwargs):
        raise training.Diverged("training diverged at batch 3 of 9: the loss is nan")

    monkeypatch.setattr(training, "train", diverges)
    code = main(["train-gestures", "--train-count", "16", "--test-count", "8"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and err == ["error: training diverged at batch 3 of 9: the loss is nan "
                                 "(--learning-rate)"]  # fmt: skip
