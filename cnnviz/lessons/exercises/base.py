"""What an exercise is: a question with the student's own numbers, the core's answer, and the
classic mistakes, each with the value it gives (computed with the core) and one sentence.

A typed answer is read (:func:`read_numbers`), compared with the answer, then with each mistake's
value; the first match decides the feedback. Nothing here draws or wires widgets.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Answer = tuple[float, ...]
KINDS = ("number", "numbers")
_MAX_TEXT = 300  # a typed answer longer than this is not an answer to these questions
_ATTEMPTS = 400  # draws tried before a generator is declared unable to separate its mistakes


@dataclass(frozen=True)
class Mistake:
    """A classic wrong route: its ``name``, the ``value`` it gives here, and one ``sentence``."""

    name: str
    value: Answer
    sentence: str


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


def read_numbers(text: object) -> Answer:
    """Read a typed answer: one number, or numbers separated by commas or spaces.

    Brackets and ``×``/``x`` between sizes are allowed (``"(4, 8, 8)"``, ``"4×8×8"``).

    Raises
    ------
    ValueError
        With a sentence a student can act on.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("Type an answer first.")
    if len(text) > _MAX_TEXT:
        raise ValueError("That answer is too long: type just the number or numbers.")
    cleaned = text.strip().strip("()[]{} ").replace("×", " ").replace(",", " ").replace(";", " ")
    parts = [p for p in cleaned.replace("x", " ").replace("X", " ").split() if p]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise ValueError(
            f"Could not read {text.strip()[:20]!r} as numbers; type e.g. -2 or 4, 8, 8."
        ) from None
    if not values or not all(math.isfinite(v) for v in values):
        raise ValueError("Type finite numbers, e.g. -2 or 4, 8, 8.")
    return values


def as_answer(value: object) -> Answer:
    """Any number, shape or array, as a flat tuple of floats."""
    if isinstance(value, numbers.Number):
        return (float(value),)
    return tuple(float(v) for v in np.asarray(value, dtype=np.float64).ravel())


def _same(a: Answer, b: Answer, atol: float) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= atol for x, y in zip(a, b, strict=True))


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
    mistakes : the classic wrong routes, each with its value here
    kind : ``"number"`` (one) or ``"numbers"`` (a shape, a map's entries, ...)
    atol : how far a typed number may be from the answer
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

    @property
    def answer_text(self) -> str:
        """``"dL/dx[1, 2] = -3"``: what "show answer" reveals first."""
        return f"{self.label} = {format_value(self.answer)}"

    def reveal(self) -> str:
        """The answer and how it is computed, in two sentences."""
        how = self.how[:1].upper() + self.how[1:]
        return f"Answer: {self.answer_text}. {how}"

    def text(self) -> str:
        """The question and its arrays as plain text."""
        arrays = [
            f"{name} =\n{np.array2string(np.asarray(a), separator=', ')}" for name, a in self.given
        ]
        return "\n".join([self.question, *arrays])

    def check(self, text: object) -> Feedback:
        """The feedback on what the student typed; never raises."""
        try:
            given = read_numbers(text)
        except ValueError as error:
            return Feedback(False, None, str(error))
        if _same(given, self.answer, self.atol):
            return Feedback(True, None, f"Right: {self.answer_text}.")
        for mistake in self.mistakes:
            if _same(given, mistake.value, self.atol):
                return Feedback(False, mistake.name, f"Not yet: {mistake.sentence}")
        if len(given) != len(self.answer):
            count = len(self.answer)
            wanted = "one number" if count == 1 else f"{count} numbers"
            message = f"Not yet: the answer is {wanted}; you typed {len(given)}."
            return Feedback(False, None, message)
        message = f"Not yet: {format_value(given)} is not {self.label}; try again."
        return Feedback(False, None, message)


Generator = Callable[[np.random.Generator], dict]


def separated(exercise: Exercise) -> bool:
    """True when the answer and every mistake's value differ from each other (and the
    sentences too), so each classic mistake is recognised as itself."""
    values = [exercise.answer, *(m.value for m in exercise.mistakes)]
    margin = 2 * exercise.atol + 1e-9
    for i, a in enumerate(values):
        if any(_same(a, b, margin) for b in values[i + 1 :]):
            return False
    sentences = [m.sentence for m in exercise.mistakes]
    return len(set(sentences)) == len(sentences)


def draw(lesson: str, key: str, generator: Generator, seed: int) -> Exercise:
    """Draw an exercise from ``seed``: the first draw whose mistakes are all told apart.

    ``generator(rng)`` returns the Exercise's fields except lesson, key and seed. Deterministic:
    the same seed gives the same numbers.
    """
    for attempt in range(_ATTEMPTS):
        rng = np.random.default_rng([seed, attempt])
        fields = generator(rng)
        if fields is None:  # the draw does not fit the question (e.g. a window too large)
            continue
        fields["answer"] = as_answer(fields["answer"])
        fields["mistakes"] = tuple(
            Mistake(name, as_answer(value), sentence)
            for name, value, sentence in fields["mistakes"]
        )
        exercise = Exercise(lesson=lesson, key=key, seed=seed, **fields)
        if separated(exercise):
            return exercise
    raise RuntimeError(f"exercise {lesson}/{key}: no draw separates its mistakes for seed {seed}")


SMALL = np.array([-2.0, -1.0, 1.0, 2.0])  # entries a student multiplies in their head


def small_numbers(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """An array of ``shape`` drawn from :data:`SMALL`, so every product is done in one's head."""
    return rng.choice(SMALL, size=shape)
