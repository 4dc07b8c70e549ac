"""Issue 21, items 4 and 5: an empty batch everywhere, and every bad argument named.

Every core and nn entry takes N = 0 and answers with empty results of the right shapes; the
odd arguments a hostile user tried (1-D arrays, 10**400, a 0-d array, times) are a TypeError or
ValueError that names the parameter.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz import conv2d, conv2d_backward, conv2d_gradient_errors, dilate, pad_input, rot180
from cnnviz.nn.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential
from cnnviz.nn.losses import softmax_cross_entropy

X0 = np.zeros((0, 2, 7, 6))
W = np.ones((3, 2, 3, 2))


@pytest.mark.parametrize("settings", [{}, {"stride": 2, "padding": 1}, {"dilation": (2, 1)}])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_conv_core_takes_an_empty_batch(settings, dtype):
    x, w = X0.astype(dtype), W.astype(dtype)
    z = conv2d(x, w, np.ones(3, dtype), **settings)
    assert z.shape[:2] == (0, 3) and z.dtype == dtype
    dx, dw, db = conv2d_backward(np.zeros(z.shape, dtype), x, w, **settings)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == (3,)
    assert not dw.any() and not db.any(), "nothing in the batch: no gradient"
    assert dx.dtype == dw.dtype == db.dtype == dtype
    assert pad_input(x, 1).shape == (0, 2, 9, 8)
    assert dilate(np.zeros((0, 3, 2, 2)), 2).shape == (0, 3, 3, 3)
    assert rot180(np.zeros((0, 3, 2, 2))).shape == (0, 3, 2, 2)
    errors = conv2d_gradient_errors(x, w, np.ones(3, dtype), np.zeros(z.shape, dtype), **settings)
    assert set(errors.values()) == {0.0}


def test_every_nn_layer_takes_an_empty_batch():
    network = Sequential(
        [Conv2D(1, 4, 3, padding=1, seed=0), ReLU(), MaxPool2D(2), Flatten(), Dense(64, 5)],
        input_shape=(1, 8, 8),
    )
    logits = network.forward(np.zeros((0, 1, 8, 8), np.float32))
    assert logits.shape == (0, 5)
    loss, dlogits = softmax_cross_entropy(logits, np.zeros(0, dtype=int))
    assert loss == 0.0 and dlogits.shape == (0, 5)
    assert network.backward(dlogits).shape == (0, 1, 8, 8)
    for layer in network.layers:
        for name in layer.params:
            assert layer.grads[name].shape == layer.params[name].shape
            assert not layer.grads[name].any()
    assert network.predict(np.zeros((0, 1, 8, 8), np.float32)).shape == (0, 5)
    flatten = Flatten()
    assert flatten.forward(np.zeros((0, 3, 2, 2))).shape == (0, 12)
    assert flatten.backward(np.zeros((0, 12))).shape == (0, 3, 2, 2)


def _named(error: type, name: str, call) -> str:
    with pytest.raises(error) as caught:
        call()
    assert name in str(caught.value), f"{name!r} not named in {caught.value}"
    return str(caught.value)


def test_odd_arguments_name_the_parameter():
    x = np.ones((1, 1, 5, 5))
    w = np.ones((1, 1, 3, 3))
    _named(ValueError, "x", lambda: pad_input(np.ones(3), 1))
    _named(ValueError, "x", lambda: pad_input(np.float64(3), 1))
    _named(TypeError, "x", lambda: pad_input(np.array([["a", "b"]]), 1))
    _named(TypeError, "kernel", lambda: rot180(np.array([["a", "b"]])))
    _named(TypeError, "delta", lambda: dilate(np.zeros((2, 2), dtype="m8[s]"), 2))
    for big in (10**400, 10**5000, (1, 10**400)):
        message = _named(ValueError, "stride", lambda big=big: conv2d(x, w, stride=big))
        assert len(message) < 200, message
        _named(ValueError, "padding", lambda big=big: conv2d(x, w, padding=big))
        _named(ValueError, "stride", lambda big=big: dilate(np.ones((2, 2)), big))
    assert conv2d(x, w, stride=np.array(2)).shape == (1, 1, 2, 2)
    assert conv2d(x, w, padding=np.array(1), dilation=np.array([1, 1])).shape == (1, 1, 5, 5)
    _named(TypeError, "stride", lambda: conv2d(x, w, stride=np.array(2.0)))
    _named(ValueError, "stride", lambda: conv2d(x, w, stride=np.array([[1, 1]])))


@pytest.mark.parametrize("dtype", ["m8[s]", "M8[s]", bool, object, "U2", complex])
def test_non_numeric_dtypes_are_refused(dtype):
    x = np.zeros((1, 1, 5, 5), dtype=dtype)
    w = np.ones((1, 1, 3, 3))
    _named(TypeError, "x", lambda: conv2d(x, w))
    _named(TypeError, "w", lambda: conv2d(np.ones((1, 1, 5, 5)), x[:, :, :3, :3]))
    _named(TypeError, "dout", lambda: conv2d_backward(x[:, :, :3, :3], np.ones(x.shape), w))
