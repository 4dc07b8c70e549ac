"""Every displayed formula equals what the code computes, and a wrong symbol fails a test.

Three routes per formula: the formula's own evaluation (its operator tree), the loop oracle
``tests/reference.py`` and the core; plus the printed LaTeX read back by
``tests/latex_checker.py``, which maps each symbol to a ``scipy.signal`` routine on its own.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import reference
from latex_checker import evaluate_latex
from matplotlib.mathtext import MathTextParser
from scipy import signal

import cnnviz
from cnnviz.core import maps2d, notation
from cnnviz.core.activations import derivative
from cnnviz.lessons.formulas import FORMULAS, formula, formula_markdown

# (H, W), kernel, stride, padding, dilation: stride 2, padding, dilation 2, uneven crops
GEOMETRIES = [
    ((6, 6), 3, 2, 0, 1),  # dW before the crop is 4x4: (6 - 3) is not a multiple of 2
    ((7, 7), 3, 2, 1, 1),
    ((7, 7), 3, 1, 0, 2),
    ((8, 9), 2, 3, 1, 2),
    ((5, 6), 3, 1, 1, 1),
    ((7, 6), (3, 2), (2, 1), (1, 0), (1, 2)),
]
IDS = [f"H{g[0]}-k{g[1]}-s{g[2]}-p{g[3]}-d{g[4]}" for g in GEOMETRIES]


def _case(geometry, seed=0):
    size, kernel, stride, padding, dilation = geometry
    kh, kw = reference.pair(kernel)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3, *size))  # (C, H, W)
    w = rng.normal(size=(2, 3, kh, kw))  # (K, C, kh, kw)
    b = rng.normal(size=2)
    settings = dict(stride=stride, padding=padding, dilation=dilation)
    z = reference.conv2d(x[None], w, b, **settings)[0]  # (K, Ho, Wo)
    delta = rng.normal(size=z.shape)
    below = rng.normal(size=x.shape)  # the layer below's pre-activation
    return x, w, b, z, delta, below, settings


def _sizes(geometry):
    size, kernel, stride, padding, dilation = geometry
    return dict(input_size=size, kernel_size=kernel, stride=stride, padding=padding,
                dilation=dilation)


def _scipy_dilate(m, step):
    sh, sw = reference.pair(step)
    out = np.zeros(((m.shape[0] - 1) * sh + 1, (m.shape[1] - 1) * sw + 1))
    out[::sh, ::sw] = m
    return out


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=IDS)
def test_z_three_routes(geometry):
    x, w, b, z, _, _, settings = _case(geometry)
    (sh, sw), (ph, pw) = reference.pair(settings["stride"]), reference.pair(settings["padding"])
    by_scipy = np.stack([
        b[k] + sum(
            signal.correlate2d(np.pad(x[c], ((ph, ph), (pw, pw))),
                               _scipy_dilate(w[k, c], settings["dilation"]), "valid")
            for c in range(3))[::sh, ::sw]
        for k in range(2)])
    mine = FORMULAS["z"].evaluate(x=x, w=w, b=b, **settings)
    core = cnnviz.conv2d(x[None], w, b, **settings)[0]
    for other in (by_scipy, core):
        np.testing.assert_allclose(mine, other, atol=1e-12)
    np.testing.assert_allclose(mine, z, atol=1e-12)


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=IDS)
def test_backward_formulas_three_routes(geometry):
    x, w, _, _, delta, below, settings = _case(geometry)
    dx_loop, dw_loop, db_loop = reference.conv2d_backward(delta[None], x[None], w, **settings)
    dx_core, dw_core, db_core = cnnviz.conv2d_backward(delta[None], x[None], w, **settings)
    for form in range(len(FORMULAS["dx"].forms)):
        dx = FORMULAS["dx"].evaluate(form=form, delta=delta, w=w, input_size=x.shape[1:],
                                     **settings)
        np.testing.assert_allclose(dx, dx_loop[0], atol=1e-12)
        np.testing.assert_allclose(dx, dx_core[0], atol=1e-12)
    dw = FORMULAS["dw"].evaluate(x=x, delta=delta, kernel_size=w.shape[2:], **settings)
    np.testing.assert_allclose(dw, dw_loop, atol=1e-12)
    np.testing.assert_allclose(dw, dw_core, atol=1e-12)
    parts = FORMULAS["contribution"].evaluate(delta=delta, w=w, input_size=x.shape[1:],
                                              **settings)
    np.testing.assert_allclose(
        parts, reference.grad_contributions(delta, w, x.shape[1:], **settings), atol=1e-12)
    np.testing.assert_allclose(parts.sum(axis=0), dx_loop[0], atol=1e-12)
    db = FORMULAS["db"].evaluate(delta=delta)
    np.testing.assert_allclose(db, db_loop, atol=1e-12)
    np.testing.assert_allclose(db, db_core, atol=1e-12)
    below_delta = FORMULAS["delta_below"].evaluate(delta=delta, w=w, z=below,
                                                   activation="tanh", **settings)
    np.testing.assert_allclose(below_delta, dx_loop[0] * (1 - np.tanh(below) ** 2), atol=1e-12)


@pytest.mark.parametrize("size", [(5, 5), (6, 4)])
def test_one_channel_formulas_against_scipy_and_loops(size):
    _, w, _, _, delta, below, _ = _case((size, 3, 1, 0, 1))
    truth = reference.grad_contributions(delta[:1], w[:1, :1], size)[0, 0]
    for form in range(2):
        got = FORMULAS["dx_1ch"].evaluate(form=form, delta=delta[0], w=w[0, 0])
        np.testing.assert_allclose(got, truth, atol=1e-12)
        below_delta = FORMULAS["delta_below_1ch"].evaluate(
            form=form, delta=delta[0], w=w[0, 0], z=below[0], activation="relu")
        np.testing.assert_allclose(below_delta, truth * (below[0] > 0), atol=1e-12)
    np.testing.assert_allclose(signal.convolve2d(delta[0], w[0, 0], "full"), truth, atol=1e-12)
    twice = signal.convolve2d(delta[0], w[0, 0][::-1, ::-1], "full")  # ∗ with rot180
    assert not np.allclose(twice, truth)


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=IDS)
def test_size_formulas_against_counting_and_core(geometry):
    sizes = _sizes(geometry)
    out = FORMULAS["output_size"].evaluate(**sizes)
    g = cnnviz.Geometry(**sizes)
    assert out == reference.output_size(**sizes) == g.output_size
    kept = {k: v for k, v in sizes.items() if k != "input_size"}
    assert FORMULAS["dilated_size"].evaluate(output_size=out, stride=sizes["stride"]) == (
        g.dilated_output_size)
    extra = FORMULAS["output_padding"].evaluate(**sizes)
    back = FORMULAS["transposed_size"].evaluate(output_size=out, output_padding=extra, **kept)
    assert back == tuple(reference.pair(sizes["input_size"]))
    # the conv-arithmetic recipe, by hand: dilate, pad k_eff - p - 1, add output padding
    x, w, _, _, delta, _, settings = _case(geometry)
    e = [d * (k - 1) + 1 for d, k in zip(reference.pair(sizes["dilation"]), w.shape[2:],
                                          strict=True)]
    spread = _scipy_dilate(delta[0], sizes["stride"])
    assert tuple(n + 2 * (ei - p - 1) - ei + 1 + a for n, ei, p, a in zip(
        spread.shape, e, reference.pair(sizes["padding"]), extra, strict=True)) == back


@pytest.mark.parametrize("name", sorted(FORMULAS))
@pytest.mark.parametrize("geometry", GEOMETRIES[:4], ids=IDS[:4])
def test_printed_latex_computes_the_same(name, geometry):
    """The LaTeX a learner reads, computed symbol by symbol with scipy, equals the formula."""
    values = _arguments(name, geometry)
    expected = FORMULAS[name].evaluate(**values)
    for side in evaluate_latex(FORMULAS[name].latex, **values):
        np.testing.assert_allclose(np.asarray(side, float), np.asarray(expected, float),
                                   atol=1e-12)


def _arguments(name, geometry):
    x, w, b, _, delta, below, settings = _case(geometry)
    sizes = _sizes(geometry)
    out = cnnviz.Geometry(**sizes).output_size
    return {
        "z": dict(x=x, w=w, b=b, **settings),
        "dx": dict(delta=delta, w=w, input_size=x.shape[1:], **settings),
        "delta_below": dict(delta=delta, w=w, z=below, activation="tanh", **settings),
        "dw": dict(x=x, delta=delta, kernel_size=w.shape[2:], **settings),
        "db": dict(delta=delta),
        "dx_1ch": dict(delta=delta[0], w=w[0, 0]),
        "contribution": dict(delta=delta, w=w, input_size=x.shape[1:], **settings),
        "delta_below_1ch": dict(delta=delta[0], w=w[0, 0], activation="tanh", z=np.resize(
            below, np.add(delta.shape[1:], w.shape[2:]) - 1)),
        "output_size": sizes,
        "output_padding": sizes,
        "dilated_size": dict(output_size=out, stride=sizes["stride"]),
        "transposed_size": dict(output_size=out, output_padding=(1, 0), kernel_size=sizes[
            "kernel_size"], stride=sizes["stride"], padding=sizes["padding"],
            dilation=sizes["dilation"]),
    }[name]


DX_FLIP = r"\mathrm{rot180}\left(\mathrm{dilate}_{d}\left(w_{k,c}\right)\right)"
MISTAKES = [  # (formula, printed text, the wrong text a careless edit would put there)
    ("dx", r"\star_{\mathrm{full}}", r"\ast_{\mathrm{full}}"),  # δ ∗ rot180(w): flipped twice
    ("dx", DX_FLIP, r"\mathrm{dilate}_{d}\left(w_{k,c}\right)"),  # rot180 dropped
    ("dx", r"\mathrm{crop}_{p}", r"\mathrm{crop}_{0}"),  # padding crop dropped
    ("dx", r"\mathrm{dilate}_{s}\left(\delta_{k}\right)", r"\delta_{k}"),  # stride forgotten
    ("delta_below", r"\star_{\mathrm{full}}", r"\ast_{\mathrm{full}}"),
    ("dx_1ch", r"\star_{\mathrm{full}}", r"\ast_{\mathrm{full}}"),
    ("delta_below_1ch", r"\star_{\mathrm{full}}", r"\ast_{\mathrm{full}}"),
    ("delta_below_1ch", r"\mathrm{rot180}\left(w^{l+1}\right)", "w^{l+1}"),
    ("z", r"\star", r"\ast"),
    ("z", r"\mathrm{pad}_{p}\left(x_{c}\right)", "x_{c}"),  # zero padding left implicit
    ("dw", r"\star", r"\ast"),
    ("dw", r"\mathrm{crop}_{0}^{d \left(k_h - 1\right) + 1}", r"\mathrm{crop}_{0}^{H}"),
    ("output_size", "2p", "p"),
    ("transposed_size", "+ a", "- a"),
]


@pytest.mark.parametrize("name, right, wrong", MISTAKES)
def test_a_wrong_symbol_fails(name, right, wrong):
    """The edit that :func:`test_printed_latex_computes_the_same` must catch, caught."""
    latex = FORMULAS[name].latex
    assert right in latex
    caught = []
    for geometry in GEOMETRIES[:4]:
        values = _arguments(name, geometry)
        expected = np.asarray(FORMULAS[name].evaluate(**values), float)
        side = np.asarray(evaluate_latex(latex.replace(right, wrong, 1), **values)[0], float)
        caught.append(side.shape != expected.shape or not np.allclose(side, expected))
    assert any(caught), f"{wrong!r} in place of {right!r} went unnoticed"


def _swap(node, old, new):
    """A copy of a formula tree with every ``Slide`` of kind ``old`` turned into ``new``."""
    if not dataclasses.is_dataclass(node):
        return node
    changes = {f.name: _swap(getattr(node, f.name), old, new) for f in dataclasses.fields(node)}
    if isinstance(node, notation.Slide) and node.op == old:
        changes["op"] = new
    return dataclasses.replace(node, **changes)


@pytest.mark.parametrize("name", ["z", "dx", "dw"])
def test_symbol_and_routine_come_from_one_node(name):
    """Changing ⋆ to ∗ in the tree changes the printed symbol *and* the number together."""
    entry = FORMULAS[name]
    swapped = dataclasses.replace(entry, forms=(_swap(entry.forms[0], "correlate", "convolve"),))
    values = _arguments(name, ((7, 7), 3, 2, 1, 1))
    assert r"\ast" in swapped.latex and "∗" in swapped.text
    assert not np.allclose(swapped.evaluate(**values), entry.evaluate(**values))
    np.testing.assert_allclose(evaluate_latex(swapped.latex, **values)[0],
                               swapped.evaluate(**values), atol=1e-12)


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_every_form_renders(name):
    entry = formula(name)
    MathTextParser("path").parse(entry.mathtext)  # matplotlib draws it (the handout)
    assert entry.latex.count(r"\star") == entry.text.count("⋆")
    assert entry.latex.count(r"\ast") == entry.text.count("∗")
    assert entry.latex.count("rot180") == entry.text.count("rot180")
    assert entry.latex in formula_markdown(name)
    assert set(FORMULAS) >= {"z", "dx", "delta_below", "dw", "db", "output_size",
                             "dilated_size", "transposed_size"}


def test_dx_says_correlate_rot180_or_convolve_unrotated():
    latex = FORMULAS["dx"].latex
    assert r"\star_{\mathrm{full}} \mathrm{rot180}" in latex
    assert r"\ast_{\mathrm{full}} \mathrm{dilate}_{d}\left(w_{k,c}\right)" in latex
    assert latex.count("rot180") == 1  # never ∗ together with rot180


def test_core_routines_match_scipy():
    rng = np.random.default_rng(3)
    image, kernel = rng.normal(size=(5, 6)), rng.normal(size=(2, 3))
    for full, mode in ((False, "valid"), (True, "full")):
        np.testing.assert_allclose(maps2d.correlate_2d(image, kernel, full=full),
                                   signal.correlate2d(image, kernel, mode), atol=1e-12)
        np.testing.assert_allclose(maps2d.convolve_2d(image, kernel, full=full),
                                   signal.convolve2d(image, kernel, mode), atol=1e-12)


def test_arguments_are_named_when_wrong():
    with pytest.raises(TypeError, match="delta"):
        FORMULAS["dx"].evaluate(w=np.ones((1, 1, 2, 2)), input_size=3)
    with pytest.raises(TypeError, match="bogus"):
        FORMULAS["db"].evaluate(delta=np.ones((1, 2, 2)), bogus=1)
    with pytest.raises(ValueError, match="delta"):
        FORMULAS["db"].evaluate(delta=np.ones((2, 2)))
    with pytest.raises(ValueError, match="name"):
        formula("dW")
    x = np.ones((1, 3, 3))
    before = x.copy()
    FORMULAS["z"].evaluate(x=x, w=np.ones((1, 1, 2, 2)), b=np.zeros(1))
    assert np.array_equal(x, before)


def test_slope_matches_the_core_activation():
    z = np.linspace(-2, 2, 9).reshape(1, 3, 3)
    w, delta = np.ones((1, 1, 1, 1)), np.ones((1, 3, 3))
    for name in ("relu", "tanh", "sigmoid", "identity"):
        got = FORMULAS["delta_below"].evaluate(delta=delta, w=w, z=z, activation=name)
        np.testing.assert_allclose(got, derivative(name, z), atol=1e-12)


def test_the_blog_notation_says_the_same_in_its_own_symbols():
    from cnnviz.core.conventions import backward_side_by_side, in_blog_notation

    values = _arguments("delta_below_1ch", GEOMETRIES[0])
    expected = FORMULAS["delta_below_1ch"].evaluate(**values)
    (_, ours, _), (_, blog, _) = backward_side_by_side()
    assert r"\ast_{\mathrm{full}} \mathrm{rot180}" in blog  # the blog's line, as it prints it
    np.testing.assert_allclose(evaluate_latex(blog, blog=True, **values)[0], expected, atol=1e-12)
    # read with the libraries' ∗ (which flips), the blog's line is wrong: the 13 places
    assert not np.allclose(evaluate_latex(blog, **values)[0], expected)
    with pytest.raises(ValueError, match="convolves"):
        in_blog_notation(dataclasses.replace(FORMULAS["dx_1ch"],
                                             forms=FORMULAS["dx_1ch"].forms[1:]))
