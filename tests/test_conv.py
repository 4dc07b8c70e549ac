"""The conv core against the loop reference, on named and random geometries, both routes."""

from __future__ import annotations

import os

import numpy as np
import pytest
import reference
from core_cases import NAMED, ROUTES, Case, cases, route
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz import (
    Geometry,
    conv2d,
    conv2d_backward,
    dilate,
    input_grad_by_full_convolution,
    input_grad_contributions,
    pad_input,
    rot180,
    weight_grad_by_correlation,
)

TOL = {"rtol": 1e-10, "atol": 1e-10}
named = pytest.mark.parametrize("case", list(NAMED.values()), ids=list(NAMED))
routes = pytest.mark.parametrize("way", ROUTES)


def check_forward(case: Case, seed: int = 0) -> None:
    x, w, b, _ = case.data(seed)
    z = conv2d(x, w, b, **case.settings)
    np.testing.assert_allclose(z, reference.conv2d(x, w, b, **case.settings), **TOL)
    unbiased = conv2d(x, w, **case.settings)
    np.testing.assert_allclose(unbiased, reference.conv2d(x, w, **case.settings), **TOL)


def check_backward(case: Case, seed: int = 0) -> None:
    x, w, _, dout = case.data(seed)
    dx, dw, db = conv2d_backward(dout, x, w, **case.settings)
    want_dx, want_dw, want_db = reference.conv2d_backward(dout, x, w, **case.settings)
    assert (dx.shape, dw.shape, db.shape) == (x.shape, w.shape, (case.k,))
    np.testing.assert_allclose(dx, want_dx, **TOL)
    np.testing.assert_allclose(dw, want_dw, **TOL)
    np.testing.assert_allclose(db, want_db, **TOL)


def check_contributions(case: Case, seed: int = 0) -> None:
    x, w, _, dout = case.data(seed)
    dx = conv2d_backward(dout, x, w, **case.settings)[0]
    for n in range(case.n):
        contrib = input_grad_contributions(dout[n], w, case.size, **case.settings)
        assert contrib.shape == (case.k, case.c, *case.size)
        want = reference.grad_contributions(dout[n], w, case.size, **case.settings)
        np.testing.assert_allclose(contrib, want, **TOL)
        np.testing.assert_allclose(contrib.sum(axis=0), dx[n], **TOL)
        textbook = input_grad_by_full_convolution(dout[n], w, case.size, **case.settings)
        np.testing.assert_allclose(textbook, contrib, **TOL)


def check_untouched_exactly_zero(case: Case, seed: int = 0) -> None:
    x, w, _, dout = case.data(seed)
    geometry = Geometry(case.size, case.kernel, **case.settings)
    untouched = ~geometry.touched_mask()  # (H, W)
    np.testing.assert_array_equal(untouched, reference.reads(case.size, case.kernel,
                                                             **case.settings) == 0)
    dx = conv2d_backward(dout, x, w, **case.settings)[0]
    assert np.all(dx[:, :, untouched] == 0.0)  # exactly zero, not merely small
    contrib = input_grad_contributions(dout[0], w, case.size, **case.settings)
    assert np.all(contrib[:, :, untouched] == 0.0)
    textbook = input_grad_by_full_convolution(dout[0], w, case.size, **case.settings)
    assert np.all(textbook[:, :, untouched] == 0.0)


# --------------------------------------------------------------------------- named geometries


@named
@routes
def test_forward_matches_loop_reference(case, way):
    with route(way):
        check_forward(case)


@named
@routes
def test_backward_matches_loop_reference(case, way):
    with route(way):
        check_backward(case)


@named
def test_contributions_sum_to_dx_and_match_textbook_route(case):
    check_contributions(case)


@named
@routes
def test_pixels_no_window_reads_get_exactly_zero_gradient(case, way):
    with route(way):
        check_untouched_exactly_zero(case)


def test_named_untouched_cases_really_leave_pixels_untouched():
    """Guard the guard: these geometries must leave something for the zero test to check."""
    for name in ("stride-larger-than-kernel", "trailing-untouched", "dilation-strided-untouched"):
        case = NAMED[name]
        mask = Geometry(case.size, case.kernel, **case.settings).touched_mask()
        assert not mask.all(), name
    trailing = NAMED["trailing-untouched"]
    mask = Geometry(trailing.size, trailing.kernel, **trailing.settings).touched_mask()
    assert not mask[-1].any() and not mask[:, -1].any() and mask[:-1, :-1].all()


@routes
@pytest.mark.parametrize("name", ["padding", "batch", "everything-odd", "rectangular"])
def test_batch_sent_in_chunks_matches_loop_reference(name, way):
    with route(way, chunked=True):
        check_forward(NAMED[name])
        check_backward(NAMED[name])


def test_routes_agree_on_a_larger_problem():
    case = Case(3, 5, (12, 10), 4, (3, 3), stride=(2, 1), padding=1, dilation=(1, 2))
    x, w, b, dout = case.data(3)
    results = {}
    for way in ROUTES:
        with route(way):
            results[way] = (conv2d(x, w, b, **case.settings),
                            *conv2d_backward(dout, x, w, **case.settings))
    for fast, slow in zip(results["gather"], results["slices"], strict=True):
        np.testing.assert_allclose(fast, slow, **TOL)


def test_bench_sized_problem_agrees_with_reference_on_a_slice():
    """Problems this size go through in chunks by default: spot-check every route."""
    case = Case(2, 16, (32, 32), 4, (3, 3), padding=1)
    x, w, b, dout = case.data(1)
    z = conv2d(x, w, b, **case.settings)
    dx, dw, db = conv2d_backward(dout, x, w, **case.settings)
    for way in ROUTES:
        with route(way):
            z2 = conv2d(x, w, b, **case.settings)
            dx2, dw2, db2 = conv2d_backward(dout, x, w, **case.settings)
        for got, want in ((z, z2), (dx, dx2), (dw, dw2), (db, db2)):
            np.testing.assert_allclose(got, want, **TOL)
    # and one output pixel and one weight by hand
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    np.testing.assert_allclose(z[1, 2, 5, 7], b[2] + np.sum(w[2] * xp[1, :, 5:8, 7:10]), **TOL)
    want_dw = sum(np.sum(dout[n, 3] * xp[n, 4, 1:33, 2:34]) for n in range(2))
    np.testing.assert_allclose(dw[3, 4, 1, 2], want_dw, **TOL)


# --------------------------------------------------------------------------- random geometries


@settings(max_examples=40, deadline=None)
@given(case=cases(), way=st.sampled_from(ROUTES), chunked=st.booleans(),
       seed=st.integers(0, 2**16))
def test_random_geometry_forward_and_backward_match_reference(case, way, chunked, seed):
    with route(way, chunked):
        check_forward(case, seed)
        check_backward(case, seed)
        check_untouched_exactly_zero(case, seed)


@settings(max_examples=30, deadline=None)
@given(case=cases(), seed=st.integers(0, 2**16))
def test_random_geometry_contributions(case, seed):
    check_contributions(case, seed)


def check_textbook_dw(case: Case, seed: int = 0) -> None:
    x, w, _, dout = case.data(seed)
    parts = [weight_grad_by_correlation(x[n], dout[n], case.kernel, **case.settings)
             for n in range(case.n)]  # one sample each
    want = reference.conv2d_backward(dout, x, w, **case.settings)[1]
    assert parts[0].shape == w.shape
    np.testing.assert_allclose(sum(parts), want, **TOL)


@named
def test_textbook_dw_by_correlation_matches_loop_reference(case):
    check_textbook_dw(case)


@settings(max_examples=30, deadline=None)
@given(case=cases(), seed=st.integers(0, 2**16))
def test_random_geometry_textbook_dw(case, seed):
    check_textbook_dw(case, seed)


def test_textbook_dw_names_a_wrong_dout():
    x, w, _, dout = NAMED["classroom"].data()
    with pytest.raises(ValueError, match="delta must have the forward output's shape"):
        weight_grad_by_correlation(x[0], dout[0, :, 1:], (3, 3), stride=2, padding=1)
    with pytest.raises(ValueError, match="kernel_size"):
        weight_grad_by_correlation(x[0], dout[0], (0, 3), stride=2, padding=1)
    with pytest.raises(ValueError, match=r"x must have 3 dimensions"):
        weight_grad_by_correlation(x, dout[0], (3, 3), stride=2, padding=1)


# --------------------------------------------------------------------------- dtypes


@routes
def test_float32_stays_float32(way):
    case = NAMED["everything-odd"]
    x, w, b, dout = case.data(0, dtype=np.float32)
    with route(way):
        z = conv2d(x, w, b, **case.settings)
        grads = conv2d_backward(dout, x, w, **case.settings)
    contrib = input_grad_contributions(dout[0], w, case.size, **case.settings)
    textbook = input_grad_by_full_convolution(dout[0], w, case.size, **case.settings)
    for array in (z, *grads, contrib, textbook):
        assert array.dtype == np.float32
    np.testing.assert_allclose(z, reference.conv2d(x, w, b, **case.settings), rtol=1e-4,
                               atol=1e-4)


def test_integer_input_becomes_float64():
    x = np.arange(2 * 1 * 4 * 4).reshape(2, 1, 4, 4)
    w = np.ones((1, 1, 2, 2), dtype=int)
    z = conv2d(x, w, [1, 2][:1])
    assert z.dtype == np.float64
    np.testing.assert_array_equal(z, reference.conv2d(x, w, [1]))
    dx, dw, db = conv2d_backward(np.ones(z.shape, dtype=int), x, w)
    assert dx.dtype == dw.dtype == db.dtype == np.float64


def test_mixed_float32_and_float64_gives_float64():
    case = NAMED["classroom"]
    x, w, b, dout = case.data()
    z = conv2d(x.astype(np.float32), w, b, **case.settings)
    assert z.dtype == np.float64
    dx = conv2d_backward(dout, x.astype(np.float32), w.astype(np.float32), **case.settings)[0]
    assert dx.dtype == np.float64


def test_nested_lists_work_like_arrays():
    x = [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]
    w = [[[[1, 0], [0, -1]]]]
    np.testing.assert_array_equal(conv2d(x, w), [[[[-4, -4], [-4, -4]]]])


# --------------------------------------------------------------------------- small pieces


def test_dilate_inserts_stride_minus_one_zeros():
    delta = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(
        dilate(delta, 2), [[1, 0, 2], [0, 0, 0], [3, 0, 4]]
    )
    spread = dilate(delta, (3, 1))
    assert spread.shape == (4, 2)
    np.testing.assert_array_equal(spread, [[1, 2], [0, 0], [0, 0], [3, 4]])
    batch = np.arange(2 * 3 * 2 * 3).reshape(2, 3, 2, 3)
    assert dilate(batch, (2, 3)).shape == (2, 3, 3, 7)
    np.testing.assert_array_equal(dilate(batch, (2, 3))[..., ::2, ::3], batch)
    assert dilate(batch, (2, 3)).sum() == batch.sum()


def test_dilate_by_one_is_an_independent_copy():
    delta = np.arange(6.0).reshape(2, 3)
    same = dilate(delta, 1)
    np.testing.assert_array_equal(same, delta)
    same[0, 0] = 99
    assert delta[0, 0] == 0


def test_dilate_matches_geometry_dilated_output_size():
    g = Geometry((9, 11), (3, 2), stride=(2, 3), padding=1)
    assert dilate(np.ones(g.output_size), g.stride).shape == g.dilated_output_size


def test_rot180_flips_both_axes_and_copies():
    kernel = np.arange(2 * 3 * 2 * 3).reshape(2, 3, 2, 3)
    turned = rot180(kernel)
    np.testing.assert_array_equal(turned, np.rot90(kernel, 2, axes=(2, 3)))
    np.testing.assert_array_equal(rot180(turned), kernel)
    np.testing.assert_array_equal(rot180([[1, 2], [3, 4]]), [[4, 3], [2, 1]])
    turned[0, 0, 0, 0] = -1
    assert kernel[0, 0, 1, 2] == 5


def test_pad_input_adds_zero_border_and_copies():
    x = np.ones((1, 2, 2, 3))
    padded = pad_input(x, (1, 2))
    assert padded.shape == (1, 2, 4, 7)
    assert padded.sum() == x.sum()
    np.testing.assert_array_equal(padded[..., 1:3, 2:5], x)
    same = pad_input(x, 0)
    same[0, 0, 0, 0] = 5
    assert x[0, 0, 0, 0] == 1


# --------------------------------------------------------------------------- torch, the oracle


def _torch():
    """torch, or a skip; `make test` installs it and sets CNNVIZ_REQUIRE_TORCH=1, so there a
    missing torch fails instead of quietly skipping the oracle."""
    if os.environ.get("CNNVIZ_REQUIRE_TORCH") == "1":
        import torch

        return torch
    return pytest.importorskip("torch")


@pytest.mark.parametrize("name", ["classroom", "rectangular", "everything-odd", "batch"])
def test_agrees_with_torch_autograd(name):
    torch = _torch()
    case = NAMED[name]
    x, w, b, dout = case.data(5)
    ours = (conv2d(x, w, b, **case.settings), *conv2d_backward(dout, x, w, **case.settings))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    zt = torch.nn.functional.conv2d(xt, wt, bt, **case.settings)
    zt.backward(torch.tensor(dout))
    theirs = (zt, xt.grad, wt.grad, bt.grad)
    for mine, other in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine, other.detach().numpy(), **TOL)


@routes
@pytest.mark.parametrize("chunked", [False, True])
def test_non_contiguous_inputs(way, chunked):
    """Views (reversed, strided, Fortran-ordered) give the same answers as fresh arrays."""
    case = NAMED["batch"]
    x, w, b, dout = case.data(6)
    big_x = np.zeros((case.n, case.c, case.size[0] * 2, case.size[1] * 2))
    big_x[:, :, ::2, ::2] = x[..., ::-1]
    x_view = big_x[:, :, ::2, ::2][..., ::-1]  # strided and reversed, equal to x
    w_view = np.asfortranarray(w)
    dout_view = np.ascontiguousarray(dout.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    b_view = np.repeat(b, 2)[::2]
    with route(way, chunked):
        got = (conv2d(x_view, w_view, b_view, **case.settings),
               *conv2d_backward(dout_view, x_view, w_view, **case.settings))
    want = (reference.conv2d(x, w, b, **case.settings),
            *reference.conv2d_backward(dout, x, w, **case.settings))
    for mine, theirs in zip(got, want, strict=True):
        np.testing.assert_allclose(mine, theirs, **TOL)
