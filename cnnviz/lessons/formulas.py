"""The formulas the lessons display, from their one definition in :mod:`cnnviz.core.formulas`.

``show_formula("dx")`` in a notebook cell displays the equation (LaTeX through IPython) with its
note; the same :class:`Formula` computes it (``FORMULAS["dx"].evaluate(delta=..., w=...)``),
and the tests check both. The definitions live in the core so that the explorer page, which
comes before the lessons in the data flow, shows the very same formulas.
"""

from __future__ import annotations

import html

from cnnviz.core.conventions import BLOG, INDEX_CONVENTION, SYMBOLS, backward_side_by_side
from cnnviz.core.formulas import FORMULAS, Formula
from cnnviz.core.maps2d import convolve_2d, correlate_2d

__all__ = [
    "FORMULAS",
    "Formula",
    "convolve_2d",
    "correlate_2d",
    "formula",
    "conventions_markdown",
    "formula_markdown",
    "show_conventions",
    "show_formula",
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
