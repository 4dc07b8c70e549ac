"""Every exercise's numbers, recomputed here by routes that do not go through cnnviz.

For every lesson, every exercise key and 200 seeds: the answer comes from an independent
route (tests/reference.py loops, scipy.signal, torch autograd), and each listed mistake's value
from the wrong route it names, written here from the question's own numbers (``item.numbers``
and the arrays it shows). The routes that apply to a draw are exactly the ones listed (none
left out, no placeholder for one that does not apply); two listed values never coincide, and
the answer never equals a mistake. Nothing here imports the exercise generators' helpers.
"""

from __future__ import annotations

import functools
import math
import re

import numpy as np
import pytest
import reference as ref
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from cnnviz.lessons.exercises import BANK, LESSONS
from cnnviz.lessons.exercises import exercise as _draw
from cnnviz.lessons.exercises.weights import crop_words

torch.set_num_threads(1)
SEEDS = range(200)
CASES = [(lesson, key) for lesson in LESSONS for key, _ in BANK[lesson]]
APART = 0.01  # two values closer than this could be typed as one (two-decimal rounding)
exercise = functools.cache(_draw)  # each draw once for the whole module (read-only use)


def _n(item) -> dict:
    return {name: int(v) if float(v).is_integer() else v for name, v in item.numbers}


def _g(item) -> dict:
    return {name: np.asarray(a, dtype=np.float64) for name, a in item.given}


def _rot(a):
    return a[::-1, ::-1]


def _corr(a, b):  # full cross-correlation ⋆
    return signal.correlate2d(a, b, mode="full")


def _conv(a, b):  # full convolution ∗ (turns b itself)
    return signal.convolve2d(a, b, mode="full")


def _t(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


def _dilated(delta, s):
    out = np.zeros(((delta.shape[0] - 1) * s + 1, (delta.shape[1] - 1) * s + 1))
    out[::s, ::s] = delta
    return out


def _read(x, row, col):
    return x[row, col] if 0 <= row < x.shape[0] and 0 <= col < x.shape[1] else 0.0


# ----------------------------------------------------------------------- lessons 00 to 02


def output_size(item):
    n = _n(item)
    h, k, s, p, d = n["H"], n["k"], n["s"], n["p"], n["d"]
    steps = h + 2 * p - d * (k - 1) - 1
    return ref.output_size(h, k, s, p, d)[0], {
        "padding forgotten": ref.output_size(h, k, s, 0, d)[0],
        "dilation forgotten": ref.output_size(h, k, s, p, 1)[0],
        "stride forgotten": ref.output_size(h, k, 1, p, d)[0],
        "no +1": steps // s,
        "rounded up": math.ceil(steps / s) + 1,
    }


def z_shape(item):
    n = _n(item)
    x, w = torch.zeros(n["N"], n["C"], n["H"], n["H"]), torch.zeros(n["K"], n["C"], n["k"], n["k"])
    shape = tuple(torch.nn.functional.conv2d(x, w, stride=n["s"]).shape)
    ho = ref.output_size(n["H"], n["k"], n["s"])[0]
    return shape, {
        "input depth": (n["N"], n["C"], ho, ho),
        "no sum over c": (n["N"], n["K"], n["C"], ho, ho),
        "same size": (n["N"], n["K"], n["H"], n["H"]),
    }


def z_entry(item):
    n, g = _n(item), _g(item)
    i, j, b = n["i"], n["j"], n["b"]
    valid = signal.correlate2d(g["x"], g["w"], mode="valid")
    return valid[i, j] + b, {
        "convolution": signal.convolve2d(g["x"], g["w"], mode="valid")[i, j] + b,
        "bias forgotten": valid[i, j],
        "row and column swapped": valid[j, i] + b,
    }


def weight_uses(item):
    h, k = _n(item)["H"], _n(item)["k"]
    ho = ref.output_size(h, k)[0]
    return ho * ho, {
        "all connections": ho * ho * k * k, "input pixels": h * h, "filter size": k * k,
    }  # fmt: skip


def dx_entry(item):
    n, g = _n(item), _g(item)
    p, q, delta, w = n["p"], n["q"], g["δ"], g["w"]
    dx = ref.conv2d_backward(delta[None, None], np.zeros((1, 1, 4, 4)), w[None, None])[0]
    ahead = sum(_read(delta, p + u, q + v) * w[u, v] for u in range(2) for v in range(2))
    return dx[0, 0, p, q], {
        "no rot180": _corr(delta, w)[p, q],
        "turned twice": _conv(delta, _rot(w))[p, q],
        "own window only": delta[p, q] * w[0, 0],
        "read forward": ahead,
    }


def sigmoid_delta(item):
    n = _n(item)
    g, a = float(n["dL/da"]), float(n["a"])
    z = torch.tensor(math.log(a / (1 - a)), dtype=torch.float64, requires_grad=True)
    torch.sigmoid(z).backward(torch.tensor(g, dtype=torch.float64))
    return float(z.grad), {
        "slope forgotten": g,
        "activation, not slope": g * a,
        "half the slope": g * (1 - a),
    }


def delta_shape(item):
    n = _n(item)
    ho = ref.output_size(n["H"], n["k"])[0]
    return (n["K"], ho, ho), {
        "input depth": (n["C"], ho, ho),
        "no sum over c": (n["K"], n["C"], ho, ho),
        "same size": (n["K"], n["H"], n["H"]),
    }


def dx_shape(item):
    n = _n(item)
    x = torch.zeros(1, n["C"], n["H"], n["H"], requires_grad=True)
    torch.nn.functional.conv2d(x, torch.ones(n["K"], n["C"], n["k"], n["k"])).sum().backward()
    ho = ref.output_size(n["H"], n["k"])[0]
    return tuple(x.grad.shape[1:]), {
        "delta depth": (n["K"], n["H"], n["H"]),
        "delta size": (n["C"], ho, ho),
        "no sum over k": (n["K"], n["C"], n["H"], n["H"]),
    }


def channel_grad(item):
    n, g = _n(item), _g(item)
    c, p, q = n["c"], n["p"], n["q"]
    delta = np.stack([g["δ[0]"], g["δ[1]"]])
    w = np.array([[g[f"w[{k}, {cc}]"] for cc in range(2)] for k in range(2)])
    dx = ref.conv2d_backward(delta[None], np.zeros((1, 2, 3, 3)), w)[0]
    return dx[0, c, p, q], {
        "one filter only": _conv(delta[0], w[0, c])[p, q],
        "indices swapped": sum(_conv(delta[k], w[c, k]) for k in range(2))[p, q],
        "no rot180": sum(_corr(delta[k], w[k, c]) for k in range(2))[p, q],
        "turned twice": sum(_conv(delta[k], _rot(w[k, c])) for k in range(2))[p, q],
        "depth summed": sum(_conv(delta[k], w[k, 0] + w[k, 1]) for k in range(2))[p, q],
    }


# ----------------------------------------------------------------------------- lesson 03


def padded_delta_size(item):
    n = _n(item)
    ho, s, k = n["H_o"], n["s"], n["k"]
    row = []
    for i in range(ho):  # δ's entries with s − 1 zeros between neighbours, then k − 1 each side
        row += [1] + ([0] * (s - 1) if i < ho - 1 else [])
    return len([0] * (k - 1) + row + [0] * (k - 1)), {
        "not dilated": ho + 2 * (k - 1),
        "zeros after the last": ho * s + 2 * (k - 1),
        "not padded": len(row),
        "padded by kh": len(row) + 2 * k,
    }


def stride_dx_entry(item):
    n, g = _n(item), _g(item)
    p, q, delta, w = n["p"], n["q"], g["δ"], g["w"]
    dx = ref.conv2d_backward(delta[None, None], np.zeros((1, 1, 5, 5)), w[None, None], 2)[0]
    framed = np.pad(delta, 2)
    size = (framed.shape[0] - 3) // 2 + 1  # the backward correlation run at stride 2
    same_stride = None
    if p < size and q < size:
        same_stride = float((framed[2 * p : 2 * p + 3, 2 * q : 2 * q + 3] * _rot(w)).sum())
    spread = _dilated(delta, 2)
    return dx[0, 0, p, q], {
        "same stride backward": same_stride,
        "not dilated": _conv(delta, w)[p, q],
        "no rot180": _corr(spread, w)[p, q],
        "turned twice": _conv(spread, _rot(w))[p, q],
    }


def transposed_size(item):
    n = _n(item)
    ho, k, s, p = n["H_o"], n["k"], n["s"], n["p"]
    out = torch.nn.functional.conv_transpose2d(
        torch.zeros(1, 1, ho, ho), torch.zeros(1, 1, k, k), stride=s, padding=p
    )
    return out.shape[2], {
        "times stride": ho * s,
        "kernel forgotten": (ho - 1) * s + 1,
        "padding added": (ho - 1) * s + k + 2 * p,
    }


# ----------------------------------------------------------------------------- lesson 04


def learned_count(item):
    n = _n(item)
    layer = torch.nn.Conv2d(n["C"], n["K"], n["k"])
    ho = ref.output_size(n["H"], n["k"])[0]
    weights = n["K"] * n["C"] * n["k"] ** 2
    return sum(t.numel() for t in layer.parameters()), {
        "bias forgotten": weights,
        "filters not deep": n["K"] * n["k"] ** 2 + n["K"],
        "weights per position": ho * ho * weights + n["K"],
    }


def bias_grad(item):
    k, g = _n(item)["k"], _g(item)
    delta = np.array([[g[f"δ[{s}, {f}]"] for f in range(2)] for s in range(2)])
    db = ref.conv2d_backward(delta, np.zeros((2, 1, 3, 3)), np.zeros((2, 1, 2, 2)))[2]
    return db[k], {
        "averaged": delta[:, k].mean(),
        "one sample only": delta[0, k].sum(),
        "other filter": delta[:, 1 - k].sum(),
    }


def weight_grad(item):
    n, g = _n(item), _g(item)
    u, v, x, delta = n["u"], n["v"], g["x"], g["δ"]
    dw = ref.conv2d_backward(delta[None, None], x[None, None], np.zeros((1, 1, 2, 2)), 2, 1)[1]
    xp = np.pad(x, 1)
    corr = signal.correlate2d(xp, _dilated(delta, 2), mode="valid")  # before the crop
    extra_rows, extra_cols = corr.shape[0] - 2, corr.shape[1] - 2
    pairs = [(i, j) for i in range(delta.shape[0]) for j in range(delta.shape[1])]
    return dw[0, 0, u, v], {
        "padding forgotten": sum(delta[i, j] * _read(x, 2 * i + u, 2 * j + v) for i, j in pairs),
        "stride forgotten": sum(delta[i, j] * _read(xp, i + u, j + v) for i, j in pairs),
        "flipped": dw[0, 0, 1 - u, 1 - v],
        "cropped the wrong end": corr[u + extra_rows, v + extra_cols]
        if extra_rows or extra_cols
        else None,
    }


def weight_grad_dilated(item):
    n, g = _n(item), _g(item)
    u, v, x, delta = n["u"], n["v"], g["x"], g["δ"]
    dw = ref.conv2d_backward(
        delta[None, None], x[None, None], np.zeros((1, 1, 2, 2)), 1, 0, 2
    )[1]
    return dw[0, 0, u, v], {
        "dilation forgotten": signal.correlate2d(x, delta, mode="valid")[u, v],
        "flipped": dw[0, 0, 1 - u, 1 - v],
    }


# ----------------------------------------------------------------------- lessons 05 to 07


def window_count(item):
    n = _n(item)
    h, k, p, q = n["H"], n["k"], n["p"], n["q"]
    rows = sum(1 for i in range(ref.output_size(h, k, 2)[0]) if 2 * i <= p < 2 * i + k)
    return ref.reads(h, k, 2)[p, q], {
        "stride forgotten": ref.reads(h, k, 1)[p, q],
        "one axis only": rows,
        "kh·kw": k * k,
    }


def padding_crop(item):
    n, g = _n(item), _g(item)
    p, q, delta, w = n["p"], n["q"], g["δ"], g["w"]
    dx = ref.conv2d_backward(delta[None, None], np.zeros((1, 1, 3, 3)), w[None, None], 1, 1)[0]
    return dx[0, 0, p, q], {
        "no crop": _conv(delta, w)[p, q],
        "no rot180": _corr(delta, w)[p + 1, q + 1],
        "turned twice": _conv(delta, _rot(w))[p + 1, q + 1],
    }


def dilated_output(item):
    n = _n(item)
    h, k, d, p = n["H"], n["k"], n["d"], n["p"]
    return ref.output_size(h, k, 1, p, d)[0], {
        "dilation forgotten": ref.output_size(h, k, 1, p, 1)[0],
        "span d·kh": h + 2 * p - d * k + 1,
        "padding forgotten": ref.output_size(h, k, 1, 0, d)[0],
    }


def block_shape(item):
    h, k = _n(item)["H"], _n(item)["K"]
    block = torch.nn.Sequential(
        torch.nn.Conv2d(1, k, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2)
    )
    return tuple(block(torch.zeros(1, 1, h, h)).shape[1:]), {
        "pool forgotten": (k, h, h),
        "input depth": (1, h // 2, h // 2),
        "padding forgotten": (k, (h - 2) // 2, (h - 2) // 2),
    }


def pool_relu(item):
    z = _t(_g(item)["z"])[None, None]
    pool = torch.nn.functional.max_pool2d
    return pool(torch.relu(z), 2), {
        "relu forgotten": pool(z, 2),
        "average pool": torch.relu(torch.nn.functional.avg_pool2d(z, 2)),
        "relu as abs": pool(z.abs(), 2),
    }


def delta_below(item):
    g = _g(item)
    grad, z = g["dL/dx"], _t(g["z_below"]).requires_grad_()
    torch.relu(z).backward(_t(grad))
    return z.grad, {
        "slope forgotten": grad,
        "times the activation": grad * np.maximum(g["z_below"], 0),
        "times z": grad * g["z_below"],
    }


def pool_backward(item):
    n, g = _n(item), _g(item)
    bi, bj = n["block row"], n["block column"]
    x = _t(g["x"])[None, None].requires_grad_()
    torch.nn.functional.max_pool2d(x, 2).backward(_t(g["dL/d(out)"])[None, None])
    rows, cols = slice(2 * bi, 2 * bi + 2), slice(2 * bj, 2 * bj + 2)
    block, grad = g["x"][rows, cols], g["dL/d(out)"][bi, bj]
    return x.grad[0, 0, rows, cols], {
        "shared evenly": np.full((2, 2), grad / 4),
        "copied to all": np.full((2, 2), grad),
        "to the smallest": np.where(block == block.min(), grad, 0.0),
    }


def flatten_index(item):
    n = _n(item)
    c, h, w, ci, i, j = n["C"], n["H"], n["W"], n["c"], n["i"], n["j"]
    flat = int(torch.arange(c * h * w).reshape(1, c, h, w).flatten(1)[0].tolist().index(
        int(torch.arange(c * h * w).reshape(c, h, w)[ci, i, j])
    ))
    return flat, {
        "channels last": (i * w + j) * c + ci,
        "columns first": ci * h * w + j * h + i,
        "counted from 1": flat + 1,
    }


def batch_weight_grad(item):
    n, g = _n(item), _g(item)
    u, v = n["u"], n["v"]
    x = _t(np.stack([g[f"x[{s}]"] for s in range(3)])[:, None])
    delta = _t(np.stack([g[f"δ[{s}]"] for s in range(3)])[:, None])
    w = torch.zeros(1, 1, 2, 2, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.conv2d(x, w).backward(delta)
    dw = w.grad[0, 0].numpy()
    first = signal.correlate2d(g["x[0]"], g["δ[0]"], mode="valid")
    return dw[u, v], {
        "one sample only": first[u, v],
        "averaged": dw[u, v] / 3,
        "flipped": dw[1 - u, 1 - v],
    }


ROUTES = {
    "output-size": output_size, "z-shape": z_shape, "z-entry": z_entry,
    "weight-uses": weight_uses, "dx-entry": dx_entry, "sigmoid-delta": sigmoid_delta,
    "delta-shape": delta_shape, "dx-shape": dx_shape, "channel-grad": channel_grad,
    "padded-delta-size": padded_delta_size, "stride-dx-entry": stride_dx_entry,
    "transposed-size": transposed_size, "learned-count": learned_count, "bias-grad": bias_grad,
    "weight-grad": weight_grad, "weight-grad-dilated": weight_grad_dilated,
    "window-count": window_count, "padding-crop": padding_crop,
    "dilated-output": dilated_output, "block-shape": block_shape, "pool-relu": pool_relu,
    "delta-below": delta_below, "pool-backward": pool_backward,
    "flatten-index": flatten_index, "batch-weight-grad": batch_weight_grad,
}  # fmt: skip


def _flat(value) -> tuple[float, ...]:
    if isinstance(value, torch.Tensor):
        value = value.detach().numpy()
    return tuple(float(v) for v in np.asarray(value, dtype=np.float64).ravel())


def _close(a, b, tol=1e-9) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def test_every_exercise_has_its_independent_routes():
    assert {key for _, key in CASES} == set(ROUTES)


@pytest.mark.parametrize(("lesson", "key"), CASES)
def test_answer_and_each_mistake_come_from_their_named_routes(lesson, key):
    for seed in SEEDS:
        item = exercise(lesson, key, seed)
        answer, routes = ROUTES[key](item)
        assert _close(item.answer, _flat(answer)), (seed, item.answer, answer)
        applies = {name for name, value in routes.items() if value is not None}
        listed = [route for m in item.mistakes for route in m.routes]
        # a route that applies is listed (once); one that does not is not listed at all
        assert sorted(listed) == sorted(applies), (seed, listed, applies)
        for mistake in item.mistakes:
            for route in mistake.routes:
                assert _close(mistake.value, _flat(routes[route])), (seed, route)
            if len(mistake.routes) > 1:  # one sentence names every route that gave the value
                assert mistake.name == " or ".join(mistake.routes)
        values = [item.answer, *(m.value for m in item.mistakes)]
        for i, a in enumerate(values):
            for b in values[i + 1 :]:
                gap = max(abs(x - y) for x, y in zip(a, b, strict=True)) if len(a) == len(b) else 1
                apart = gap > APART
                assert apart, (seed, "two listed values coincide unnamed", a, b)


_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def _numbers(text: str) -> set[float]:
    return {float(t) for t in _NUMBER.findall(text.replace("−", "-"))}


@pytest.mark.parametrize(("lesson", "key"), CASES)
def test_no_wrong_answer_feedback_states_the_answer(lesson, key):
    """Issue 20: "the windows fit only H_o = 13 times" gave a shape's rows away. No sentence a
    wrong answer gets writes a number of the answer that the question does not state (in a
    map of several numbers, 0 and ±1 are what rules name: "gives 0", "slope 1 or 0")."""
    for seed in range(40):
        item = exercise(lesson, key, seed)
        stated = _numbers(item.question + " " + item.label)
        if item.kind == "numbers":
            stated |= {0.0, 1.0, -1.0}
        secret = {v for v in item.answer if v not in stated}
        wrong = [", ".join(repr(v) for v in m.value) for m in item.mistakes]
        wrong += [", ".join(str(v + 1000.5) for v in item.answer), "1, 2, 3, 4, 5, 6, 7"]
        wrong += ["7.123456"]
        for typed in wrong:
            feedback = item.check(typed)
            assert not feedback.correct
            said = _numbers(feedback.message) - _numbers(typed)
            assert not said & secret, (seed, feedback.message, item.answer)


# ------------------------------------------------- the "how" sentences hold their numbers

_HOW_SPANS = {  # key -> (text before the arithmetic, text after it)
    "output-size": ("H_o = ", ", by"),
    "transposed-size": ("+ 1 = ", ", by"),
    "dilated-output": ("= ", " (the kernel"),
    "learned-count": ("= ", ", counted"),
    "flatten-index": ("= ", " (C order"),
}


def _evaluate(expression: str) -> float:
    text = expression.replace("·", "*").replace("−", "-").replace("⌊", "floor(").replace("⌋", ")")
    assert re.fullmatch(r"[0-9+\-*/() floor]+", text), text
    return eval(text, {"__builtins__": {}}, {"floor": math.floor})  # noqa: S307 (checked above)


@pytest.mark.parametrize("key", list(_HOW_SPANS))
def test_the_how_sentence_computes_the_answer(key):
    """The "how" shown with the answer is built from the draw's numbers: its arithmetic,
    evaluated here, gives the answer the independent route gives."""
    lesson = next(lesson for lesson, k in CASES if k == key)
    before, after = _HOW_SPANS[key]
    for seed in SEEDS:
        item = exercise(lesson, key, seed)
        expression = item.how.split(before, 1)[1].split(after, 1)[0]
        assert _evaluate(expression) == _flat(ROUTES[key](item)[0])[0], (seed, item.how)


def test_the_padded_delta_how_counts_its_rows():
    for seed in SEEDS:
        item = exercise("03", "padded-delta-size", seed)
        dilated = re.search(r"^(.*) = (\d+) after dilating, plus kh − 1 = (\d+) zeros", item.how)
        assert _evaluate(dilated.group(1)) == int(dilated.group(2))
        total = int(dilated.group(2)) + 2 * int(dilated.group(3))
        assert total == _flat(ROUTES["padded-delta-size"](item)[0])[0]


def test_the_weight_grad_how_says_where_the_crop_is():
    """Issue 19, 1: the correlation is larger than the kernel exactly along an axis where
    (H + 2p − k) mod s ≠ 0; the sentence's size and axes against scipy's correlation."""
    for seed in SEEDS:
        item = exercise("04", "weight-grad", seed)
        g = _g(item)
        corr = signal.correlate2d(np.pad(g["x"], 1), _dilated(g["δ"], 2), mode="valid")
        assert f"is {corr.shape[0]}×{corr.shape[1]}, larger than the 2×2 kernel" in item.how
        for axis, length in zip(("rows", "columns"), corr.shape, strict=True):
            assert (f"along the {axis}: " in item.how) == (length > 2), (seed, item.how)
        for clause in re.findall(r"\(([^)]*)\) mod 2 = (\d) ≠ 0", item.how):
            assert _evaluate(clause[0]) % 2 == int(clause[1]) != 0


@settings(max_examples=150, deadline=None)
@given(
    height=st.integers(1, 12), width=st.integers(1, 12), kernel=st.integers(1, 5),
    stride=st.integers(1, 4), padding=st.integers(0, 3),
)  # fmt: skip
def test_the_crop_clause_holds_at_every_geometry(height, width, kernel, stride, padding):
    """crop_words (the dW crop clause, dilation 1) names exactly the axes along which
    x_padded ⋆ dilate_s(δ), computed by scipy, is larger than the kernel."""
    if min(height, width) + 2 * padding < kernel:
        return
    ho, wo = ref.output_size((height, width), kernel, stride, padding)
    spread = _dilated(np.ones((ho, wo)), stride)
    corr = signal.correlate2d(np.ones((height + 2 * padding, width + 2 * padding)), spread,
                              mode="valid")  # fmt: skip
    clause = crop_words((height, width), padding, kernel, stride)
    assert ("along the rows" in clause) == (corr.shape[0] > kernel)
    assert ("along the columns" in clause) == (corr.shape[1] > kernel)
    assert corr.shape[0] >= kernel and corr.shape[1] >= kernel
