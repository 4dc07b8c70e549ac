"""Check yourself: compare a learner's answer with the core's, and read typed answers.

A wrong answer gets a one-sentence :class:`Verdict`, not an exception; :func:`read_answer`
raises a ValueError whose message a learner can act on.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ANSWER_KINDS",
    "Question",
    "Verdict",
    "check_answer",
    "read_answer",
]


@dataclass(frozen=True)
class Verdict:
    """The checker's answer: ``correct`` and one plain sentence saying why."""

    correct: bool
    message: str

    def __str__(self) -> str:
        return self.message


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return f"an array of shape {value.shape}"
    if isinstance(value, tuple):
        return "(" + ", ".join(str(v) for v in value) + ")"
    return repr(value) if isinstance(value, str) else str(value)


def check_answer(
    answer: object,
    expected: object,
    *,
    what: str = "the answer",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    reveal: bool = True,
) -> Verdict:
    """Compare a learner's answer with the core's and say, in one sentence, how it went.

    Never raises for a bad answer: a string, a wrong shape or ``None`` all get a verdict.

    Parameters
    ----------
    answer : number, bool, tuple of ints (a shape) or array; ``None`` means "not answered yet"
    expected : the same kind of thing, computed by the core
    what : str
        What is asked for, e.g. ``"the shape of dx"``, used in the sentence.
    rtol, atol : float
        Tolerances for numbers and arrays (``np.allclose``).
    reveal : bool
        Whether a "not yet" verdict states the right answer (False for answer boxes, so that
        a learner can try again).
    """
    if not isinstance(what, str):
        raise TypeError(f"what must be a str; got {type(what).__name__}")
    if answer is None:
        return Verdict(False, f"No answer yet: replace None with {what}.")
    if isinstance(expected, (bool, np.bool_, str)) or (
        isinstance(expected, tuple) and all(isinstance(v, numbers.Integral) for v in expected)
    ):
        given = tuple(answer) if isinstance(answer, (list, tuple)) else answer
        if isinstance(given, tuple):
            given = tuple(int(v) if isinstance(v, numbers.Integral) else v for v in given)
        if isinstance(expected, (bool, np.bool_)):
            right = isinstance(given, (bool, np.bool_)) and bool(given) == bool(expected)
        else:
            right = type(given) is type(expected) and given == expected
        if right:
            return Verdict(True, f"Right: {what} is {_describe(expected)}.")
        return Verdict(
            False,
            f"Not yet: you said {_describe(answer)}, but {what} is {_describe(expected)}."
            if reveal
            else f"Not yet: {_describe(answer)} is not {what}; try again.",
        )
    expected_array = np.asarray(expected, dtype=np.float64)
    try:
        given = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return Verdict(
            False,
            f"Not yet: {_describe(answer)} is not a number or an array of numbers"
            + (f"; {what} is {_describe(expected)}." if reveal else "; try again."),
        )
    if given.shape != expected_array.shape:
        return Verdict(
            False,
            f"Not yet: your answer has shape {given.shape}, but {what} has "
            f"shape {expected_array.shape}.",
        )
    close = np.isclose(given, expected_array, rtol=rtol, atol=atol)
    if close.all():
        if expected_array.ndim:
            return Verdict(True, f"Right: all {close.size} entries of {what} match the core.")
        return Verdict(True, f"Right: {what} is {float(expected_array):g}.")
    if expected_array.ndim == 0:
        return Verdict(
            False,
            f"Not yet: you said {float(given):g}, but {what} is {float(expected_array):g}."
            if reveal
            else f"Not yet: {float(given):g} is not {what}; try again.",
        )
    worst = np.unravel_index(np.argmax(np.abs(given - expected_array)), given.shape)
    return Verdict(
        False,
        f"Not yet: {int((~close).sum())} of {close.size} entries of {what} "
        f"differ; the largest gap is at {tuple(int(i) for i in worst)}: you "
        f"have {given[worst]:g}, the core has {expected_array[worst]:g}.",
    )


ANSWER_KINDS = ("number", "ints")
_MAX_ANSWER_LENGTH = 200  # a typed answer longer than this is not an answer to these questions


def read_answer(text: object, kind: str) -> float | tuple[int, ...]:
    """Read what a learner typed into an answer box.

    Parameters
    ----------
    text : str
        What was typed, e.g. ``"-2"``, ``"1.5"``, ``"4, 8, 8"``, ``"(10, 12, 12)"`` or ``"[7]"``.
    kind : {"number", "ints"}
        One number, or a list of whole numbers (a shape, or a list of rows).

    Returns
    -------
    float, or tuple of int

    Raises
    ------
    ValueError
        With a plain sentence a learner can act on, when the text cannot be read.
    """
    if kind not in ANSWER_KINDS:
        raise ValueError(f"kind must be one of {ANSWER_KINDS}; got {kind!r}")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("Type an answer first.")
    text = text.strip()
    if len(text) > _MAX_ANSWER_LENGTH:
        raise ValueError("That answer is too long: type just the number or numbers.")
    if kind == "number":
        try:
            value = float(text)
        except ValueError:
            message = f"Could not read {text[:20]!r} as a number; type e.g. -2 or 1.5."
            raise ValueError(message) from None
        if not np.isfinite(value):
            raise ValueError("Type a finite number.")
        return value
    parts = [p for p in text.strip("()[] ").replace(",", " ").replace("x", " ").split() if p]
    if not parts or not all(p.lstrip("+-").isdigit() and p.isascii() for p in parts):
        raise ValueError(
            f"Could not read {text[:20]!r} as whole numbers; type them separated by commas, "
            "e.g. 4, 8, 8."
        )
    return tuple(int(p) for p in parts)


@dataclass(frozen=True)
class Question:
    """One "check yourself" question: what to ask, the core's answer, and how to read a reply.

    Attributes
    ----------
    prompt : str
        The question as shown, e.g. ``"Shape of δ?"``.
    expected : number or tuple of int
        The right answer, computed by the core.
    what : str
        What is asked for, in the verdict's sentence (``"the shape of δ"``).
    kind : {"number", "ints"}
        How :func:`read_answer` reads what the learner types.
    atol : float
        How far a typed number may be from ``expected`` (e.g. 0.005 for "two decimals").
    """

    prompt: str
    expected: object
    what: str
    kind: str = "number"
    atol: float = 1e-9

    def __post_init__(self) -> None:
        if self.kind not in ANSWER_KINDS:
            raise ValueError(f"kind must be one of {ANSWER_KINDS}; got {self.kind!r}")

    def mark(self, text: object) -> Verdict:
        """The verdict on what the learner typed (never raises)."""
        try:
            answer = read_answer(text, self.kind)
        except ValueError as error:
            return Verdict(False, str(error))
        return check_answer(
            answer, self.expected, what=self.what, rtol=0.0, atol=self.atol, reveal=False
        )
