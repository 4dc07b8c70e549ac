"""Every layer's backward pass, and the whole network's, against finite differences (float64)."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz import conv2d, conv2d_backward
from cnnviz.core.gradcheck import numerical_gradient
from cnnviz.nn import (
    Adam,
    Conv2D,
    Dense,
    Flatten,
    Layer,
    MaxPool2D,
    ReLU,
    Sequential,
    softmax,
    softmax_cross_entropy,
)

TOLERANCE = 1e-7


def _layer_errors(layer: Layer, x: np.ndarray, rng: np.random.Generator) -> dict[str, float]:
    """Max |analytic - numeric| for dx and every parameter, with loss = sum(y * g)."""
    g = rng.normal(size=layer.forward(x).shape)

    def loss_at(values: np.ndarray, name: str | None) -> float:
        if name is None:
            return float(np.sum(layer.forward(values) * g))
        saved = layer.params[name]
        layer.params[name] = values
        try:
            return float(np.sum(layer.forward(x) * g))
        finally:
            layer.params[name] = saved

    layer.forward(x)
    dx = layer.backward(g)
    grads = dict(layer.grads)
    errors = {"dx": np.max(np.abs(dx - numerical_gradient(lambda v: loss_at(v, None), x)))}
    for name, value in layer.params.items():
        numeric = numerical_gradient(lambda v, n=name: loss_at(v, n), value)
        errors[name] = np.max(np.abs(grads[name] - numeric))
    return {name: float(e) for name, e in errors.items()}


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"padding": 1},
        {"stride": 2, "padding": 1},
        {"stride": (2, 1), "dilation": 2},
    ],
)
def test_conv2d_layer_gradients(settings):
    rng = np.random.default_rng(0)
    layer = Conv2D(3, 2, 3, seed=1, dtype=np.float64, **settings)
    layer.params["b"] = rng.normal(size=2)
    x = rng.normal(size=(2, 3, 7, 6))
    errors = _layer_errors(layer, x, rng)
    assert set(errors) == {"dx", "w", "b"}
    assert max(errors.values()) < TOLERANCE, errors


def test_conv2d_layer_is_the_core():
    rng = np.random.default_rng(1)
    layer = Conv2D(2, 3, (3, 2), stride=2, padding=1, seed=0, dtype=np.float64)
    x = rng.normal(size=(1, 2, 6, 6))
    expected = conv2d(x, layer.params["w"], layer.params["b"], stride=2, padding=1)
    np.testing.assert_array_equal(layer.forward(x), expected)
    # backward too: exactly the core's numbers, not just close to them
    delta = rng.normal(size=expected.shape)
    dx, dw, db = conv2d_backward(delta, x, layer.params["w"], stride=2, padding=1)
    np.testing.assert_array_equal(layer.backward(delta), dx)
    np.testing.assert_array_equal(layer.grads["w"], dw)
    np.testing.assert_array_equal(layer.grads["b"], db)


def test_relu_gradients_away_from_the_kink():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 2, 4, 4))
    x[np.abs(x) < 0.01] = 0.5  # finite differences straddling 0 would measure the kink
    assert _layer_errors(ReLU(), x, rng)["dx"] < TOLERANCE


@pytest.mark.parametrize(
    ("size", "shape"), [(2, (2, 3, 6, 8)), (2, (1, 2, 7, 5)), (3, (2, 1, 7, 9))]
)
def test_maxpool_gradients_including_cropped_edges(size, shape):
    rng = np.random.default_rng(3)
    x = rng.permutation(np.prod(shape)).reshape(shape) * 0.01  # distinct values: no ties
    layer = MaxPool2D(size)
    out = layer.forward(x)
    assert out.shape == shape[:2] + (shape[2] // size, shape[3] // size)
    for i, j in np.ndindex(*out.shape[2:]):  # each output is its block's largest value
        block = x[:, :, i * size : (i + 1) * size, j * size : (j + 1) * size]
        np.testing.assert_array_equal(out[:, :, i, j], block.max(axis=(2, 3)))
    assert _layer_errors(layer, x, rng)["dx"] < TOLERANCE


def test_maxpool_sends_a_tied_block_gradient_to_one_place():
    layer = MaxPool2D(2)
    x = np.zeros((1, 1, 2, 2))
    layer.forward(x)
    dx = layer.backward(np.ones((1, 1, 1, 1)))
    assert dx.sum() == 1 and np.count_nonzero(dx) == 1


def test_flatten_and_dense_gradients():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 2, 2, 3))
    assert _layer_errors(Flatten(), x, rng)["dx"] < TOLERANCE
    dense = Dense(12, 5, seed=0, dtype=np.float64)
    dense.params["b"] = rng.normal(size=5)
    errors = _layer_errors(dense, x.reshape(3, 12), rng)
    assert set(errors) == {"dx", "w", "b"}
    assert max(errors.values()) < TOLERANCE, errors


def test_softmax_cross_entropy_value_and_gradient():
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(4, 6)) * 3
    labels = np.array([0, 5, 2, 2])
    loss, dlogits = softmax_cross_entropy(logits, labels)
    p = softmax(logits)
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(4), labels])))
    numeric = numerical_gradient(lambda v: softmax_cross_entropy(v, labels)[0], logits)
    assert np.max(np.abs(dlogits - numeric)) < TOLERANCE
    uniform, _ = softmax_cross_entropy(np.zeros((2, 8)), np.array([1, 7]))
    assert uniform == pytest.approx(np.log(8))
    huge, _ = softmax_cross_entropy(np.array([[1000.0, -1000.0]]), np.array([0]))
    assert np.isfinite(huge) and huge == pytest.approx(0.0)


def _tiny_network(seed: int = 0) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential(
        [
            Conv2D(1, 2, 3, padding=1, seed=rng, dtype=np.float64),
            ReLU(),
            MaxPool2D(2),
            Conv2D(2, 3, 3, padding=1, seed=rng, dtype=np.float64),
            ReLU(),
            MaxPool2D(2),
            Flatten(),
            Dense(12, 4, seed=rng, dtype=np.float64),
        ],
        input_shape=(1, 8, 8),
    )


def test_whole_network_gradient_against_finite_differences():
    rng = np.random.default_rng(6)
    network = _tiny_network()
    for layer, name in network.parameters():  # non-zero biases: every path is exercised
        if name == "b":
            layer.params[name] = rng.normal(0, 0.1, size=layer.params[name].shape)
    x = rng.normal(size=(3, 1, 8, 8))
    labels = np.array([0, 3, 1])

    def loss() -> float:
        return softmax_cross_entropy(network.forward(x), labels)[0]

    _, dlogits = softmax_cross_entropy(network.forward(x), labels)
    dx = network.backward(dlogits)
    analytic = {(id(layer), name): layer.grads[name] for layer, name in network.parameters()}
    checked = 0
    for layer, name in network.parameters():
        saved = layer.params[name]

        def loss_of(values, layer=layer, name=name):
            layer.params[name] = values
            return loss()

        numeric = numerical_gradient(loss_of, saved)
        layer.params[name] = saved
        error = np.max(np.abs(analytic[(id(layer), name)] - numeric))
        assert error < TOLERANCE, (layer, name, error)
        checked += 1
    assert checked == 6  # w and b of two convs and one dense
    numeric_dx = numerical_gradient(
        lambda v: softmax_cross_entropy(network.forward(v), labels)[0], x
    )
    assert np.max(np.abs(dx - numeric_dx)) < TOLERANCE


def test_shapes_are_checked_when_layers_are_stacked():
    network = _tiny_network()
    assert network.shapes == [
        (1, 8, 8),
        (2, 8, 8),
        (2, 8, 8),
        (2, 4, 4),
        (3, 4, 4),
        (3, 4, 4),
        (3, 2, 2),
        (12,),
        (4,),
    ]
    with pytest.raises(ValueError, match=r"layer 1, Conv2D\(3→4, 3×3\) expects 3 input channels"):
        Sequential([Conv2D(1, 2), Conv2D(3, 4)], input_shape=(1, 8, 8))
    with pytest.raises(ValueError, match=r"layer 2, Dense\(50→10\) expects 50 input .* 18"):
        Sequential([Conv2D(1, 2), Flatten(), Dense(50, 10)], input_shape=(1, 5, 5))
    with pytest.raises(ValueError, match="put a Flatten"):
        Sequential([Conv2D(1, 2), Dense(18, 10)], input_shape=(1, 5, 5))
    with pytest.raises(ValueError, match="layer 2, .*Conv2D cannot come after|a Flatten or Dense"):
        Sequential([Flatten(), Dense(25, 4), Conv2D(1, 2)], input_shape=(1, 5, 5))
    with pytest.raises(ValueError, match=r"layer 0, Conv2D\(1→2, 7×7\) does not fit"):
        Sequential([Conv2D(1, 2, 7)], input_shape=(1, 5, 5))
    with pytest.raises(ValueError, match="layer 1, MaxPool2D"):
        Sequential([Conv2D(1, 2, 3), MaxPool2D(4)], input_shape=(1, 5, 5))
    with pytest.raises(ValueError, match=r"x must be \(N, 1, 8, 8\)"):
        network.forward(np.zeros((2, 1, 9, 9)))
    with pytest.raises(TypeError, match=r"layers\[1\] must be a Layer"):
        Sequential([ReLU(), "dense"], input_shape=(1, 5, 5))
    with pytest.raises(ValueError, match="in_channels must be >= 1"):
        Conv2D(0, 2)
    with pytest.raises(ValueError, match="stride"):
        Conv2D(1, 2, stride=0)


def test_backward_before_forward_is_a_clear_error():
    with pytest.raises(RuntimeError, match="before forward"):
        Conv2D(1, 2).backward(np.zeros((1, 2, 3, 3)))
    with pytest.raises(RuntimeError, match="before forward"):
        MaxPool2D().backward(np.zeros((1, 1, 1, 1)))


def test_loss_argument_errors():
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"labels must be \(2,\)"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0]))
    with pytest.raises(TypeError, match="labels must be integers"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0]))


def test_adam_first_step_and_descent():
    network = Sequential([Dense(3, 2, seed=0, dtype=np.float64)], input_shape=(3,))
    optimizer = Adam(network, learning_rate=0.01)
    before = {name: network.layers[0].params[name].copy() for name in ("w", "b")}
    x = np.array([[1.0, -2.0, 0.5]])
    loss0, dlogits = softmax_cross_entropy(network.forward(x), np.array([1]))
    network.backward(dlogits)
    grads = dict(network.layers[0].grads)
    optimizer.step()
    for name in ("w", "b"):
        # Adam's first step is learning_rate * sign(g) wherever g is not tiny
        moved = before[name] - network.layers[0].params[name]
        big = np.abs(grads[name]) > 1e-3
        np.testing.assert_allclose(moved[big], 0.01 * np.sign(grads[name][big]), rtol=1e-4)
    for _ in range(50):
        _, dlogits = softmax_cross_entropy(network.forward(x), np.array([1]))
        network.backward(dlogits)
        optimizer.step()
    assert softmax_cross_entropy(network.forward(x), np.array([1]))[0] < loss0 / 2
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        Adam(network, learning_rate=0)


def test_float32_network_stays_float32():
    network = Sequential(
        [Conv2D(1, 2, 3, seed=0), ReLU(), MaxPool2D(), Flatten(), Dense(18, 3, seed=0)],
        input_shape=(1, 8, 8),
    )
    out = network.forward(np.zeros((2, 1, 8, 8), dtype=np.float32))
    assert out.dtype == np.float32
    dx = network.backward(np.ones_like(out))
    assert dx.dtype == np.float32
    assert all(layer.grads[name].dtype == np.float32 for layer, name in network.parameters())
    assert "total" in network.describe() and "Conv2D(1→2, 3×3)" in network.describe()


@pytest.mark.parametrize(
    ("size", "shape"), [(2, (3, 2, 6, 8)), (3, (2, 2, 7, 10)), (2, (1, 1, 5, 5))]
)
def test_maxpool_ties_go_to_the_first_maximum_in_reading_order(size, shape):
    rng = np.random.default_rng(7)
    x = rng.integers(0, 3, shape).astype(np.float64)  # many ties
    layer = MaxPool2D(size)
    out = layer.forward(x)
    dout = rng.normal(size=out.shape)
    dx = layer.backward(dout)
    expected = np.zeros_like(x)
    for n, c, i, j in np.ndindex(*out.shape):  # the loop reference: argmax of the block's rows
        block = x[n, c, i * size : (i + 1) * size, j * size : (j + 1) * size]
        u, v = np.unravel_index(np.argmax(block), block.shape)
        expected[n, c, i * size + u, j * size + v] = dout[n, c, i, j]
        assert out[n, c, i, j] == block.max()
    np.testing.assert_array_equal(dx, expected)
    np.testing.assert_array_equal(layer.winners(), expected != 0)
    assert x.dtype == np.float64 and dx.dtype == dout.dtype


def test_relu_and_pool_keep_float32():
    x = np.random.default_rng(8).normal(size=(2, 3, 4, 4)).astype(np.float32)
    for layer in (ReLU(), MaxPool2D(2)):
        out = layer.forward(x)
        assert out.dtype == np.float32
        assert layer.backward(np.ones_like(out)).dtype == np.float32


def test_layers_do_not_import_the_optimizer():
    # the optimizer needs layers (it updates a Sequential), never the reverse: no circle
    import ast
    from pathlib import Path

    import cnnviz.nn.layers as layers_module

    tree = ast.parse(Path(layers_module.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}  # fmt: skip
    assert "cnnviz.nn.optim" not in imported
    from cnnviz.nn import Adam
    from cnnviz.nn.optim import Adam as from_optim

    assert Adam is from_optim
