"""The whole-network backward trace: every stage against the layer's own backward, the image's
gradient and every W against finite differences, the routes, the fan-out and the batch sums."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.core.gradcheck import numerical_gradient
from cnnviz.nn import backward_trace as bt
from cnnviz.nn import softmax_cross_entropy
from cnnviz.nn.backward_trace import batch_sum_errors, per_sample_grads, trace_backward
from cnnviz.nn.gestures import make_gestures
from cnnviz.nn.network_check import as_float64, whole_network_check
from cnnviz.nn.training import gesture_network, train


@pytest.fixture(scope="module")
def small():
    """A float64 gesture network on 12×12 images, trained a little (deltas are not random)."""
    data = make_gestures(96, seed=2, size=12)
    network = gesture_network(seed=2, size=12, dtype=np.float64)
    train(network, data, epochs=1, batch_size=16, seed=2)
    return network, data.images.astype(np.float64), data.labels


def test_stages_run_from_the_loss_down_with_the_network_shapes(small):
    network, images, labels = small
    trace = trace_backward(network, images[:3], labels[:3])
    kinds = [s.kind for s in trace.stages]
    assert kinds == ["dense", "unflatten", "max-pool", "ReLU", "conv",
                     "max-pool", "ReLU", "conv"]  # fmt: skip
    for stage in trace.stages:
        assert stage.shape_in == network.shapes[stage.index]
        assert stage.shape_out == network.shapes[stage.index + 1]
        assert stage.delta_out.shape == stage.y.shape and stage.delta_in.shape == stage.x.shape
    p = trace.probabilities
    onehot = np.eye(p.shape[1])[labels[:3]]
    np.testing.assert_allclose(trace.delta_loss, (p - onehot) / 3)
    assert trace.saliency.shape == (3, 1, 12, 12)


def test_every_stage_is_the_layers_own_backward(small):
    network, images, labels = small
    trace = trace_backward(network, images[:4], labels[:4])
    for stage in trace.stages:
        layer = network.layers[stage.index]
        layer.forward(stage.x)
        np.testing.assert_allclose(layer.backward(stage.delta_out), stage.delta_in, atol=1e-15)
        for name, grad in stage.grads.items():
            np.testing.assert_allclose(layer.grads[name], grad, atol=1e-15)


def test_saliency_and_first_filters_against_finite_differences(small):
    network, images, labels = small
    image, label = images[5], int(labels[5])
    trace = trace_backward(network, image, label)

    def loss_of_image(x: np.ndarray) -> float:
        return softmax_cross_entropy(network.forward(x[None]), np.array([label]))[0]

    numeric = numerical_gradient(loss_of_image, image)
    assert np.max(np.abs(trace.saliency[0] - numeric)) < 1e-8
    conv = network.layers[0]
    saved = conv.params["w"]

    def loss_of_w(w: np.ndarray) -> float:
        conv.params["w"] = w
        try:
            return loss_of_image(image)
        finally:
            conv.params["w"] = saved

    numeric_w = numerical_gradient(loss_of_w, saved)
    assert np.max(np.abs(trace.stages[-1].grads["w"] - numeric_w)) < 1e-8


def test_routes_say_where_each_delta_goes(small):
    network, images, labels = small
    trace = trace_backward(network, images[:2], labels[:2])
    flat, pool, relu = trace.stages[1], trace.stages[2], trace.stages[3]
    c, h, w = flat.shape_in
    for ci, i, j in [(0, 0, 0), (1, 2, 1), (c - 1, h - 1, w - 1)]:
        f = flat.route[ci, i, j]
        assert f == ci * h * w + i * w + j
        np.testing.assert_array_equal(flat.delta_in[:, ci, i, j], flat.delta_out[:, f])
    s = 2
    blocks = pool.route.reshape(2, c, h, s, w, s)
    assert np.all(blocks.sum(axis=(3, 5)) == 1)  # exactly one winner per block
    np.testing.assert_allclose(pool.delta_in.reshape(2, c, h, s, w, s).sum(axis=(3, 5)),
                               pool.delta_out)  # fmt: skip
    np.testing.assert_array_equal(pool.delta_in[~pool.route], 0)
    winners_values = pool.x.reshape(2, c, h, s, w, s).max(axis=(3, 5))
    np.testing.assert_array_equal(winners_values, pool.y)
    np.testing.assert_array_equal(relu.route, relu.x > 0)
    np.testing.assert_array_equal(relu.delta_in[relu.x <= 0], 0)


def test_conv_delta_fans_out_into_every_input_channel(small):
    network, images, labels = small
    trace = trace_backward(network, images[:2], labels[:2])
    second = trace.conv_stages()[1]
    parts = trace.fan_out(second, sample=1)
    assert parts.shape == (16, 8, 6, 6)
    np.testing.assert_allclose(parts.sum(axis=0), second.delta_in[1], atol=1e-15)
    with pytest.raises(ValueError, match="stage must be a conv stage"):
        trace.fan_out(trace.stages[0])


def test_batch_sums_and_each_samples_delta(small):
    network, images, labels = small
    batch = trace_backward(network, images[:5], labels[:5])
    errors = batch_sum_errors(batch)
    assert len(errors) == 6 and max(errors.values()) < 1e-13, errors
    for n in (0, 3):  # in a batch of B, sample n carries its own δ divided by B
        alone = trace_backward(network, images[n], labels[n])
        for a, b in zip(alone.stages, batch.stages, strict=True):
            np.testing.assert_allclose(b.delta_in[n], a.delta_in[0] / 5, atol=1e-15)
    parts = per_sample_grads(batch, batch.stages[0])
    assert parts["w"].shape == (5, 144, 8)
    with pytest.raises(ValueError, match="has no parameters"):
        per_sample_grads(batch, batch.stages[1])


def test_whole_network_check_passes_and_catches_a_wrong_route(small, monkeypatch):
    network, images, labels = small
    check = whole_network_check(network, images[:2], labels[:2])
    assert check.ok and check.checked >= 20, check
    assert "whole network ✓" in check.badge()

    monkeypatch.setattr(bt, "_step", _wrong_pool_step(bt._step))
    bad = whole_network_check(network, images[:2], labels[:2])
    assert not bad.ok and "✗" in bad.badge()


def _wrong_pool_step(step):
    def wrong(layer, x, y, delta):
        delta_in, route, grads = step(layer, x, y, delta)
        if type(layer).__name__ == "MaxPool2D":
            delta_in = bt.upsample(delta, layer.size, x.shape)  # no winner: δ to all four
        return delta_in, route, grads

    return wrong


def test_float64_copy_leaves_the_network_alone():
    network = gesture_network(seed=0, size=12)
    twin = as_float64(network)
    assert twin.layers[0].params["w"].dtype == np.float64
    assert network.layers[0].params["w"].dtype == np.float32
    np.testing.assert_array_equal(twin.layers[0].params["w"], network.layers[0].params["w"])


def test_bad_arguments_are_named(small):
    network, images, labels = small
    with pytest.raises(ValueError, match=r"images must be \(B, 1, 12, 12\)"):
        trace_backward(network, images[:, :, :5], labels)
    with pytest.raises(ValueError, match=r"labels must be \(2,\)"):
        trace_backward(network, images[:2], labels[:3])
    with pytest.raises(TypeError, match="network must be a Sequential"):
        trace_backward("net", images[:2], labels[:2])
