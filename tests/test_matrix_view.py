"""The matrix view and the backward-as-forward-convolution, against the core, loops and scipy.

The conv-arithmetic recipe (insert s − 1 zeros, pad e − p − 1, add output_padding) is built on
scipy alone, so it checks ``dx`` independently of ``input_grad_contributions``.
"""

from __future__ import annotations

import numpy as np
import pytest
import reference

import cnnviz
from cnnviz.lessons import matrix_view as M
from cnnviz.lessons.stride import output_padding_for

GEOMETRIES = [(6, 3, 2, 0, 1), (7, 3, 2, 1, 1), (7, 3, 1, 0, 2), (8, 2, 3, 1, 2),
              (5, 3, 1, 1, 1), (5, 3, 1, 3, 1), (7, 3, 2, 2, 1)]


def _case(size, kernel, stride, padding, dilation):
    g = cnnviz.Geometry(size, kernel, stride=stride, padding=padding, dilation=dilation)
    rng = np.random.default_rng(size * 7 + kernel)
    x, w = rng.normal(size=(3, size, size)), rng.normal(size=(2, 3, kernel, kernel))
    delta = rng.normal(size=(2, *g.output_size))
    settings = dict(stride=stride, padding=padding, dilation=dilation)
    return g, x, w, delta, settings


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_matrix_view_gives_the_explorers_numbers(geometry):
    g, x, w, delta, settings = _case(*geometry)
    dx_loop, dw_loop, _ = reference.conv2d_backward(delta[None], x[None], w, **settings)
    dx_core, dw_core, _ = cnnviz.conv2d_backward(delta[None], x[None], w, **settings)
    z_loop = reference.conv2d(x[None], w, **settings)[0]
    np.testing.assert_allclose(M.z_by_matrix(x, w, g), z_loop, atol=1e-12)
    for dx in (M.input_grad_by_matrix(delta, w, g), M.backward_as_forward_conv(delta, w, g)):
        np.testing.assert_allclose(dx, dx_loop[0], atol=1e-12)
        np.testing.assert_allclose(dx, dx_core[0], atol=1e-12)
    np.testing.assert_allclose(M.weight_grad_by_matrix(x, delta, g), dw_loop, atol=1e-12)
    np.testing.assert_allclose(M.weight_grad_by_matrix(x, delta, g), dw_core, atol=1e-12)


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_backward_is_the_transposed_matrix(geometry):
    g, x, w, delta, _ = _case(*geometry)
    matrix = M.forward_matrix(w, g)  # (K·Ho·Wo, C·H·W)
    np.testing.assert_allclose(matrix @ x.ravel(), M.z_by_matrix(x, w, g).ravel(), atol=1e-12)
    np.testing.assert_allclose((matrix.T @ delta.ravel()).reshape(x.shape),
                               M.input_grad_by_matrix(delta, w, g), atol=1e-12)


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_conv_arithmetic_recipe_matches_core_and_loops(geometry):
    g, x, w, delta, settings = _case(*geometry)
    recipe = M.conv_arithmetic_transposed(delta, w, g, output_padding_for(g))
    dx_loop = reference.conv2d_backward(delta[None], x[None], w, **settings)[0][0]
    np.testing.assert_allclose(recipe, dx_loop, atol=1e-12)
    np.testing.assert_allclose(recipe, cnnviz.conv2d_backward(delta[None], x[None], w,
                                                              **settings)[0][0], atol=1e-12)


def test_forgetting_the_output_padding_or_the_flip_is_caught():
    g, x, w, delta, settings = _case(6, 3, 2, 0, 1)
    dx = reference.conv2d_backward(delta[None], x[None], w, **settings)[0][0]
    assert M.conv_arithmetic_transposed(delta, w, g, (0, 0)).shape != dx.shape
    no_flip = M.backward_as_forward_conv(delta, w[..., ::-1, ::-1], g)  # rot180 twice
    assert not np.allclose(no_flip, dx)


def test_arguments_are_checked():
    g, x, w, delta, _ = _case(7, 3, 2, 1, 1)
    with pytest.raises(ValueError, match="delta"):
        M.input_grad_by_matrix(delta[:, :2], w, g)
    with pytest.raises(TypeError, match="geometry"):
        M.im2col(x, (7, 3))
    before = delta.copy()
    M.backward_as_forward_conv(delta, w, g)
    assert np.array_equal(before, delta)
