"""The lessons' computations, checked against the conv core and finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz import Geometry, conv2d, conv2d_backward, dilate, rot180
from cnnviz import lessons as T

# (input size, kernel, stride, padding, dilation): the lessons' scenarios and some odd ones
CASES = [
    (5, 3, 1, 0, 1),
    (6, 3, 2, 0, 1),
    (8, 3, 3, 0, 1),
    (7, 3, 2, 1, 1),
    (9, 2, 2, 1, 2),
    ((6, 9), (2, 3), (1, 2), (0, 1), (2, 1)),
]


def _single(case, seed=0):
    size, kernel, stride, padding, dilation = case
    g = Geometry(size, kernel, stride=stride, padding=padding, dilation=dilation)
    rng = np.random.default_rng(seed)
    delta = rng.standard_normal(g.output_size)
    w = rng.standard_normal(g.kernel_size)
    settings = {"stride": g.stride, "padding": g.padding, "dilation": g.dilation}
    truth = conv2d_backward(
        delta[None, None], np.zeros((1, 1, *g.input_size)), w[None, None], **settings
    )[0][0, 0]
    return g, delta, w, settings, truth


@pytest.mark.parametrize("case", CASES)
def test_scatter_without_flip_and_gather_with_rot180_both_equal_core(case):
    g, delta, w, settings, truth = _single(case)
    scatter = T.scatter_input_grad(delta, w, g.input_size, **settings)
    gather = T.gather_input_grad(delta, w, g.input_size, **settings)
    np.testing.assert_allclose(scatter, truth, atol=1e-12)
    np.testing.assert_allclose(gather, truth, atol=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_gather_without_the_flip_is_wrong(case):
    g, delta, w, settings, truth = _single(case)
    wrong = T.gather_input_grad(delta, w, g.input_size, flip=False, **settings)
    assert np.max(np.abs(wrong - truth)) > 1e-3


def test_scatter_partial_sums_grow_one_delta_element_at_a_time():
    g, delta, w, settings, truth = _single(CASES[1])
    sums = T.scatter_partial_sums(delta, w, g.input_size, **settings)
    assert sums.shape == (delta.size + 1, *g.input_size)
    assert not sums[0].any()
    np.testing.assert_allclose(sums[-1], truth)
    # step 1 is delta[0, 0] times the unflipped kernel, on the first window
    kh, kw = g.kernel_size
    np.testing.assert_allclose(sums[1][:kh, :kw], delta[0, 0] * w)


def test_taps_reaching_walk_the_kernel_backwards_and_sum_to_the_gradient():
    g, delta, w, _, truth = _single(CASES[0])
    taps = T.taps_reaching(g, (2, 2))
    assert [t[0] for t in taps] == [(i, j) for i in range(3) for j in range(3)]
    assert [t[1] for t in taps] == [(2 - i, 2 - j) for i in range(3) for j in range(3)]
    for pixel in [(0, 0), (1, 3), (4, 4)]:
        total = sum(delta[i, j] * w[u, v] for (i, j), (u, v) in T.taps_reaching(g, pixel))
        assert total == pytest.approx(truth[pixel])
    assert len(T.taps_reaching(Geometry(8, 3, stride=3), (7, 0))) == 0  # untouched row


def test_count_connections_for_the_one_channel_example():
    count = T.count_connections(Geometry(5, 3))
    assert (count.connections, count.weights, count.biases) == (81, 9, 1)
    assert count.dense_weights == 25 * 9
    assert count.uses_per_weight == 9
    assert count.reads_per_pixel[2, 2] == 9 and count.reads_per_pixel[0, 0] == 1
    deep = T.count_connections(Geometry(20, 3), depth=3, filters=5)
    assert deep.weights == 5 * 3 * 9 and deep.connections == deep.weights * 18 * 18


def test_shapes_table_matches_the_core_for_the_readers_example():
    rows = T.shapes_table(3, 20, 5, 3)
    table = {row["name"]: row["shape"] for row in rows}
    assert table == T.shapes_from_core(3, 20, 5, 3)
    assert table["delta"] == (5, 18, 18) and table["dx"] == (3, 20, 20)
    strided = T.shapes_table(2, 7, 4, 3, stride=2, padding=1)
    strided_table = {row["name"]: row["shape"] for row in strided}
    assert strided_table == T.shapes_from_core(2, 7, 4, 3, stride=2, padding=1)
    text = T.markdown_table(rows, ("name", "shape"))
    assert "| dx | 3×20×20 |" in text.splitlines()


def test_same_stride_attempt_has_the_wrong_shape_and_wrong_numbers():
    rng = np.random.default_rng(1)
    result = T.same_stride_attempt(
        rng.standard_normal((2, 2)), rng.standard_normal((3, 3)), 6, stride=2
    )
    assert result.attempt.shape == (2, 2) and result.truth.shape == (6, 6)
    assert not result.shape_matches
    assert result.max_error > 0.1
    at_stride_one = T.same_stride_attempt(
        rng.standard_normal((3, 3)), rng.standard_normal((3, 3)), 5, stride=1
    )
    assert at_stride_one.shape_matches and at_stride_one.max_error < 1e-12


@pytest.mark.parametrize("case", CASES)
def test_transposed_convolution_with_output_padding_is_the_input_gradient(case):
    size, kernel, stride, padding, dilation = case
    g = Geometry(size, kernel, stride=stride, padding=padding, dilation=dilation)
    rng = np.random.default_rng(2)
    delta = rng.standard_normal((2, *g.output_size))
    w = rng.standard_normal((2, 3, *g.kernel_size))
    extra = T.output_padding_for(g)
    assert all(0 <= e < s for e, s in zip(extra, g.stride, strict=True))
    sizes = tuple(
        T.transposed_output_size(
            g.output_size[a],
            g.kernel_size[a],
            stride=g.stride[a],
            padding=g.padding[a],
            output_padding=extra[a],
            dilation=g.dilation[a],
        )
        for a in (0, 1)
    )
    assert sizes == g.input_size
    out = T.transposed_conv2d(
        delta, w, stride=g.stride, padding=g.padding, output_padding=extra, dilation=g.dilation
    )
    dx = conv2d_backward(
        delta[None],
        np.zeros((1, 3, *g.input_size)),
        w,
        stride=g.stride,
        padding=g.padding,
        dilation=g.dilation,
    )[0][0]
    np.testing.assert_allclose(out, dx, atol=1e-12)


def test_transposed_output_size_follows_pytorch_and_refuses_large_output_padding():
    # nn.ConvTranspose2d(k=3, s=2, p=1, output_padding=1) doubles a 4x4 map to 8x8
    assert T.transposed_output_size(4, 3, stride=2, padding=1, output_padding=1) == 8
    with pytest.raises(ValueError, match="output_padding"):
        T.transposed_output_size(4, 3, stride=2, output_padding=2)
    with pytest.raises(TypeError, match="stride"):
        T.transposed_output_size(4, 3, stride=1.5)


@pytest.mark.parametrize("case", CASES)
def test_weight_gradient_by_correlation_and_by_positions_equal_core(case):
    size, kernel, stride, padding, dilation = case
    g = Geometry(size, kernel, stride=stride, padding=padding, dilation=dilation)
    settings = {"stride": g.stride, "padding": g.padding, "dilation": g.dilation}
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, *g.input_size))
    delta = rng.standard_normal((3, *g.output_size))
    w = rng.standard_normal((3, 2, *g.kernel_size))
    _, dw, db = conv2d_backward(delta[None], x[None], w, **settings)
    np.testing.assert_allclose(
        T.weight_grad_by_correlation(x, delta, g.kernel_size, **settings), dw, atol=1e-12
    )
    parts = T.per_position_weight_grads(x, delta, g.kernel_size, **settings)
    assert parts.shape == (*g.output_size, *w.shape)
    np.testing.assert_allclose(parts.sum(axis=(0, 1)), dw, atol=1e-12)
    np.testing.assert_allclose(delta.sum(axis=(1, 2)), db)


def test_finite_difference_entry_agrees_with_backprop_for_x_w_and_b():
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((1, 2, 7, 7)), rng.standard_normal((2, 2, 3, 3)), np.zeros(2)
    delta = rng.standard_normal((1, 2, 4, 4))
    before = (x.copy(), w.copy(), b.copy())
    for parameter, index in [("x", (0, 1, 6, 6)), ("w", (1, 0, 2, 1)), ("b", (1,))]:
        check = T.finite_difference_entry(
            x, w, b, delta, parameter=parameter, index=index, stride=2, padding=1
        )
        assert check.error < 1e-6 and check.analytic != 0
        assert str(check).startswith(f"d{parameter}[")
    for original, now in zip(before, (x, w, b), strict=True):
        np.testing.assert_array_equal(original, now)
    with pytest.raises(ValueError, match="index"):
        T.finite_difference_entry(
            x, w, b, delta, parameter="w", index=(2, 0, 0, 0), stride=2, padding=1
        )
    with pytest.raises(ValueError, match="parameter"):
        T.finite_difference_entry(x, w, b, delta, parameter="z", index=(0,))


@pytest.mark.parametrize("case", CASES)
def test_padding_border_is_cropped_and_all_ones_gradient_counts_windows(case):
    size, kernel, stride, padding, dilation = case
    g = Geometry(size, kernel, stride=stride, padding=padding, dilation=dilation)
    settings = {"stride": g.stride, "padding": g.padding, "dilation": g.dilation}
    rng = np.random.default_rng(5)
    delta = rng.standard_normal((2, *g.output_size))
    w = rng.standard_normal((2, 3, *g.kernel_size))
    full = T.input_grad_before_crop(delta, w, g.input_size, **settings)
    assert full.shape == (3, *g.padded_size)
    dx = conv2d_backward(delta[None], np.zeros((1, 3, *g.input_size)), w, **settings)[0][0]
    (ph, pw), (h, wd) = g.padding, g.input_size
    np.testing.assert_allclose(full[:, ph : ph + h, pw : pw + wd], dx, atol=1e-12)
    np.testing.assert_array_equal(T.all_ones_input_grad(g), g.window_counts())


def test_dilated_kernel_is_a_sparse_dense_kernel():
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((1, 1, 9, 9)), rng.standard_normal((1, 1, 3, 3))

    np.testing.assert_allclose(conv2d(x, w, dilation=2), conv2d(x, dilate(w, 2)))




def test_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="delta"):
        T.scatter_input_grad(np.zeros((3, 3)), np.ones((3, 3)), 6, stride=2)
    with pytest.raises(TypeError, match="kernel"):
        T.gather_input_grad(np.zeros((2, 2)), "abc", 4)
    with pytest.raises(TypeError, match="geometry"):
        T.count_connections((5, 3))
    with pytest.raises(ValueError, match="depth"):
        T.shapes_table(0, 5, 1, 3)
    with pytest.raises(ValueError, match="pixel"):
        T.taps_reaching(Geometry(5, 3), (5, 0))


def test_callers_arrays_are_not_modified():
    rng = np.random.default_rng(7)
    delta, w = rng.standard_normal((2, 2)), rng.standard_normal((3, 3))
    kept = (delta.copy(), w.copy())
    T.scatter_input_grad(delta, w, 6, stride=2)
    T.gather_input_grad(delta, w, 6, stride=2, flip=False)
    T.same_stride_attempt(delta, w, 6, stride=2)
    np.testing.assert_array_equal(kept[0], delta)
    np.testing.assert_array_equal(kept[1], w)
    assert np.array_equal(rot180(rot180(w)), w)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "identity"])
@pytest.mark.parametrize("case", [CASES[0], CASES[3], CASES[4]])
def test_delta_of_previous_layer_matches_finite_differences(name, case):
    size, kernel, stride, padding, dilation = case
    g = Geometry(size, kernel, stride=stride, padding=padding, dilation=dilation)
    settings = {"stride": g.stride, "padding": g.padding, "dilation": g.dilation}
    rng = np.random.default_rng(8)
    z_prev = rng.standard_normal((2, *g.input_size))
    w = rng.standard_normal((3, 2, *g.kernel_size))
    delta_next = rng.standard_normal((3, *g.output_size))
    analytic = T.delta_previous_layer(z_prev, w, delta_next, activation_name=name, **settings)
    numeric = T.delta_previous_layer_numeric(
        z_prev, w, delta_next, activation_name=name, **settings
    )
    np.testing.assert_allclose(analytic, numeric, atol=1e-6)


def test_relu_slope_zeroes_the_delta_where_z_was_negative():
    rng = np.random.default_rng(9)
    z_prev = rng.standard_normal((1, 5, 5))
    delta = T.delta_previous_layer(
        z_prev,
        rng.standard_normal((1, 1, 3, 3)),
        rng.standard_normal((1, 3, 3)),
        activation_name="relu",
    )
    assert not delta[z_prev < 0].any()
    with pytest.raises(ValueError, match="activation"):
        T.delta_previous_layer(
            z_prev, np.ones((1, 1, 3, 3)), np.ones((1, 3, 3)), activation_name="softplus"
        )


def test_format_taps_puts_one_delta_row_per_line():
    text = T.format_taps(T.taps_reaching(Geometry(5, 3), (2, 2)))
    lines = text.splitlines()
    assert len(lines) == 3
    assert lines[0] == "δ[0,0]·w[2,2] + δ[0,1]·w[2,1] + δ[0,2]·w[2,0]"
    assert lines[2].startswith("+ δ[2,0]·w[0,2]")
    aligned = T.format_taps(T.taps_reaching(Geometry(5, 3), (2, 2)), prefix="dx = ").splitlines()
    assert aligned[0].startswith("dx = δ[0,0]") and aligned[1].startswith("   + δ[1,0]")






