"""``python -m cnnviz answers --seed N``: the teacher's answer sheet for a class seed.

Students who open a lesson with ``?seed=N`` in its address all get the same exercise numbers;
this prints every lesson's exercises for that seed (question, numbers, answer, how, and the
classic mistakes' values), from the same code the pages use.
"""

from __future__ import annotations

import argparse

from cnnviz.cli.options import Limits, UsageError, checked_numbers, cut

LIMITS: Limits = {"seed": (int, 0, 2**32 - 1, "numpy's seed range, as the pages accept")}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--seed N`` (required) and ``--lesson`` (repeatable; every lesson by default)."""
    parser.add_argument(
        "--seed", metavar="N", required=True,
        help="the class seed in the students' address (?seed=N); 0..4294967295",
    )  # fmt: skip
    parser.add_argument(
        "--lesson", action="append", metavar="NN",
        help="only this lesson (00..07); may be given more than once",
    )  # fmt: skip


def main(args: argparse.Namespace) -> int:
    """Print the answer sheet on standard output."""
    checked_numbers(args, LIMITS)
    from cnnviz.lessons.exercises import LESSONS
    from cnnviz.lessons.exercises.sheet import answer_sheet

    lessons = args.lesson or list(LESSONS)
    unknown = [name for name in lessons if name not in LESSONS]
    if unknown:
        raise UsageError(
            f"unknown lesson {cut(unknown[0], 8)}; choose from {', '.join(LESSONS)}"
        )
    print(answer_sheet(args.seed, lessons), end="")
    return 0
