"""The notation, stated once: ⋆ and ∗, "full", rot180, and how filters and channels are numbered.

Lesson 00's conventions box (:func:`cnnviz.lessons.formulas.conventions_markdown`) and the
explorer's (:func:`cnnviz.explorer.render.text.conventions_html`) are both generated from here,
and the formulas they quote come from :data:`cnnviz.core.formulas.FORMULAS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.core.formulas import FORMULAS, Formula
from cnnviz.core.notation import Slide


@dataclass(frozen=True)
class Symbol:
    """One row of the conventions box."""

    latex: str
    text: str
    name: str
    meaning: str
    scipy: str


SYMBOLS = (
    Symbol(r"a \star b", "a ⋆ b", "cross-correlation",
           "slide b over a, multiply, add, with no flip. This is what PyTorch's and "
           "TensorFlow's conv2d compute (they call it convolution).",
           "scipy.signal.correlate2d(a, b)"),
    Symbol(r"a \ast b", "a ∗ b", "convolution",
           "the same with b turned half a turn first: a ∗ b = a ⋆ rot180(b).",
           "scipy.signal.convolve2d(a, b)"),
    Symbol(r"\star_{\mathrm{full}},\ \ast_{\mathrm{full}}", "⋆_full, ∗_full", "full",
           "pad a first with b's height − 1 rows and width − 1 columns of zeros on every side "
           "(for b = dilate_d(w) that is d(kh − 1) and d(kw − 1)), so every overlap counts and "
           "the map grows by as much; without it only windows wholly inside a count (valid).",
           'mode="full"'),
    Symbol(r"\mathrm{rot180}(w)", "rot180(w)", "half turn",
           "w flipped top to bottom and left to right.", "w[::-1, ::-1]"),
)

INDEX_CONVENTION = (
    "Filters and input channels are numbered from 1 on the page, as the explorer labels them "
    "(filter 1 makes δ₁ with W₁; channel 1 is x₁, and W₁,₂ is filter 1's slice for channel 2). "
    "NumPy arrays count from 0, so δ₁ is delta[0] and W₁,₂ is w[0, 1]."
)

BLOG = (
    "The blog writes ∗ for the sliding product without a flip (our ⋆), so its "
    "δˡ = (δˡ⁺¹ ∗ rot180(w)) ⊙ σ'(zˡ) is right in its own notation. Read with the libraries' "
    "∗, which flips, the same line turns the kernel twice and is wrong."
)


def in_blog_notation(entry: Formula) -> tuple[str, str]:
    """The first right side of ``entry`` in the blog's notation: ``(latex, text)``.

    The blog prints ``∗`` where the libraries print ``⋆`` (a correlation); only a side with no
    true convolution in it can be translated, so that is checked.

    Raises
    ------
    ValueError
        If that side holds a convolution ``∗``, which the blog's notation cannot write.
    """
    form = entry.forms[0]
    if any(isinstance(node, Slide) and node.op == "convolve" for node in form.walk()):
        raise ValueError(f"{entry.name}'s first side convolves; the blog has no symbol for it")
    latex = entry.lhs.latex() + " = " + form.latex().replace(r"\star", r"\ast")
    return latex, entry.lhs.text() + " = " + form.text().replace("⋆", "∗")


def backward_side_by_side() -> list[tuple[str, str, str]]:
    """``(convention, latex, text)`` rows: the one-channel backward formula in each notation."""
    entry = FORMULAS["delta_below_1ch"]
    blog_latex, blog_text = in_blog_notation(entry)
    return [
        ("the libraries and scipy (⋆ no flip, ∗ flips)", entry.latex, entry.text),
        ("the blog (its ∗ does not flip)", blog_latex, blog_text),
    ]
