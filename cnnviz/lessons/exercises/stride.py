"""Exercises for lesson 03: stride. The dilated, padded δ, one dL/dx entry at stride 2 (where
the stride lives in δ's zeros), the transposed convolution's size.

Same contract as :mod:`cnnviz.lessons.exercises.early`: the answer and every mistake's value
are computed with the core or the lessons' own routines, each taking its named route.
"""

from __future__ import annotations

import numpy as np

from cnnviz.core.conv import conv2d_backward, dilate, pad_input, rot180
from cnnviz.lessons.exercises.base import no_turn_or_twice, turned_twice
from cnnviz.lessons.exercises.base import small_numbers as _ints
from cnnviz.lessons.single_channel import gather_input_grad
from cnnviz.lessons.stride import same_stride_attempt, transposed_output_size

# ------------------------------------------------------------------------------- lesson 03


def padded_delta_size(rng: np.random.Generator) -> dict | None:
    ho, s, k = int(rng.integers(2, 6)), int(rng.integers(2, 4)), int(rng.integers(2, 5))
    dilated = dilate(np.zeros((ho, ho)), s)
    framed = pad_input(dilated, k - 1)
    return {
        "numbers": {"H_o": ho, "s": s, "k": k},
        "question": (
            f"At stride {s} with a {k}×{k} kernel, δ is {ho}×{ho}. For the stride-1 gather, δ is "
            "dilated and then padded for a full correlation with rot180(w). How many rows does "
            "that padded, dilated δ have?"
        ),
        "label": "rows of the padded, dilated δ",
        "answer": framed.shape[0],
        "how": f"({ho} − 1)·{s} + 1 = {dilated.shape[0]} after dilating, plus kh − 1 = {k - 1} "
        "zeros on each side, by the core's dilate and pad.",
        "mistakes": [
            ("not dilated", ho + 2 * (k - 1),
             f"you did not dilate δ: at stride {s}, {s - 1} zero(s) go between neighbours."),
            ("zeros after the last", ho * s + 2 * (k - 1),
             "you put zeros after the last entry too; they go only between entries."),
            ("not padded", dilated.shape[0],
             "you forgot the full padding: kh − 1 zeros on each side, so every overlap counts."),
            ("padded by kh", dilated.shape[0] + 2 * k,
             "you padded by kh; a full correlation pads by kh − 1 on each side."),
        ],
    }  # fmt: skip


def stride_dx_entry(rng: np.random.Generator) -> dict | None:
    delta, w = _ints(rng, (2, 2)), _ints(rng, (3, 3))
    p, q = (int(v) for v in rng.integers(0, 4, size=2))
    dx = conv2d_backward(delta[None, None], np.zeros((1, 1, 5, 5)), w[None, None], stride=2)
    dx = dx[0][0, 0]
    dilated = dilate(delta, 2)
    attempt = same_stride_attempt(delta, w, 5, stride=2).attempt  # smaller than x
    mistakes = [
        ("not dilated", gather_input_grad(delta, w, 4)[p, q],
         "you used δ as it is; put it back where its windows were, with a zero between "
         "neighbouring entries (dilate), then gather at stride 1."),
        ("no rot180", gather_input_grad(dilated, w, 5, flip=False)[p, q],
         "you slid w over the dilated δ without turning it half a turn (rot180)."),
        turned_twice(gather_input_grad(dilated, rot180(w), 5)[p, q], "the padded, dilated δ"),
    ]  # fmt: skip
    if p < attempt.shape[0] and q < attempt.shape[1]:  # the strided attempt reaches x[p, q]
        mistakes.append(
            ("same stride backward", attempt[p, q],
             "you ran the backward correlation at stride 2; it runs at stride 1 over the "
             "dilated δ: the stride lives in the zeros between δ's entries.")
        )  # fmt: skip
    return {
        "numbers": {"p": p, "q": q},
        "question": (
            "A 5×5 input, a 3×3 filter w, stride 2, no padding, so δ is 2×2. "
            f"What is dL/dx[{p}, {q}]?"
        ),
        "given": (("δ", delta), ("w", w)),
        "label": f"dL/dx[{p}, {q}]",
        "answer": dx[p, q],
        "how": "Dilate δ (one zero between entries), pad it by kh − 1 = 2, then ⋆ rot180(w) at "
        "stride 1; by the core's conv2d_backward.",
        "mistakes": mistakes,
        "same": [no_turn_or_twice("the padded, dilated δ")],
    }


def transposed_size(rng: np.random.Generator) -> dict | None:
    ho, k = int(rng.integers(2, 7)), int(rng.integers(2, 6))
    s, p = int(rng.integers(2, 4)), int(rng.integers(1, 3))
    if (ho - 1) * s - 2 * p + (k - 1) + 1 < 1:
        return None
    answer = transposed_output_size(ho, k, stride=s, padding=p)
    return {
        "numbers": {"H_o": ho, "k": k, "s": s, "p": p},
        "question": (
            f"A transposed convolution takes a {ho}×{ho} δ back through a {k}×{k} kernel, "
            f"stride {s}, padding {p}, dilation 1, output_padding 0. How many rows does it give?"
        ),
        "label": "rows of the transposed output",
        "answer": answer,
        "how": f"(H_o − 1)·s − 2p + d(kh − 1) + output_padding + 1 = ({ho} − 1)·{s} − 2·{p} + "
        f"{k - 1} + 0 + 1, by the lessons' transposed_output_size.",
        "mistakes": [
            ("times stride", ho * s,
             "you multiplied by the stride; only the H_o − 1 gaps between δ's entries stretch."),
            ("kernel forgotten", (ho - 1) * s + 1,
             "that is the dilated δ; the kernel adds its extent d(kh − 1) and the padding takes "
             "2p away."),
            ("padding added", answer + 4 * p,
             "you added the padding; the forward pass padded the input, so the transposed one "
             "crops 2p back off."),
        ],
    }  # fmt: skip
