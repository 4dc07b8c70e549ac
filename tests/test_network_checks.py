"""Lesson 06's checks on the gesture CNN: pool/ReLU commute, δ_below is exact, hardest sample."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.core.activations import derivative
from cnnviz.lessons import network_checks as checks
from cnnviz.nn.gestures import train_test_split
from cnnviz.nn.layers import softmax
from cnnviz.nn.training import conv_layer_snapshot, gesture_network, train


@pytest.fixture(scope="module")
def trained():
    train_set, test_set = train_test_split(300, 60, seed=1)
    network = gesture_network(seed=1)
    train(network, train_set, epochs=1)
    return network, test_set


def test_pool_and_relu_commute_on_the_real_network(trained):
    network, test_set = trained
    assert checks.pool_relu_gap(network, test_set.images[:30]) == 0.0


def test_delta_below_matches_finite_differences_and_a_wrong_formula_does_not(trained):
    network, test_set = trained
    hard = checks.hardest_sample(network, test_set)
    label = int(test_set.labels[hard])
    check = checks.delta_below_check(network, test_set.images[hard], label)
    size = np.abs(check.formula).max()
    assert size > 1e-3 and check.max_gap < 1e-6 * size
    # the same numbers without the ReLU's slope are not the gradient: the check can fail
    snapshot = conv_layer_snapshot(checks.as_float64(network), test_set.images[hard], label)
    assert np.abs(snapshot.dx - check.numeric).max() > 1e-3 * size
    assert np.allclose(snapshot.dx * derivative("relu", snapshot.z_below), check.formula)


def test_hardest_sample_has_the_lowest_true_class_probability(trained):
    network, test_set = trained
    p = softmax(network.predict(test_set.images))[np.arange(len(test_set)), test_set.labels]
    assert p[checks.hardest_sample(network, test_set)] == p.min()


def test_the_network_is_left_as_it_was(trained):
    network, test_set = trained
    before = [layer.params["w"].copy() for layer in network.layers if "w" in layer.params]
    checks.delta_below_check(network, test_set.images[0], int(test_set.labels[0]))
    after = [layer.params["w"] for layer in network.layers if "w" in layer.params]
    for old, new in zip(before, after, strict=True):
        assert np.array_equal(old, new) and new.dtype == np.float32


def test_bad_arguments_are_named(trained):
    network, test_set = trained
    with pytest.raises(TypeError, match="network"):
        checks.pool_relu_gap("net", test_set.images)
    with pytest.raises(TypeError, match="data"):
        checks.hardest_sample(network, test_set.images)
    with pytest.raises(ValueError, match="conv 0"):
        checks.delta_below_check(network, test_set.images[0], 0, conv=0)
