"""The lessons' exercises: seeded numbers, the core's answers, and a sentence per classic mistake.

For every lesson 00-07 and several seeds: the right answer is accepted in any usual spelling,
each classic wrong answer (computed by taking that wrong route with the core) gets its own
sentence, the numbers change with the seed, and no typed text can make a check raise. Some
answers are recomputed here from the question's own numbers with the loop oracle
(tests/reference.py), independently of the core.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import reference as ref
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from cnnviz.lessons.exercises import BANK, LESSONS, exercise, exercises, format_value

SEEDS = range(8)
CASES = [(lesson, key) for lesson in LESSONS for key, _ in BANK[lesson]]
CLASSIC = {
    "no rot180",
    "same stride backward",
    "no crop",
    "padding forgotten",
    "no sum over k",  # summed over the wrong axis: contributions not added over filters
    "indices swapped",  # w[c, k] for w[k, c]: the sum over the wrong index
    "one sample only",  # the batch sum forgotten
    "turned twice",  # ∗ together with rot180: the kernel turned back
    "depth summed",  # the seed question's guess: a filter's slices added over depth first
    "cropped the wrong end",  # dW at stride 2: the extra rows are taps past the kernel
    "dilation forgotten",
}


def test_every_lesson_has_at_least_three_exercises():
    assert LESSONS == ("00", "01", "02", "03", "04", "05", "06", "07")
    for lesson in LESSONS:
        items = exercises(lesson, seed=1)
        assert len(items) >= 3
        assert len({item.key for item in items}) == len(items)
        assert all(len(item.mistakes) >= 2 for item in items)


@pytest.mark.parametrize("seed", range(6))
def test_one_page_never_shows_one_answer_for_two_questions(seed):
    """Each exercise of a lesson asks for its own label, so revealing one answer never shows
    another's (two "its rows" labels with equal values once did, on lesson 03's page)."""
    for lesson in LESSONS:
        texts = [item.answer_text for item in exercises(lesson, seed)]
        labels = [text.split(" = ")[0] for text in texts]
        assert len(set(labels)) == len(labels), (lesson, labels)


def test_the_classic_mistakes_are_all_recognised_somewhere():
    names = {
        route
        for seed in SEEDS
        for lesson in LESSONS
        for item in exercises(lesson, seed)
        for m in item.mistakes
        for route in m.routes
    }
    assert CLASSIC <= names


@pytest.mark.parametrize(("lesson", "key"), CASES)
def test_right_answer_accepted_and_each_mistake_gets_its_own_sentence(lesson, key):
    for seed in SEEDS:
        item = exercise(lesson, key, seed)
        typed = format_value(item.answer) if item.atol < 1e-3 else f"{item.answer[0]:.2f}"
        verdict = item.check(typed)
        assert verdict.correct, (seed, typed, verdict.message)
        assert verdict.message.startswith("Right:")
        sentences = set()
        for mistake in item.mistakes:
            feedback = item.check(", ".join(repr(v) for v in mistake.value))
            assert not feedback.correct
            assert feedback.mistake == mistake.name, (seed, mistake.name, feedback.message)
            assert feedback.message == f"Not yet: {mistake.sentence}"
            sentences.add(feedback.message)
        assert len(sentences) == len(item.mistakes), "two mistakes share a sentence"
        # a wrong answer that is no classic mistake gets the plain "try again"
        other = tuple(v + 1000.5 for v in item.answer)
        feedback = item.check(", ".join(map(str, other)))
        assert not feedback.correct and feedback.mistake is None and "try again" in feedback.message


@pytest.mark.parametrize(("lesson", "key"), CASES)
def test_seeds_give_different_numbers_and_the_same_seed_the_same(lesson, key):
    texts = {exercise(lesson, key, seed).text() for seed in range(12)}
    assert len(texts) >= 3, f"{lesson}/{key}: only {len(texts)} different questions in 12 seeds"
    again, once = exercise(lesson, key, 5), exercise(lesson, key, 5)
    assert (again.text(), again.answer) == (once.text(), once.answer)


def test_exercises_of_one_page_draw_different_numbers():
    first, second, _ = exercises("01", seed=0)
    assert first.text() != second.text()


def test_a_shape_can_be_typed_many_ways():
    item = exercise("02", "delta-shape", 0)
    spelled = [format_value(item.answer), "(" + format_value(item.answer) + ")"]
    spelled.append("×".join(str(int(v)) for v in item.answer))
    spelled.append("[" + " ".join(str(int(v)) for v in item.answer) + "]")
    assert all(item.check(text).correct for text in spelled)


def test_the_answer_is_only_in_what_reveal_gives():
    item = exercise("03", "stride-dx-entry", 2)
    assert item.answer_text not in item.text()
    assert item.reveal().startswith(f"Answer: {item.answer_text}.")


# ------------------------------------------------------------- answers against the loop oracle


def _given(item) -> dict[str, np.ndarray]:
    return {name: np.asarray(array) for name, array in item.given}


@pytest.mark.parametrize("seed", SEEDS)
def test_gradient_answers_agree_with_the_loop_oracle(seed):
    # lesson 01: stride 1, 2×2 kernel on 4×4
    item = exercise("01", "dx-entry", seed)
    g = _given(item)
    dx = ref.conv2d_backward(g["δ"][None, None], np.zeros((1, 1, 4, 4)), g["w"][None, None])[0]
    p, q = (int(t) for t in item.label[6:-1].split(", "))
    assert item.answer == (pytest.approx(dx[0, 0, p, q]),)
    # lesson 03: stride 2, 3×3 kernel on 5×5
    item = exercise("03", "stride-dx-entry", seed)
    g = _given(item)
    dx = ref.conv2d_backward(
        g["δ"][None, None], np.zeros((1, 1, 5, 5)), g["w"][None, None], stride=2
    )[0]
    p, q = (int(t) for t in item.label[6:-1].split(", "))
    assert item.answer == (pytest.approx(dx[0, 0, p, q]),)
    # lesson 04: dW with stride 2 and padding 1
    item = exercise("04", "weight-grad", seed)
    g = _given(item)
    dw = ref.conv2d_backward(
        g["δ"][None, None], g["x"][None, None], np.zeros((1, 1, 2, 2)), stride=2, padding=1
    )[1]
    u, v = (int(t) for t in item.label[6:-1].split(", "))
    assert item.answer == (pytest.approx(dw[0, 0, u, v]),)
    # lesson 05: the padding crop
    item = exercise("05", "padding-crop", seed)
    g = _given(item)
    dx = ref.conv2d_backward(
        g["δ"][None, None], np.zeros((1, 1, 3, 3)), g["w"][None, None], padding=1
    )[0]
    p, q = (int(t) for t in item.label[6:-1].split(", "))
    assert item.answer == (pytest.approx(dx[0, 0, p, q]),)


@pytest.mark.parametrize("seed", SEEDS)
def test_batch_weight_gradient_is_the_sum_over_samples(seed):
    item = exercise("07", "batch-weight-grad", seed)
    g = _given(item)
    x = np.stack([g[f"x[{n}]"] for n in range(3)])[:, None]
    delta = np.stack([g[f"δ[{n}]"] for n in range(3)])[:, None]
    dw = ref.conv2d_backward(delta, x, np.zeros((1, 1, 2, 2)))[1]
    u, v = (int(t) for t in item.label[6:-1].split(", "))
    assert item.answer == (pytest.approx(dw[0, 0, u, v]),)


def test_output_sizes_agree_with_the_oracle_formula():
    for seed in SEEDS:
        item = exercise("00", "output-size", seed)
        # "A 14×14 input, a 4×4 kernel, stride 2, padding 2, dilation 2. ..."
        h, _, k, _, s, p, d = (int(t) for t in re.findall(r"\d+", item.question)[:7])
        assert item.answer == (ref.output_size(h, k, s, p, d)[0],)


# --------------------------------------------------------------------------- robustness


@settings(max_examples=150, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=400),
        st.none(),
        st.integers(),
        st.floats(allow_nan=True),
        st.lists(st.integers(), max_size=4),
    ),
    case=st.sampled_from(CASES),
)
def test_a_check_never_raises_whatever_is_typed(text, case):
    item = exercise(*case, seed=0)
    feedback = item.check(text)
    assert isinstance(feedback.message, str) and feedback.message
    assert "Traceback" not in feedback.message


@pytest.mark.parametrize("junk", ["", "   ", "abc", "nan", "inf", "1,,", "9" * 400, "1e999"])
def test_junk_gets_a_sentence_not_an_error(junk):
    feedback = exercise("03", "transposed-size", 0).check(junk)
    assert not feedback.correct and feedback.mistake is None
    assert feedback.message.endswith(".")


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="lesson"):
        exercises("08")
    with pytest.raises(TypeError, match="lesson"):
        exercises(3.0)
    with pytest.raises(ValueError, match="seed"):
        exercises("03", seed=-1)
    with pytest.raises(TypeError, match="seed"):
        exercises("03", seed=True)
    with pytest.raises(ValueError, match="key"):
        exercise("03", "no-such-exercise")
    assert [e.text() for e in exercises(3, seed=0)] == [e.text() for e in exercises("03", 0)]


def test_size_answers_agree_with_the_formulas_the_lessons_display():
    from cnnviz.lessons.formulas import FORMULAS

    for seed in SEEDS:
        item = exercise("00", "output-size", seed)
        h, _, k, _, s, p, d = (int(t) for t in re.findall(r"\d+", item.question)[:7])
        by_formula = FORMULAS["output_size"].evaluate(
            input_size=h, kernel_size=k, stride=s, padding=p, dilation=d
        )
        assert item.answer == (by_formula,)
        item = exercise("03", "transposed-size", seed)
        ho, _, k, _, s, p = (int(t) for t in re.findall(r"\d+", item.question)[:6])
        by_formula = FORMULAS["transposed_size"].evaluate(
            output_size=ho, kernel_size=k, stride=s, padding=p, output_padding=0
        )
        assert item.answer == (by_formula,)
        item = exercise("05", "dilated-output", seed)
        k, _, d, _, p, h = (int(t) for t in re.findall(r"\d+", item.question)[:6])
        by_formula = FORMULAS["output_size"].evaluate(
            input_size=h, kernel_size=k, padding=p, dilation=d
        )
        assert item.answer == (by_formula,)
        item = exercise("03", "padded-delta-size", seed)
        s, k, _, ho = (int(t) for t in re.findall(r"\d+", item.question)[:4])
        dilated = FORMULAS["dilated_size"].evaluate(output_size=ho, stride=s)
        assert item.answer == (dilated + 2 * (k - 1),)


# ------------------------------------------- issue 19 items 10-14 and issue 21 item 10


def _indices(item) -> tuple[int, ...]:
    """The array indices in the label: ``dL/dx[1, 2]`` -> (1, 2)."""
    return tuple(int(t) for t in item.label.split("[")[1].split("]")[0].split(", "))


def test_a_huge_seed_is_refused_naming_the_seed():
    """Issue 21: seed=10**5000 gave Python's "Exceeds the limit ... integer string conversion"."""
    with pytest.raises(ValueError, match="seed must be in") as error:
        exercise("03", "stride-dx-entry", 10**5000)
    assert "digits" in str(error.value) and len(str(error.value)) < 200
    with pytest.raises(ValueError, match="seed"):
        exercises("03", -(10**5000))


def test_a_key_that_is_not_a_string_is_a_type_error_naming_the_key():
    """Issue 21: key=np.array(...) gave "The truth value of an array ... is ambiguous"."""
    with pytest.raises(TypeError, match="key"):
        exercise("03", np.array(["stride-dx-entry", "x"]), 1)
    with pytest.raises(TypeError, match="key"):
        exercise("03", None, 1)
    with pytest.raises(ValueError, match="lesson"):
        exercise(10**5000, "x")


@pytest.mark.parametrize(("lesson", "key"), CASES)
def test_a_mistake_typed_as_shown_or_rounded_is_recognised(lesson, key):
    """Issue 21: 07/batch-weight-grad's "averaged" (-23/3) typed as -7.667 was not recognised.
    A value typed as format_value shows it, rounded to two or three decimals, or with the
    page's minus sign (−), is read as the value it stands for."""
    for seed in range(30):
        item = exercise(lesson, key, seed)
        for mistake in item.mistakes:
            for typed in (
                format_value(mistake.value),
                ", ".join(f"{v:.2f}" for v in mistake.value),
                ", ".join(f"{v:.3f}" for v in mistake.value).replace("-", "−"),
            ):
                assert item.check(typed).mistake == mistake.name, (seed, typed, mistake.name)
        assert item.check(", ".join(f"{v:.3f}" for v in item.answer)).correct


def test_the_averaged_batch_gradient_typed_as_shown():
    found = 0
    for seed in range(40):
        item = exercise("07", "batch-weight-grad", seed)
        averaged = next(m for m in item.mistakes if m.name == "averaged")
        if float(averaged.value[0]).is_integer():
            continue
        found += 1
        shown = f"{averaged.value[0]:.4g}"  # e.g. -7.667
        assert item.check(shown).mistake == "averaged", (seed, shown)
        assert item.check(shown.replace("-", "−")).mistake == "averaged"
    assert found >= 5


@pytest.mark.parametrize(("lesson", "key"), CASES)
def test_the_answer_keeps_its_first_letter(lesson, key):
    """Issue 19, 11: "δ^l = 0.375. Δ^l = …": the reveal capitalised δ into Δ."""
    for seed in range(4):
        item = exercise(lesson, key, seed)
        assert item.reveal() == f"Answer: {item.answer_text}. {item.how}"
        assert item.how[:1] == item.how[:1].upper() or not item.how[:1].isascii() or (
            item.how[:2] == "c·"  # a formula that starts with a symbol
        ), item.how
    item = exercise("01", "sigmoid-delta", 0)
    assert "Δ" not in item.reveal() and ". δ^l = dL/da^l" in item.reveal()


def _texts(item) -> list[str]:
    return [item.question, item.how, *(m.sentence for m in item.mistakes)]


def test_filters_channels_and_samples_are_counted_from_1_in_words():
    """Issue 19, 10: "channel 2 on the page", then "filter 0's share": array indices count from
    0 inside brackets, filters, channels and samples named in words count from 1."""
    pattern = re.compile(r"\b(?:filter|channel|sample)s? 0\b")
    for lesson, key in CASES:
        for seed in range(20):
            for text in _texts(exercise(lesson, key, seed)):
                assert not pattern.search(text), (lesson, key, seed, text)
    for seed in range(40):
        item = exercise("02", "channel-grad", seed)
        c = _indices(item)[0]
        words = " ".join(_texts(item))
        named = [int(n) for n in re.findall(r"(?<!-)channel (\d)(?!×)", words)]
        assert named and set(named) == {c + 1}, (seed, c, named)


TURNED = {  # lesson/key -> (x size, stride, padding)
    ("01", "dx-entry"): (4, 1, 0),
    ("03", "stride-dx-entry"): (5, 2, 0),
    ("05", "padding-crop"): (3, 1, 1),
}


@pytest.mark.parametrize(("lesson", "key"), list(TURNED))
def test_a_student_who_turned_twice_is_not_told_they_forgot_rot180(lesson, key):
    """Issue 19, 12: ∗ together with rot180 gives the "no rot180" number; the sentence must
    name both (here: scipy's full convolution with the turned kernel)."""
    _, stride, padding = TURNED[(lesson, key)]
    for seed in SEEDS:
        item = exercise(lesson, key, seed)
        given = dict(item.given)
        delta = np.zeros(((given["δ"].shape[0] - 1) * stride + 1,) * 2)
        delta[::stride, ::stride] = given["δ"]  # dilated: s − 1 zeros between entries
        p, q = _indices(item)
        twice = signal.convolve2d(delta, given["w"][::-1, ::-1], mode="full")
        feedback = item.check(repr(float(twice[p + padding, q + padding])))
        assert not feedback.correct and "twice" in feedback.message, (seed, feedback.message)
        assert "without turning" in feedback.message or "as it is" in feedback.message


def test_channel_grad_knows_turned_twice_and_the_depth_sum_guess():
    """Issue 19, 12-13: in 02/channel-grad, "turned twice" and the seed question's own guess
    (add the filter's slices over depth, then full-correlate) are diagnosed, never "Right"."""
    for seed in range(60):
        item = exercise("02", "channel-grad", seed)
        g = dict(item.given)
        c, p, q = _indices(item)
        twice = sum(signal.convolve2d(g[f"δ[{k}]"], g[f"w[{k}, {c}]"][::-1, ::-1]) for k in (0, 1))
        summed = sum(signal.convolve2d(g[f"δ[{k}]"], g[f"w[{k}, 0]"] + g[f"w[{k}, 1]"])
                     for k in (0, 1))  # fmt: skip
        feedback = item.check(repr(float(twice[p, q])))
        assert not feedback.correct and "twice" in feedback.message, (seed, feedback.message)
        feedback = item.check(repr(float(summed[p, q])))
        assert not feedback.correct and "over depth" in feedback.message, (seed, feedback.message)


def test_same_stride_backward_is_listed_only_where_the_attempt_reaches():
    """Issue 19, 14: the strided attempt is 2×2; for a pixel outside it, 03/stride-dx-entry
    listed "same stride backward" with a placeholder 0."""
    outside = 0
    for seed in range(60):
        item = exercise("03", "stride-dx-entry", seed)
        p, q = _indices(item)
        names = {route for m in item.mistakes for route in m.routes}
        if p >= 2 or q >= 2:
            outside += 1
            assert "same stride backward" not in names, seed
        else:
            assert "same stride backward" in names, seed
    assert outside > 10


def test_lesson_04_has_dw_with_a_crop_and_with_dilation():
    """Issue 19: dW exercises with a crop (the correlation is larger than the kernel and dW is
    its top-left corner) and with dilation (every d-th entry)."""
    keys = [key for key, _ in BANK["04"]]
    assert "weight-grad" in keys and "weight-grad-dilated" in keys
    for seed in range(20):
        item = exercise("04", "weight-grad", seed)
        h, w = dict(item.given)["x"].shape
        assert (h + 2 - 2) % 2 or (w + 2 - 2) % 2  # the crop is needed on some axis
        assert "cropped the wrong end" in {m.name for m in item.mistakes}
        item = exercise("04", "weight-grad-dilated", seed)
        assert "dilation 2" in item.question
        assert "dilation forgotten" in {m.name for m in item.mistakes}


RETIRED = {  # the course's one symbol table: k is the filter index, p the padding
    "k as the kernel size": re.compile(r"(?<![\w{])k\s*[−-]\s*1(?!\d)|(?<![\w{])k\s*[×·]\s*k\b"
                                       r"|\bd[(·]k\b|\bby k\b"),
    "p as a pixel row": re.compile(r"\b[xwδ]\[p\s*[,−+-]|\(p,\s*q\)|\(p \+ 1"),
    "a page number inside array brackets": re.compile(r"\w\[\d+\]\[\d+,\s*\d+\]"),
    "full convolution with rot180 (turned twice)": re.compile(r"full convolution[^.⋆]*rot180"),
}


def test_exercise_words_use_the_symbol_table():
    """Issue 19: one symbol table used everywhere; the exercises' questions, hows and
    sentences use kh × kw for the kernel, r, q for a pixel, p only for the padding."""
    for lesson, key in CASES:
        for seed in range(6):
            item = exercise(lesson, key, seed)
            for text in [*_texts(item), item.label, *(m.name for m in item.mistakes)]:
                for meaning, pattern in RETIRED.items():
                    assert not pattern.search(text), (lesson, key, meaning, text)
