"""Lesson 7's maths (cnnviz.lessons.network) against the layers and NumPy's own index maths."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.lessons import network as N
from cnnviz.nn import MaxPool2D, softmax, softmax_cross_entropy


@pytest.mark.parametrize(("size", "shape"), [(2, (3, 6, 8)), (3, (2, 7, 10)), (2, (1, 5, 5))])
def test_maxpool_by_definition_is_the_layer_even_with_ties(size, shape):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 3, shape).astype(float)  # many ties
    layer = MaxPool2D(size)
    out = layer.forward(x[None])[0]
    delta = rng.normal(size=out.shape)
    np.testing.assert_array_equal(
        N.maxpool_backward_by_definition(x, delta, size), layer.backward(delta[None])[0]
    )


def test_flat_and_unflatten_are_numpys_c_order():
    shape = (3, 4, 5)
    for f in range(60):
        assert N.unflatten_index(f, shape) == tuple(int(v) for v in np.unravel_index(f, shape))
        assert N.flat_index(*N.unflatten_index(f, shape), shape) == f


def test_batch_delta_is_the_losses_gradient():
    rng = np.random.default_rng(2)
    logits, labels = rng.normal(size=(5, 8)), np.array([0, 7, 3, 3, 1])
    np.testing.assert_allclose(
        N.batch_delta_at_loss(softmax(logits), labels), softmax_cross_entropy(logits, labels)[1]
    )


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"delta must be \(1, 2, 2\)"):
        N.maxpool_backward_by_definition(np.zeros((1, 4, 4)), np.zeros((1, 3, 3)), 2)
    with pytest.raises(ValueError, match="size must be >= 1"):
        N.maxpool_backward_by_definition(np.zeros((1, 4, 4)), np.zeros((1, 2, 2)), 0)
    with pytest.raises(ValueError, match=r"labels must be \(2,\)"):
        N.batch_delta_at_loss(np.ones((2, 3)) / 3, np.array([0]))


def _as_python(latex: str) -> str:
    """The displayed LaTeX of lesson 07's index and loss formulas, read back as Python."""
    for old, new in [
        (r"\lfloor", "(("), (r"\rfloor", ")//1)"), (r"\bmod", "%"), (r"\cdot", "*"),
        (r"\mathrm{onehot}", "onehot"), (r"\ ", " "), ("H W", "(H*W)"), ("HW", "(H*W)"),
    ]:  # fmt: skip
        latex = latex.replace(old, new)
    return latex.split("=", 1)[1]


def test_the_displayed_index_and_loss_formulas_compute_what_the_code_does():
    """A wrong symbol in lesson 07's flatten, unflatten or loss formula fails here."""
    from cnnviz.lessons import network as N

    shape = (3, 4, 5)
    for c, i, j in [(0, 0, 0), (1, 2, 3), (2, 3, 4)]:
        f = N.flat_index(c, i, j, shape)
        assert eval(_as_python(N.FORMULAS["flat"]), {"c": c, "i": i, "j": j, "H": 4, "W": 5}) == f
        shown = eval(_as_python(N.FORMULAS["unflat"]), {"f": f, "H": 4, "W": 5})
        assert tuple(int(v) for v in shown) == N.unflatten_index(f, shape) == (c, i, j)
    p, labels = np.array([[0.2, 0.8], [0.6, 0.4]]), np.array([1, 0])
    names = {"p": p, "y": labels, "B": 2, "onehot": lambda y: np.eye(2)[y]}
    shown = eval(_as_python(N.FORMULAS["loss"]), names)
    assert np.allclose(shown, N.batch_delta_at_loss(p, labels))
    wrong = N.FORMULAS["flat"].replace(r"i \cdot W + j", r"j \cdot W + i")
    assert eval(_as_python(wrong), {"c": 1, "i": 2, "j": 3, "H": 4, "W": 5}) != 33
