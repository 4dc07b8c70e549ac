"""Bad input: every public core function raises the right type, naming the parameter.

And no public function writes into what it was given.
"""

from __future__ import annotations

import numpy as np
import pytest
from core_cases import NAMED, ROUTES, route

from cnnviz import (
    Geometry,
    as_pair,
    conv2d,
    conv2d_backward,
    conv2d_gradient_errors,
    dilate,
    input_grad_by_full_convolution,
    input_grad_contributions,
    pad_input,
    rot180,
)

X = np.zeros((1, 2, 5, 5))  # (N, C, H, W)
W = np.zeros((3, 2, 3, 3))  # (K, C, kh, kw)
DOUT = np.zeros((1, 3, 3, 3))  # (N, K, Ho, Wo) for stride 1, no padding
DELTA = DOUT[0]  # (K, Ho, Wo)


def call_each(**settings):
    """Every public entry point that takes stride/padding/dilation, with these settings."""
    yield lambda: conv2d(X, W, **settings)
    yield lambda: conv2d_backward(DOUT, X, W, **settings)
    yield lambda: input_grad_contributions(DELTA, W, (5, 5), **settings)
    yield lambda: input_grad_by_full_convolution(DELTA, W, (5, 5), **settings)
    yield lambda: Geometry((5, 5), (3, 3), **settings)


def expect(error, name, call):
    with pytest.raises(error) as caught:
        call()
    assert name in str(caught.value), f"message does not name {name!r}: {caught.value}"


# --------------------------------------------------------------------------- stride & co


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("stride", 0, ValueError),
        ("stride", -1, ValueError),
        ("stride", (2, 0), ValueError),
        ("stride", 2.5, TypeError),
        ("stride", 2.0, TypeError),
        ("stride", np.float64(2.0), TypeError),
        ("stride", True, TypeError),
        ("stride", (1, True), TypeError),
        ("stride", (1.0, 1), TypeError),
        ("stride", "2", TypeError),
        ("stride", None, TypeError),
        ("padding", -1, ValueError),
        ("padding", (0, -2), ValueError),
        ("padding", 0.5, TypeError),
        ("padding", False, TypeError),
        ("dilation", 0, ValueError),
        ("dilation", -1, ValueError),
        ("dilation", 1.5, TypeError),
        ("stride", (1, 2, 3), ValueError),
        ("stride", (1,), ValueError),
        ("padding", (), ValueError),
        ("dilation", [1, 1, 1], ValueError),
    ],
)
def test_bad_setting_is_refused_by_every_function(name, value, error):
    for call in call_each(**{name: value}):
        expect(error, name, call)


def test_as_pair_accepts_numpy_ints_and_refuses_floats():
    assert as_pair(np.int64(3), "stride", 1) == (3, 3)
    assert as_pair(np.array([1, 2]), "stride", 1) == (1, 2)
    expect(TypeError, "stride", lambda: as_pair(np.array([1.0, 2.0]), "stride", 1))


def test_kernel_larger_than_padded_input():
    small_x = np.zeros((1, 1, 2, 5))
    expect(ValueError, "kernel_size", lambda: conv2d(small_x, np.zeros((1, 1, 3, 3))))
    expect(ValueError, "kernel_size", lambda: conv2d(X, W, dilation=3))
    expect(ValueError, "kernel_size",
           lambda: input_grad_contributions(DELTA, W, (2, 2)))
    conv2d(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 3, 3)), padding=1)  # fits once padded


def test_input_size_bad():
    expect(ValueError, "input_size", lambda: input_grad_contributions(DELTA, W, 0))
    expect(ValueError, "input_size", lambda: input_grad_contributions(DELTA, W, (5, 5, 5)))
    expect(TypeError, "input_size", lambda: input_grad_contributions(DELTA, W, 5.0))
    expect(TypeError, "input_size", lambda: input_grad_by_full_convolution(DELTA, W, "5"))
    expect(TypeError, "input_size", lambda: Geometry(None, 3))


# --------------------------------------------------------------------------- arrays


def test_channel_mismatch_between_x_and_w():
    expect(ValueError, "w", lambda: conv2d(X, np.zeros((3, 4, 3, 3))))
    expect(ValueError, "x", lambda: conv2d(X, np.zeros((3, 4, 3, 3))))
    expect(ValueError, "depth", lambda: conv2d_backward(DOUT, X, np.zeros((3, 1, 3, 3))))


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("x", lambda: conv2d(np.zeros((2, 5, 5)), W)),
        ("x", lambda: conv2d(np.zeros((1, 1, 2, 5, 5)), W)),
        ("w", lambda: conv2d(X, np.zeros((2, 3, 3)))),
        ("b", lambda: conv2d(X, W, np.zeros((3, 1)))),
        ("b", lambda: conv2d(X, W, 1.0)),
        ("dout", lambda: conv2d_backward(DELTA, X, W)),
        ("x", lambda: conv2d_backward(DOUT, X[0], W)),
        ("w", lambda: conv2d_backward(DOUT, X, W[0])),
        ("dout", lambda: input_grad_contributions(DOUT, W, 5)),
        ("w", lambda: input_grad_contributions(DELTA, W[0], 5)),
        ("dout", lambda: input_grad_by_full_convolution(DOUT, W, 5)),
        ("delta", lambda: dilate(np.zeros(3), 2)),
        ("kernel", lambda: rot180(np.zeros(3))),
    ],
)
def test_wrong_rank(name, call):
    expect(ValueError, name, call)


def test_bias_of_wrong_length():
    expect(ValueError, "b", lambda: conv2d(X, W, np.zeros(2)))
    expect(ValueError, "b", lambda: conv2d(X, W, np.zeros(4)))


@pytest.mark.parametrize(
    "bad",
    [
        np.full((1, 2, 5, 5), "a"),
        np.zeros((1, 2, 5, 5), dtype=object),
        np.zeros((1, 2, 5, 5), dtype=bool),
        np.zeros((1, 2, 5, 5), dtype=complex),
        "not an array",
        None,
        {"x": 1},
    ],
    ids=["strings", "object", "bool", "complex", "str", "None", "dict"],
)
def test_non_numeric_arrays(bad):
    expect(TypeError, "x", lambda: conv2d(bad, W))
    expect(TypeError, "x", lambda: conv2d_backward(DOUT, bad, W))
    bad_w = bad if not isinstance(bad, np.ndarray) else bad[:, :, :3, :3].repeat(1, 0)
    expect(TypeError, "w", lambda: conv2d(X, bad_w))
    expect(TypeError, "w", lambda: input_grad_contributions(DELTA, bad_w, 5))


@pytest.mark.parametrize("bad", [np.zeros(3, dtype=bool), np.array(["a", "b", "c"]),
                                 np.zeros(3, dtype=complex)])
def test_non_numeric_bias_and_delta(bad):
    expect(TypeError, "b", lambda: conv2d(X, W, bad))
    dout = np.zeros(DOUT.shape, dtype=bad.dtype)
    expect(TypeError, "dout", lambda: conv2d_backward(dout, X, W))
    expect(TypeError, "dout", lambda: input_grad_contributions(dout[0], W, 5))


def test_ragged_nested_lists():
    expect(ValueError, "x", lambda: conv2d([[[[1, 2], [3]]]], np.zeros((1, 1, 1, 1))))


def test_empty_axes():
    expect(ValueError, "x", lambda: conv2d(np.zeros((1, 2, 0, 5)), W))
    expect(ValueError, "x", lambda: conv2d(np.zeros((1, 0, 5, 5)), np.zeros((3, 0, 3, 3))))
    expect(ValueError, "w", lambda: conv2d(X, np.zeros((0, 2, 3, 3))))
    expect(ValueError, "w", lambda: input_grad_contributions(DELTA[:0], W[:0], 5))
    # an empty batch is a batch of nothing, not an error
    assert conv2d(np.zeros((0, 2, 5, 5)), W).shape == (0, 3, 3, 3)


@pytest.mark.parametrize(
    "shape", [(1, 3, 3, 2), (1, 2, 3, 3), (2, 3, 3, 3), (1, 3, 4, 4)], ids=str
)
def test_dout_of_wrong_shape_for_backward(shape):
    expect(ValueError, "dout", lambda: conv2d_backward(np.zeros(shape), X, W))


@pytest.mark.parametrize("shape", [(3, 3, 2), (2, 3, 3), (3, 4, 4)], ids=str)
def test_dout_of_wrong_shape_for_contributions(shape):
    expect(ValueError, "dout", lambda: input_grad_contributions(np.zeros(shape), W, 5))
    expect(ValueError, "dout", lambda: input_grad_by_full_convolution(np.zeros(shape), W, 5))


def test_dout_shape_follows_the_settings():
    dout = np.zeros((1, 3, 3, 3))
    conv2d_backward(dout, X, W, stride=2, padding=1)  # (5 + 2 - 3)//2 + 1 = 3
    expect(ValueError, "dout", lambda: conv2d_backward(dout, X, W, stride=2))


# --------------------------------------------------------------------------- inputs left alone


def frozen_copies(*arrays):
    """Read-only inputs plus copies to compare with afterwards."""
    copies = [a.copy() for a in arrays]
    for a in arrays:
        a.setflags(write=False)
    return copies


@pytest.mark.parametrize("way", ROUTES)
@pytest.mark.parametrize("name", ["classroom", "everything-odd", "one-by-one"])
def test_no_function_modifies_its_inputs_and_read_only_inputs_work(name, way):
    case = NAMED[name]
    x, w, b, dout = case.data(4)
    before = frozen_copies(x, w, b, dout)
    settings = case.settings
    with route(way):
        results = [
            conv2d(x, w, b, **settings),
            *conv2d_backward(dout, x, w, **settings),
            input_grad_contributions(dout[0], w, case.size, **settings),
            input_grad_by_full_convolution(dout[0], w, case.size, **settings),
            pad_input(x, 2),
            dilate(dout, 2),
            rot180(w),
        ]
        conv2d_gradient_errors(x, w, b, dout, **settings)
    for original, now in zip(before, (x, w, b, dout), strict=True):
        np.testing.assert_array_equal(now, original)
    for result in results:  # every answer is the caller's to write into
        assert result.flags.writeable
        assert not any(np.shares_memory(result, a) for a in (x, w, b, dout))


def test_float32_inputs_left_alone():
    case = NAMED["batch"]
    x, w, b, dout = case.data(0, dtype=np.float32)
    before = frozen_copies(x, w, b, dout)
    conv2d(x, w, b, **case.settings)
    conv2d_backward(dout, x, w, **case.settings)
    for original, now in zip(before, (x, w, b, dout), strict=True):
        assert now.dtype == np.float32
        np.testing.assert_array_equal(now, original)


# --------------------------------------------------------------------------- impossible sizes


@pytest.mark.parametrize("name", ["stride", "padding", "dilation"])
def test_an_impossible_setting_is_a_value_error_naming_it(name):
    for call in call_each(**{name: 10**30}):
        expect(ValueError, name, call)
    expect(ValueError, name, lambda: conv2d(X, W, **{name: (1, 2**30 + 1)}))


def test_impossible_sizes_in_the_textbook_helpers_are_named():
    expect(ValueError, "stride", lambda: dilate(np.ones((2, 2)), 10**30))
    expect(ValueError, "padding", lambda: pad_input(np.ones((2, 2)), 10**30))
    expect(ValueError, "input_size", lambda: Geometry((10**30, 5), 3))
    expect(ValueError, "kernel_size", lambda: Geometry(5, (3, 10**30)))


# --------------------------------------------------------------------------- the size guard


def guard_message(call) -> str:
    with pytest.raises(ValueError) as caught:
        call()
    message = str(caught.value)
    assert "work arrays" in message and "over the limit of 2 GiB" in message, message
    assert "set_work_limit" in message, "the message says how to change the limit"
    return message


def test_a_huge_broadcast_input_is_refused_before_allocating():
    x = np.broadcast_to(np.float64(1), (1, 1, 10**5, 10**5))  # 80 GB if it were real
    message = guard_message(lambda: conv2d(x, np.ones((1, 1, 3, 3))))
    assert message.startswith("x of shape (1, 1, 100000, 100000) asks for about 894 GiB")
    message = guard_message(lambda: conv2d_backward(np.broadcast_to(0.0, (1, 1, 99998, 99998)),
                                                     x, np.ones((1, 1, 3, 3))))  # fmt: skip
    assert message.startswith("x of shape (1, 1, 100000, 100000)")


def test_a_huge_padding_is_named_with_its_size():
    message = guard_message(lambda: conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)),
                                           padding=10**6))  # fmt: skip
    assert message.startswith("padding (1000000, 1000000) asks for about 349 TiB")
    # a 4 x 4 delta at stride 2**15 spreads into a 10**5 x 10**5 dx: 80 GB per channel
    spread = (np.ones((1, 4, 4)), np.ones((1, 1, 3, 3)), 10**5)
    for textbook in (input_grad_contributions, input_grad_by_full_convolution):
        message = guard_message(lambda way=textbook: way(*spread, stride=2**15))
        assert message.startswith("input_size (100000, 100000) asks for about"), message
    message = guard_message(lambda: pad_input(np.ones((2, 2)), 10**6))
    assert message.startswith("padding (1000000, 1000000) asks for about 29.1 TiB")
    assert "in pad_input" in message
    guard_message(lambda: dilate(np.ones((3, 3)), 2**30))


def test_the_limit_is_configurable_and_checked():
    from cnnviz.core import DEFAULT_WORK_LIMIT, set_work_limit, work_limit

    x = np.ones((1, 1, 64, 64))
    assert set_work_limit(1024) == DEFAULT_WORK_LIMIT
    try:
        assert work_limit() == 1024
        with pytest.raises(ValueError, match=r"^x of shape \(1, 1, 64, 64\) .* limit of 1 KiB"):
            conv2d(x, np.ones((1, 1, 3, 3)))
    finally:
        set_work_limit(DEFAULT_WORK_LIMIT)
    assert conv2d(x, np.ones((1, 1, 3, 3))).shape == (1, 1, 62, 62)
    for bad in (0, -1, 1.5, True, "1"):
        expect(ValueError, "nbytes", lambda bad=bad: set_work_limit(bad))


def test_the_index_cache_is_bounded_by_bytes():
    from cnnviz.core import budget

    for side in range(300, 330):  # 30 sizes of about 13 MB of index arrays each
        budget.plan_for((side, side), (3, 3), 1, 0, 1)
    assert budget.cached_bytes() <= budget._PLAN_CACHE_BYTES
    assert len(budget._plans) < 30
    budget.plan_for((2048, 2048), (3, 3), 1, 0, 1)  # 600 MB once built: never kept
    assert ((2048, 2048), (3, 3), (1, 1), (0, 0), (1, 1)) not in budget._plans


def test_a_large_input_builds_no_index_arrays_it_does_not_use():
    from cnnviz.core import budget

    conv2d(np.ones((1, 1, 400, 400)), np.ones((1, 1, 3, 3)))  # the strided-view route
    plan = budget.plan_for((400, 400), (3, 3), 1, 0, 1)
    assert "window_taps" not in plan.__dict__ and "delta_taps" not in plan.__dict__
    conv2d(np.ones((1, 1, 9, 9)), np.ones((1, 1, 3, 3)))  # small: the one-take route
    assert "window_taps" in budget.plan_for((9, 9), (3, 3), 1, 0, 1).__dict__


@pytest.mark.parametrize("bad", [np.array([["a", "b"]]), np.array([[1 + 2j, 0]]),
                                 np.array([[None, 1]], dtype=object)])  # fmt: skip
@pytest.mark.parametrize("name", ["image", "kernel"])
def test_the_formulas_maps_name_a_map_that_is_not_real_numbers(bad, name):
    from cnnviz.core.maps2d import convolve_2d, correlate_2d

    maps = {"image": np.ones((3, 3)), "kernel": np.ones((1, 1)), name: bad}
    for call in (correlate_2d, convolve_2d):
        with pytest.raises(TypeError, match=f"{name} must hold real numbers"):
            call(maps["image"], maps["kernel"])
    assert correlate_2d(np.array([[True, False]]), np.ones((1, 1))).tolist() == [[1.0, 0.0]]
