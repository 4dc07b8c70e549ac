"""A printable handout: the formulas, the shapes table and a worked stride-2 example, on two A4
pages, drawn with matplotlib (mathtext, no LaTeX install).

The formulas come from :data:`cnnviz.lessons.formulas.FORMULAS`, the definitions the lessons and
the explorer display; the shapes from :func:`cnnviz.lessons.shapes.shapes_table`; the example's
numbers from the core (and checked against the ``dx`` formula's own evaluation before they are
printed). Each formula is printed twice: typeset, and in plain text a student can copy.
"""

from __future__ import annotations

import base64
import html
import io
import textwrap
from pathlib import Path

import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from cnnviz.core.conv import conv2d_backward, dilate, pad_input, rot180
from cnnviz.core.geometry import Geometry
from cnnviz.lessons.figures import SIGNED_CMAP
from cnnviz.lessons.formulas import FORMULAS
from cnnviz.lessons.shapes import shapes_table
from cnnviz.lessons.single_channel import taps_reaching

A4 = (8.27, 11.69)  # inches, portrait
# STIX's ⋆ is a visible star (DejaVu's is a dot); DejaVu fills in what STIX lacks (⁺). Both
# ship with matplotlib.
TEXT_FONT = ["STIXGeneral", "DejaVu Sans"]
RC = {"pdf.fonttype": 42, "mathtext.fontset": "stix"}  # TrueType: the PDF's text can be copied
LEFT = 0.07  # figure fraction
TITLE = "Backprop through a convolution: the handout"
ORDER = ("z", "output_size", "dx", "delta_below", "dw", "db", "dilated_size", "output_padding",
         "transposed_size")  # fmt: skip
# the shapes table's example layer: a 3×20×20 input and five 3×3×3 filters (lesson 2)
SHAPES_EXAMPLE = {"depth": 3, "input_size": 20, "filters": 5, "kernel_size": 3}
EXAMPLE_PIXEL = (2, 2)


def _wrap(text: str, width: int) -> str:
    return "\n".join(
        textwrap.fill(part, width) for part in text.split("\n")
    )


def _formula_names() -> list[str]:
    """The handout's order first, then any formula defined since (none is left out)."""
    return [n for n in ORDER if n in FORMULAS] + [n for n in FORMULAS if n not in ORDER]


def _math_lines(name: str) -> list[str]:
    """One mathtext line per right side: ``lhs = form0``, then ``= form1`` (fits A4)."""
    entry = FORMULAS[name]
    first = f"${entry.lhs.mathtext()} = {entry.forms[0].mathtext()}$"
    return [first, *(f"$= {form.mathtext()}$" for form in entry.forms[1:])]


def _text_lines(name: str, width: int = 105) -> list[str]:
    """The plain-text form, broken before ``=`` where it is too long for the page."""
    entry = FORMULAS[name]
    parts = [entry.lhs.text(), *(form.text() for form in entry.forms)]
    lines = [f"{parts[0]} = {parts[1]}"]
    for part in parts[2:]:
        if len(lines[-1]) + len(part) + 3 > width:
            lines.append(f"= {part}")
        else:
            lines[-1] += f" = {part}"
    return lines


def _page() -> Figure:
    return Figure(figsize=A4)


def formulas_page() -> Figure:
    """Page 1: conventions, then every formula typeset, in plain text, and with its note."""
    figure = _page()
    y = 0.955
    figure.text(LEFT, y, TITLE, fontsize=15, weight="bold")
    y -= 0.028
    conventions = (
        "⋆ cross-correlation (what libraries compute: slide the kernel, no flip) · "
        "∗ convolution (flips: ∗ w = ⋆ rot180(w)) · full: every overlap, pad k − 1.\n"
        "One sample; indices count from 0: filter k of K, input channel c of C; "
        "s stride, p padding, d dilation."
    )
    figure.text(LEFT, y, _wrap(conventions, 118), fontsize=9, va="top", linespacing=1.4,
                family=TEXT_FONT)  # fmt: skip
    y -= 0.055
    for name in _formula_names():
        entry = FORMULAS[name]
        figure.text(LEFT, y, entry.title[:1].upper() + entry.title[1:], fontsize=10,
                    weight="bold", va="top")  # fmt: skip
        y -= 0.021
        for line in _math_lines(name):
            figure.text(LEFT + 0.02, y, line, fontsize=10.5, va="top")
            y -= 0.027
        for line in _text_lines(name):
            figure.text(LEFT + 0.02, y, line, fontsize=8, va="top", family=TEXT_FONT)
            y -= 0.013
        if entry.note:
            note = _wrap(entry.note, 135)
            figure.text(LEFT + 0.02, y, note, fontsize=7.5, va="top", style="italic",
                        color="0.25")  # fmt: skip
            y -= 0.0125 * (note.count("\n") + 1)
        y -= 0.009
    return figure


def _grid(ax, title: str, values: np.ndarray) -> None:
    """A small map with its numbers written in, on a diverging map centred on zero."""
    limit = max(float(np.abs(values).max()), 1.0)
    ax.imshow(values, cmap=SIGNED_CMAP, vmin=-limit, vmax=limit)
    for (i, j), value in np.ndenumerate(values):
        dark = abs(value) > 0.6 * limit
        ax.text(j, i, f"{value:g}", ha="center", va="center", fontsize=7,
                color="white" if dark else "black")  # fmt: skip
    ax.set_title(title, fontsize=8.5)
    ax.set_xticks([])
    ax.set_yticks([])


def worked_example() -> dict[str, object]:
    """The stride-2 example's numbers: 5×5 input, 3×3 kernel, stride 2, so δ is 2×2.

    Returns the arrays (``delta``, ``w``, ``dilated``, ``padded``, ``dx``), the geometry and
    one entry spelled out. ``dx`` comes from the core and must equal the ``dx`` formula's
    own evaluation (a RuntimeError otherwise: the handout never prints a wrong number).
    """
    delta = np.array([[1.0, -2.0], [2.0, 1.0]])
    w = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0], [-1.0, 1.0, 2.0]])
    g = Geometry(5, 3, stride=2)
    dx = conv2d_backward(delta[None, None], np.zeros((1, 1, 5, 5)), w[None, None], stride=2)
    dx = dx[0][0, 0]
    by_formula = FORMULAS["dx"].evaluate(delta=delta[None], w=w[None, None], input_size=5,
                                         stride=2)  # fmt: skip
    if not np.allclose(np.asarray(by_formula)[0], dx):
        raise RuntimeError("the dx formula and the core disagree on the handout's example")
    p, q = EXAMPLE_PIXEL
    taps = taps_reaching(g, (p, q))
    terms = " + ".join(f"δ[{i},{j}]·w[{u},{v}]" for (i, j), (u, v) in taps)
    numbers = " + ".join(f"({delta[i, j]:g})({w[u, v]:g})" for (i, j), (u, v) in taps)
    total = sum(delta[i, j] * w[u, v] for (i, j), (u, v) in taps)
    if not np.isclose(total, dx[p, q]):
        raise RuntimeError("the spelled-out entry and the core disagree on the handout")
    return {
        "geometry": g, "delta": delta, "w": w, "dilated": dilate(delta, 2),
        "padded": pad_input(dilate(delta, 2), 2), "rot": rot180(w), "dx": dx,
        "entry": f"dL/dx[{p},{q}] = {terms} = {numbers} = {dx[p, q]:g}",
    }  # fmt: skip


def example_page() -> Figure:
    """Page 2: the shapes table and the worked stride-2 example."""
    figure = _page()
    figure.text(LEFT, 0.955, "Shapes (one conv layer, one sample; add N in front for a batch)",
                fontsize=12, weight="bold")  # fmt: skip
    rows = shapes_table(**SHAPES_EXAMPLE)
    layouts = "x (C, H, W) · w (K, C, kh, kw) · b (K,) · z, δ (K, Ho, Wo) · batch: (N, C, H, W)"
    figure.text(LEFT, 0.935, f"Example: a 3×20×20 input, five 3×3×3 filters, stride 1.  {layouts}",
                fontsize=9, family=TEXT_FONT)  # fmt: skip
    table_ax = figure.add_axes((LEFT, 0.66, 0.86, 0.26))
    table_ax.axis("off")
    cells = [[r["name"], r["symbol"], "×".join(map(str, r["shape"])), r["why"]] for r in rows]
    table = table_ax.table(cellText=cells, colLabels=["array", "symbol", "shape", "why"],
                           colWidths=[0.16, 0.24, 0.14, 0.46], loc="upper left",
                           cellLoc="left")  # fmt: skip
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    table.scale(1, 1.4)
    example = worked_example()
    figure.text(LEFT, 0.64, "Worked example: stride 2 (5×5 input, 3×3 kernel, δ is 2×2)",
                fontsize=12, weight="bold")  # fmt: skip
    steps = (
        "1. dilate δ: s − 1 = 1 zero between neighbours.  2. pad by k − 1 = 2 (full).  "
        "3. slide rot180(w) over it at stride 1 (⋆).\nNo stride in the backward pass: "
        "the stride lives in the zeros of the dilated δ."
    )
    figure.text(LEFT, 0.625, steps, fontsize=9.5, va="top", linespacing=1.4, family=TEXT_FONT)
    panels = [("δ", example["delta"]), ("dilate₂(δ)", example["dilated"]),
              ("pad₂(dilate₂(δ))", example["padded"]), ("w", example["w"]),
              ("rot180(w)", example["rot"]), ("dL/dx (5×5)", example["dx"])]  # fmt: skip
    cell = 0.032  # figure width per map cell, so every map has cells of one size
    aspect = A4[0] / A4[1]
    for index, (title, values) in enumerate(panels):
        row, col = divmod(index, 3)
        rows_, cols_ = np.asarray(values).shape
        width, height = cols_ * cell, rows_ * cell * aspect
        top = 0.56 - row * 0.2
        ax = figure.add_axes((LEFT + col * 0.29, top - height, width, height))
        _grid(ax, title, np.asarray(values))
    figure.text(LEFT, 0.17, example["entry"], fontsize=9.5, family=TEXT_FONT)
    reach = (
        "Each δ[i, j] reaches x[p, q] through w[p − 2i, q − 2j]: as i walks forward, the tap "
        "walks backward (the rot180)."
    )
    figure.text(LEFT, 0.15, reach, fontsize=9.5, family=TEXT_FONT)
    figure.text(LEFT, 0.03, "Numbers computed by cnnviz's core (python -m cnnviz handout).",
                fontsize=7, color="0.4")  # fmt: skip
    return figure


def write_handout(target: str | Path | io.BufferedIOBase) -> None:
    """Write the two-page A4 handout as a PDF to a path or a binary file object."""
    with rc_context(RC):
        with PdfPages(target, metadata={"Title": TITLE, "Creator": "cnnviz"}) as pdf:
            for figure in (formulas_page(), example_page()):
                pdf.savefig(figure)


def handout_pdf() -> bytes:
    """The handout as PDF bytes."""
    buffer = io.BytesIO()
    write_handout(buffer)
    return buffer.getvalue()


def download_link_html(pdf: bytes, *, filename: str = "cnnviz-handout.pdf") -> str:
    """An ``<a download>`` link carrying the PDF in a data: URL (works in Voila: no file
    server needed)."""
    if not isinstance(pdf, bytes) or not pdf.startswith(b"%PDF"):
        raise TypeError("pdf must be the bytes of a PDF file")
    encoded = base64.b64encode(pdf).decode("ascii")
    return (
        f'<a download="{html.escape(filename)}" href="data:application/pdf;base64,{encoded}">'
        f"download the handout (PDF, {len(pdf) // 1024} KB)</a>"
    )
