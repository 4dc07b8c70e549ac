"""Every analytic gradient of the core against central finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from core_cases import NAMED, ROUTES, cases, route
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz import conv2d_backward, conv2d_gradient_errors, input_grad_contributions
from cnnviz.core.gradcheck import numerical_gradient

# central differences at eps=1e-6 on O(1) data: truncation ~eps^2, round-off ~1e-16/eps
LIMIT = 1e-7


@pytest.mark.parametrize("case", list(NAMED.values()), ids=list(NAMED))
@pytest.mark.parametrize("way", ROUTES)
def test_named_geometry_gradients_match_finite_differences(case, way):
    x, w, b, dout = case.data(7)
    with route(way):
        errors = conv2d_gradient_errors(x, w, b, dout, **case.settings)
    assert set(errors) == {"dx", "dw", "db"}
    assert max(errors.values()) < LIMIT, errors


@settings(max_examples=15, deadline=None)
@given(case=cases(max_batch=2, max_channels=2), way=st.sampled_from(ROUTES),
       seed=st.integers(0, 2**16))
def test_random_geometry_gradients_match_finite_differences(case, way, seed):
    x, w, b, dout = case.data(seed)
    with route(way):
        errors = conv2d_gradient_errors(x, w, b, dout, **case.settings)
    assert max(errors.values()) < LIMIT, errors


def test_gradient_errors_catch_a_wrong_gradient(monkeypatch):
    """The check must be able to fail: a gradient off by a factor is reported as large."""
    import cnnviz.core.gradcheck as gradcheck

    case = NAMED["classroom"]
    x, w, b, dout = case.data(1)

    def doubled_dx(*args, **kwargs):
        dx, dw, db = conv2d_backward(*args, **kwargs)
        return 2 * dx, dw, db

    monkeypatch.setattr(gradcheck, "conv2d_backward", doubled_dx)
    errors = gradcheck.conv2d_gradient_errors(x, w, b, dout, **case.settings)
    assert errors["dx"] > 1e-3 and errors["dw"] < LIMIT and errors["db"] < LIMIT


def test_contributions_summed_are_the_finite_difference_dx_per_sample():
    case = NAMED["everything-odd"]
    x, w, b, dout = case.data(2)
    for n in range(case.n):
        contrib = input_grad_contributions(dout[n], w, case.size, **case.settings)

        def loss(x_n, n=n):
            from cnnviz import conv2d

            return float(np.sum(conv2d(x_n[None], w, b, **case.settings)[0] * dout[n]))

        numeric = numerical_gradient(loss, x[n])
        np.testing.assert_allclose(contrib.sum(axis=0), numeric, atol=LIMIT)


def test_numerical_gradient_of_a_known_function():
    at = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad = numerical_gradient(lambda v: float(np.sum(v**3) + v[0, 1] * v[1, 0]), at)
    want = 3 * at**2 + np.array([[0, at[1, 0]], [at[0, 1], 0]])
    np.testing.assert_allclose(grad, want, atol=1e-6)


def test_numerical_gradient_leaves_its_input_alone():
    at = np.arange(4.0)
    copy = at.copy()
    at.setflags(write=False)
    numerical_gradient(lambda v: float(v @ v), at)
    np.testing.assert_array_equal(at, copy)


def test_numerical_gradient_of_float32_and_int_points_is_float64():
    assert numerical_gradient(lambda v: float(v.sum()), np.ones(3, np.float32)).dtype == np.float64
    np.testing.assert_allclose(numerical_gradient(lambda v: float(v @ v), [1, 2]), [2, 4])


@pytest.mark.parametrize("eps", [0, -1e-6, float("nan")])
def test_numerical_gradient_refuses_bad_eps(eps):
    with pytest.raises(ValueError, match="eps"):
        numerical_gradient(lambda v: 0.0, np.ones(2), eps=eps)


def test_numerical_gradient_refuses_a_non_callable():
    with pytest.raises(TypeError, match="loss"):
        numerical_gradient(3.0, np.ones(2))


@pytest.mark.parametrize("eps", ["1e-6", None, True])
def test_numerical_gradient_refuses_a_non_number_eps(eps):
    with pytest.raises(TypeError, match="eps"):
        numerical_gradient(lambda v: 0.0, np.ones(2), eps=eps)


@pytest.mark.parametrize("at", [["a", "b"], None, [[1, 2], [3]]], ids=["str", "None", "ragged"])
def test_numerical_gradient_refuses_a_non_numeric_point(at):
    with pytest.raises(TypeError, match="at"):
        numerical_gradient(lambda v: 0.0, at)


def test_numerical_partials_differences_only_the_chosen_entries():
    from cnnviz.core.gradcheck import numerical_partials

    calls = []

    def loss(v):
        calls.append(1)
        return float(np.sum(v**2))

    at = np.arange(6.0).reshape(2, 3)
    partials = numerical_partials(loss, at, [5, 0])
    np.testing.assert_allclose(partials, [10.0, 0.0], atol=1e-6)
    assert len(calls) == 4  # two loss calls per chosen entry, none for the others
    with pytest.raises(ValueError, match="entries"):
        numerical_partials(loss, at, [6])
