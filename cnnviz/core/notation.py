"""A small vocabulary of operators that both *writes* a formula and *computes* it.

Each node of a formula tree knows three renderings (LaTeX, matplotlib mathtext, plain Unicode
text) and one evaluation in NumPy. A formula is written once, as a tree; its LaTeX is generated
from the same node that picks the NumPy routine, so the symbol on the page cannot drift from the
computation: ``Correlate`` prints ``⋆`` and slides the kernel without flipping it, ``Convolve``
prints ``∗`` and flips it. Tests parse the printed LaTeX back with an independent checker
(``tests/latex_checker.py``, on ``scipy.signal``) and compare.

Conventions (one sample; array positions count from 0, as in NumPy; the page numbers filters
and channels from 1, see ``cnnviz.core.conventions.INDEX_CONVENTION``):

* ``a ⋆ b``: cross-correlation, what deep-learning libraries call convolution (no flip);
  ``a ∗ b``: convolution, which turns ``b`` half a turn first. ``full`` pads ``a`` with
  ``len(b) - 1`` zeros on every side first, so every overlap counts; otherwise only the
  positions where ``b`` lies wholly inside ``a`` ("valid").
* ``pad_p``: ``p`` zeros on every side; ``dilate_s``: ``s - 1`` zeros between neighbours;
  ``every_s``: keep every s-th row and column, starting at 0; ``crop_a^n``: rows/columns
  ``a .. a + n - 1`` (positions past the end read as 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cnnviz.core.activations import derivative
from cnnviz.core.maps2d import (
    convolve_2d,
    correlate_2d,
    dilate_map,
    every_map,
    pad_map,
    pair,
)

Env = dict[str, Any]


# --------------------------------------------------------------------------- the nodes


class Expr:
    """A node of a formula: ``latex()``, ``mathtext()``, ``text()`` and ``evaluate(env)``."""

    def latex(self) -> str:
        raise NotImplementedError

    def mathtext(self) -> str:
        """matplotlib's mathtext dialect; the same as LaTeX for this vocabulary."""
        return self.latex()

    def text(self) -> str:
        raise NotImplementedError

    def evaluate(self, env: Env) -> Any:
        raise NotImplementedError

    def children(self) -> tuple[Expr, ...]:
        return ()

    def walk(self):
        """This node and every node below it, depth first."""
        yield self
        for child in self.children():
            yield from child.walk()


@dataclass(frozen=True)
class Label(Expr):
    """A left-hand side: rendered, never computed."""

    symbol: str
    plain: str

    def latex(self) -> str:
        return self.symbol

    def text(self) -> str:
        return self.plain

    def evaluate(self, env: Env) -> Any:
        raise TypeError("a Label is only written, never computed")


@dataclass(frozen=True)
class Size(Expr):
    """A size or setting read from the keyword arguments, e.g. ``padding`` shown as ``p``."""

    key: str
    symbol: str
    plain: str = ""

    def latex(self) -> str:
        return self.symbol

    def text(self) -> str:
        return self.plain or self.symbol

    def evaluate(self, env: Env) -> Any:
        return np.asarray(env[self.key])


@dataclass(frozen=True)
class Num(Expr):
    value: int

    def latex(self) -> str:
        return str(self.value)

    def text(self) -> str:
        return str(self.value)

    def evaluate(self, env: Env) -> Any:
        return np.asarray(self.value)


@dataclass(frozen=True)
class Array(Expr):
    """One slice of an array argument: ``Array("w", ("k", "c"), "w")`` is ``w[k, c]``."""

    key: str
    indices: tuple[str, ...]
    symbol: str
    plain: str = ""

    def latex(self) -> str:
        return f"{self.symbol}_{{{','.join(self.indices)}}}" if self.indices else self.symbol

    def text(self) -> str:
        base = self.plain or self.symbol
        return f"{base}[{', '.join(self.indices)}]" if self.indices else base

    def evaluate(self, env: Env) -> Any:
        array = np.asarray(env[self.key], dtype=float)
        return array[tuple(env["index:" + i] for i in self.indices)]


_ARITH = {"+": (" + ", " + "), "-": (" - ", " − "), "*": (" ", "·")}


@dataclass(frozen=True)
class Arith(Expr):
    """``a + b``, ``a - b`` or ``a b`` (product), on sizes or, element-wise, on arrays."""

    op: str
    a: Expr
    b: Expr

    def latex(self) -> str:
        gap = _ARITH[self.op][0] if not (self.op == "*" and isinstance(self.a, Num)) else ""
        return f"{self.a.latex()}{gap}{self.b.latex()}"

    def text(self) -> str:
        gap = _ARITH[self.op][1] if not (self.op == "*" and isinstance(self.a, Num)) else ""
        return f"{self.a.text()}{gap}{self.b.text()}"

    def evaluate(self, env: Env) -> Any:
        a, b = self.a.evaluate(env), self.b.evaluate(env)
        return {"+": np.add, "-": np.subtract, "*": np.multiply}[self.op](a, b)

    def children(self) -> tuple[Expr, ...]:
        return (self.a, self.b)


@dataclass(frozen=True)
class Paren(Expr):
    inner: Expr

    def latex(self) -> str:
        return rf"\left({self.inner.latex()}\right)"

    def text(self) -> str:
        return f"({self.inner.text()})"

    def evaluate(self, env: Env) -> Any:
        return self.inner.evaluate(env)

    def children(self) -> tuple[Expr, ...]:
        return (self.inner,)


@dataclass(frozen=True)
class FloorDiv(Expr):
    top: Expr
    bottom: Expr

    def latex(self) -> str:
        return rf"\left\lfloor\frac{{{self.top.latex()}}}{{{self.bottom.latex()}}}\right\rfloor"

    def text(self) -> str:
        return f"⌊({self.top.text()})/{self.bottom.text()}⌋"

    def evaluate(self, env: Env) -> Any:
        return np.floor_divide(self.top.evaluate(env), self.bottom.evaluate(env))

    def children(self) -> tuple[Expr, ...]:
        return (self.top, self.bottom)


@dataclass(frozen=True)
class Mod(Expr):
    a: Expr
    b: Expr

    def latex(self) -> str:
        return rf"{self.a.latex()}\ \mathrm{{mod}}\ {self.b.latex()}"

    def text(self) -> str:
        return f"{self.a.text()} mod {self.b.text()}"

    def evaluate(self, env: Env) -> Any:
        return np.mod(self.a.evaluate(env), self.b.evaluate(env))

    def children(self) -> tuple[Expr, ...]:
        return (self.a, self.b)


_MAPS = {  # name -> (LaTeX, text, routine(image, parameter))
    "pad": (r"\mathrm{pad}", "pad", pad_map),
    "dilate": (r"\mathrm{dilate}", "dilate", dilate_map),
    "every": (r"\mathrm{every}", "every", every_map),
    "rot180": (r"\mathrm{rot180}", "rot180", lambda image, _: image[::-1, ::-1]),
}


@dataclass(frozen=True)
class Map(Expr):
    """A map-to-map operation with one parameter: ``pad_p``, ``dilate_s``, ``every_s``, rot180."""

    op: str
    arg: Expr
    param: Expr | None = None

    def latex(self) -> str:
        sub = f"_{{{self.param.latex()}}}" if self.param is not None else ""
        return rf"{_MAPS[self.op][0]}{sub}\left({self.arg.latex()}\right)"

    def text(self) -> str:
        sub = f"_{self.param.text()}" if self.param is not None else ""
        return f"{_MAPS[self.op][1]}{sub}({self.arg.text()})"

    def evaluate(self, env: Env) -> Any:
        param = None if self.param is None else self.param.evaluate(env)
        return _MAPS[self.op][2](np.asarray(self.arg.evaluate(env), dtype=float), param)

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,) if self.param is None else (self.arg, self.param)


@dataclass(frozen=True)
class Crop(Expr):
    """``crop_a^n(m)``: rows and columns ``a .. a + n - 1`` of ``m``; past its end reads 0."""

    arg: Expr
    start: Expr
    size: Expr

    def latex(self) -> str:
        bounds = f"_{{{self.start.latex()}}}^{{{self.size.latex()}}}"
        return rf"\mathrm{{crop}}{bounds}\left({self.arg.latex()}\right)"

    def text(self) -> str:
        return f"crop_{self.start.text()}^({self.size.text()})({self.arg.text()})"

    def evaluate(self, env: Env) -> Any:
        image = np.asarray(self.arg.evaluate(env), dtype=float)
        (th, tw), (nh, nw) = pair(self.start.evaluate(env)), pair(self.size.evaluate(env))
        # rows no window reached are zero: extend with zeros, then cut
        framed = np.zeros((max(th + nh, image.shape[0]), max(tw + nw, image.shape[1])))
        framed[: image.shape[0], : image.shape[1]] = image
        return framed[th : th + nh, tw : tw + nw]

    def children(self) -> tuple[Expr, ...]:
        return (self.arg, self.start, self.size)


_SLIDES = {  # name -> (LaTeX, text, routine)
    "correlate": (r"\star", "⋆", correlate_2d),
    "convolve": (r"\ast", "∗", convolve_2d),
}


@dataclass(frozen=True)
class Slide(Expr):
    """``a ⋆ b`` (correlate, no flip) or ``a ∗ b`` (convolve, flips ``b``), valid or full."""

    op: str
    a: Expr
    b: Expr
    full: bool = False

    def latex(self) -> str:
        mark = r"_{\mathrm{full}}" if self.full else ""
        return f"{self.a.latex()} {_SLIDES[self.op][0]}{mark} {self.b.latex()}"

    def text(self) -> str:
        mark = "_full" if self.full else ""
        return f"{self.a.text()} {_SLIDES[self.op][1]}{mark} {self.b.text()}"

    def evaluate(self, env: Env) -> Any:
        routine = _SLIDES[self.op][2]
        return routine(self.a.evaluate(env), self.b.evaluate(env), full=self.full)

    def children(self) -> tuple[Expr, ...]:
        return (self.a, self.b)


def index_range(expr: Expr, index: str, env: Env) -> int:
    """How many values ``index`` takes: the length of the first array axis it labels."""
    for node in expr.walk():
        if isinstance(node, Array) and index in node.indices:
            return int(np.shape(env[node.key])[node.indices.index(index)])
    raise ValueError(f"no array in the formula is indexed by {index!r}")


@dataclass(frozen=True)
class Sum(Expr):
    """``Σ_index body``: the body evaluated for every value of the index, added up."""

    index: str
    body: Expr

    def latex(self) -> str:
        return rf"\sum_{{{self.index}}} {self.body.latex()}"

    def text(self) -> str:
        return f"Σ_{self.index} {self.body.text()}"

    def evaluate(self, env: Env) -> Any:
        count = index_range(self.body, self.index, env)
        return sum(
            self.body.evaluate({**env, "index:" + self.index: value}) for value in range(count)
        )

    def children(self) -> tuple[Expr, ...]:
        return (self.body,)


@dataclass(frozen=True)
class SumPixels(Expr):
    """``Σ_{i,j} m[i, j]``: every element of a map added up."""

    arg: Expr

    def latex(self) -> str:
        return rf"\sum_{{i,j}} {self.arg.latex()}"

    def text(self) -> str:
        return f"Σ_i,j {self.arg.text()}"

    def evaluate(self, env: Env) -> Any:
        return np.sum(self.arg.evaluate(env))

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)


@dataclass(frozen=True)
class Hadamard(Expr):
    """``a ⊙ b``: element by element."""

    a: Expr
    b: Expr

    def latex(self) -> str:
        return rf"{self.a.latex()} \odot {self.b.latex()}"

    def text(self) -> str:
        return f"{self.a.text()} ⊙ {self.b.text()}"

    def evaluate(self, env: Env) -> Any:
        return np.multiply(self.a.evaluate(env), self.b.evaluate(env))

    def children(self) -> tuple[Expr, ...]:
        return (self.a, self.b)


@dataclass(frozen=True)
class Slope(Expr):
    """``σ'(z)``: the slope of the activation named by the ``activation`` argument."""

    arg: Expr

    def latex(self) -> str:
        return rf"\sigma^{{\prime}}\left({self.arg.latex()}\right)"

    def text(self) -> str:
        return f"σ'({self.arg.text()})"

    def evaluate(self, env: Env) -> Any:
        return derivative(env["activation"], np.asarray(self.arg.evaluate(env), dtype=float))

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)
