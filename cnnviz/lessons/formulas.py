"""The formulas the lessons display, from their one definition in :mod:`cnnviz.core.formulas`.

``show_formula("dx")`` in a notebook cell displays the equation (LaTeX through IPython) with its
note; the same :class:`Formula` computes it (``FORMULAS["dx"].evaluate(delta=..., w=...)``),
and the tests check both. The definitions live in the core so that the explorer page, which
comes before the lessons in the data flow, shows the very same formulas.
"""

from __future__ import annotations

import html

import numpy as np

from cnnviz.core.claims import depth_answer
from cnnviz.core.conventions import BLOG, INDEX_CONVENTION, SYMBOLS, backward_side_by_side
from cnnviz.core.formulas import FORMULAS, Formula
from cnnviz.core.maps2d import convolve_2d, correlate_2d, dilate_map, every_map, pad_map
from cnnviz.core.notation import Array, Crop, Num
from cnnviz.core.symbols import SymbolRow, symbol_table, symbol_table_markdown

__all__ = [
    "FORMULAS",
    "Formula",
    "convolve_2d",
    "correlate_2d",
    "formula",
    "conventions_markdown",
    "depth_answer_markdown",
    "formula_markdown",
    "show_conventions",
    "show_depth_answer",
    "show_formula",
    "show_notation",
    "operations_markdown",
    "operations_text",
]


def formula(name: str) -> Formula:
    """The :class:`Formula` called ``name`` (a key of :data:`FORMULAS`).

    Raises
    ------
    TypeError, ValueError
        If ``name`` is not a string, or not one of the keys.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str; got {type(name).__name__}")
    if name not in FORMULAS:
        raise ValueError(f"name must be one of {sorted(FORMULAS)}; got {name!r}")
    return FORMULAS[name]


def formula_markdown(name: str, *, note: bool = True) -> str:
    """Markdown for one formula: ``$$ latex $$`` and, if ``note``, its note in words."""
    entry = formula(name)
    body = f"$$ {entry.latex} $$"
    return body + (f"\n\n{html.escape(entry.note)}" if note and entry.note else "")


def show_formula(*names: str, note: bool = True) -> None:
    """Display formulas in a notebook (JupyterLab and Voila), each as LaTeX with its note.

    Parameters
    ----------
    *names : str
        Keys of :data:`FORMULAS`, e.g. ``show_formula("dx", "delta_below")``.
    note : bool
        Also show the sentence under each formula.
    """
    from IPython.display import Markdown, display  # only where a notebook shows it

    display(Markdown("\n\n".join(formula_markdown(name, note=note) for name in names)))


def conventions_markdown() -> str:
    """Lesson 00's conventions box: the symbols, the backward formula in both notations,
    the blog's convention beside the libraries', and the numbering (stated once, here)."""
    rows = "\n".join(
        f"| ${s.latex}$ | {s.name} | {_escape(s.meaning)} | `{s.scipy}` |" for s in SYMBOLS
    )
    both = "\n\n".join(f"*{name}*\n\n$$ {latex} $$" for name, latex, _ in
                       backward_side_by_side())
    return (
        "| symbol | name | what it does | scipy |\n|---|---|---|---|\n"
        f"{rows}\n\n"
        "**The backward formula** (one channel, stride 1, no padding) in both notations:\n\n"
        f"{both}\n\n{_escape(BLOG)}\n\n**Numbering.** {_escape(INDEX_CONVENTION)}"
    )


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def show_conventions() -> None:
    """Display :func:`conventions_markdown` in a notebook."""
    from IPython.display import Markdown, display

    display(Markdown(conventions_markdown()))


def depth_answer_markdown(depth: str = "ten", filters: str = "one") -> str:
    """The depth answer, literally, right under the page's own ⋆ and ∗ (lesson 02, the handout).

    The two definitions are the conventions box's rows (one definition for the whole course),
    so the answer's ⋆, ∗ and rot180 are read with the meanings printed just above them.
    """
    rows = "\n".join(f"| ${s.latex}$ | {s.name} | {_escape(s.meaning)} |"
                     for s in SYMBOLS if s.text in ("a ⋆ b", "a ∗ b"))  # fmt: skip
    return (
        "| symbol | name | what it does |\n|---|---|---|\n"
        f"{rows}\n\n**The answer.** {_escape(depth_answer(depth=depth, filters=filters))}"
    )


def show_depth_answer(depth: str = "ten", filters: str = "one") -> None:
    """Display :func:`depth_answer_markdown` in a notebook."""
    from IPython.display import Markdown, display

    display(Markdown(depth_answer_markdown(depth, filters)))


def _matrix(values: np.ndarray) -> str:
    rows = r" \\ ".join(" & ".join(f"{v:g}" for v in row) for row in values)
    return rf"\begin{{bmatrix}} {rows} \end{{bmatrix}}"


# The four operations the formulas are built from, in the order lesson 00 shows them; their
# meanings are the course's one symbol table's (cnnviz.core.symbols).
OPERATIONS = ("pad_p(m)", "dilate_s(m)", "every_s(m)", "crop_t^n(m)")


def _operation_rows() -> list[SymbolRow]:
    rows = {row.text: row for row in symbol_table("operations")}
    return [rows[name] for name in OPERATIONS]


def operations_text() -> str:
    """The four operations in one plain line (the handout)."""
    return " · ".join(f"{row.text}: {row.meaning}" for row in _operation_rows()) + "."


def operations_markdown() -> str:
    """pad, dilate, every and crop, each defined and shown on a small map.

    The examples are computed by the very routines the formulas evaluate with
    (:mod:`cnnviz.core.maps2d`, and the formulas' :class:`~cnnviz.core.notation.Crop`).
    """
    m = np.array([[1.0, 2.0], [3.0, 4.0]])
    big = np.arange(1.0, 10.0).reshape(3, 3)
    crop = Crop(Array("m", (), "m"), Num(1), Num(3)).evaluate({"m": big})
    examples = [("pad_1", m, pad_map(m, 1)), ("dilate_2", m, dilate_map(m, 2)),
                ("every_2", big, every_map(big, 2)), ("crop_1^3", big, crop)]  # fmt: skip
    lines = ["| operation | what it does | example |", "|---|---|---|"]
    for row, (name, before, after) in zip(_operation_rows(), examples, strict=True):
        lines.append(f"| ${row.latex}$ | {_escape(row.meaning)}. | {name}: ${_matrix(before)} "
                     f"\\mapsto {_matrix(after)}$ |")  # fmt: skip
    return "\n".join(lines)


def show_notation() -> None:
    """Display the symbol table and the four operations in a notebook (lesson 00)."""
    from IPython.display import Markdown, display

    display(Markdown(symbol_table_markdown() + "\n\nThe four operations, each on a small map:\n\n"
                     + operations_markdown()))
