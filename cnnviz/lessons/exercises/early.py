"""Exercises for lessons 00-02: sizes, one channel, depth (lesson 03 is in :mod:`.stride`).

Each generator draws small whole numbers (easy by hand) and returns the question, the core's
answer and the classic mistakes, each mistake's value computed with the core taking the wrong
route, listed only where that route applies to the draw; ``numbers`` holds the drawn
numbers the question states. :func:`cnnviz.lessons.exercises.base.draw` merges routes that
always agree into one sentence and redraws until every mistake is told apart.
"""

from __future__ import annotations

import numpy as np

from cnnviz.core.activations import derivative
from cnnviz.core.conv import (
    conv2d,
    conv2d_backward,
    input_grad_contributions,
    rot180,
)
from cnnviz.core.geometry import Geometry, output_length
from cnnviz.lessons.exercises.base import dilation_forgotten, no_turn_or_twice, turned_twice
from cnnviz.lessons.exercises.base import small_numbers as _ints
from cnnviz.lessons.single_channel import count_connections, gather_input_grad

# ------------------------------------------------------------------------------- lesson 00


def output_size(rng: np.random.Generator) -> dict | None:
    h, k = int(rng.integers(7, 16)), int(rng.integers(2, 5))
    s, p, d = int(rng.integers(2, 4)), int(rng.integers(1, 3)), 2
    if h + 2 * p < d * (k - 1) + 1:
        return None
    answer = Geometry(h, k, stride=s, padding=p, dilation=d).output_size[0]
    steps = h + 2 * p - d * (k - 1) - 1
    return {
        "numbers": {"H": h, "k": k, "s": s, "p": p, "d": d},
        "question": (
            f"A {h}×{h} input, a {k}×{k} kernel, stride {s}, padding {p}, dilation {d}. "
            "How many rows does each output map (each δ map) have?"
        ),
        "label": "H_o",
        "answer": answer,
        "how": f"H_o = ⌊({h} + 2·{p} − {d}·({k} − 1) − 1) / {s}⌋ + 1, by the core's Geometry.",
        "mistakes": [
            ("padding forgotten", output_length(h, k, s, 0, d),
             f"you left out the padding: the padded input is {h} + 2·{p} rows tall."),
            dilation_forgotten(output_length(h, k, s, p, 1), d, k),
            ("stride forgotten", output_length(h, k, 1, p, d),
             f"you counted every window position; at stride {s} only one in {s} is "
             "computed, so divide by the stride."),
            ("no +1", output_length(h, k, s, p, d) - 1,
             "you forgot the +1: the division counts the steps between windows, and the first "
             "window counts too."),
            ("rounded up", -(-steps // s) + 1,
             "you rounded up: a window that would hang over the edge is not computed, so round "
             "down."),
        ],
    }  # fmt: skip


def z_shape(rng: np.random.Generator) -> dict | None:
    n, c, k_filters = int(rng.integers(2, 9)), int(rng.integers(2, 11)), int(rng.integers(2, 9))
    h, k, s = int(rng.integers(8, 20)), int(rng.choice([3, 5])), int(rng.integers(1, 3))
    z = conv2d(np.zeros((n, c, h, h)), np.zeros((k_filters, c, k, k)), stride=s)
    ho = z.shape[2]
    return {
        "numbers": {"N": n, "C": c, "K": k_filters, "H": h, "k": k, "s": s},
        "question": (
            f"A batch x of shape (N, C, H, W) = ({n}, {c}, {h}, {h}) goes through {k_filters} "
            f"filters of shape ({c}, {k}, {k}) at stride {s}, no padding. What is the shape of z?"
        ),
        "label": "the shape of z",
        "kind": "numbers",
        "answer": z.shape,
        "how": "(N, K, H_o, W_o): one map per filter and sample, measured by running the core.",
        "mistakes": [
            ("input depth", (n, c, ho, ho),
             "you gave z the input's depth C; each filter makes one map, so z has K channels."),
            ("no sum over c", (n, k_filters, c, ho, ho),
             "you kept one map per (filter, channel) pair; each filter sums over the channels "
             "it reads, giving one map."),
            ("same size", (n, k_filters, h, h),
             "you kept the input's height and width; without padding a window fits fewer times "
             "than the input has rows, so the maps shrink."),
        ],
    }  # fmt: skip


def z_entry(rng: np.random.Generator) -> dict | None:
    x, w = _ints(rng, (4, 4)), _ints(rng, (2, 2))
    b = float(rng.choice([-1.0, 1.0, 2.0]))
    i, j = (int(v) for v in rng.choice(3, size=2, replace=False))  # i != j
    z = conv2d(x[None, None], w[None, None], [b])[0, 0]
    flipped = conv2d(x[None, None], rot180(w)[None, None], [b])[0, 0]
    return {
        "numbers": {"i": i, "j": j, "b": b},
        "question": (
            f"z = x ⋆ w + b (⋆ cross-correlation, stride 1, no padding) with b = {b:g}. "
            f"What is z[{i}, {j}]? (Rows and columns count from 0.)"
        ),
        "given": (("x", x), ("w", w)),
        "label": f"z[{i}, {j}]",
        "answer": z[i, j],
        "how": f"Σ_u Σ_v w[u, v] · x[{i} + u, {j} + v] + b, by the core's conv2d.",
        "mistakes": [
            ("convolution", flipped[i, j],
             "you turned the kernel half a turn (∗ convolution); the forward pass is ⋆ "
             "cross-correlation, which slides w as it is."),
            ("bias forgotten", z[i, j] - b, "you forgot to add the bias b."),
            ("row and column swapped", z[j, i],
             f"you swapped row and column: z[{i}, {j}] reads the window whose top-left corner "
             f"is row {i}, column {j}."),
        ],
    }  # fmt: skip


# ------------------------------------------------------------------------------- lesson 01


def weight_uses(rng: np.random.Generator) -> dict | None:
    h, k = int(rng.integers(5, 12)), int(rng.integers(2, 5))
    count = count_connections(Geometry(h, k))
    return {
        "numbers": {"H": h, "k": k},
        "question": (
            f"One {k}×{k} filter slides over a {h}×{h} input at stride 1, no padding. "
            "How many times is each weight used in the forward pass?"
        ),
        "label": "the uses of each weight",
        "answer": count.uses_per_weight,
        "how": "Once per output position: H_o · W_o, by the core's connection count.",
        "mistakes": [
            ("all connections", count.connections,
             "that is the number of connections; each weight is only one of the kh·kw taps "
             "of each window."),
            ("input pixels", h * h,
             "that is the number of input pixels; a weight is used once per window position, "
             "and there are fewer windows than pixels."),
            ("filter size", count.weights,
             "that is the number of weights in the filter, not how often one of them is used."),
        ],
    }  # fmt: skip


def dx_entry(rng: np.random.Generator) -> dict | None:
    delta, w = _ints(rng, (3, 3)), _ints(rng, (2, 2))
    p, q = (int(v) for v in rng.integers(1, 3, size=2))
    dx = conv2d_backward(delta[None, None], np.zeros((1, 1, 4, 4)), w[None, None])[0][0, 0]
    no_flip = gather_input_grad(delta, w, 4, flip=False)
    twice = gather_input_grad(delta, rot180(w), 4)  # convolving with the turned w turns it back
    ahead = conv2d(np.pad(delta, ((0, 1), (0, 1)))[None, None], w[None, None])[0, 0]
    return {
        "numbers": {"p": p, "q": q},
        "question": (
            "A 4×4 input x, a 2×2 filter w, stride 1, no padding, so δ = dL/dz is 3×3. "
            f"What is dL/dx[{p}, {q}]?"
        ),
        "given": (("δ", delta), ("w", w)),
        "label": f"dL/dx[{p}, {q}]",
        "answer": dx[p, q],
        "how": f"Σ δ[i, j] · w[{p} − i, {q} − j] over the windows that cover x[{p}, {q}] "
        "(padded δ ⋆ rot180(w), the same as padded δ ∗ w), by the core's conv2d_backward.",
        "mistakes": [
            ("no rot180", no_flip[p, q],
             "you slid w over the padded δ without turning it half a turn; the weight "
             "linking δ[i, j] to x[r, q] is w[r − i, q − j], read backwards: rot180(w)."),
            turned_twice(twice[p, q]),
            ("own window only", delta[p, q] * w[0, 0],
             "you kept only the window that starts at this pixel; every window covering it "
             "sends back δ · w, so add them all."),
            ("read forward", ahead[p, q],
             "you read δ forward (δ[r + u, q + v]) as the forward pass reads x; the windows "
             "covering x[r, q] start at or before it, so δ[r − u, q − v] reaches it."),
        ],
        "same": [no_turn_or_twice()],
    }  # fmt: skip


def sigmoid_delta(rng: np.random.Generator) -> dict | None:
    g = float(rng.choice([-2.0, -1.5, -1.0, 1.0, 1.5, 2.0, 3.0]))
    a = float(rng.choice([0.2, 0.25, 0.6, 0.75, 0.8, 0.9]))
    z = np.log(a / (1 - a))
    slope = float(derivative("sigmoid", np.array([z]))[0])
    return {
        "numbers": {"dL/da": g, "a": a},
        "question": (
            f"Below a conv layer the activation is a sigmoid. At one pixel, dL/da^l = {g:g} "
            f"and a^l = σ(z^l) = {a:g}. What is δ^l there? (Two decimals are enough.)"
        ),
        "label": "δ^l",
        "answer": g * slope,
        "atol": 0.006,
        "how": f"δ^l = dL/da^l ⊙ σ'(z^l) with σ'(z) = σ(z)(1 − σ(z)) = {a:g}·{1 - a:g}, "
        "by the core's sigmoid derivative.",
        "mistakes": [
            ("slope forgotten", g,
             "you stopped at dL/da^l; δ^l = dL/dz^l, so multiply by the activation's slope "
             "σ'(z^l)."),
            ("activation, not slope", g * a,
             "you multiplied by σ(z) itself; the chain rule needs its slope, "
             "σ'(z) = σ(z)(1 − σ(z))."),
            ("half the slope", g * (1 - a),
             "you multiplied by 1 − σ(z) only; the sigmoid's slope is σ(z)(1 − σ(z))."),
        ],
    }  # fmt: skip


# ------------------------------------------------------------------------------- lesson 02


def delta_shape(rng: np.random.Generator) -> dict | None:
    c, h, k_filters = int(rng.integers(3, 13)), int(rng.integers(6, 15)), int(rng.integers(2, 7))
    k = int(rng.choice([3, 5]))
    z = conv2d(np.zeros((1, c, h, h)), np.zeros((k_filters, c, k, k)))
    ho = z.shape[2]
    return {
        "numbers": {"C": c, "H": h, "K": k_filters, "k": k},
        "question": (
            f"A {c}×{h}×{h} input (C×H×W) and {k_filters} filters of {c}×{k}×{k}, stride 1, "
            "no padding. What is the shape of δ^(l+1) for one sample (channels, rows, columns)?"
        ),
        "label": "the shape of δ",
        "kind": "numbers",
        "answer": z.shape[1:],
        "how": "δ = dL/dz has z's shape: one H_o×W_o map per filter, measured with the core.",
        "mistakes": [
            ("input depth", (c, ho, ho),
             "you gave δ the input's depth; δ has one map per filter, so its depth is K."),
            ("no sum over c", (k_filters, c, ho, ho),
             "you kept a map per (filter, channel) pair; each filter sums its channels into "
             "one map."),
            ("same size", (k_filters, h, h),
             "you kept the input's size; without padding a window fits fewer times than the "
             "input has rows and columns, so each map shrinks."),
        ],
    }  # fmt: skip


def dx_shape(rng: np.random.Generator) -> dict | None:
    c, h, k_filters = int(rng.integers(3, 13)), int(rng.integers(6, 15)), int(rng.integers(2, 7))
    k = int(rng.choice([3, 5]))
    x, w = np.zeros((1, c, h, h)), np.zeros((k_filters, c, k, k))
    ho = conv2d(x, w).shape[2]
    dx = conv2d_backward(np.zeros((1, k_filters, ho, ho)), x, w)[0]
    contrib = input_grad_contributions(np.zeros((k_filters, ho, ho)), w, h)
    return {
        "numbers": {"C": c, "H": h, "K": k_filters, "k": k},
        "question": (
            f"A {c}×{h}×{h} input and {k_filters} filters of {c}×{k}×{k}, stride 1, no padding. "
            "What is the shape of dL/da^l for one sample (channels, rows, columns)?"
        ),
        "label": "the shape of dL/da^l",
        "kind": "numbers",
        "answer": dx.shape[1:],
        "how": "The input's own shape: each channel collects Σ_k δ_k ⋆ rot180(w_{k,c}) over "
        "the padded δ, measured with the core.",
        "mistakes": [
            ("delta depth", (k_filters, h, h),
             "you gave it δ's depth K; the sum over filters leaves one map per input channel, C."),
            ("delta size", (c, ho, ho),
             f"you kept δ's {ho}×{ho} maps; the full correlation grows them back to {h}×{h}."),
            ("no sum over k", contrib.shape,
             "you kept every (filter, channel) contribution; they are summed over the filters k."),
        ],
    }  # fmt: skip


def channel_grad(rng: np.random.Generator) -> dict | None:
    delta, w = _ints(rng, (2, 2, 2)), _ints(rng, (2, 2, 2, 2))
    c, p, q = int(rng.integers(0, 2)), 1, int(rng.integers(0, 3))
    contrib = input_grad_contributions(delta, w, 3)  # (K, C, 3, 3)
    swapped = input_grad_contributions(delta, w.transpose(1, 0, 2, 3), 3).sum(axis=0)
    no_flip = sum(gather_input_grad(delta[k], w[k, c], 3, flip=False) for k in range(2))
    twice = sum(gather_input_grad(delta[k], rot180(w[k, c]), 3) for k in range(2))
    # the seed question's own guess: add each filter's slices over depth, then full-correlate
    depth_summed = input_grad_contributions(delta, w.sum(axis=1, keepdims=True), 3).sum(axis=0)
    page = c + 1  # channels on the page count from 1, arrays from 0
    return {
        "numbers": {"c": c, "p": p, "q": q},
        "question": (
            "Two filters (K = 2) on a 2-channel 3×3 input (C = 2), kernels 2×2, stride 1, so "
            "δ is 2×2×2; w[k, c] is the slice of filter k + 1 that reads channel c + 1 (arrays "
            "count from 0, filters and channels on the page from 1). "
            f"What is dL/dx[{c}, {p}, {q}] (channel {page} on the page)?"
        ),
        "given": (("δ[0]", delta[0]), ("δ[1]", delta[1]))
        + tuple((f"w[{k}, {cc}]", w[k, cc]) for k in range(2) for cc in range(2)),
        "label": f"dL/dx[{c}, {p}, {q}]",
        "answer": contrib[:, c].sum(axis=0)[p, q],
        "how": f"Σ_k (padded δ[k] ⋆ rot180(w[k, {c}]))[{p}, {q}]: both filters send into "
        f"channel {page}, each through its own slice for it; by the core.",
        "mistakes": [
            ("one filter only", contrib[0, c, p, q],
             f"you kept only filter 1's share (δ[0] through w[0, {c}]); filter 2's δ[1] reaches "
             f"channel {page} too, through w[1, {c}], so add over both filters."),
            ("indices swapped", swapped[c, p, q],
             f"you used w[{c}, k], filter {page}'s slices; channel {page} collects through "
             f"w[k, {c}], each filter's slice for channel {page}."),
            ("no rot180", no_flip[p, q],
             "you slid each slice over δ without turning it half a turn; the gather needs "
             f"rot180(w[k, {c}])."),
            turned_twice(twice[p, q], "the padded δ[k]", f"w[k, {c}]"),
            ("depth summed", depth_summed[0, p, q],
             "you added each filter's slices over depth (w[k, 0] + w[k, 1]) before the full "
             f"correlation; channel {page} has its own slice w[k, {c}]: the sum runs over the "
             "filters k, and each channel keeps its slice."),
        ],
        "same": [no_turn_or_twice("the padded δ[k]", f"w[k, {c}]")],
    }  # fmt: skip
