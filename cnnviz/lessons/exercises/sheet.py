"""The class seed: one seed in a lesson's address puts every student on the same numbers, and
the teacher's answer sheet for it.

A teacher hands out ``…/03_stride.ipynb?seed=7``; the exercise widget reads the page's query
(Voila puts it in ``QUERY_STRING``) with :func:`seed_from_query`. An exercise's numbers come
from the seed and its key only, so every student who opens the link sees the same numbers,
and ``python -m cnnviz answers --seed 7`` prints :func:`answer_sheet` for them. "new numbers"
moves the whole class on together, to :func:`next_seed` (7 -> 8: the sheet for seed 8).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import parse_qsl

from cnnviz.explorer.links import MAX_QUERY_LENGTH, shown
from cnnviz.lessons.exercises import LESSONS, MAX_SEED, exercises, format_value

QUERY_KEY = "seed"
_DIGITS = re.compile(r"[0-9]{1,10}")  # plain ASCII digits: "1e3", "٣", "+7", "0x10" refused


def seed_from_query(query: object) -> tuple[int | None, str | None]:
    """The class seed a page's query asks for, and a sentence when it cannot be used.

    Parameters
    ----------
    query : str
        A URL query such as ``"seed=7"`` or ``"?theme=dark&seed=7"``, read up to the explorer
        links' ``MAX_QUERY_LENGTH``; anything else (None, bytes) means no class seed.

    Returns
    -------
    seed : int or None
        The seed, in ``[0, MAX_SEED]``; None when the query names none or a bad one.
    note : str or None
        One plain sentence for the page when the seed was ignored (its value cut short and
        reduced to safe characters), else None.
    """
    if not isinstance(query, str):
        return None, None
    query = query.strip().removeprefix("?")[:MAX_QUERY_LENGTH]
    try:
        pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=200)
    except ValueError:
        return None, "The link has too many parts to read a class seed; these are your own numbers."
    values = [value.strip() for key, value in pairs if key.strip().lower() == QUERY_KEY]
    if not values:
        return None, None
    if _DIGITS.fullmatch(values[0]) and int(values[0]) <= MAX_SEED:
        return int(values[0]), None
    return None, (
        f"The link's seed '{shown(values[0])}' is not a whole number from 0 to {MAX_SEED}, so "
        "these are your own numbers."
    )


def next_seed(seed: int) -> int:
    """The seed "new numbers" moves a class to: one more, wrapping at the end of the range."""
    return (seed + 1) % (MAX_SEED + 1)


def answer_sheet(seed: int, lessons: Sequence[str] = LESSONS) -> str:
    """The teacher's sheet for a class seed: each lesson's exercises, in page order, with the
    question, its numbers, the answer and how it is computed, and the classic mistakes' values.

    Raises
    ------
    TypeError, ValueError
        For a seed or lesson the exercises refuse (the message names it).
    """
    lines = [
        f"cnnviz exercises: answer sheet for class seed {seed}",
        f"Students open a lesson with ?seed={seed} at the end of its address; after one press "
        f"of 'new numbers' they are on seed {next_seed(seed)} (print that sheet too).",
    ]
    for lesson in lessons:
        lines += ["", f"Lesson {lesson}"]
        for number, item in enumerate(exercises(lesson, seed), start=1):
            question, *arrays = item.text().split("\n")
            lines.append(f"{number}. ({item.key}) {question}")
            lines += [f"     {row}" for row in arrays]
            lines.append(f"   {item.reveal()}")
            wrong = "; ".join(f"{m.name} = {format_value(m.value)}" for m in item.mistakes)
            lines.append(f"   Classic mistakes: {wrong}.")
    return "\n".join(lines) + "\n"
