"""The page's answers in words (cnnviz.explorer.render.guide), each number redone another way.

The stride sentence is read back (its numbers parsed out of the words), its recipe carried out
with scipy.signal on random δ and W, and the result compared with dx from tests/reference.py's
loops: a wrong size, zero count, crop or symbol in the sentence fails here.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
import reference
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import correlate2d

from cnnviz.core.geometry import Geometry
from cnnviz.explorer.presets import PRESETS
from cnnviz.explorer.render import guide
from cnnviz.explorer.render.describe import plain_text

_PAIR = r"(\d+)×(\d+)"


@st.composite
def geometries(draw):
    """Strides 1-4, padding 0-3, dilation 1-3, rectangular inputs and kernels that fit."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    s = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = s if draw(st.booleans()) else (s[0], s[0])
    p, d = draw(st.integers(0, 3)), draw(st.integers(1, 3))
    h = draw(st.integers(max(1, d * (kh - 1) + 1 - 2 * p), 11))
    w = draw(st.integers(max(1, d * (kw - 1) + 1 - 2 * p), 11))
    return Geometry((h, w), (kh, kw), stride=s, padding=p, dilation=d)


def _dilate_by_loops(delta: np.ndarray, sh: int, sw: int) -> np.ndarray:
    ho, wo = delta.shape
    out = np.zeros(((ho - 1) * sh + 1, (wo - 1) * sw + 1))
    for i in range(ho):
        for j in range(wo):
            out[i * sh, j * sw] = delta[i, j]
    return out


def _read_sentence(text: str) -> dict:
    numbers = {}
    delta = re.search(r"δ \(" + _PAIR + r"\) gets", text)
    numbers["out"] = (int(delta[1]), int(delta[2]))
    zeros = re.findall(r"(\d+) zeros? between its (entries|rows|columns)", text)
    if zeros[0][1] == "entries":
        numbers["zeros"] = (int(zeros[0][0]),) * 2
    else:
        numbers["zeros"] = (int(zeros[0][0]), int(zeros[1][0]))
    numbers["dilated"] = tuple(map(int, re.search(r"\(→ " + _PAIR + r"\)", text).groups()))
    numbers["full"] = tuple(map(int, re.search(r"gives " + _PAIR, text).groups()))
    crop = re.search(r"keeps the " + _PAIR + r" rows and columns from p = (\d+|\(\d+, \d+\))",
                     text)
    numbers["size"] = (int(crop[1]), int(crop[2]))
    start = re.findall(r"\d+", crop[3])
    numbers["start"] = (int(start[0]), int(start[-1]))
    numbers["kernel_dilated"] = "dilate_d(W)" in text
    return numbers


@settings(max_examples=60, deadline=None)
@given(geometry=geometries(), seed=st.integers(0, 2**16))
def test_stride_sentence_recipe_gives_the_loops_dx(geometry, seed):
    text = guide.stride_answer(geometry)
    if geometry.stride == (1, 1):
        assert text == ""
        return
    assert text.startswith("Backward is not strided") and "stride-1 full correlation ⋆" in text
    assert "∗" not in text  # ⋆ with rot180, never ∗ with it
    n = _read_sentence(text)
    (h, w), (kh, kw) = geometry.input_size, geometry.kernel_size
    s, p, d = geometry.stride, geometry.padding, geometry.dilation
    assert n["out"] == reference.output_size((h, w), (kh, kw), s, p, d)
    assert n["zeros"] == (s[0] - 1, s[1] - 1)
    assert n["kernel_dilated"] == (d != (1, 1))
    rng = np.random.default_rng(seed)
    delta, kernel = rng.normal(size=n["out"]), rng.normal(size=(kh, kw))
    dilated = _dilate_by_loops(delta, n["zeros"][0] + 1, n["zeros"][1] + 1)
    assert dilated.shape == n["dilated"]
    spread = np.zeros(((kh - 1) * d[0] + 1, (kw - 1) * d[1] + 1))
    spread[:: d[0], :: d[1]] = kernel
    full = correlate2d(dilated, spread[::-1, ::-1], mode="full")
    assert full.shape == n["full"]
    assert n["size"] == (h, w) and n["start"] == p
    dx = np.zeros((h, w))  # crop: rows from p on, past the end read 0
    part = full[p[0] : p[0] + h, p[1] : p[1] + w]
    dx[: part.shape[0], : part.shape[1]] = part
    expected = reference.grad_contributions(delta[None], kernel[None, None], (h, w), s, p, d)
    np.testing.assert_allclose(dx, expected[0, 0], atol=1e-9)
    short_rows = h - part.shape[0]
    assert (f"last {short_rows} row" in text) == (short_rows > 0)
    if short_rows:  # what the sentence says is 0 is read by no window
        assert not reference.reads((h, w), (kh, kw), s, p, d)[-short_rows:].any()


@settings(max_examples=40, deadline=None)
@given(geometry=geometries())
def test_dilated_panel_sizes(geometry):
    text = guide.dilated_sizes(geometry)
    out, dilated, framed = [tuple(map(int, m)) for m in re.findall(_PAIR, text)]
    ho, wo = reference.output_size(geometry.input_size, geometry.kernel_size, geometry.stride,
                                   geometry.padding, geometry.dilation)
    assert out == (ho, wo)
    assert dilated == _dilate_by_loops(np.ones((ho, wo)), *geometry.stride).shape
    # rot180(W) slides over the framed map at stride 1 and stops at every padded input pixel
    (h, w), (kh, kw), p, d = (geometry.input_size, geometry.kernel_size, geometry.padding,
                              geometry.dilation)
    assert framed[0] - d[0] * (kh - 1) == h + 2 * p[0]
    assert framed[1] - d[1] * (kw - 1) == w + 2 * p[1]


def test_stride_sentence_at_the_course_demo_reads_as_the_issue_asks():
    text = guide.stride_answer(PRESETS["course-demo"].settings.geometry())
    assert text.startswith("Backward is not strided: δ (4×4) gets s − 1 = 1 zero between its "
                           "entries (→ 7×7), then a stride-1 full correlation ⋆ with rot180(W)")


def test_each_preset_has_a_notice_whose_numbers_are_the_geometrys():
    for preset in PRESETS.values():
        assert guide.preset_notice(preset), preset.name
        assert preset.description in plain_text(guide.preset_html(preset))
    g = PRESETS["untouched-rows"].settings.geometry()
    dead = np.flatnonzero(reference.reads(g.input_size, g.kernel_size, g.stride, g.padding,
                                          g.dilation).sum(axis=1) == 0)
    assert f"rows {', '.join(map(str, dead))}" in guide.preset_notice(PRESETS["untouched-rows"])
    g = PRESETS["uneven-overlap"].settings.geometry()
    counts = np.unique(reference.reads(g.input_size, g.kernel_size, g.stride))
    counts = counts[counts > 0]
    said = guide.preset_notice(PRESETS["uneven-overlap"])
    assert re.findall(r"\d+", said) == [str(n) for n in counts]
    with pytest.raises(TypeError, match="preset"):
        guide.preset_notice("stride-2")


def test_notation_box_defines_the_words_and_the_counting():
    box = guide.notation_html()
    for word in ("pad_p(m)", "dilate_s(m)", "every_s(m)", "crop_t^n(m)"):  # core's table
        assert f"<b>{word}</b>" in box
    assert "One z per output pixel per filter" in box
    assert "W and b belong to the filter" in box
    assert "Rows and columns count from 0" in box and "count from 1" in box
    with pytest.raises(TypeError, match="geometry"):
        guide.stride_answer((7, 7))


def test_star_and_ast_are_drawn_large():
    markup = guide.large_symbols("a ⋆ b and a ∗ b, a · b")
    assert "font-size:2.0em;line-height:1;vertical-align:-0.1em'>⋆" in markup
    assert "font-size:1.2em;line-height:1;vertical-align:-0.1em'>∗" in markup and "· b" in markup


def test_the_cell_number_rule_is_what_the_painter_prints():
    from cnnviz.explorer.render.raster import short_number

    said = guide.cell_numbers_words()
    assert "(0.4, -0.4, 3.2)" in said and "(12)" in said and "|value| < 0.05" in said
    assert short_number(0.049) == "" and short_number(0.05) == "0.1"  # the blank's bound
    assert said in html.unescape(guide.notation_html())


@pytest.mark.parametrize("filters", [1, 2, 4])
@pytest.mark.parametrize("depth", [1, 2, 3, 10])
def test_depth_box_answers_with_the_layers_own_counts(filters, depth):
    from cnnviz.core.claims import depth_answer

    box = guide.depth_html(filters, depth)
    if depth == 1:
        assert box == ""
        return
    words = plain_text(box)
    assert f"K = {filters}, C = {depth}" in words
    assert plain_text(guide.large_symbols(html.escape(depth_answer(filters, depth)))) in words
