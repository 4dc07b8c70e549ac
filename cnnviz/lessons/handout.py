"""A printable handout: the formulas, the shapes table and a worked stride-2 example, on two A4
pages, drawn with matplotlib (mathtext, no LaTeX install).

The formulas come from :data:`cnnviz.lessons.formulas.FORMULAS`, the definitions the lessons and
the explorer display; the shapes from :func:`cnnviz.lessons.shapes.shapes_table`; the example's
numbers from the core (and checked against the ``dx`` formula's own evaluation before they are
printed). Each formula is printed twice: typeset, and in plain text a student can copy.

The formulas are grouped under headings (the blog's one-channel case, the general layer, the
sizes) and flow from page 1 onto page 2, above the shapes table and the example; every text is
measured as it is placed (:mod:`cnnviz.lessons.handout_layout`), so none overlaps another or
runs off the page, and tests/test_handout.py checks that on the drawn figures.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from cnnviz.core.conv import conv2d_backward, dilate, pad_input, rot180
from cnnviz.core.conventions import INDEX_CONVENTION
from cnnviz.core.geometry import Geometry
from cnnviz.core.notation import Array, Size
from cnnviz.lessons.figures import SIGNED_CMAP
from cnnviz.lessons.formulas import FORMULAS, operations_text
from cnnviz.lessons.handout_depth import depth_lines
from cnnviz.lessons.handout_layout import A4, LEFT, Column, Flow, fit_table
from cnnviz.lessons.shapes import shapes_table
from cnnviz.lessons.single_channel import taps_reaching

# STIX's ⋆ is a visible star (DejaVu's is a dot); DejaVu fills in what STIX lacks (⁺). Both
# ship with matplotlib.
TEXT_FONT = ["STIXGeneral", "DejaVu Sans"]
# TrueType, so the PDF's text can be copied; no hinting, so the texts measured while laying
# out the pages (with Agg) are as wide as the PDF draws them (hinted Agg text at 100 dpi comes
# out up to 6 % narrower, and a note measured so ran past the margin).
RC = {"pdf.fonttype": 42, "mathtext.fontset": "stix", "text.hinting": "no_hinting"}
TITLE = "Backprop through a convolution: the handout"
ORDER = ("dx_1ch", "delta_below_1ch", "z", "dx", "contribution", "delta_below", "dw", "db",
         "output_size", "dilated_size", "output_padding", "transposed_size")  # fmt: skip
# The formulas are grouped by what they are built from (see _group), each group under a
# heading, in this order: (key, heading, formulas per row, whether the group keeps together on
# one page). The sizes are short, so they sit two to a row, beside the shapes table if they
# do not fit on page 1.
GROUPS = (
    ("one channel", "The blog's case: one channel, one filter, stride 1, no padding", 1, False),
    ("layer", "Any depth, stride, padding and dilation: filter k, input channel c", 1, False),
    ("sizes", "Sizes along one axis (the same for the width, with W and kw)", 2, True),
)
SETTINGS = {"stride", "padding", "dilation"}
INDENT = 0.02  # formulas sit under their titles
MATH = {"fontsize": 11.5}
PLAIN = {"fontsize": 8.5, "family": TEXT_FONT}
NOTE = {"fontsize": 9, "style": "italic", "color": "0.25", "family": TEXT_FONT, "linespacing": 1.15}
# the shapes table's example layer: a 3×20×20 input and five 3×3×3 filters (lesson 2)
SHAPES_EXAMPLE = {"depth": 3, "input_size": 20, "filters": 5, "kernel_size": 3}
EXAMPLE_PIXEL = (2, 2)
CONVENTIONS = (
    "⋆ cross-correlation (what libraries compute: slide the kernel, no flip) · "
    "∗ convolution (flips: ∗ w = ⋆ rot180(w)).\n"
    "Full: every overlap counts (pad by the kernel's extent − 1: e − 1 = d(kh − 1)). One "
    "sample: filter k of K, input channel c of C, kernel kh × kw; s stride, p padding, "
    "d dilation.\n"
    f"{operations_text()}\n"
    f"Numbering. {INDEX_CONVENTION}"
)


def _group(name: str) -> str:
    """Which heading a formula goes under, read from its tree: ``"sizes"`` (no arrays),
    ``"one channel"`` (arrays with no filter or channel index, and no stride, padding or
    dilation) or ``"layer"``."""
    nodes = [node for form in FORMULAS[name].forms for node in form.walk()]
    arrays = [node for node in nodes if isinstance(node, Array)]
    if not arrays:
        return "sizes"
    settings = {node.key for node in nodes if isinstance(node, Size)} & SETTINGS
    if settings or any(array.indices for array in arrays):
        return "layer"
    return "one channel"


def _formula_names() -> list[str]:
    """The handout's order first, then any formula defined since (none is left out)."""
    return [n for n in ORDER if n in FORMULAS] + [n for n in FORMULAS if n not in ORDER]


def _joined(first: str, rest: list[str], fits) -> list[str]:
    """``first = rest[0] = ...`` on as few lines as ``fits(line)`` allows, breaking before =."""
    lines = [first]
    for part in rest:
        if lines[-1] != first and not fits(f"{lines[-1]} = {part}"):
            lines.append(f"= {part}")
        else:
            lines[-1] += f" = {part}"
    return lines


def _math_lines(name: str, column: Column) -> list[str]:
    """The typeset formula: on one line if it fits the column, else one line per right side."""
    entry = FORMULAS[name]
    rest = [form.mathtext() for form in entry.forms]
    both = f"${entry.lhs.mathtext()} = {' = '.join(rest)}$"
    if column.fits(both, indent=INDENT, **MATH):
        return [both]
    return [f"${entry.lhs.mathtext()} = {rest[0]}$", *(f"$= {side}$" for side in rest[1:])]


def _text_lines(name: str, column: Column) -> list[str]:
    """The plain-text form, broken before ``=`` where it is too long for the column."""
    entry = FORMULAS[name]
    return _joined(entry.lhs.text(), [form.text() for form in entry.forms],
                   lambda line: column.fits(line, indent=INDENT, **PLAIN))  # fmt: skip


def _formula(column: Column, name: str) -> list:
    """One formula: its title, typeset, in plain text, and its note."""
    entry = FORMULAS[name]
    title = entry.title[:1].upper() + entry.title[1:]
    placed = [column.put_wrapped(title, gap=0.004, fontsize=10, weight="bold")]
    for line in _math_lines(name, column):
        placed.append(column.put(line, indent=INDENT, gap=0.003, **MATH))
    for line in _text_lines(name, column):
        placed.append(column.put(line, indent=INDENT, gap=0.001, **PLAIN))
    if entry.note:
        placed.append(column.put_wrapped(entry.note, indent=INDENT, **NOTE))
    column.y -= 0.011
    return placed


def _row(column: Column, names: list[str], heading: str | None) -> list:
    """``names`` side by side (one name: the full width), under ``heading`` if given."""
    placed = [] if heading is None else [column.put(heading, gap=0.008, fontsize=11.5,
                                                    weight="bold", color="#1f4e79")]  # fmt: skip
    parts = column.split(len(names)) if len(names) > 1 else [column]
    for part, name in zip(parts, names, strict=True):
        placed += _formula(part, name)
    column.y = min(part.y for part in parts)
    return placed


def _formulas(flow: Flow) -> None:
    """Title, conventions, then every formula under its group's heading, flowing over pages."""
    column = flow.column
    column.put(TITLE, gap=0.012, fontsize=15, weight="bold")
    column.put_wrapped(CONVENTIONS, gap=0.006, fontsize=9, linespacing=1.4, family=TEXT_FONT)
    # the depth answer right under the page's own ⋆ and ∗, with its 2×2×2 example
    answer, *example = depth_lines()
    column.put_wrapped(answer, gap=0.003, fontsize=8.5, linespacing=1.2, family=TEXT_FONT)
    column.put_wrapped(" ".join(example), gap=0.012, fontsize=8.5, linespacing=1.2,
                       family=TEXT_FONT)  # fmt: skip
    names = _formula_names()
    for key, heading, per_row, together in GROUPS:  # _group puts every formula in one
        group = [name for name in names if _group(name) == key]
        rows = [(group[i:i + per_row], heading if i == 0 else None)
                for i in range(0, len(group), per_row)]  # fmt: skip
        if together:
            flow.block(lambda col, rows=rows: [a for row in rows for a in _row(col, *row)])
        else:
            for row in rows:
                flow.block(lambda col, row=row: _row(col, *row))


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
    r, q = EXAMPLE_PIXEL
    taps = taps_reaching(g, (r, q))
    terms = " + ".join(f"δ[{i},{j}]·w[{u},{v}]" for (i, j), (u, v) in taps)
    numbers = " + ".join(f"({delta[i, j]:g})({w[u, v]:g})" for (i, j), (u, v) in taps)
    total = sum(delta[i, j] * w[u, v] for (i, j), (u, v) in taps)
    if not np.isclose(total, dx[r, q]):
        raise RuntimeError("the spelled-out entry and the core disagree on the handout")
    return {
        "geometry": g, "delta": delta, "w": w, "dilated": dilate(delta, 2),
        "padded": pad_input(dilate(delta, 2), 2), "rot": rot180(w), "dx": dx,
        "entry": f"dL/dx[{r},{q}] = {terms} = {numbers} = {dx[r, q]:g}",
    }  # fmt: skip


def _shapes(column: Column) -> list:
    """The shapes table: one row per array of a conv layer's passes, sized to its text."""
    placed = [column.put("Shapes (one conv layer, one sample; add N in front for a batch)",
                         gap=0.006, fontsize=12, weight="bold")]  # fmt: skip
    layouts = "x (C, H, W) · w (K, C, kh, kw) · b (K,) · z, δ (K, Ho, Wo) · batch: (N, C, H, W)"
    placed.append(column.put_wrapped(
        f"Example: a 3×20×20 input, five 3×3×3 filters, stride 1.  {layouts}", gap=0.008,
        fontsize=9, family=TEXT_FONT))  # fmt: skip
    rows = shapes_table(**SHAPES_EXAMPLE)
    height = 0.0205 * (len(rows) + 1)  # a row holds a mathtext symbol at 9 pt
    table_ax = column.figure.add_axes((column.x, column.y - height, column.width, height))
    table_ax.axis("off")
    cells = [[r["name"], r["symbol"], "×".join(map(str, r["shape"])), r["why"]] for r in rows]
    table = table_ax.table(cellText=cells, colLabels=["array", "symbol", "shape", "why"],
                           cellLoc="left", bbox=(0, 0, 1, 1))  # fmt: skip
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    fit_table(table, column.width)  # the long "contributions" symbol sets its column's width
    column.y -= height + 0.03
    return [*placed, table_ax]


def _panels(column: Column, example: dict[str, object]) -> list:
    """The example's six maps in one row, every map cell the same size."""
    panels = [("δ", example["delta"]), ("dilate₂(δ)", example["dilated"]),
              ("pad₂(dilate₂(δ))", example["padded"]), ("w", example["w"]),
              ("rot180(w)", example["rot"]), ("dL/dx (5×5)", example["dx"])]  # fmt: skip
    widths = [np.shape(values)[1] for _, values in panels]
    cell = 0.024  # figure width per map cell
    gutter = (column.width - cell * sum(widths)) / (len(panels) - 1)
    aspect = A4[0] / A4[1]
    top = column.y - 0.024  # room for the titles
    placed, x = [], column.x
    for title, values in panels:
        rows_, cols_ = np.shape(values)
        ax = column.figure.add_axes((x, top - rows_ * cell * aspect, cols_ * cell,
                                     rows_ * cell * aspect))  # fmt: skip
        _grid(ax, title, np.asarray(values))
        placed.append(ax)
        x += cols_ * cell + gutter
    column.y = top - max(np.shape(v)[0] for _, v in panels) * cell * aspect - 0.02
    return placed


def _example(column: Column) -> list:
    """The worked stride-2 example: the steps, the maps and one entry spelled out."""
    example = worked_example()
    placed = [column.put("Worked example: stride 2 (5×5 input, 3×3 kernel, δ is 2×2)",
                         gap=0.008, fontsize=12, weight="bold")]  # fmt: skip
    g = example["geometry"]
    (s, _), (kh, _) = g.stride, g.kernel_size
    steps = (
        f"1. dilate δ: s − 1 = {s - 1} zero between neighbours.  2. pad by kh − 1 = {kh - 1} "
        "(full).  3. slide rot180(w) over it at stride 1 (⋆).\nNo stride in the backward pass: "
        "the stride lives in the zeros of the dilated δ."
    )
    text = {"fontsize": 9.5, "family": TEXT_FONT}
    placed.append(column.put_wrapped(steps, gap=0.004, linespacing=1.4, **text))
    placed += _panels(column, example)
    placed.append(column.put_wrapped(example["entry"], gap=0.006, **text))
    reach = (
        f"Each δ[i, j] reaches x[r, q] through w[r − {s}i, q − {s}j]: as i walks forward, the "
        "tap walks backward (the rot180)."
    )
    placed.append(column.put_wrapped(reach, **text))
    return placed


def handout_pages() -> list[Figure]:
    """The handout's A4 pages: the formulas flow from page 1 on, then the shapes table and the
    worked example; each block that would run off a page starts the next one."""
    with rc_context(RC):
        flow = Flow()
        _formulas(flow)
        if len(flow.pages) == 1:
            flow.next_page()  # the shapes and the example share a page of their own
        flow.block(_shapes)
        flow.block(_example)
        flow.pages[-1].text(LEFT, 0.02, "Numbers computed by cnnviz's core (python -m cnnviz "
                            "handout).", fontsize=7, color="0.4")  # fmt: skip
    return flow.pages


def write_handout(target: str | Path | io.BufferedIOBase) -> None:
    """Write the A4 handout (two pages) as a PDF to a path or a binary file object."""
    pages = handout_pages()
    with rc_context(RC):
        with PdfPages(target, metadata={"Title": TITLE, "Creator": "cnnviz"}) as pdf:
            for figure in pages:
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
