"""The handout's depth answer and its 2×2×2 worked example, with numbers.

The answer is the one sentence lesson 02 and the explorer show; it is printed right under the
handout's ⋆ and ∗. The example is one filter ``W₁`` of depth C = 2 with 2×2 slices on a
2-channel 3×3 input, stride 1: its 2×2 δ₁ goes back into each channel through that channel's own
slice, one 2-D full correlation per slice and no sum over depth. The numbers come from the core
and are checked against the ``contribution`` formula's own evaluation before they are printed.
"""

from __future__ import annotations

import numpy as np

from cnnviz.core.claims import depth_answer
from cnnviz.core.conv import conv2d_backward, rot180
from cnnviz.lessons.formulas import FORMULAS

__all__ = ["DEPTH_DELTA", "DEPTH_FILTER", "depth_example", "depth_lines"]

DEPTH_DELTA = np.array([[1.0, 2.0], [-1.0, 1.0]])  # δ₁ (Ho, Wo): one filter, one map
DEPTH_FILTER = np.array([[[1.0, 0.0], [2.0, -1.0]], [[0.0, 1.0], [-2.0, 1.0]]])  # W₁ (C, kh, kw)


SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _matrix(values: np.ndarray) -> str:
    return "[" + "; ".join(" ".join(f"{v:g}" for v in row) for row in values) + "]"


def depth_example() -> dict[str, np.ndarray]:
    """``delta (2, 2)``, ``w (2, 2, 2)`` and ``dx (2, 3, 3)``: dL/dx of the 2×2×2 example.

    Raises RuntimeError if the core and the ``contribution`` formula disagree (the handout never
    prints a number its formula does not give).
    """
    w = DEPTH_FILTER[None]  # (K=1, C=2, 2, 2)
    dx = conv2d_backward(DEPTH_DELTA[None, None], np.zeros((1, 2, 3, 3)), w)[0][0]  # (2, 3, 3)
    shown = FORMULAS["contribution"].evaluate(delta=DEPTH_DELTA[None], w=w, input_size=3)
    if not np.allclose(np.asarray(shown)[0], dx):  # (K, C, H, W): filter 1's two maps
        raise RuntimeError("the contribution formula and the core disagree on the example")
    return {"delta": DEPTH_DELTA.copy(), "w": DEPTH_FILTER.copy(), "dx": dx}


def depth_lines() -> list[str]:
    """The handout's depth block: the answer, then the example's numbers, channel by channel."""
    example = depth_example()
    delta, w, dx = example["delta"], example["w"], example["dx"]
    lines = [
        "Depth. " + depth_answer(depth="C", filters="K"),
        f"Example (K = 1 filter W₁, 2×2×2: C = 2 slices of 2×2; stride 1; a 2×3×3 input): "
        f"δ₁ = {_matrix(delta)}, W₁,₁ = {_matrix(w[0])}, W₁,₂ = {_matrix(w[1])} (rows "
        "separated by ;).",
    ]
    for c in range(2):
        page = str(c + 1).translate(SUBSCRIPTS)  # channel c + 1 on the page is dx[c] in NumPy
        lines.append(
            f"dx{page} = δ₁ ⋆full rot180(W₁,{page}) = δ₁ ⋆full {_matrix(rot180(w[c]))} "
            f"= {_matrix(dx[c])}{';' if c == 0 else '.'}"
        )
    lines.append("Two maps, one per slice: nothing is added over the depth (with K filters, "
                 "each channel's map adds over the filters k).")  # fmt: skip
    return lines
