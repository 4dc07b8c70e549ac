"""One symbol table for the whole course: every letter and operation, with one meaning each.

The explorer page shows it in its notation box and lesson 00 shows it before any formula; both
render :data:`SYMBOL_TABLE` (with :func:`symbol_table_markdown`, :func:`symbol_table_text`,
:func:`cnnviz.explorer.render.text.symbol_table_html`, or their own markup from the rows).
``k`` is only the filter index (the kernel is ``kh × kw``), ``C`` only the depth (``D``
appears only where a reader's question is quoted), ``p`` only the padding; pixel positions
have their own letters. ``tests/test_symbols.py`` scans the page's and the core's strings for a
retired meaning.

The operations are the ones :mod:`cnnviz.core.notation` computes (``pad``, ``dilate``,
``every``, ``crop``, ``rot180``, ``⋆``, ``∗``, ``full``): their rows here define them for a
student before first use.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SymbolRow:
    """One row: the symbol as LaTeX and as text, what it means, and its group."""

    latex: str
    text: str
    meaning: str
    group: str


GROUPS = ("sizes", "arrays", "positions", "operations", "numbering")

SYMBOL_TABLE: tuple[SymbolRow, ...] = (
    SymbolRow("K", "K", "how many filters (each makes one output map)", "sizes"),
    SymbolRow("C", "C", "the depth: how many input channels; every filter is C deep", "sizes"),
    SymbolRow(r"H \times W", "H×W", "the input's height and width", "sizes"),
    SymbolRow(r"k_h \times k_w", "kh×kw", "the kernel: one filter slice's height and width",
              "sizes"),
    SymbolRow(r"H_{\mathrm{out}} \times W_{\mathrm{out}}", "Ho×Wo",
              "the output's (and δ's) height and width", "sizes"),
    SymbolRow("s", "s", "the stride: how far the window moves", "sizes"),
    SymbolRow("p", "p", "the padding: zeros added on every side of the input", "sizes"),
    SymbolRow("d", "d", "the dilation: the kernel's taps are d apart", "sizes"),
    SymbolRow("a", "a", "the output padding: rows the transposed convolution adds back",
              "sizes"),
    SymbolRow("x_{c}", "x[c]", "input channel c, (H, W); x is (C, H, W)", "arrays"),
    SymbolRow("W_{k,c}", "W[k, c]", "filter k's slice for channel c, (kh, kw); W is "
              "(K, C, kh, kw)", "arrays"),
    SymbolRow("b_{k}", "b[k]", "filter k's bias", "arrays"),
    SymbolRow(r"\delta_{k}", "δ[k]", "dL/dz for filter k's output map, (Ho, Wo)", "arrays"),
    SymbolRow(r"\mathrm{dx},\ \mathrm{dW},\ \mathrm{db}", "dx, dW, db",
              "the gradients of the loss: same shapes as x, W, b", "arrays"),
    SymbolRow(r"\sigma^{\prime}(z)", "σ'(z)", "the activation's slope at z", "arrays"),
    SymbolRow("k,\\ c", "k, c", "a filter and an input channel (indices, not sizes)",
              "positions"),
    SymbolRow("i,\\ j", "i, j", "a position in the output (in δ)", "positions"),
    SymbolRow("r,\\ q", "r, q", "an input pixel's row and column", "positions"),
    SymbolRow("u,\\ v", "u, v", "a kernel tap's row and column", "positions"),
    SymbolRow(r"\mathrm{pad}_{p}(m)", "pad_p(m)", "m with p zeros added on every side",
              "operations"),
    SymbolRow(r"\mathrm{dilate}_{s}(m)", "dilate_s(m)",
              "m with s − 1 zeros put between neighbouring rows and columns", "operations"),
    SymbolRow(r"\mathrm{every}_{s}(m)", "every_s(m)",
              "every s-th row and column of m, starting at row and column 0", "operations"),
    SymbolRow(r"\mathrm{crop}_{t}^{n}(m)", "crop_t^n(m)",
              "rows and columns t … t + n − 1 of m; any past m's end read as 0 (zero fill)",
              "operations"),
    SymbolRow(r"\mathrm{rot180}(m)", "rot180(m)",
              "m turned half a turn: flipped top to bottom and left to right", "operations"),
    SymbolRow(r"m \star b", "m ⋆ b",
              "correlation: slide b over m, multiply, add; no flip (what conv2d computes)",
              "operations"),
    SymbolRow(r"m \ast b", "m ∗ b", "convolution: the same with b turned first; "
              "m ∗ b = m ⋆ rot180(b), so never write ∗ together with rot180", "operations"),
    SymbolRow(r"\star_{\mathrm{full}}", "⋆full",
              "full: pad m first by b's height − 1 rows and width − 1 columns, so every "
              "overlap counts; for b = dilate_d(W[k, c]) that is d(kh − 1) and d(kw − 1)",
              "operations"),
    SymbolRow(r"\odot", "⊙", "element by element product", "operations"),
    SymbolRow("0,1,2,…", "rows, columns", "array rows and columns count from 0, as in NumPy",
              "numbering"),
    SymbolRow("1,2,…", "filters, channels", "filters and channels are named from 1 on the "
              "page: filter 1 is delta[0] and W[0]", "numbering"),
)


def symbol_table(group: str | None = None) -> tuple[SymbolRow, ...]:
    """The rows of :data:`SYMBOL_TABLE`, or those of one of :data:`GROUPS`.

    Raises
    ------
    ValueError
        If ``group`` is not one of :data:`GROUPS`.
    """
    if group is None:
        return SYMBOL_TABLE
    if group not in GROUPS:
        raise ValueError(f"group must be one of {GROUPS} or None; got {group!r}")
    return tuple(row for row in SYMBOL_TABLE if row.group == group)


def symbol_table_text() -> str:
    """The table as plain lines, ``symbol: meaning``, one per row."""
    return "\n".join(f"{row.text}: {row.meaning}" for row in SYMBOL_TABLE)


def symbol_table_markdown() -> str:
    """The table as Markdown (symbols in ``$…$``), for a lesson's ``display(Markdown(...))``."""
    lines = ["| symbol | meaning |", "| --- | --- |"]
    lines += [f"| ${row.latex}$ | {row.meaning.replace('|', '∣')} |" for row in SYMBOL_TABLE]
    return "\n".join(lines)
