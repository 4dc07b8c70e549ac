"""The command line's options: one-line errors, and numbers with a range and a reason.

Used by :mod:`cnnviz.cli`: every command's parser is a :class:`OneLineParser`, and every
numeric option is added with :func:`limited` and checked by :func:`checked_numbers` before any
work starts.
"""

from __future__ import annotations

import argparse
import math
import re

from cnnviz.cli.output import printable


class UsageError(Exception):
    """Something the user typed cannot run; reported as ``error: <message>``, exit code 2."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but an error is one ``error:`` line instead of the usage and the error."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(message)



# option -> (type, lowest, highest, why the limit): checked by checked_numbers before any work
Limits = dict[str, tuple[type, float, float, str]]


def limited(parser: argparse.ArgumentParser, limits: Limits, name: str, what: str, default):
    """Add ``--name`` (a string until :func:`checked_numbers`), its range and reason in --help."""
    kind, low, high, why = limits[name]
    parser.add_argument(
        "--" + name.replace("_", "-"), dest=name, metavar="N", default=str(default),
        help=f"{what}; {_span(kind, low, high)} ({why}); default {default}",
    )  # fmt: skip


def _span(kind: type, low: float, high: float, joiner: str = "..") -> str:
    return f"{kind(low)}{joiner}{kind(high)}" if kind is int else f"{low:g}{joiner}{high:g}"


# ASCII digits only ([0-9], not \d): int() and float() also take ٣, ３ and 1_0, which no
# other control of cnnviz (links, the explorer's fields) accepts.
_WHOLE = re.compile(r"[+-]?[0-9]+")
_REAL = re.compile(
    r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:inf|infinity|nan)",
    re.IGNORECASE,
)


def read_number(text: str, kind: type, option: str) -> int | float:
    """The one parser of every numeric option: ASCII digits, a sign, for floats a point and an
    exponent (and inf/nan, which the ranges then refuse); anything else is a UsageError.

    A whole number too long to convert is ``inf`` (out of every range, said so).
    """
    stripped = text.strip(" \t")
    if not (_WHOLE if kind is int else _REAL).fullmatch(stripped):
        noun = "a whole number" if kind is int else "a number"
        raise UsageError(f"{option} must be {noun}, not {cut(text, 24)}")
    if kind is int and len(stripped) > 19:  # past int64 and past int()'s digit limit: huge
        return math.inf if not stripped.startswith("-") else -math.inf
    try:
        return kind(stripped)
    except OverflowError:  # float("1e999") is inf already; this is only a guard
        return math.inf


def cut(text: str, limit: int = 40) -> str:
    """``text`` quoted for a one-line message: escaped, and cut to ``limit`` characters."""
    shown = printable(text[:limit])
    more = f"... ({len(text)} characters)" if len(text) > limit else ""
    return f"'{shown}{more}'"


def checked_numbers(args: argparse.Namespace, limits: Limits) -> None:
    """Replace each limited option's text on ``args`` by its number, or raise UsageError."""
    for name, (kind, low, high, why) in limits.items():
        text, option = getattr(args, name), "--" + name.replace("_", "-")
        value = read_number(text, kind, option)
        if not (math.isfinite(value) and low <= value <= high):  # refuses inf and nan
            limits_text = f"between {_span(kind, low, high, ' and ')} ({why})"
            raise UsageError(f"{option} must be {limits_text}, not {cut(text, 24)[1:-1]}")
        setattr(args, name, value)
