"""Lesson 2, depth: the shape of every array of one conv layer's passes, stated and measured.

:func:`markdown_table` prints such rows in a notebook.
"""

from __future__ import annotations

import numpy as np

from cnnviz.core.arrays import as_count
from cnnviz.core.conv import IntOrPair, conv2d, conv2d_backward, dilate, input_grad_contributions
from cnnviz.core.formulas import FORMULAS
from cnnviz.core.geometry import Geometry

__all__ = [
    "markdown_table",
    "shapes_from_core",
    "shapes_table",
]


# One row per array of the layer's passes: name (as shapes_from_core returns it), the symbol the
# lesson writes, and why it has its shape. The shapes themselves come from the Geometry.
_ROWS = (
    ("x", "$a^{l}$", "C input channels"),
    ("w", "$w^{l+1}$", "K filters, each as deep as the input"),
    ("b", "$b^{l+1}$", "one bias per filter"),
    ("z", "$z^{l+1}$", "one map per filter; every pixel computed"),
    ("delta", "$\\delta^{l+1}$", "dL/dz: shaped like z"),
    ("dilated_delta", "dilate($\\delta^{l+1}$)", "{zeros} zero(s) between neighbours"),
    # one definition: the symbol is printed from the formula that computes it
    ("contributions", f"${FORMULAS['contribution'].forms[0].mathtext()}$",
     "filter k's delta sent into input channel c"),
    ("dx", "$\\partial L/\\partial a^{l}$", "contributions summed over k"),
    ("dw", "$\\partial L/\\partial w^{l+1}$", "shaped like w"),
    ("db", "$\\partial L/\\partial b^{l+1}$", "shaped like b"),
)


def shapes_table(
    depth: int,
    input_size: IntOrPair,
    filters: int,
    kernel_size: IntOrPair,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> list[dict[str, object]]:
    """Every array of one conv layer's forward and backward pass, with its shape and why.

    Returns
    -------
    rows : list of dict with keys ``"name"``, ``"symbol"``, ``"shape"`` (a tuple), ``"why"``.
        The names match :func:`shapes_from_core`.
    """
    c, k = as_count(depth, "depth"), as_count(filters, "filters")
    g = Geometry(input_size, kernel_size, stride=stride, padding=padding, dilation=dilation)
    (h, w), (kh, kw), (ho, wo) = g.input_size, g.kernel_size, g.output_size
    shapes = {
        "x": (c, h, w),
        "w": (k, c, kh, kw),
        "b": (k,),
        "z": (k, ho, wo),
        "delta": (k, ho, wo),
        "dilated_delta": (k, *g.dilated_output_size),
        "contributions": (k, c, h, w),
        "dx": (c, h, w),
        "dw": (k, c, kh, kw),
        "db": (k,),
    }
    zeros = g.stride[0] - 1
    return [
        {"name": name, "symbol": symbol, "shape": shapes[name], "why": why.format(zeros=zeros)}
        for name, symbol, why in _ROWS
    ]


def shapes_from_core(
    depth: int,
    input_size: IntOrPair,
    filters: int,
    kernel_size: IntOrPair,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    seed: int = 0,
) -> dict[str, tuple[int, ...]]:
    """The same shapes as :func:`shapes_table`, measured by running the core on random data."""
    c, k = as_count(depth, "depth"), as_count(filters, "filters")
    g = Geometry(input_size, kernel_size, stride=stride, padding=padding, dilation=dilation)
    settings = {"stride": g.stride, "padding": g.padding, "dilation": g.dilation}
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, c, *g.input_size))
    w = rng.standard_normal((k, c, *g.kernel_size))
    b = rng.standard_normal(k)
    z = conv2d(x, w, b, **settings)
    delta = rng.standard_normal(z.shape)
    dx, dw, db = conv2d_backward(delta, x, w, **settings)
    contrib = input_grad_contributions(delta[0], w, g.input_size, **settings)
    return {
        "x": x.shape[1:],
        "w": w.shape,
        "b": b.shape,
        "z": z.shape[1:],
        "delta": delta.shape[1:],
        "dilated_delta": dilate(delta[0], g.stride).shape,
        "contributions": contrib.shape,
        "dx": dx.shape[1:],
        "dw": dw.shape,
        "db": db.shape,
    }


def markdown_table(rows: list[dict[str, object]], columns: tuple[str, ...] | None = None) -> str:
    """Rows of dicts as a Markdown table (for ``IPython.display.Markdown``); shapes as ``a×b``."""
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise TypeError("rows must be a non-empty list of dicts")
    columns = tuple(rows[0]) if columns is None else tuple(columns)

    def cell(value: object) -> str:
        if isinstance(value, tuple):
            return "×".join(str(v) for v in value)
        return str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c, "")) for c in columns) + " |" for row in rows]
    return "\n".join(lines)
