"""Exercises for lesson 04: what a conv layer learns and the gradients of its weights and bias,
including dW at stride 2 with the crop and dW at dilation 2 (every d-th entry).

Same contract as :mod:`cnnviz.lessons.exercises.early`: answers and every mistake's value are
computed with the core (:mod:`cnnviz.core`) or the network layers (:mod:`cnnviz.nn`).
"""

from __future__ import annotations

import numpy as np

from cnnviz.core.conv import conv2d, conv2d_backward, dilate, pad_input
from cnnviz.lessons.exercises.base import flipped_weight_grad
from cnnviz.lessons.exercises.base import small_numbers as _ints
from cnnviz.nn.layers import Conv2D


def learned_count(rng: np.random.Generator) -> dict | None:
    c, k_filters, k = int(rng.integers(2, 9)), int(rng.integers(2, 9)), int(rng.choice([3, 5]))
    h = int(rng.integers(8, 16))
    layer = Conv2D(c, k_filters, k)
    ho = layer.geometry((h, h)).output_size[0]
    weights = layer.params["w"].size
    return {
        "numbers": {"C": c, "K": k_filters, "k": k, "H": h},
        "question": (
            f"A conv layer with {k_filters} filters of {k}×{k} reads a {c}-channel {h}×{h} "
            "input (stride 1, no padding). How many numbers does it learn?"
        ),
        "label": "the learned numbers",
        "answer": weights + layer.params["b"].size,
        "how": f"K·C·kh·kw weights + K biases = {k_filters}·{c}·{k}·{k} + {k_filters}, counted "
        "from the network layer's parameters.",
        "mistakes": [
            ("bias forgotten", weights, "you forgot the biases: one per filter."),
            ("filters not deep", k_filters * k * k + k_filters,
             f"your filters are one slice deep; each is as deep as the input, {c} slices."),
            ("weights per position", ho * ho * weights + k_filters,
             "you gave every output position its own weights; the same filter is shared by "
             "all positions."),
        ],
    }  # fmt: skip


def bias_grad(rng: np.random.Generator) -> dict | None:
    delta = _ints(rng, (2, 2, 2, 2))  # (N, K, Ho, Wo)
    k = 1
    db = conv2d_backward(delta, np.zeros((2, 1, 3, 3)), np.zeros((2, 1, 2, 2)))[2]
    db_first = conv2d_backward(delta[:1], np.zeros((1, 1, 3, 3)), np.zeros((2, 1, 2, 2)))[2]
    return {
        "numbers": {"k": k},
        "question": (
            "A batch of N = 2 samples through K = 2 filters; δ[n, k] is the map of sample n + 1 "
            "for filter k + 1 (arrays count from 0, samples and filters on the page from 1, so "
            f"db[{k}] is filter {k + 1}'s bias gradient). What is dL/db[{k}]?"
        ),
        "given": tuple((f"δ[{n}, {kk}]", delta[n, kk]) for n in range(2) for kk in range(2)),
        "label": f"dL/db[{k}]",
        "answer": db[k],
        "how": f"Σ over samples and positions of δ[n, {k}, i, j]: one bias per filter, used at "
        "every position of every sample; by the core's conv2d_backward.",
        "mistakes": [
            ("averaged", db[k] / delta[:, k].size,
             "you averaged; the bias is used at every position, so its gradient is the sum."),
            ("one sample only", db_first[k],
             f"you summed the first sample's map only (δ[0, {k}]); the batch's gradient adds "
             "every sample's share."),
            ("other filter", db[1 - k],
             f"you summed δ[:, {1 - k}], filter {2 - k}'s maps; db[{k}] is filter {k + 1}'s "
             "(arrays count from 0, filters from 1)."),
        ],
    }  # fmt: skip


def crop_words(size: tuple[int, int], padding: int, kernel: int, stride: int) -> str:
    """Where ``x_padded ⋆ dilate_s(δ)`` is larger than the kernel (dilation 1), as a clause
    built from the crop condition ``(H + 2p − k) mod s ≠ 0`` along each axis, e.g.
    ``"along the rows: (3 + 2·1 − 2) mod 2 = 1 ≠ 0"``; ``""`` when it is not larger."""
    parts = []
    for axis, length in zip(("rows", "columns"), size, strict=True):
        rest = (length + 2 * padding - kernel) % stride
        if rest:
            parts.append(f"along the {axis}: ({length} + 2·{padding} − {kernel}) mod {stride} "
                         f"= {rest} ≠ 0")  # fmt: skip
    return "; ".join(parts)


def weight_grad(rng: np.random.Generator) -> dict | None:
    h, w = (int(t) for t in rng.choice([3, 4], size=2))
    if h % 2 == 0 and w % 2 == 0:  # no crop on either axis: not this question
        return None
    x, u, v = _ints(rng, (h, w)), int(rng.integers(0, 2)), int(rng.integers(0, 2))
    ho, wo = h // 2 + 1, w // 2 + 1
    delta = _ints(rng, (ho, wo))
    dw = conv2d_backward(delta[None, None], x[None, None], np.zeros((1, 1, 2, 2)), stride=2,
                         padding=1)[1][0, 0]  # fmt: skip
    xp = pad_input(x, 1)
    corr = conv2d(xp[None, None], dilate(delta, 2)[None, None])[0, 0]  # before the crop
    rh, rw = corr.shape[0] - 2, corr.shape[1] - 2
    unpadded = conv2d(np.pad(x, ((0, 2), (0, 2)))[None, None], dilate(delta, 2)[None, None])
    undilated = conv2d(xp[None, None], delta[None, None])[0, 0]
    return {
        "numbers": {"H": h, "W": w, "u": u, "v": v},
        "question": (
            f"A {h}×{w} input x, one 2×2 filter, stride 2, padding 1 (zeros all round), so δ "
            f"is {ho}×{wo}. What is dL/dw[{u}, {v}]?"
        ),
        "given": (("x", x), ("δ", delta)),
        "label": f"dL/dw[{u}, {v}]",
        "answer": dw[u, v],
        "how": f"Σ_i Σ_j δ[i, j] · x_padded[2i + {u}, 2j + {v}]. x_padded ⋆ dilate(δ) is "
        f"{corr.shape[0]}×{corr.shape[1]}, larger than the 2×2 kernel "
        f"{crop_words((h, w), 1, 2, 2)}; dW is its top-left 2×2. By the core's "
        "conv2d_backward.",
        "mistakes": [
            ("padding forgotten", unpadded[0, 0, u, v],
             "you read x without its padding; the windows read the padded input, so shift by "
             "one row and one column of zeros."),
            ("stride forgotten", undilated[u, v],
             "you moved the window one pixel per δ entry; at stride 2 window (i, j) starts at "
             "(2i, 2j)."),
            flipped_weight_grad(dw, (u, v), "dilate(δ)"),
            ("cropped the wrong end", corr[u + rh, v + rw],
             "you kept the bottom-right 2×2 of x_padded ⋆ dilate(δ); entry (u, v) of that "
             "correlation is kernel tap (u, v), and the kernel's taps are 0 and 1: the extra "
             "rows and columns at the end are taps past the kernel, so keep the top-left 2×2."),
        ],
    }  # fmt: skip


def weight_grad_dilated(rng: np.random.Generator) -> dict | None:
    w = int(rng.integers(5, 7))
    u, v = int(rng.integers(0, 2)), int(rng.integers(0, 2))
    if u == v == 0:  # tap (0, 0) reads the same pixels at any dilation: not this question
        return None
    x, delta = _ints(rng, (5, w)), _ints(rng, (3, w - 2))
    dw = conv2d_backward(delta[None, None], x[None, None], np.zeros((1, 1, 2, 2)),
                         dilation=2)[1][0, 0]  # fmt: skip
    corr = conv2d(x[None, None], delta[None, None])[0, 0]  # x ⋆ δ: 3×3, every 2nd entry is dW
    label = f"dL/dw[{u}, {v}] at dilation 2"
    return {
        "numbers": {"W": w, "u": u, "v": v},
        "question": (
            f"A 5×{w} input x, one 2×2 filter with dilation 2 (its taps 2 pixels apart), stride "
            f"1, no padding, so δ is 3×{w - 2}. What is {label}?"
        ),
        "given": (("x", x), ("δ", delta)),
        "label": label,
        "answer": dw[u, v],
        "how": f"Σ_i Σ_j δ[i, j] · x[i + 2·{u}, j + 2·{v}]: x ⋆ δ is "
        f"{corr.shape[0]}×{corr.shape[1]}, and dW is every 2nd entry of it, entry "
        f"({2 * u}, {2 * v}); by the core's conv2d_backward.",
        "mistakes": [
            ("dilation forgotten", corr[u, v],
             "you read x at (i + u, j + v); with dilation 2 tap (u, v) reads x[i + 2u, j + 2v], "
             "so dW takes every 2nd entry of x ⋆ δ."),
            flipped_weight_grad(dw, (u, v)),
        ],
    }  # fmt: skip
