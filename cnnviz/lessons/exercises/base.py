"""What an exercise is: a question with the student's own numbers, the core's answer, and the
classic mistakes, each with the value it gives (computed with the core) and one sentence.

A typed answer is read (:func:`read_typed`: a number with two or more decimals stands for
its rounding), compared with the answer, then with each mistake's value; the first match
decides the feedback. :func:`draw` turns a generator's fields into an Exercise: routes that
give one value share their sentence or the numbers are drawn again, and no wrong-answer
sentence may state the answer. Nothing here wires widgets.
"""

from __future__ import annotations

import math
import numbers
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Answer = tuple[float, ...]
KINDS = ("number", "numbers")
_MAX_TEXT = 300  # a typed answer longer than this is not an answer to these questions
_ATTEMPTS = 400  # draws tried before a generator is declared unable to separate its mistakes
# A number typed with two or more decimals is read as a rounding of the value it stands for
# (-7.667 for -23/3, as format_value shows it); with fewer decimals it must be exact.
ROUNDING = 0.005
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-"})  # the page's minus sign, an en dash
_DECIMALS = re.compile(r"[+-]?[0-9]*\.([0-9]+)")
_NUMBER_TOKEN = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
COUNT_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@dataclass(frozen=True)
class Mistake:
    """A classic wrong route: its ``name``, the ``value`` it gives here, and one ``sentence``.

    ``routes`` names every wrong route that gives this value here: ``(name,)`` for one, two or
    more when routes that always agree (no rot180 and turned twice) share one sentence.
    """

    name: str
    value: Answer
    sentence: str
    routes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.routes:
            object.__setattr__(self, "routes", (self.name,))


@dataclass(frozen=True)
class Feedback:
    """The verdict on a typed answer: ``correct``, the recognised ``mistake`` (or None), and
    ``message``, one sentence for the student."""

    correct: bool
    mistake: str | None
    message: str

    def __str__(self) -> str:
        return self.message


def format_value(value: Answer) -> str:
    """``(3.0,)`` -> ``"3"``; ``(4.0, 8.0, 8.0)`` -> ``"4, 8, 8"``; 4 significant digits."""
    return ", ".join(
        str(int(v)) if float(v).is_integer() else f"{v:.4g}" for v in (float(x) for x in value)
    )


def _tokens(text: object) -> list[str]:
    if not isinstance(text, str) or not text.strip():
        raise ValueError("Type an answer first.")
    if len(text) > _MAX_TEXT:
        raise ValueError("That answer is too long: type just the number or numbers.")
    cleaned = text.translate(_MINUS).strip().strip("()[]{} ")
    cleaned = cleaned.replace("×", " ").replace(",", " ").replace(";", " ")
    return [p for p in cleaned.replace("x", " ").replace("X", " ").split() if p]


def read_numbers(text: object) -> Answer:
    """Read a typed answer: one number, or numbers separated by commas or spaces.

    Brackets and ``×``/``x`` between sizes are allowed (``"(4, 8, 8)"``, ``"4×8×8"``), and the
    minus sign the page prints (``−``) reads as ``-``.

    Raises
    ------
    ValueError
        With a sentence a student can act on.
    """
    return read_typed(text)[0]


def read_typed(text: object) -> tuple[Answer, tuple[float, ...]]:
    """The typed numbers and, for each, how far it may be from what it stands for: half a unit
    of its last decimal when it has two or more decimals (``-7.667``: 0.0005), else 0."""
    parts = _tokens(text)
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise ValueError(
            f"Could not read {text.strip()[:20]!r} as numbers; type e.g. -2 or 4, 8, 8."
        ) from None
    if not values or not all(math.isfinite(v) for v in values):
        raise ValueError("Type finite numbers, e.g. -2 or 4, 8, 8.")
    slack = []
    for part in parts:
        match = _DECIMALS.fullmatch(part)
        decimals = len(match.group(1)) if match else 0
        slack.append(0.5 * 10.0**-decimals if decimals >= 2 else 0.0)
    return values, tuple(slack)


def as_answer(value: object) -> Answer:
    """Any number, shape or array, as a flat tuple of floats."""
    if isinstance(value, numbers.Number):
        return (float(value),)
    return tuple(float(v) for v in np.asarray(value, dtype=np.float64).ravel())


def _same(a: Answer, b: Answer, atol: float, slack: tuple[float, ...] | None = None) -> bool:
    if len(a) != len(b):
        return False
    slack = slack or (0.0,) * len(a)
    return all(abs(x - y) <= max(atol, t) + 1e-12 for x, y, t in zip(a, b, slack, strict=True))


def number_tokens(text: str) -> set[float]:
    """The numbers written in a sentence (``"k − 1"`` holds 1; the minus sign is read)."""
    return {float(t) for t in _NUMBER_TOKEN.findall(text.translate(_MINUS))}


@dataclass(frozen=True, eq=False)  # holds arrays: compare .text() and .answer instead
class Exercise:
    """One seeded exercise.

    Attributes
    ----------
    lesson, key : which lesson (``"03"``) and which exercise (``"dx-entry"``)
    seed : the seed that drew its numbers
    question : the question, with the student's numbers
    given : named arrays shown with the question, ``(name, array)``
    answer : the core's answer, flat
    label : what is asked, e.g. ``"dL/dx[1, 2]"``
    how : one sentence saying how the answer is computed (shown with the answer)
    mistakes : the classic wrong routes that apply to this draw, each with its value here
    kind : ``"number"`` (one) or ``"numbers"`` (a shape, a map's entries, ...)
    atol : how far a typed number may be from the answer
    numbers : the drawn numbers the question states, ``(name, value)`` (sizes, indices, ...)
    """

    lesson: str
    key: str
    seed: int
    question: str
    answer: Answer
    label: str
    how: str
    mistakes: tuple[Mistake, ...]
    given: tuple[tuple[str, np.ndarray], ...] = field(default=())
    kind: str = "number"
    atol: float = 1e-6
    numbers: tuple[tuple[str, float], ...] = field(default=())

    @property
    def answer_text(self) -> str:
        """``"dL/dx[1, 2] = -3"``: what "show answer" reveals first."""
        return f"{self.label} = {format_value(self.answer)}"

    def reveal(self) -> str:
        """The answer and how it is computed, in two sentences (the second as written: its
        first letter may be a symbol such as δ, which must not become Δ)."""
        return f"Answer: {self.answer_text}. {self.how}"

    def text(self) -> str:
        """The question and its arrays as plain text."""
        arrays = [
            f"{name} =\n{np.array2string(np.asarray(a), separator=', ')}" for name, a in self.given
        ]
        return "\n".join([self.question, *arrays])

    def check(self, text: object) -> Feedback:
        """The feedback on what the student typed; never raises, never states the answer
        unless it was typed."""
        try:
            given, slack = read_typed(text)
        except ValueError as error:
            return Feedback(False, None, str(error))
        if _same(given, self.answer, self.atol, slack):
            return Feedback(True, None, f"Right: {self.answer_text}.")
        for mistake in self.mistakes:
            if _same(given, mistake.value, self.atol, slack):
                return Feedback(False, mistake.name, f"Not yet: {mistake.sentence}")
        if len(given) != len(self.answer):
            wanted = _count(len(self.answer), "number")
            message = f"Not yet: the answer is {wanted}; you typed {_count(len(given), 'number')}."
            return Feedback(False, None, message)
        message = f"Not yet: {format_value(given)} is not {self.label}; try again."
        return Feedback(False, None, message)


def _count(count: int, noun: str) -> str:
    """``"four numbers"``: counts in words, so no count is read as a value of the answer."""
    word = COUNT_WORDS[count] if count < len(COUNT_WORDS) else "many"
    return f"{word} {noun}" + ("" if count == 1 else "s")


Generator = Callable[[np.random.Generator], dict]


def separation(atol: float) -> float:
    """How far apart an exercise's answer and its mistakes' values must be: more than twice the
    widest a typed number may be off (its ``atol``, or a two-decimal rounding), so no typed
    value is read as two of them."""
    return 2 * max(atol, ROUNDING) + 1e-9


def separated(exercise: Exercise) -> bool:
    """True when the answer and every mistake's value differ from each other (and the
    sentences too), so each classic mistake is recognised as itself."""
    values = [exercise.answer, *(m.value for m in exercise.mistakes)]
    margin = separation(exercise.atol)
    for i, a in enumerate(values):
        if any(_same(a, b, margin) for b in values[i + 1 :]):
            return False
    sentences = [m.sentence for m in exercise.mistakes]
    return len(set(sentences)) == len(sentences)


def gives_away(exercise: Exercise) -> bool:
    """True when a wrong-answer sentence writes a number of the answer that the question does
    not state ("the windows fit only H_o = 13 times" for a shape whose rows are 13). In an
    answer of several numbers, 0 and ±1 count as stated: rules name them ("gives 0")."""
    stated = number_tokens(exercise.question + " " + exercise.label)
    if exercise.kind == "numbers":  # a map's 0s and 1s: rules say "gives 0", "slope 1 or 0"
        stated |= {0.0, 1.0, -1.0}
    secret = {v for v in exercise.answer if v not in stated}
    return any(number_tokens(m.sentence) & secret for m in exercise.mistakes)


def _merged(fields: dict, margin: float) -> list[Mistake] | None:
    """The mistakes, routes with one value here merged into their shared sentence, or None
    when two routes agree here without one (the draw is then redrawn)."""
    groups: list[list[tuple[str, Answer, str]]] = []
    for name, value, sentence in fields["mistakes"]:
        value = as_answer(value)
        group = next((g for g in groups if _same(g[0][1], value, margin)), None)
        if group is None:
            groups.append([(name, value, sentence)])
        else:
            group.append((name, value, sentence))
    shared = {frozenset(names): (name, sentence) for names, name, sentence in fields["same"]}
    mistakes = []
    for group in groups:
        routes = tuple(name for name, _, _ in group)
        if len(group) == 1:
            mistakes.append(Mistake(*group[0]))
        elif frozenset(routes) in shared:
            name, sentence = shared[frozenset(routes)]
            mistakes.append(Mistake(name, group[0][1], sentence, routes))
        else:
            return None
    return mistakes


def draw(lesson: str, key: str, generator: Generator, seed: int) -> Exercise:
    """Draw an exercise from ``seed``: the first draw whose mistakes are all told apart.

    ``generator(rng)`` returns the Exercise's fields except lesson, key and seed, with
    ``mistakes`` as ``(name, value, sentence)`` for the routes that apply to the draw, and
    optionally ``same``: ``(route names, name, sentence)`` for routes that give one value.
    The numbers come from the seed and the exercise's key (``"03/stride-dx-entry"``), so every
    exercise of a page draws its own, and adding an exercise changes no other. Deterministic:
    the same seed gives the same numbers.
    """
    stream = zlib.crc32(f"{lesson}/{key}".encode())
    for attempt in range(_ATTEMPTS):
        fields = generator(np.random.default_rng([seed, stream, attempt]))
        if fields is None:  # the draw does not fit the question (e.g. a window too large)
            continue
        fields.setdefault("same", ())
        fields["answer"] = as_answer(fields["answer"])
        fields["numbers"] = tuple((k, float(v)) for k, v in fields.get("numbers", {}).items())
        mistakes = _merged(fields, separation(fields.get("atol", Exercise.atol)))
        if mistakes is None:
            continue
        fields["mistakes"] = tuple(mistakes)
        del fields["same"]
        exercise = Exercise(lesson=lesson, key=key, seed=seed, **fields)
        if separated(exercise) and not gives_away(exercise):
            return exercise
    raise RuntimeError(f"exercise {lesson}/{key}: no draw separates its mistakes for seed {seed}")


SMALL = np.array([-2.0, -1.0, 1.0, 2.0])  # entries a student multiplies in their head


def small_numbers(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """An array of ``shape`` drawn from :data:`SMALL`, so every product is done in one's head."""
    return rng.choice(SMALL, size=shape)


def turned_twice(value: object, framed: str = "the padded δ", kernel: str = "w") -> tuple:
    """The "turned twice" mistake: ∗ together with rot180, which undoes the half turn.

    ``framed`` names what the kernel slides over, ``kernel`` the kernel, as the question does.
    """
    return (
        "turned twice", value,
        f"you turned the kernel twice: ∗ convolution turns {kernel} by itself, so ∗ with "
        f"rot180({kernel}) turns it back; the gather needs one half turn, {framed} ⋆ "
        f"rot180({kernel}), the same as {framed} ∗ {kernel}.",
    )  # fmt: skip


def no_turn_or_twice(framed: str = "the padded δ", kernel: str = "w") -> tuple:
    """One sentence for "no rot180" and "turned twice", which always give the same number:
    a convolution with the turned kernel turns it back, which is ``{framed} ⋆ {kernel}``."""
    return (
        ("no rot180", "turned twice"), "no rot180 or turned twice",
        f"you slid {kernel} over {framed} as it is, or turned it twice (∗ with "
        f"rot180({kernel}) turns it back): both give {framed} ⋆ {kernel}; the gather needs one "
        f"half turn, {framed} ⋆ rot180({kernel}), the same as {framed} ∗ {kernel}.",
    )  # fmt: skip


def flipped_weight_grad(dw: np.ndarray, tap: tuple[int, int], delta: str = "δ") -> tuple:
    """The "flipped" mistake of a dW question: the entry of rot180(dW), as if dW needed the half
    turn that only dx needs. ``delta`` names what x is correlated with (``"dilate(δ)"``)."""
    u, v = tap
    return (
        "flipped", dw[dw.shape[0] - 1 - u, dw.shape[1] - 1 - v],
        f"you turned the kernel half a turn; dW is a plain ⋆ correlation of x with {delta}, "
        "no rot180.",
    )  # fmt: skip


def dilation_forgotten(value: object, dilation: int, kernel: int) -> tuple:
    """The "dilation forgotten" mistake of a size question: the kernel's span is
    d(kh − 1) + 1 rows, not kh."""
    span = dilation * (kernel - 1) + 1
    return (
        "dilation forgotten", value,
        f"you left out the dilation: the kernel spans d(kh − 1) + 1 = {span} rows.",
    )  # fmt: skip

