"""Exercises for lessons 05-07: padding and overlap, the gesture CNN, the whole network
(max-pool routing, the flatten index, the batch sum).

Same contract as :mod:`cnnviz.lessons.exercises.early`: answers and every mistake's value are
computed with the core (:mod:`cnnviz.core`) or the network layers (:mod:`cnnviz.nn`).
"""

from __future__ import annotations

import numpy as np

from cnnviz.core.activations import activate, derivative
from cnnviz.core.conv import conv2d_backward, rot180
from cnnviz.core.geometry import Geometry, output_length
from cnnviz.lessons.exercises.base import (
    dilation_forgotten,
    flipped_weight_grad,
    no_turn_or_twice,
    turned_twice,
)
from cnnviz.lessons.exercises.base import small_numbers as _ints
from cnnviz.lessons.padding import input_grad_before_crop
from cnnviz.lessons.single_channel import gather_input_grad
from cnnviz.nn.layers import Conv2D, Flatten, MaxPool2D, ReLU, Sequential

# ------------------------------------------------------------------------------- lesson 05


def window_count(rng: np.random.Generator) -> dict | None:
    h, k = int(rng.integers(7, 12)), int(rng.integers(3, 5))
    p, q = (int(t) for t in rng.integers(0, h, size=2))
    counts = Geometry(h, k, stride=2).window_counts()
    if counts[p, q] == 0:
        return None
    rows = Geometry((h, k), k, stride=2).window_counts()[p, 0]
    return {
        "numbers": {"H": h, "k": k, "p": p, "q": q},
        "question": (
            f"A {k}×{k} kernel at stride 2 on a {h}×{h} input, no padding. How many windows "
            f"read pixel ({p}, {q})?"
        ),
        "label": f"the windows reading ({p}, {q})",
        "answer": counts[p, q],
        "how": "(Windows covering its row) × (windows covering its column), by the core's "
        "Geometry.window_counts.",
        "mistakes": [
            ("stride forgotten", Geometry(h, k).window_counts()[p, q],
             "you counted windows at stride 1; at stride 2 they start only on every other row "
             "and column."),
            ("one axis only", rows,
             "you counted along the rows only; a window must cover the row and the column, so "
             "multiply the two counts."),
            ("kh·kw", k * k,
             "kh·kw is the count away from the border when every position starts a window; "
             "stride and border change it."),
        ],
    }  # fmt: skip


def padding_crop(rng: np.random.Generator) -> dict | None:
    delta, w = _ints(rng, (3, 3)), _ints(rng, (3, 3))
    p, q = 0, int(rng.integers(0, 3))
    dx = conv2d_backward(delta[None, None], np.zeros((1, 1, 3, 3)), w[None, None], padding=1)
    dx = dx[0][0, 0]
    padded = input_grad_before_crop(delta[None], w[None, None], 3, padding=1)[0]
    no_flip = gather_input_grad(delta, w, 3, padding=1, flip=False)
    twice = gather_input_grad(delta, rot180(w), 3, padding=1)  # ∗ with rot180(w): turned back
    return {
        "numbers": {"p": p, "q": q},
        "question": (
            "A 3×3 input, a 3×3 filter w, stride 1, padding 1, so δ is 3×3. "
            f"What is dL/dx[{p}, {q}]?"
        ),
        "given": (("δ", delta), ("w", w)),
        "label": f"dL/dx[{p}, {q}]",
        "answer": dx[p, q],
        "how": "The gradient on the 5×5 padded grid, cropped by the padding: entry "
        f"({p} + 1, {q} + 1) there; by the core's conv2d_backward.",
        "mistakes": [
            ("no crop", padded[p, q],
             "you read the padded grid without cropping; x[r, q] sits at (r + 1, q + 1) there, "
             "and the border belongs to the padding zeros."),
            ("no rot180", no_flip[p, q],
             "you slid w over δ without turning it half a turn (rot180)."),
            turned_twice(twice[p, q]),
        ],
        "same": [no_turn_or_twice()],
    }  # fmt: skip


def dilated_output(rng: np.random.Generator) -> dict | None:
    h, k = int(rng.integers(7, 15)), int(rng.integers(2, 5))
    d, p = int(rng.integers(2, 4)), int(rng.integers(1, 3))
    if h + 2 * p < d * (k - 1) + 1 or h < d * k:
        return None
    answer = Geometry(h, k, padding=p, dilation=d).output_size[0]
    return {
        "numbers": {"k": k, "d": d, "p": p, "H": h},
        "question": (
            f"A {k}×{k} kernel with dilation {d}, stride 1, padding {p} on a {h}×{h} input. "
            "How many rows does the output have?"
        ),
        "label": "H_o",
        "answer": answer,
        "how": f"H + 2p − d(kh − 1) = {h} + {2 * p} − {d * (k - 1)} (the kernel spans "
        f"{d * (k - 1) + 1} rows), by the core's Geometry.",
        "mistakes": [
            dilation_forgotten(output_length(h, k, 1, p, 1), d, k),
            ("span d·kh", h + 2 * p - d * k + 1,
             f"you took the span as d·kh = {d * k}; it is d(kh − 1) + 1: no gap after the "
             "last tap."),
            ("padding forgotten", output_length(h, k, 1, 0, d),
             "you left out the padding: add 2p rows first."),
        ],
    }  # fmt: skip


# ------------------------------------------------------------------------------- lesson 06


def block_shape(rng: np.random.Generator) -> dict | None:
    h, k_filters = int(rng.choice([20, 24, 28, 32])), int(rng.choice([4, 6, 8, 16]))
    block = Sequential([Conv2D(1, k_filters, 3, padding=1), ReLU(), MaxPool2D(2)],
                       input_shape=(1, h, h))  # fmt: skip
    return {
        "numbers": {"H": h, "K": k_filters},
        "question": (
            f"A 1×{h}×{h} image goes through Conv2D({k_filters} filters, 3×3, padding 1), ReLU "
            "and a 2×2 max-pool. What shape comes out (channels, rows, columns)?"
        ),
        "label": "the block's output shape",
        "kind": "numbers",
        "answer": block.shapes[-1],
        "how": "Padding 1 keeps the size, the pool halves it; the network checks the shapes "
        "when it is built.",
        "mistakes": [
            ("pool forgotten", block.shapes[2],
             "you stopped before the pool; a 2×2 max-pool halves the rows and columns."),
            ("input depth", (1, h // 2, h // 2),
             f"you kept the image's one channel; the conv gives one map per filter, {k_filters}."),
            ("padding forgotten", (k_filters, (h - 2) // 2, (h - 2) // 2),
             "you left out the padding; with padding 1 a 3×3 conv keeps the size."),
        ],
    }  # fmt: skip


def pool_relu(rng: np.random.Generator) -> dict | None:
    z = rng.permutation(np.arange(-8.0, 9.0)[np.arange(-8, 9) != 0])[:16].reshape(1, 1, 4, 4)
    pooled = MaxPool2D(2).forward(z)
    answer = ReLU().forward(pooled)
    mean = z.reshape(2, 2, 2, 2).mean(axis=(1, 3))
    return {
        "question": (
            "A 4×4 map z goes through ReLU and a 2×2 max-pool (in either order: they commute). "
            "Type the 2×2 result row by row (four numbers)."
        ),
        "given": (("z", z[0, 0]),),
        "label": "relu(pool(z))",
        "kind": "numbers",
        "answer": answer,
        "how": "The largest value of each 2×2 block, then max(·, 0); by the network's MaxPool2D "
        "and ReLU.",
        "mistakes": [
            ("relu forgotten", pooled,
             "you forgot the ReLU: a block whose values are all negative gives 0."),
            ("average pool", activate("relu", mean),
             "you averaged each block; max-pooling keeps each block's largest value."),
            ("relu as abs", MaxPool2D(2).forward(np.abs(z)),
             "you turned negatives positive; ReLU sets them to 0."),
        ],
    }  # fmt: skip


def delta_below(rng: np.random.Generator) -> dict | None:
    g = _ints(rng, (4,)) * rng.choice([1.0, 2.0], size=4)
    z = rng.choice([-3.0, -2.0, -1.0, 2.0, 3.0], size=4)
    if not (z > 0).any() or not (z < 0).any():
        return None
    return {
        "question": (
            "Below the second conv sits a ReLU. At four pixels, dL/dx (what the conv sends back) "
            "and z_below (the pooled pre-activation) are given. Type δ_below at the four pixels."
        ),
        "given": (("dL/dx", g), ("z_below", z)),
        "label": "δ_below",
        "kind": "numbers",
        "answer": g * derivative("relu", z),
        "how": "δ_below = dL/dx ⊙ relu'(z_below): unchanged where z_below > 0, 0 elsewhere; by "
        "the core's relu derivative.",
        "mistakes": [
            ("slope forgotten", g,
             "you stopped at dL/dx; multiply by the ReLU's slope, 0 where z_below ≤ 0."),
            ("times the activation", g * activate("relu", z),
             "you multiplied by relu(z_below) itself; the chain rule needs its slope, 1 or 0."),
            ("times z", g * z, "you multiplied by z_below; the chain rule needs relu'(z_below)."),
        ],
    }  # fmt: skip


# ------------------------------------------------------------------------------- lesson 07


def pool_backward(rng: np.random.Generator) -> dict | None:
    x = rng.permutation(np.arange(1.0, 17.0)).reshape(1, 1, 4, 4)
    dout = _ints(rng, (1, 1, 2, 2)) * 2
    bi, bj = (int(t) for t in rng.integers(0, 2, size=2))
    pool = MaxPool2D(2)
    pool.forward(x)
    dx = pool.backward(dout)[0, 0, 2 * bi : 2 * bi + 2, 2 * bj : 2 * bj + 2]
    block = x[0, 0, 2 * bi : 2 * bi + 2, 2 * bj : 2 * bj + 2]
    g = dout[0, 0, bi, bj]
    return {
        "numbers": {"block row": bi, "block column": bj},
        "question": (
            "A 2×2 max-pool on the 4×4 map x; dL/d(out) is the 2×2 map below. Type dL/dx for "
            f"block ({bi}, {bj}) (rows {2 * bi}–{2 * bi + 1}, columns {2 * bj}–{2 * bj + 1}), "
            "row by row: four numbers."
        ),
        "given": (("x", x[0, 0]), ("dL/d(out)", dout[0, 0])),
        "label": f"dL/dx on block ({bi}, {bj})",
        "kind": "numbers",
        "answer": dx,
        "how": "The whole gradient goes to the block's winner (its largest value), 0 to the "
        "others; by the network's MaxPool2D.backward.",
        "mistakes": [
            ("shared evenly", np.full((2, 2), g / 4),
             "you shared the gradient evenly (that is average pooling); max-pooling sends it all "
             "to the block's largest value."),
            ("copied to all", np.full((2, 2), g),
             "you copied it to every pixel; only the winner changed the output, so only it gets "
             "the gradient."),
            ("to the smallest", np.where(block == block.min(), g, 0.0),
             "you sent it to the smallest value; the winner is the largest."),
        ],
    }  # fmt: skip


def flatten_index(rng: np.random.Generator) -> dict | None:
    c, h, w = int(rng.integers(2, 17)), int(rng.integers(3, 8)), int(rng.integers(3, 8))
    ci, i, j = int(rng.integers(0, c)), int(rng.integers(0, h)), int(rng.integers(0, w))
    if h == w:
        return None
    marker = np.zeros((1, c, h, w))
    marker[0, ci, i, j] = 1.0
    f = int(np.argmax(Flatten().forward(marker)[0]))
    return {
        "numbers": {"C": c, "H": h, "W": w, "c": ci, "i": i, "j": j},
        "question": (
            f"A feature map of shape (C, H, W) = ({c}, {h}, {w}) is flattened for the dense "
            f"layer. At which position of the flat vector (counting from 0) does "
            f"element [{ci}, {i}, {j}] land?"
        ),
        "label": "its flat index",
        "answer": f,
        "how": f"c·H·W + i·W + j = {ci}·{h * w} + {i}·{w} + {j} (C order: channel, row, "
        "column), by the network's Flatten.",
        "mistakes": [
            ("channels last", (i * w + j) * c + ci,
             "you put the channel last (H, W, C order); this network flattens channel first."),
            ("columns first", ci * h * w + j * h + i,
             "you walked down the columns first; the flatten reads each channel row by row."),
            ("counted from 1", f + 1, "you counted from 1; the flat index counts from 0."),
        ],
    }  # fmt: skip


def batch_weight_grad(rng: np.random.Generator) -> dict | None:
    x, delta = _ints(rng, (3, 1, 3, 3)), _ints(rng, (3, 1, 2, 2))
    u, v = (int(t) for t in rng.integers(0, 2, size=2))
    w = np.zeros((1, 1, 2, 2))
    dw = conv2d_backward(delta, x, w)[1][0, 0]
    first = conv2d_backward(delta[:1], x[:1], w)[1][0, 0]
    return {
        "numbers": {"u": u, "v": v},
        "question": (
            "A batch of N = 3 samples, one channel, one 2×2 filter, stride 1: x[n] is 3×3 and "
            f"δ[n] is 2×2. What does the backward pass store as dL/dw[{u}, {v}] for the batch?"
        ),
        "given": tuple((f"x[{n}]", x[n, 0]) for n in range(3))
        + tuple((f"δ[{n}]", delta[n, 0]) for n in range(3)),
        "label": f"dL/dw[{u}, {v}]",
        "answer": dw[u, v],
        "how": f"Σ_n Σ_i Σ_j δ[n, i, j] · x[n, i + {u}, j + {v}]: every sample's share, added "
        "(the loss's 1/N is already inside δ); by the core's conv2d_backward.",
        "mistakes": [
            ("one sample only", first[u, v],
             "you used the first sample only (x[0], δ[0]); the filter is shared by the whole "
             "batch, so add every sample's share."),
            ("averaged", dw[u, v] / 3,
             "you divided by N; the mean loss already put 1/N inside δ, so the shares are added."),
            flipped_weight_grad(dw, (u, v)),
        ],
    }  # fmt: skip
