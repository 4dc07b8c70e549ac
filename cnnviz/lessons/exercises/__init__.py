"""Seeded exercises for every lesson, checked by the core, with feedback on classic mistakes.

``exercises("03", seed)`` gives lesson 03's exercises with numbers drawn from ``seed``: each
has a question with those numbers, the core's answer (hidden until asked for), and the classic
wrong answers (no rot180, same stride backward, no crop, padding forgotten, summed over the
wrong axis, turned twice, ...), each computed by taking that wrong route with the core, so a
typed answer that equals one of them gets the sentence saying what went wrong. Only the routes
that apply to a draw are listed; two routes that give one value share one sentence naming both,
or the numbers are drawn again.

A class seed (``?seed=7`` in a lesson's address, see :mod:`.sheet`) puts every student on the
same numbers: the numbers of an exercise come from the seed and the exercise's key only.

Pure NumPy on top of :mod:`cnnviz.core`, :mod:`cnnviz.nn` and the lesson modules; the widget
lives in :mod:`cnnviz.lessons.exercise_widgets`.
"""

from __future__ import annotations

import numbers

import numpy as np

from cnnviz.lessons.exercises import early, late, stride, weights
from cnnviz.lessons.exercises.base import (
    Exercise,
    Feedback,
    Generator,
    Mistake,
    draw,
    format_value,
    read_numbers,
)

__all__ = [
    "BANK",
    "LESSONS",
    "Exercise",
    "Feedback",
    "Mistake",
    "exercise",
    "exercises",
    "format_value",
    "read_numbers",
    "shown_int",
]

# lesson -> (key, generator), in the order the page shows them
BANK: dict[str, tuple[tuple[str, Generator], ...]] = {
    "00": (("output-size", early.output_size), ("z-shape", early.z_shape),
           ("z-entry", early.z_entry)),
    "01": (("weight-uses", early.weight_uses), ("dx-entry", early.dx_entry),
           ("sigmoid-delta", early.sigmoid_delta)),
    "02": (("delta-shape", early.delta_shape), ("dx-shape", early.dx_shape),
           ("channel-grad", early.channel_grad)),
    "03": (("padded-delta-size", stride.padded_delta_size),
           ("stride-dx-entry", stride.stride_dx_entry),
           ("transposed-size", stride.transposed_size)),
    "04": (("learned-count", weights.learned_count), ("bias-grad", weights.bias_grad),
           ("weight-grad", weights.weight_grad),
           ("weight-grad-dilated", weights.weight_grad_dilated)),
    "05": (("window-count", late.window_count), ("padding-crop", late.padding_crop),
           ("dilated-output", late.dilated_output)),
    "06": (("block-shape", late.block_shape), ("pool-relu", late.pool_relu),
           ("delta-below", late.delta_below)),
    "07": (("pool-backward", late.pool_backward), ("flatten-index", late.flatten_index),
           ("batch-weight-grad", late.batch_weight_grad)),
}  # fmt: skip
LESSONS = tuple(BANK)
MAX_SEED = 2**32 - 1


def _check_lesson(lesson: object) -> str:
    if isinstance(lesson, numbers.Integral) and not isinstance(lesson, bool):
        if not 0 <= lesson < 100:
            raise ValueError(f"lesson must be one of {', '.join(LESSONS)}; got {shown_int(lesson)}")
        lesson = f"{int(lesson):02d}"
    if not isinstance(lesson, str):
        raise TypeError(f"lesson must be a str such as '03'; got {type(lesson).__name__}")
    if lesson not in BANK:
        raise ValueError(f"lesson must be one of {', '.join(LESSONS)}; got {lesson[:40]!r}")
    return lesson


def _check_seed(seed: object) -> int:
    if not isinstance(seed, numbers.Integral) or isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"seed must be an int; got {type(seed).__name__}")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be in [0, {MAX_SEED}]; got {shown_int(int(seed))}")
    return int(seed)


def shown_int(value: int) -> str:
    """``value`` as text, or its size when it is too long to print (10**5000 has 5001 digits,
    past Python's int-to-text limit)."""
    if abs(value) < 10**18:
        return str(value)
    digits = int(abs(value).bit_length() * 0.30103) + 1  # log10(2): about this many digits
    return f"a {'negative ' if value < 0 else ''}number of about {digits} digits"


def _check_key(lesson: str, key: object) -> str:
    keys = [name for name, _ in BANK[lesson]]
    if not isinstance(key, str):
        raise TypeError(f"key must be a str, one of {', '.join(keys)}; got {type(key).__name__}")
    if key not in keys:
        raise ValueError(
            f"key must be one of lesson {lesson}'s exercises ({', '.join(keys)}); got {key[:40]!r}"
        )
    return key


def exercise(lesson: str | int, key: str, seed: int = 0) -> Exercise:
    """One exercise of a lesson, by key, with numbers drawn from ``seed`` and the key."""
    lesson, seed = _check_lesson(lesson), _check_seed(seed)
    key = _check_key(lesson, key)
    return draw(lesson, key, dict(BANK[lesson])[key], seed)


def exercises(lesson: str | int, seed: int = 0) -> list[Exercise]:
    """Every exercise of ``lesson`` (``"00"`` .. ``"07"``), numbers drawn from ``seed``."""
    lesson, seed = _check_lesson(lesson), _check_seed(seed)
    return [exercise(lesson, name, seed) for name, _ in BANK[lesson]]
