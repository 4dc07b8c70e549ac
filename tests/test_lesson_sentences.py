"""The lessons' sentences about the geometry, recomputed from their words with scipy and loops.

Each sentence of :mod:`cnnviz.lessons.sentences` is read back (its numbers, and the route it
names: ⋆ or ∗, with rot180 or not) and the route is run with ``scipy.signal`` or with the loop
oracle of tests/reference.py, over stride 1–4, padding 0–3, dilation 1–3, rectangular inputs and
kernels. The old sentences are run the same way and shown to fail, so these tests can fail.
"""

from __future__ import annotations

import re
from math import gcd

import numpy as np
import pytest
import reference
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import convolve2d, correlate2d

from cnnviz.core.geometry import Geometry
from cnnviz.lessons import sentences as S
from cnnviz.lessons.handout_depth import depth_example, depth_lines
from cnnviz.lessons.stride import output_padding_for, same_stride_attempt

SETTINGS = settings(max_examples=40, deadline=None)


def _spread(values: np.ndarray, step: tuple[int, int]) -> np.ndarray:
    """``step − 1`` zeros between neighbours, written here (not the core's dilate)."""
    out = np.zeros(((values.shape[0] - 1) * step[0] + 1, (values.shape[1] - 1) * step[1] + 1))
    out[:: step[0], :: step[1]] = values
    return out


@st.composite
def geometries(draw, padding=True, dilation=True):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    s = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    p = (draw(st.integers(0, 3)), draw(st.integers(0, 3))) if padding else (0, 0)
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) if dilation else (1, 1)
    e = (d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1)
    h = draw(st.integers(max(1, e[0] - 2 * p[0]), e[0] + 9))
    w = draw(st.integers(max(1, e[1] - 2 * p[1]), e[1] + 9))
    return Geometry((h, w), (kh, kw), stride=s, padding=p, dilation=d)


# ------------------------------------------------------------------------------ dW and its crop


def _numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)]


@SETTINGS
@given(geometries(), st.integers(0, 2**32 - 1))
def test_the_dw_crop_sentence_holds_against_scipy_and_the_loops(g, seed):
    rng = np.random.default_rng(seed)
    (h, w), (kh, kw), (ph, pw) = g.input_size, g.kernel_size, g.padding
    ho, wo = reference.output_size(g.input_size, g.kernel_size, g.stride, g.padding, g.dilation)
    x, delta = rng.standard_normal((h, w)), rng.standard_normal((ho, wo))
    corr = correlate2d(np.pad(x, ((ph, ph), (pw, pw))), _spread(delta, g.stride), "valid")
    extent = (g.dilation[0] * (kh - 1) + 1, g.dilation[1] * (kw - 1) + 1)
    text = S.dw_crop_sentence(g)
    stated = re.search(r"dilate_s\(δ\) is (\d+)×(\d+)", text).groups()
    assert tuple(map(int, stated)) == corr.shape == S.correlation_size(g)
    assert S.dw_needs_crop(g) == (corr.shape[0] > extent[0], corr.shape[1] > extent[1])
    for left, right, modulus, extra in re.findall(r"\((\d+) − (\d+)\) mod (\d+) = (\d+)", text):
        assert (int(left) - int(right)) % int(modulus) == int(extra)
        assert int(extra) in {corr.shape[0] - extent[0], corr.shape[1] - extent[1]}
    # the crop the sentence names, then every d-th: the loops' dW
    dw = reference.conv2d_backward(delta[None, None], x[None, None], np.zeros((1, 1, kh, kw)),
                                   g.stride, g.padding, g.dilation)[1][0, 0]  # fmt: skip
    if any(S.dw_needs_crop(g)):
        rows, cols = re.search(r"keeps rows 0–(\d+) and columns 0–(\d+)", text).groups()
        assert (int(rows) + 1, int(cols) + 1) == extent
    assert np.allclose(corr[: extent[0], : extent[1]][:: g.dilation[0], :: g.dilation[1]], dw)


@SETTINGS
@given(geometries())
def test_the_extra_row_reads_the_rows_the_sentence_names(g):
    """Which padded input rows move the correlation's first extra row, found by poking each."""
    if not S.dw_needs_crop(g)[0]:
        assert S.extra_row_inputs(g) == []
        return
    hp, wp = g.padded_size
    e, (ho, wo) = g.kernel_extent[0], g.output_size
    ones = _spread(np.ones((ho, wo)), g.stride)
    feeding = []
    for row in range(hp):
        poke = np.zeros((hp, wp))
        poke[row] = 1.0
        if correlate2d(poke, ones, "valid")[e].any():
            feeding.append(row)
    assert S.extra_row_inputs(g) == feeding
    text = S.dw_crop_sentence(g)
    assert f"padded input rows {', '.join(map(str, feeding))}" in text or len(feeding) == 1
    read_by_windows = [r for r in feeding if any(
        i * g.stride[0] + u * g.dilation[0] == r
        for i in range(ho) for u in range(g.kernel_size[0]))]  # fmt: skip
    said = re.search(r"of which windows read rows? ([\d, ]+)\.", text)
    if read_by_windows and g.input_size[0] == g.input_size[1] and g.kernel_size[0] == \
            g.kernel_size[1] and g.stride[0] == g.stride[1] and g.padding[0] == g.padding[1] \
            and g.dilation[0] == g.dilation[1]:
        assert said and _numbers(said.group(1)) == read_by_windows


def test_the_old_crop_rules_fail_where_the_new_one_holds():
    """The lesson's old rule (H + 2p − k a multiple of s) and the note's (H + 2p − d(kh − 1))
    disagree with scipy; the predicate agrees everywhere."""
    old_lesson = lambda n, p, k, s, d: (n + 2 * p - k) % s != 0  # noqa: E731
    old_note = lambda n, p, k, s, d: (n + 2 * p - d * (k - 1)) % s != 0  # noqa: E731
    wrong = {"lesson": 0, "note": 0}
    for n in range(3, 10):
        for k in range(1, 4):
            for s in range(1, 5):
                for p in range(0, 3):
                    for d in range(1, 4):
                        if d * (k - 1) + 1 > n + 2 * p:
                            continue
                        g = Geometry(n, k, stride=s, padding=p, dilation=d)
                        ho = g.output_size[0]
                        truth = correlate2d(np.zeros((n + 2 * p, 1)),
                                            np.ones(((ho - 1) * s + 1, 1)), "valid").shape[0]
                        crop = truth > d * (k - 1) + 1
                        assert S.dw_needs_crop(g)[0] == crop
                        wrong["lesson"] += old_lesson(n, p, k, s, d) != crop
                        wrong["note"] += old_note(n, p, k, s, d) != crop
    assert wrong["lesson"] > 0 and wrong["note"] > 0
    assert S.dw_needs_crop(Geometry(6, 3, stride=2)) == (True, True)  # the example


def test_the_crop_rule_states_the_predicate():
    rule = S.dw_crop_rule()
    assert "(H + 2p − e) mod s" in rule and "e = d(kh − 1) + 1" in rule
    assert "no window read" not in rule and "no tap" in rule


# ----------------------------------------------------------------------- lesson 03: the routes


def _pair(step: str) -> tuple[int, int]:
    numbers = _numbers(step)
    return (numbers[0], numbers[-1])


def _run_route(text: str, delta: np.ndarray, w: np.ndarray, g: Geometry) -> np.ndarray:
    """The map a sentence's first route names, computed with scipy as the words say."""
    step = r"(\d+|\(\d+,\d+\))"
    route = re.search(rf"full (correlation|convolution) [⋆∗]? ?of (?:the )?(dilate_{step}\(δ\)|"
                      rf"dilated delta)\S* (?:\(\d+×\d+\) )?with (rot180\()?(dilate_{step}\()?w",
                      text)  # fmt: skip
    op, turned, dil = route.group(1), route.group(4) is not None, route.group(6)
    kernel = _spread(w, _pair(dil)) if dil else w
    kernel = kernel[::-1, ::-1] if turned else kernel
    slide = correlate2d if op == "correlation" else convolve2d
    return slide(_spread(delta, g.stride), kernel, "full")


@SETTINGS
@given(geometries(), st.integers(0, 2**32 - 1))
def test_the_stride_route_sentence_recomputes_dx(g, seed):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(g.kernel_size)
    delta = rng.standard_normal(g.output_size)
    dx = reference.conv2d_backward(delta[None, None], np.zeros((1, 1, *g.input_size)),
                                   w[None, None], g.stride, g.padding, g.dilation)[0][0, 0]
    text = S.stride_route_sentence(g)
    full = _run_route(text, delta, w, g)
    stated = re.search(r"gives a (\d+)×(\d+) map", text).groups()
    assert tuple(map(int, stated)) == full.shape
    # "the same as a full convolution ∗ of it with (dilate_d(w)) as it is"
    dense = _spread(w, g.dilation)
    assert np.allclose(convolve2d(_spread(delta, g.stride), dense, "full"), full)
    (ph, pw), (h, wd) = g.padding, g.input_size
    if "lies in the padding" in text:
        assert not dx.any() and not full[ph : ph + h, pw : pw + wd].any()
        return
    rows, cols = (_numbers(v)[-1] for v in re.search(r"rows ([\d–]+) and columns ([\d–]+)",
                                                      text).groups())  # fmt: skip
    assert np.allclose(full[ph : ph + rows + 1, pw : pw + cols + 1], dx[: rows + 1, : cols + 1])
    assert not dx[rows + 1 :].any() and not dx[:, cols + 1 :].any()
    reads = reference.reads(g.input_size, g.kernel_size, g.stride, g.padding, g.dilation)
    assert ("nothing: no window read" in text) == (rows + 1 < h or cols + 1 < wd)
    assert not reads[rows + 1 :].any() and not reads[:, cols + 1 :].any()  # "no window read"


def test_the_old_route_wording_turns_the_kernel_twice():
    g = Geometry(6, 3, stride=2)
    rng = np.random.default_rng(3)
    w, delta = rng.standard_normal((3, 3)), rng.standard_normal((2, 2))
    dx = reference.conv2d_backward(delta[None, None], np.zeros((1, 1, 6, 6)), w[None, None],
                                   2)[0][0, 0]  # fmt: skip
    old = "a plain stride-1 full convolution of the dilated delta (3×3) with rot180(w)"
    assert not np.allclose(_run_route(old, delta, w, g), dx[:5, :5])
    assert np.allclose(_run_route(S.stride_route_sentence(g), delta, w, g), dx[:5, :5])


@SETTINGS
@given(geometries(padding=False, dilation=False), st.integers(0, 2**32 - 1))
def test_the_same_stride_sentence_describes_the_attempt(g, seed):
    rng = np.random.default_rng(seed)
    w, delta = rng.standard_normal(g.kernel_size), rng.standard_normal(g.output_size)
    text = S.same_stride_sentence(g)
    kh, kw = (int(v) for v in re.search(r"kh − 1 = (\d+).*kw − 1 = (\d+)", text).groups())
    step = re.search(r"over it (?:(\d+) pixels|(\d+) rows down and (\d+) columns across) at "
                     r"a time", text).groups()  # fmt: skip
    sh, sw = (int(step[0]),) * 2 if step[0] else (int(step[1]), int(step[2]))
    assert "full correlation ⋆" in text and "rot180(w)" in text
    framed = np.pad(delta, ((kh, kh), (kw, kw)))
    by_words = correlate2d(framed, w[::-1, ::-1], "valid")[::sh, ::sw]
    attempt = same_stride_attempt(delta, w, g.input_size, stride=g.stride)
    assert np.allclose(by_words, attempt.attempt)
    stated = re.search(r"Out comes a (\d+)×(\d+) map", text).groups()
    assert tuple(map(int, stated)) == by_words.shape


# ------------------------------------------------------------------- lesson 05: even coverage


def _loop_coverage(size: int, kernel: int, stride: int, dilation: int) -> list[int]:
    """Taps reading each pixel of a long line, by loops; the inside: every tap's windows exist."""
    extent = dilation * (kernel - 1) + 1
    windows = (size - extent) // stride + 1
    counts = [0] * size
    for i in range(windows):
        for u in range(kernel):
            counts[i * stride + u * dilation] += 1
    return counts[extent - 1 : (windows - 1) * stride + 1]


@pytest.mark.parametrize("stride", range(1, 5))
def test_the_even_interior_rule_against_loop_counted_coverage(stride):
    for kernel in range(1, 6):
        for dilation in range(1, 4):
            extent = dilation * (kernel - 1) + 1
            inside = _loop_coverage(2 * extent + 8 * stride, kernel, stride, dilation)
            assert len(inside) >= stride
            even = len(set(inside)) == 1
            assert S.interior_is_even(kernel, stride, dilation) == even, (kernel, stride, dilation)
            # the rule as the sentence states it: s divides kh and gcd(s, d) = 1
            assert even == (kernel % stride == 0 and gcd(stride, dilation) == 1)


def test_the_old_even_rule_fails_under_dilation():
    old = lambda k, s, d: k % s == 0  # noqa: E731  "kernel size a multiple of the stride"
    inside = _loop_coverage(30, 2, 2, 2)
    assert old(2, 2, 2) and set(inside) == {0, 2}  # k2, s2, d2: read 0 or 2 times inside
    assert not S.interior_is_even(2, 2, 2)
    assert "gcd(s, d) = 1" in S.even_interior_rule() and "divides" in S.even_interior_rule()


@SETTINGS
@given(geometries())
def test_interior_reads_and_sentence_match_the_loops(g):
    counts = reference.reads(g.input_size, g.kernel_size, g.stride, g.padding, g.dilation)
    e, s, p = g.kernel_extent[0], g.stride[0], g.padding[0]
    ho = g.output_size[0]
    rows = range(max(e - 1 - p, 0), min((ho - 1) * s - p, g.input_size[0] - 1) + 1)
    one_axis = reference.reads((g.input_size[0], 1), (g.kernel_size[0], 1), (s, 1), (p, 0),
                               (g.dilation[0], 1))[:, 0]  # fmt: skip
    assert S.interior_reads(g) == [int(one_axis[r]) for r in rows]
    assert counts.shape == g.input_size
    text = S.interior_sentence(g)
    even = S.interior_is_even(g.kernel_size[0], s, g.dilation[0])
    assert ("uneven inside" not in text.split(";")[0]) == even or "rows:" in text
    if len(S.interior_reads(g)) >= s and "rows:" not in text:
        assert (len(set(S.interior_reads(g))) == 1) == even


# ---------------------------------------------------------------- the handout's depth example


def _matrices(line: str) -> list[np.ndarray]:
    found = re.findall(r"\[([-\d ;]+)\]", line)
    return [np.array([[float(v) for v in row.split()] for row in m.split(";")]) for m in found]


def test_the_depth_example_prints_scipy_s_numbers():
    lines = depth_lines()
    assert lines[0].startswith("Depth. ")
    delta, w1, w2 = _matrices(lines[1])
    dx = reference.conv2d_backward(delta[None, None], np.zeros((1, 2, 3, 3)),
                                   np.stack([w1, w2])[None])[0][0]  # fmt: skip
    for c, line in enumerate(lines[2:4]):
        turned, printed = _matrices(line)
        page = "₁₂"[c]
        assert line.startswith(f"dx{page} = δ₁ ⋆full rot180(W₁,{page})")
        assert np.array_equal(turned, [w1, w2][c][::-1, ::-1])
        assert np.allclose(correlate2d(delta, turned, "full"), printed)
        assert np.allclose(printed, dx[c])
    assert np.allclose(depth_example()["dx"], dx)


# ------------------------------------------------------------ lesson 03's independent checks


@pytest.mark.parametrize("use_torch", [True, False])
@pytest.mark.parametrize("g", [Geometry(6, 3, stride=2), Geometry((7, 6), (3, 2), stride=(2, 3),
                                                                   padding=1, dilation=2)])
def test_the_outside_references_agree_with_the_loops(g, use_torch):
    from cnnviz.lessons.independent import forward_reference, transposed_reference

    if use_torch:
        pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, *g.input_size)), rng.standard_normal((3, 2, *g.kernel_size))
    delta = rng.standard_normal((3, *g.output_size))
    dx = reference.conv2d_backward(delta[None], x[None], w, g.stride, g.padding, g.dilation)[0]
    z = reference.conv2d(x[None], w, None, g.stride, g.padding, g.dilation)[0]
    back = transposed_reference(delta, w, g, output_padding_for(g), use_torch=use_torch)
    forward = forward_reference(x, w, g, use_torch=use_torch)
    assert back.route.startswith("torch" if use_torch else "scipy")
    assert np.allclose(back.value, dx[0]) and np.allclose(forward.value, z)
