"""Read a formula's printed LaTeX and compute what the *symbols* say, with scipy.signal.

Independent of cnnviz: nothing here imports the package. Each symbol maps to one routine:
``\\star`` -> ``scipy.signal.correlate2d`` (no flip), ``\\ast`` -> ``convolve2d`` (flips),
``_{\\mathrm{full}}`` -> ``mode="full"``, ``\\mathrm{rot180}`` -> ``np.rot90(m, 2)``, and so on. So
a formula that prints ``\\ast`` where the code correlates, or drops ``rot180`` or the crop,
computes something else here and its test fails.

``evaluate_latex(latex, **values)`` takes the same keyword arguments as ``Formula.evaluate``
and returns the left side's free indices stacked (``dW`` -> ``(K, C, kh, kw)``).
"""

from __future__ import annotations

import itertools
import re

import numpy as np
from scipy import signal

ARRAYS = {"x": "x", "w": "w", r"\delta": "delta", "b": "b", "z": "z"}
SLOPES = {
    "identity": lambda z: np.ones_like(z),
    "relu": lambda z: (z > 0).astype(float),
    "tanh": lambda z: 1.0 / np.cosh(z) ** 2,
    "sigmoid": lambda z: np.exp(-z) / (1.0 + np.exp(-z)) ** 2,
}


def _pair(value):
    value = np.asarray(value).astype(int)
    return (int(value), int(value)) if value.ndim == 0 else (int(value[0]), int(value[1]))


def _dilate(m, step):
    sh, sw = _pair(step)
    out = np.zeros(((m.shape[0] - 1) * sh + 1, (m.shape[1] - 1) * sw + 1))
    out[::sh, ::sw] = m
    return out


def _crop(m, start, size):
    (th, tw), (nh, nw) = _pair(start), _pair(size)
    big = np.zeros((max(th + nh, m.shape[0]), max(tw + nw, m.shape[1])))
    big[: m.shape[0], : m.shape[1]] = m
    return big[th : th + nh, tw : tw + nw]


FUNCTIONS = {
    "pad": lambda m, p, _: np.pad(m, [(q, q) for q in _pair(p)]),
    "dilate": lambda m, s, _: _dilate(m, s),
    "every": lambda m, s, _: m[:: _pair(s)[0], :: _pair(s)[1]],
    "rot180": lambda m, _p, _q: np.rot90(m, 2),
    "crop": _crop,
}


class _Parser:
    """Recursive descent over the LaTeX the formulas print; returns functions of ``env``."""

    def __init__(self, source: str, blog: bool = False) -> None:
        self.s, self.i, self.blog = source, 0, blog

    def peek(self, token: str) -> bool:
        while self.i < len(self.s) and self.s[self.i] == " ":
            self.i += 1
        return self.s.startswith(token, self.i)

    def take(self, token: str) -> bool:
        if self.peek(token):
            self.i += len(token)
            return True
        return False

    def expect(self, token: str) -> None:
        if not self.take(token):
            raise SyntaxError(f"expected {token!r} at {self.s[self.i:self.i + 30]!r}")

    def group(self) -> str:
        """The raw text of a balanced ``{...}``."""
        self.expect("{")
        depth, start = 1, self.i
        while depth:
            depth += {"{": 1, "}": -1}.get(self.s[self.i], 0)
            self.i += 1
        return self.s[start : self.i - 1]

    def whole(self):
        node = self.sum()
        if self.peek(" ") or self.i < len(self.s.rstrip()):
            raise SyntaxError(f"unread text {self.s[self.i:]!r}")
        return node

    def sum(self):
        node = self.hadamard()
        while self.peek("+") or self.peek("-"):
            sign = 1 if self.take("+") else (self.expect("-") or -1)
            left, right = node, self.hadamard()
            node = lambda e, a=left, b=right, k=sign: a(e) + k * b(e)  # noqa: E731
        return node

    def hadamard(self):
        node = self.slide()
        while self.take(r"\odot"):
            left, right = node, self.slide()
            node = lambda e, a=left, b=right: a(e) * b(e)  # noqa: E731
        return node

    def slide(self):
        node = self.product()
        while self.peek(r"\star") or self.peek(r"\ast"):
            routine = signal.correlate2d if self.take(r"\star") else signal.convolve2d
            if self.take(r"\ast") and self.blog:
                routine = signal.correlate2d  # the blog's ∗ slides without flipping
            mode = "full" if self.take(r"_{\mathrm{full}}") else "valid"
            left, right = node, self.product()
            node = lambda e, a=left, b=right, f=routine, m=mode: f(a(e), b(e), mode=m)  # noqa: E731
        return node

    def product(self):
        node = self.atom()
        while True:
            if self.take(r"\ \mathrm{mod}\ "):
                left, right = node, self.atom()
                node = lambda e, a=left, b=right: np.mod(a(e), b(e))  # noqa: E731
            elif self.starts_atom():
                left, right = node, self.atom()
                node = lambda e, a=left, b=right: a(e) * b(e)  # noqa: E731
            else:
                return node

    def starts_atom(self) -> bool:
        if self.peek(r"\right") or self.peek(r"\star") or self.peek(r"\ast"):
            return False
        if self.peek(r"\odot") or self.peek(r"\ \mathrm{mod}"):
            return False
        return self.i < len(self.s) and (self.s[self.i].isalnum() or self.s[self.i] == "\\")

    def atom(self):
        if self.take(r"\left\lfloor"):
            self.expect(r"\frac")
            top, bottom = _parse(self.group(), self.blog), _parse(self.group(), self.blog)
            self.expect(r"\right\rfloor")
            return lambda e: np.floor_divide(top(e), bottom(e))
        if self.take(r"\left("):
            inner = self.sum()
            self.expect(r"\right)")
            return inner
        if self.take(r"\sum_"):
            indices = self.group().split(",")
            body = self.slide()
            return lambda e: _sum_over(indices, body, e)
        if self.take(r"\sigma^{\prime}"):
            arg = self.atom()
            return lambda e: SLOPES[e["activation"]](arg(e))
        match = re.match(r"\\mathrm\{(pad|dilate|every|rot180|crop)\}", self.s[self.i:])
        if match:
            self.i += match.end()
            return self.function(match.group(1))
        if self.s[self.i].isdigit():
            number = re.match(r"\d+", self.s[self.i:]).group()
            self.i += len(number)
            return lambda e: np.asarray(int(number))
        return self.symbol()

    def function(self, name: str):
        low = _parse(self.group(), self.blog) if self.take("_") else None
        high = _parse(self.group(), self.blog) if self.take("^") else None
        self.expect(r"\left(")
        arg = self.sum()
        self.expect(r"\right)")
        routine = FUNCTIONS[name]
        return lambda e: routine(arg(e), low and low(e), high and high(e))

    def symbol(self):
        base = r"\delta" if self.take(r"\delta") else self.s[self.i]
        self.i += 0 if base == r"\delta" else 1
        if self.take("^"):
            self.group()  # a layer label such as l+1: the arrays are passed per layer
        sub = ""
        if self.take("_"):
            sub = self.group() if self.peek("{") else self.s[self.i]
            self.i += 0 if self.s[self.i - 1] == "}" else 1
        if base in ARRAYS:
            key, indices = ARRAYS[base], [i for i in sub.split(",") if i]
            return lambda e: np.asarray(e[key], float)[tuple(e["index:" + i] for i in indices)]
        if base == "H" and self.take(r"\times W"):
            return lambda e: np.asarray(e["input_size"])
        name = {("p", ""): "padding", ("s", ""): "stride", ("d", ""): "dilation",
                ("a", ""): "output_padding", ("k", "h"): "kernel_size", ("H", ""): "input_size",
                ("H", r"\mathrm{out}"): "output_size"}[(base, sub)]
        return lambda e: np.asarray(e[name])


def _sum_over(indices, body, env):
    if indices == ["i", "j"]:
        return np.sum(body(env))
    (index,) = indices
    return sum(body({**env, "index:" + index: v}) for v in range(_range(index, env)))


def _range(index: str, env) -> int:
    if index == "k":
        return np.shape(env["w"] if "w" in env else env["delta"])[0]
    return np.shape(env["w"])[1] if "w" in env else np.shape(env.get("x", env.get("z")))[0]


def _parse(source: str, blog: bool = False):
    return _Parser(source, blog).whole()


def evaluate_latex(latex: str, *, blog: bool = False, **values):
    """Compute the right sides of ``latex`` (``lhs = rhs = ...``); returns a list, one per side.

    ``blog=True`` reads ``\\ast`` the blog's way: a sliding product without a flip.
    """
    lhs, *sides = latex.split(" = ")
    free = re.findall(r"_\{([a-z](?:,[a-z])*)\}", lhs)
    indices = free[-1].split(",") if free else []
    env = {"stride": 1, "padding": 0, "dilation": 1, "output_padding": 0, **values}
    if "input_size" not in env and ("x" in env or "z" in env):
        env["input_size"] = np.shape(env.get("x", env.get("z")))[-2:]
    if "kernel_size" not in env and "w" in env:
        env["kernel_size"] = np.shape(env["w"])[-2:]
    results = []
    for side in sides:
        node = _parse(side, blog)
        if not indices:
            results.append(node(env))
            continue
        ranges = [range(_range(i, env)) for i in indices]
        parts = [node({**env, **{"index:" + i: v for i, v in zip(indices, combo, strict=True)}})
                 for combo in itertools.product(*ranges)]
        results.append(np.stack(parts).reshape(tuple(map(len, ranges)) + np.shape(parts[0])))
    return results
