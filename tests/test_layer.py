"""LayerSnapshot and activations: checked inputs, frozen copies, gradients against the core."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.core.activations import ACTIVATION_NAMES, activate, derivative
from cnnviz.core.conv import conv2d_backward
from cnnviz.core.gradcheck import numerical_gradient
from cnnviz.explorer.layer import LayerSnapshot, gradient_check, snapshot_from_settings
from cnnviz.explorer.presets import PRESETS
from cnnviz.explorer.settings import Settings


def _arrays(seed=0, c=2, k=3, size=6, kernel=3, out=4):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(c, size, size)),
        rng.normal(size=(k, c, kernel, kernel)),
        rng.normal(size=(k,)),
        rng.normal(size=(k, out, out)),
    )


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_derivative_matches_finite_differences(name):
    z = np.linspace(-3, 3, 61)
    z = z[np.abs(z) > 1e-3]  # away from ReLU's kink
    numeric = numerical_gradient(lambda v: float(np.sum(activate(name, v))), z)
    assert np.allclose(derivative(name, z), numeric, atol=1e-7)


def test_activations_are_what_they_say():
    z = np.array([-2.0, 0.0, 3.0])
    assert np.array_equal(activate("relu", z), [0, 0, 3])
    assert np.array_equal(derivative("relu", z), [0, 0, 1])  # slope 0 at the kink
    assert np.allclose(activate("sigmoid", np.array([-800.0, 800.0])), [0, 1])  # no overflow
    assert np.allclose(activate("tanh", z), np.tanh(z))
    assert np.array_equal(derivative("identity", z), [1, 1, 1])


def test_activation_errors_name_the_rule():
    with pytest.raises(ValueError, match="activation must be one of"):
        activate("softmax", np.zeros(3))
    with pytest.raises(TypeError, match="real numbers"):
        derivative("relu", np.array(["a"]))


def test_from_arrays_copies_and_freezes():
    x, w, b, delta = _arrays()
    layer = LayerSnapshot.from_arrays(x, w, b, delta, stride=1, padding=0)
    x[0, 0, 0] = 99.0
    assert layer.x[0, 0, 0] != 99.0
    with pytest.raises(ValueError):
        layer.x[0, 0, 0] = 1.0
    assert layer.stride == (1, 1) and layer.padding == (0, 0)
    assert np.array_equal(layer.z_below, layer.x)  # identity: z_below defaults to x


def test_gradients_are_the_cores():
    x, w, b, delta = _arrays(out=3)
    layer = LayerSnapshot.from_arrays(x, w, b, delta, stride=2, padding=1, dilation=1)
    dx, dw, db = conv2d_backward(delta[None], x[None], w, stride=2, padding=1)
    assert np.allclose(layer.dx, dx[0]) and np.allclose(layer.dw, dw)
    assert np.allclose(layer.db, db)
    assert np.allclose(layer.contributions.sum(axis=0), layer.dx)
    assert layer.z.shape == delta.shape


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"x": np.zeros((2, 6))}, ValueError, "x must have 3 dimensions"),
        ({"w": np.zeros((3, 5, 3, 3))}, ValueError, "as deep as the input"),
        ({"b": np.zeros(2)}, ValueError, "one entry per filter"),
        ({"delta": np.zeros((3, 5, 5))}, ValueError, "delta must have the layer output"),
        ({"x": "abc"}, TypeError, "x must be a numeric array"),
        ({"x": np.full((2, 6, 6), np.nan)}, ValueError, "finite"),
        ({"activation": "relu"}, ValueError, "z_below .* is needed"),
        ({"activation": "swish"}, ValueError, "activation must be one of"),
        ({"stride": 0}, ValueError, "stride"),
        ({"z_below": np.zeros((2, 5, 5)), "activation": "tanh"}, ValueError, "shaped like x"),
    ],
)
def test_from_arrays_errors_name_the_argument(change, error, match):
    x, w, b, delta = _arrays()
    arguments = {"x": x, "w": w, "b": b, "delta": delta}
    options = {}
    for name, value in change.items():
        (arguments if name in arguments else options)[name] = value
    with pytest.raises(error, match=match):
        LayerSnapshot.from_arrays(*arguments.values(), **options)


def test_snapshot_from_settings_is_seeded_and_consistent():
    settings = Settings(activation="sigmoid", seed=7)
    first, second = snapshot_from_settings(settings), snapshot_from_settings(settings)
    assert np.array_equal(first.w, second.w) and np.array_equal(first.delta, second.delta)
    assert not np.array_equal(first.w, snapshot_from_settings(settings.replace(seed=8)).w)
    assert np.allclose(first.x, activate("sigmoid", first.z_below))
    assert np.allclose(first.delta_below, first.dx * derivative("sigmoid", first.z_below))
    assert np.all(first.z_below != 0)
    assert first.delta.shape == (settings.filters, *settings.geometry().output_size)


def test_snapshot_from_impossible_settings_says_why():
    settings = Settings(input_height=3, input_width=3, kernel_height=7, padding=0)
    with pytest.raises(ValueError, match="no window fits"):
        snapshot_from_settings(settings)
    with pytest.raises(TypeError, match="Settings"):
        snapshot_from_settings({"depth": 3})


@pytest.mark.parametrize("name", list(PRESETS))
@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_gradient_check_passes_for_every_preset(name, activation):
    layer = snapshot_from_settings(PRESETS[name].settings.replace(activation=activation))
    result = gradient_check(layer)
    assert result.worst < 1e-6, result.errors
    assert set(result.errors) == {"dx", "dw", "db", "delta_below"}


def test_gradient_check_samples_large_layers_and_catches_a_wrong_gradient():
    settings = Settings(depth=10, filters=4, input_height=16, input_width=16, stride=1)
    layer = snapshot_from_settings(settings)
    result = gradient_check(layer, max_entries=50)
    assert result.checked < result.total and result.worst < 1e-6
    wrong = LayerSnapshot.from_arrays(
        layer.x, layer.w, layer.b, layer.delta, stride=1, padding=1
    )
    # a snapshot whose cached dx is tampered with must fail the check
    object.__setattr__(wrong, "_backward", (wrong.dx + 1.0, wrong.dw, wrong.db))
    assert gradient_check(wrong, max_entries=20).errors["dx"] > 0.5


def test_gradient_check_on_a_big_layer_checks_fewer_entries(monkeypatch):
    from cnnviz.explorer import layer as layer_module

    snapshot = snapshot_from_settings(Settings(depth=3, filters=2, input_height=9, input_width=9))
    full = gradient_check(snapshot, max_entries=400)
    monkeypatch.setattr(layer_module, "CHECK_WORK", 1)  # as if each forward pass were huge
    capped = gradient_check(snapshot, max_entries=400)
    assert capped.checked <= 4 * layer_module.MIN_CHECKED < full.checked  # db has K = 2
    assert capped.worst < 1e-6
    assert gradient_check(snapshot, max_entries=None).checked == capped.total  # None: all
