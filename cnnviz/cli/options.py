"""The command line's options: one-line errors, and numbers with a range and a reason.

Used by :mod:`cnnviz.cli`: every command's parser is a :class:`OneLineParser`, and every
numeric option is added with :func:`limited` and checked by :func:`checked_numbers` before any
work starts.
"""

from __future__ import annotations

import argparse
import math


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


def checked_numbers(args: argparse.Namespace, limits: Limits) -> None:
    """Replace each limited option's text on ``args`` by its number, or raise UsageError."""
    for name, (kind, low, high, why) in limits.items():
        text, option = getattr(args, name), "--" + name.replace("_", "-")
        try:
            value = kind(text)
        except (ValueError, OverflowError):
            if not text.strip().lstrip("+-").isdigit():  # digits past int()'s length limit: huge
                noun = "a whole number" if kind is int else "a number"
                raise UsageError(f"{option} must be {noun}, not {text[:24]!r}") from None
            value = math.inf
        if not (math.isfinite(value) and low <= value <= high):  # refuses inf and nan
            limits_text = f"between {_span(kind, low, high, ' and ')} ({why})"
            shown = "".join(ch if ch.isprintable() else "?" for ch in text[:24])  # no escapes
            raise UsageError(f"{option} must be {limits_text}, not {shown}")
        setattr(args, name, value)



