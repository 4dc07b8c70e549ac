"""Issue 19: every sentence the core and the explorer state holds at every setting.

Each test reads the words as printed and recomputes what they claim by an independent route
(the loops of tests/reference.py, scipy.signal, torch), over the sliders' whole range: stride
1–4, padding 0–3, dilation 1–3, rectangular inputs and kernels, K = 1 and C = 1.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
import reference
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.signal import correlate2d

from cnnviz.core.claims import (
    DEPTH_SLICE_FORMULA,
    added_lines,
    depth_answer,
    output_padding_sentence,
)
from cnnviz.core.formulas import FORMULAS, dw_needs_crop
from cnnviz.core.geometry import Geometry
from cnnviz.explorer.layer import snapshot_from_settings
from cnnviz.explorer.render.describe import gradients_alt, plain_text, step_announcement
from cnnviz.explorer.render.text import conventions_html, equation_html, zero_zone_html
from cnnviz.explorer.settings import Settings
from cnnviz.explorer.trace import Walk

torch.set_num_threads(1)
FEW = settings(max_examples=30, deadline=None)


@st.composite
def geometries(draw, largest: int = 11):
    """A valid geometry over the sliders' ranges, H ≠ W and kh ≠ kw allowed."""
    s, p, d = draw(st.integers(1, 4)), draw(st.integers(0, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sizes = [draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), largest)) for k in (kh, kw)]
    assume(all(d * (k - 1) + 1 <= n + 2 * p for k, n in zip((kh, kw), sizes, strict=True)))
    return Geometry(tuple(sizes), (kh, kw), stride=s, padding=p, dilation=d)


@st.composite
def layers(draw):
    """An explorer layer (sliders' ranges), with K and C from 1."""
    g = draw(geometries(largest=10))
    (h, w), (kh, kw) = g.input_size, g.kernel_size
    assume(h >= 3 and w >= 3)
    chosen = Settings(depth=draw(st.integers(1, 3)), filters=draw(st.integers(1, 3)),
                      input_height=h, input_width=w, kernel_height=kh, kernel_width=kw,
                      stride=g.stride[0], padding=g.padding[0], dilation=g.dilation[0],
                      seed=draw(st.integers(0, 50)))
    return snapshot_from_settings(chosen)


def _dilate(m: np.ndarray, step: int) -> np.ndarray:
    out = np.zeros(((m.shape[0] - 1) * step + 1, (m.shape[1] - 1) * step + 1))
    out[::step, ::step] = m
    return out


def _plain(markup: str) -> str:
    """Tags dropped (a line break is a space), entities decoded, spaces squeezed."""
    markup = re.sub(r"<br\s*/?>", " ", markup)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", markup)).split())


def _numbers(listed: str) -> list[int]:
    """``"2–4"`` -> [2, 3, 4]; ``"-1, 1, 3"`` -> [-1, 1, 3]."""
    listed = listed.replace("−", "-").strip()
    span = re.fullmatch(r"(-?\d+)–(-?\d+)", listed)
    if span:
        return list(range(int(span.group(1)), int(span.group(2)) + 1))
    return [int(n) for n in re.findall(r"-?\d+", listed)]


# --------------------------------------------------------------------------- 1: dW crop


def _note_condition(note: str):
    """The crop condition the dw note prints, as a Python predicate of (H, kh, p, d, s)."""
    found = re.search(r"a = (.+?) mod s: when a ≠ 0", note)
    if found is None:  # the old wording: "When X is not a multiple of s"
        found = re.search(r"When (.+?) is not a multiple of s", note)
    assert found, f"no crop condition in the note: {note}"
    code = (found.group(1).replace("−", "-").replace("·", "*").replace("2p", "2*p")
            .replace("d(", "d*("))
    return lambda **v: eval(code, {}, v) % v["s"] != 0  # noqa: S307 (our own note's text)


@FEW
@given(geometries())
def test_dw_crop_condition_holds_against_scipy(g):
    rng = np.random.default_rng(0)
    x, delta = rng.normal(size=g.input_size), rng.normal(size=g.output_size)
    (p, _), (s, _), (d, _) = g.padding, g.stride, g.dilation
    corr = correlate2d(np.pad(x, p), _dilate(delta, s), mode="valid")  # the independent size
    larger = [n > e for n, e in zip(corr.shape, g.kernel_extent, strict=True)]
    assert all(n >= e for n, e in zip(corr.shape, g.kernel_extent, strict=True))
    assert dw_needs_crop(g.input_size, g.kernel_size, s, p, d) == any(larger)
    says = _note_condition(FORMULAS["dw"].note)
    for axis in (0, 1):
        claim = says(H=g.input_size[axis], kh=g.kernel_size[axis], p=p, d=d, s=s)
        assert claim == larger[axis], (g, axis, corr.shape)


def test_dw_crop_condition_at_the_issues_example():
    """6×6, k3, s2: the note used to say no crop; the correlation is 4×4."""
    assert dw_needs_crop(6, 3, stride=2) and not dw_needs_crop(7, 3, stride=2)
    says = _note_condition(FORMULAS["dw"].note)
    assert says(H=6, kh=3, p=0, d=1, s=2) and not says(H=7, kh=3, p=0, d=1, s=2)


# --------------------------------------------------------------------------- 2: output padding


def _torch_transposed(g: Geometry, rng) -> np.ndarray:
    a = tuple((n - e) % s for n, e, s in zip(g.padded_size, g.kernel_extent, g.stride,
                                              strict=True))
    delta = torch.tensor(rng.normal(size=(1, 2, *g.output_size)))
    w = torch.tensor(rng.normal(size=(2, 2, *g.kernel_size)))
    out = torch.nn.functional.conv_transpose2d(delta, w, stride=g.stride, padding=g.padding,
                                               output_padding=a, dilation=g.dilation)
    assert out.shape[2:] == g.input_size
    return out[0].numpy()


def _note_zero_rows(note: str, added: list[int], unread: set[int]) -> set[int]:
    """The added rows the output-padding note says are 0."""
    if "adds them back as zeros" in note:
        return set(added)
    assert "An added row is 0 exactly when no forward window read it" in note, note
    return set(added) & unread


@FEW
@given(geometries())
def test_output_padding_words_hold_against_torch(g):
    out = _torch_transposed(g, np.random.default_rng(1))
    reads = reference.reads(g.input_size, g.kernel_size, g.stride, g.padding, g.dilation)
    sentence = output_padding_sentence(g)
    for axis, (name, where) in enumerate((("row", "bottom"), ("column", "right"))):
        lines = np.moveaxis(out, axis + 1, 0)  # (lines, ...)
        zero = {n for n in range(lines.shape[0]) if not np.any(lines[n])}
        unread = {n for n in range(lines.shape[0]) if not reads.sum(axis=1 - axis)[n]}
        added, said_zero = added_lines(g, axis)
        assert set(said_zero) == zero & set(added) == unread & set(added)
        assert _note_zero_rows(FORMULAS["output_padding"].note, added, unread) == zero & set(
            added)
        found = re.search(rf"(?:adds|and) {name}s? ([\d–, ]+) at the {where}( \([^)]*\))?",
                          sentence)
        assert bool(found) == bool(added), sentence
        if found:
            assert _numbers(found.group(1)) == added
            detail = found.group(2)
            named = (set(added) if "no window reads" in detail and "others" not in detail
                     else set() if "carr" in detail and "others" not in detail
                     else set(_numbers(detail.split("no window")[0])))
            assert named == zero & set(added), (sentence, zero)


def test_output_padding_note_at_the_issues_example():
    """H = 6, k3, s2, p1, a = 1: the added row is not zero (the note used to say it was)."""
    g = Geometry(6, 3, stride=2, padding=1)
    out = _torch_transposed(g, np.random.default_rng(2))
    added, _ = added_lines(g, 0)
    assert added == [5] and np.any(out[:, 5, :])
    assert _note_zero_rows(FORMULAS["output_padding"].note, added, set()) == set()


# --------------------------------------------------------------------------- 4: depth answer


def _dx_by_the_named_route(answer: str, layer) -> np.ndarray:
    """dx[c] computed with scipy the way the answer's per-slice formula says."""
    named = re.search(r"dilate_s\(δₖ\) ([⋆∗])full (rot180\()?dilate_d\(Wₖ,c\)\)?", answer)
    assert named, f"the answer names no per-slice formula: {answer}"
    (s, _), (p, _), (d, _) = layer.stride, layer.padding, layer.dilation
    h, w = layer.x.shape[1:]
    dx = np.zeros(layer.x.shape)
    for k in range(layer.filters):
        for c in range(layer.depth):
            kernel = _dilate(layer.w[k, c], d)
            kernel = kernel[::-1, ::-1] if named.group(2) else kernel
            kernel = kernel if named.group(1) == "⋆" else kernel[::-1, ::-1]  # ∗ flips
            full = correlate2d(_dilate(layer.delta[k], s), kernel, mode="full")
            framed = np.zeros((max(full.shape[0], p + h), max(full.shape[1], p + w)))
            framed[: full.shape[0], : full.shape[1]] = full
            dx[c] += framed[p : p + h, p : p + w]  # crop p, zero fill
    return dx


def _dx_by_the_named_bank(answer: str, layer) -> np.ndarray:
    """dx computed as the answer's "forward pass through the transposed bank" says."""
    flips = "forward convolution" in answer  # ∗ flips the slices it is given
    turned = "rot180" in answer.split("transposed")[-1]
    assert "transposed" in answer and ("forward pass (⋆" in answer or flips), answer
    (s, _), (p, _), (d, _) = layer.stride, layer.padding, layer.dilation
    h, w = layer.x.shape[1:]
    bank = np.stack([[_dilate(layer.w[k, c], d) for k in range(layer.filters)]
                     for c in range(layer.depth)])  # (C, K, eh, ew)
    bank = bank[..., ::-1, ::-1] if turned else bank
    bank = bank[..., ::-1, ::-1] if flips else bank
    dx = np.zeros(layer.x.shape)
    for c in range(layer.depth):
        full = sum(correlate2d(_dilate(layer.delta[k], s), bank[c, k], mode="full")
                   for k in range(layer.filters))
        framed = np.zeros((max(full.shape[0], p + h), max(full.shape[1], p + w)))
        framed[: full.shape[0], : full.shape[1]] = full
        dx[c] = framed[p : p + h, p : p + w]
    return dx


def _page_depth_answer() -> str:
    text = _plain(conventions_html())
    return text.split("Depth.")[1].split("In general:")[0]


@settings(max_examples=12, deadline=None)
@given(layers())
def test_the_pages_depth_answer_recomputes_dx(layer):
    answer = _page_depth_answer()
    truth = reference.conv2d_backward(layer.delta[None], layer.x[None], layer.w, layer.stride,
                                      layer.padding, layer.dilation)[0][0]
    assert np.allclose(_dx_by_the_named_route(answer, layer), truth, atol=1e-9)
    assert np.allclose(_dx_by_the_named_bank(answer, layer), truth, atol=1e-9)
    assert "↔" not in answer and "D" not in re.findall(r"(?<![\w-])[A-Z](?![\w-])", answer)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 10))
def test_depth_answer_words_for_every_count(filters, depth):
    answer = depth_answer(filters, depth)
    assert DEPTH_SLICE_FORMULA in answer and "↔" not in answer
    assert not re.search(r"\bone (filters|channels|slices|correlations)\b", answer), answer
    assert not re.search(r"∗(full)?\s*rot180", answer)  # never turned twice
    words = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    c_word, k_word = words[depth - 1], words[filters - 1]
    assert f"{c_word}-deep filter" in answer
    if depth == 1:
        assert "one 2-D full correlation" in answer and "separate" not in answer
    else:
        assert f"{c_word} separate 2-D full correlations" in answer
        assert f"adds over the {c_word} channels" in answer
    if filters == 1:
        assert "one filter" in answer and "adds over the" + " one" not in answer
    else:
        assert f"adds over the {k_word} filters" in answer
    assert depth_answer("one", "ten") == depth_answer(1, 10)
    layer = snapshot_from_settings(Settings(depth=depth, filters=filters, input_height=5,
                                            input_width=4, kernel_height=2, kernel_width=3,
                                            stride=2, padding=1, dilation=2, seed=depth))
    truth = reference.conv2d_backward(layer.delta[None], layer.x[None], layer.w, 2, 1, 2)[0][0]
    assert np.allclose(_dx_by_the_named_route(answer, layer), truth, atol=1e-9)
    assert np.allclose(_dx_by_the_named_bank(answer, layer), truth, atol=1e-9)


def test_depth_answer_refuses_bad_counts():
    with pytest.raises(ValueError, match="filters"):
        depth_answer(0, 3)
    with pytest.raises(TypeError, match="depth"):
        depth_answer(2, 2.5)


# --------------------------------------------------------------------------- 5: dW words


def _sizes(pattern: str, text: str) -> tuple[int, int]:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in {text!r}"
    return int(found.group(1)), int(found.group(2))


def _dw_words_follow_scipy(text: str, x: np.ndarray, delta: np.ndarray, g: Geometry) -> None:
    """The sizes, crop and every-d-th step the dW words state, redone with scipy on one map x
    ``(H, W)`` and delta ``(Ho, Wo)``, end at the loop reference's dW (w itself is not read)."""
    padded = np.pad(x, [(n, n) for n in g.padding])
    spread = np.zeros([(n - 1) * s + 1 for n, s in zip(delta.shape, g.stride, strict=True)])
    spread[::g.stride[0], ::g.stride[1]] = delta
    corr = correlate2d(padded, spread, mode="valid")
    assert _sizes(r"the (\d+)×(\d+) padded input", text) == padded.shape
    assert _sizes(r"the (\d+)×(\d+) dilated delta", text) == spread.shape
    assert _sizes(r"gives a (\d+)×(\d+) correlation", text) == corr.shape
    kept = corr
    if "cropped to its first" in text:
        rows, cols = _sizes(r"cropped to its first (\d+)×(\d+)", text)
        assert (rows, cols) != corr.shape
        kept = kept[:rows, :cols]
    else:
        assert corr.shape == g.kernel_extent
    if g.dilation != (1, 1):
        every = re.search(r"every \(?(\d+)(?:st|nd|rd|th)(?:, (\d+)(?:st|nd|rd|th)\))? row", text)
        steps = (int(every.group(1)), int(every.group(2) or every.group(1)))
        assert steps == g.dilation, text
        kept = kept[::steps[0], ::steps[1]]
        assert _sizes(r"row and column kept: (\d+)×(\d+)", text) == kept.shape
    else:
        assert "every" not in text, text
    ones = np.ones((1, 1, *g.kernel_size))
    truth = reference.conv2d_backward(delta[None, None], x[None, None], ones, g.stride,
                                      g.padding, g.dilation)[1]  # fmt: skip
    np.testing.assert_allclose(kept, truth[0, 0], atol=1e-9)


@settings(max_examples=20, deadline=None)
@given(layers())
def test_dw_alt_text_and_caption_follow_scipy(layer):
    text = gradients_alt(layer, channels=[0], filter_rows=[0])
    _dw_words_follow_scipy(text, layer.x[0], layer.delta[0], layer.geometry)


@st.composite
def rectangular_geometries(draw):
    """A geometry whose stride, padding and dilation differ between the axes (the core takes
    pairs; the explorer's sliders are square, so the layers above never draw these)."""
    s, p, d = (tuple(draw(st.integers(lo, hi)) for _ in range(2))
               for lo, hi in ((1, 4), (0, 3), (1, 3)))  # fmt: skip
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    sizes = tuple(draw(st.integers(max(1, dd * (k - 1) + 1 - 2 * pp), 11))
                  for k, pp, dd in zip(kernel, p, d, strict=True))  # fmt: skip
    return Geometry(sizes, kernel, stride=s, padding=p, dilation=d)


@FEW
@given(rectangular_geometries(), st.integers(0, 50))
def test_dw_recipe_with_per_axis_settings_follows_scipy(g, seed):
    from cnnviz.core.claims import dw_recipe

    rng = np.random.default_rng(seed)
    x, delta = rng.normal(size=g.input_size), rng.normal(size=g.output_size)
    _dw_words_follow_scipy(dw_recipe(g), x, delta, g)


def test_dw_caption_painted_on_the_picture_names_the_real_sizes(monkeypatch):
    """7×6, k3, s2, p1: a 3×4 correlation cropped to 3×3; with d = 2, 5×6 then every 2nd."""
    from cnnviz.explorer.render import gradients

    painted: list[str] = []
    real = gradients.paste_label
    monkeypatch.setattr(gradients, "paste_label",
                        lambda frame, text, *a, **k: (painted.append(text), real(frame, text,
                                                                                  *a, **k)))
    for dilation, sizes in ((1, ("3×4 correlation", "first 3×3")),
                            (2, ("5×6 correlation", "first 5×5", "every 2nd", "3×3"))):
        layer = snapshot_from_settings(Settings(depth=1, filters=1, input_height=7,
                                                input_width=6, stride=2, padding=1,
                                                dilation=dilation))
        painted.clear()
        gradients.gradients_figure(layer)
        caption = next(t for t in painted if t.startswith("dW[k, c]"))
        assert all(size in caption for size in sizes), caption
        assert all(size in gradients_alt(layer, channels=[0], filter_rows=[0])
                   for size in sizes if "every" not in size)


# --------------------------------------------------------------------------- 6: scatter step


@settings(max_examples=20, deadline=None)
@given(layers(), st.data())
def test_scatter_step_names_the_rows_its_taps_land_on(layer, data):
    walk = Walk(layer, "scatter")
    step = walk.step(data.draw(st.integers(0, len(walk) - 1)))
    k, (i, j) = step.filter_index, step.delta_index
    page = _plain(equation_html(walk, step))
    rows_said, cols_said = re.search(r"dx\[c\]\[rows ([^,\]]+(?:, -?\d+)*), cols "
                                     r"([^\]]+)\]", page).groups()
    spoken = re.search(r"into dx rows (.+?), columns (.+?)\.$", step_announcement(step))
    assert spoken.groups() == (rows_said, cols_said)
    one_hot = np.zeros(layer.delta.shape)
    one_hot[k, i, j] = 1.0
    spread = reference.grad_contributions(one_hot, np.ones(layer.w.shape), layer.x.shape[1:],
                                          layer.stride, layer.padding, layer.dilation)[k, 0]
    (h, w), (kh, kw) = layer.x.shape[1:], layer.w.shape[2:]
    rows, cols = _numbers(rows_said), _numbers(cols_said)
    assert len(rows) == kh == len(set(rows)) and len(cols) == kw == len(set(cols)), page
    named = {(r, q) for r in rows for q in cols if 0 <= r < h and 0 <= q < w}
    assert named == {(int(r), int(q)) for r, q in zip(*np.nonzero(spread), strict=True)}


# --------------------------------------------------------------------------- 7, 15: zero zone


def _interior_dip(line: np.ndarray) -> bool:
    """Brute force: some count is lower than one before it and one after it."""
    return any(line[b] < line[a] and line[b] < line[c] for a in range(len(line))
               for b in range(a + 1, len(line)) for c in range(b + 1, len(line)))


@settings(max_examples=40, deadline=None)
@given(layers())
def test_overlap_sentence_counts_every_pixel_including_unread_ones(layer):
    text = _plain(zero_zone_html(layer))
    counts = reference.reads(layer.x.shape[1:], layer.w.shape[2:], layer.stride,
                             layer.padding, layer.dilation)
    values = sorted(set(counts.ravel().tolist()))
    if len(values) == 1:
        assert "Uneven overlap" not in text
        return
    listed = re.search(r"read by ([\d, or]+) kernel taps", text).group(1)
    assert [int(n) for n in re.findall(r"\d+", listed)] == values, (listed, values)
    where, index, profile = re.search(r"Along (row|column) (\d+) the pixels are read "
                                      r"([\d, ]+) times", text).groups()
    line = counts[int(index)] if where == "row" else counts[:, int(index)]
    assert [int(n) for n in re.findall(r"\d+", profile)] == line.tolist()
    dips = any(_interior_dip(r) for r in counts) or any(_interior_dip(c) for c in counts.T)
    assert ("only the border is read less" in text) == (not dips), text


def _named_lines(text: str, noun: str) -> list[int]:
    return [n for found in re.findall(rf"\b{noun}s? (-?\d+(?:(?:, |–)-?\d+)*)", text)
            for n in _numbers(found)]


@settings(max_examples=40, deadline=None)
@given(layers())
def test_zero_zone_names_only_real_rows_with_zero_gradient(layer):
    text = _plain(zero_zone_html(layer)).split("Uneven overlap")[0]
    (h, w) = layer.x.shape[1:]
    counts = reference.reads((h, w), layer.w.shape[2:], layer.stride, layer.padding,
                             layer.dilation)
    if "No window reads any input pixel" in text:
        assert counts.max() == 0
        return
    dx = reference.grad_contributions(np.ones(layer.delta.shape), np.ones(layer.w.shape),
                                      (h, w), layer.stride, layer.padding,
                                      layer.dilation).sum(axis=(0, 1))
    for noun, size, reads, grads in (("row", h, counts.sum(axis=1), dx.sum(axis=1)),
                                     ("column", w, counts.sum(axis=0), dx.sum(axis=0))):
        assert all(0 <= n < size for n in _named_lines(text, noun)), (noun, size, text)
        unread = {int(n) for n in np.flatnonzero(reads == 0)}
        assert unread == {int(n) for n in np.flatnonzero(grads == 0)}
        claimed = {n for clause in re.findall(rf"\b({noun}s? [-\d, –]+) lies?", text)
                   for n in _named_lines(clause, noun)}
        assert claimed == unread, (noun, text)
        read = np.flatnonzero(reads)
        for kind, at in (("first", 0), ("last", -1)):
            said = re.search(rf"{noun} (\d+), the {kind} any window reads", text)
            if said:
                assert int(said.group(1)) == read[at]
    if "Every input pixel is read" in text:
        assert counts.min() > 0


def test_zero_zone_at_the_issues_examples():
    """7×6, p1, s2, d2 and 10×9, k3, s3, p1: no 'row 7' of a 7-row input (rows 0–6)."""
    for chosen in (Settings(depth=1, filters=1, input_height=7, input_width=6, stride=2,
                            padding=1, dilation=2),
                   Settings(depth=1, filters=1, input_height=10, input_width=9, stride=3,
                            padding=1)):
        layer = snapshot_from_settings(chosen)
        text = _plain(zero_zone_html(layer)).split("Uneven overlap")[0]
        h, w = layer.x.shape[1:]
        assert all(n < h for n in _named_lines(text, "row")), text
        assert all(n < w for n in _named_lines(text, "column")), text


def test_plain_text_of_the_zone_is_what_a_screen_reader_gets():
    layer = snapshot_from_settings(Settings(stride=2, dilation=2, input_height=7,
                                            input_width=6))
    assert "Zero-gradient zone:" in plain_text(zero_zone_html(layer))


def test_overlap_at_the_issues_example():
    """s2, d2: many pixels are read 0 times, and the dips sit inside the map."""
    layer = snapshot_from_settings(Settings(input_height=7, input_width=7, stride=2,
                                            padding=1, dilation=2))
    text = _plain(zero_zone_html(layer))
    listed = re.search(r"read by ([\d, or]+) kernel taps", text).group(1)
    assert listed.startswith("0, ") and "only the border is read less" not in text


def test_array_brackets_hold_only_array_indices():
    """Issue 19 item 10 (page part): no page number inside array brackets ("δbelow[2][1, 3]")."""
    layer = snapshot_from_settings(Settings(depth=3, filters=2, stride=2, dilation=2))
    for name in ("scatter", "gather"):
        walk = Walk(layer, name)
        for index in (0, len(walk) // 2, len(walk) - 1):
            for c in range(layer.depth):
                text = _plain(equation_html(walk, walk.step(index), channel=c))
                assert not re.search(r"\]\[", text.replace("dx[c][", "")), text
                said = re.search(r"channel (\d+): δbelow\[(\d+), (\d+)\]", text)
                assert said and int(said.group(1)) == c + 1, text
