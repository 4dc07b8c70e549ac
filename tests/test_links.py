"""Scenario links: presets and overrides from a query, and hostile links that must not break."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz.explorer.links import MAX_NOTES, query_from_settings, settings_from_query
from cnnviz.explorer.presets import DEFAULT_PRESET, PRESETS
from cnnviz.explorer.settings import ACTIVATIONS, RANGES, Settings

DEFAULT = PRESETS[DEFAULT_PRESET].settings
SAFE_NOTE = re.compile(r"[^<>&\"\x00-\x1f]*")


def test_issue_example_applies_preset_then_overrides():
    result, notes = settings_from_query("preset=stride-2&stride=3&depth=10")
    assert notes == []
    assert result == PRESETS["stride-2"].settings.replace(stride=3, depth=10)


@pytest.mark.parametrize("query", ["", "?", "   ", "&&", "preset=", "?preset=course-demo"])
def test_empty_links_give_default_without_notes_except_blank_preset(query):
    result, notes = settings_from_query(query)
    assert result == DEFAULT
    assert len(notes) == (1 if query == "preset=" else 0)


def test_leading_question_mark_and_dashed_keys_are_accepted():
    result, notes = settings_from_query("?preset=depth-10&kernel-height=1&Stride=2")
    assert notes == []
    assert result == PRESETS["depth-10"].settings.replace(kernel_height=1, stride=2)


def test_shorthands_set_both_directions():
    result, notes = settings_from_query("kernel=5&input=11")
    assert notes == []
    assert (result.kernel_height, result.kernel_width) == (5, 5)
    assert (result.input_height, result.input_width) == (11, 11)


def test_unknown_preset_falls_back_to_default_and_says_so():
    result, notes = settings_from_query("preset=no-such-thing&stride=1")
    assert result == DEFAULT.replace(stride=1)
    assert len(notes) == 1 and "no-such-thing" in notes[0] and DEFAULT_PRESET in notes[0]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("99", "between"),
        ("-1", "between"),
        ("0", "between"),
        ("99999999999999999999999999", "whole number"),
        ("2.0", "whole number"),
        ("2.5", "whole number"),
        ("1e1", "whole number"),
        ("0x2", "whole number"),
        ("inf", "whole number"),
        ("nan", "whole number"),
        ("\u0663", "whole number"),  # Arabic-Indic digit three: int() would accept it
        ("\uff13", "whole number"),  # full-width three
        ("", "whole number"),
        ("two", "whole number"),
        ("2 3", "whole number"),
    ],
)
def test_bad_stride_is_ignored_with_a_note_naming_the_rule(text, why):
    result, notes = settings_from_query("stride=" + quote(text))
    assert result == DEFAULT
    assert len(notes) == 1
    assert notes[0].startswith("stride") and why in notes[0]


def test_every_integer_control_accepts_its_bounds_and_refuses_beyond():
    for name, (low, high, _) in RANGES.items():
        for value in (low, high):
            result, notes = settings_from_query(f"preset=course-demo&input=16&{name}={value}")
            if not notes:
                assert getattr(result, name) == value
            else:  # only a combination the geometry forbids may refuse an in-range value
                assert "no window fits" in notes[0], (name, value, notes)
        for value in (low - 1, high + 1):
            result, notes = settings_from_query(f"{name}={value}")
            assert getattr(result, name) == getattr(DEFAULT, name)
            assert len(notes) == 1 and name in notes[0]


def test_activation_is_read_case_insensitively_and_unknown_ones_refused():
    assert settings_from_query("activation=TANH")[0].activation == "tanh"
    result, notes = settings_from_query("activation=softmax")
    assert result.activation == DEFAULT.activation
    assert len(notes) == 1 and all(name in notes[0] for name in ACTIVATIONS)


def test_repeated_keys_keep_the_first_value_and_say_so():
    result, notes = settings_from_query("stride=1&stride=3&preset=stride-2&preset=depth-10")
    assert result == PRESETS["stride-2"].settings.replace(stride=1)
    assert len(notes) == 2


def test_unknown_keys_are_noted_and_voila_keys_pass_silently():
    query = "colour=red&voila-theme=dark&theme=dark&template=lab&stride=1"
    result, notes = settings_from_query(query)
    assert result == DEFAULT.replace(stride=1)
    assert notes == ["The link sets 'colour', which is not a control here; ignored."]


def test_impossible_combination_keeps_what_fits_and_explains_the_rest():
    # single-channel is 5x5 with no padding: a 7-wide kernel fits only after padding 1.
    result, notes = settings_from_query("preset=single-channel&kernel=7&padding=1")
    assert notes == [] and result.kernel_height == 7 and result.padding == 1
    result, notes = settings_from_query("preset=single-channel&kernel=7&dilation=2")
    assert result.problem() is None
    assert result == PRESETS["single-channel"].settings.replace(dilation=2)
    assert len(notes) == 1 and notes[0].startswith("kernel = 7") and "no window fits" in notes[0]


def test_very_long_link_is_cut_and_noted():
    result, notes = settings_from_query("stride=1&" + "x" * 100_000)
    assert result == DEFAULT.replace(stride=1)
    assert "only its first" in notes[0]
    assert all(len(note) < 300 for note in notes)


def test_thousands_of_parts_give_default_and_few_notes():
    result, notes = settings_from_query("&".join(f"k{i}={i}" for i in range(400)))
    assert result == DEFAULT
    assert 1 <= len(notes) <= MAX_NOTES


@pytest.mark.parametrize("query", [None, b"stride=1", 42, ["stride=1"]])
def test_non_strings_do_not_raise(query):
    result, notes = settings_from_query(query)
    assert result == DEFAULT
    assert len(notes) <= 1


def test_markup_in_values_never_reaches_the_notes():
    _, notes = settings_from_query(
        "preset=%3Cscript%3Ealert(1)%3C/script%3E&stride=%3Cb%3E&%3Cimg%20src=x%3E=1"
    )
    assert len(notes) == 3
    for note in notes:
        assert SAFE_NOTE.fullmatch(note), note


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gives_runnable_settings_and_safe_notes(query):
    result, notes = settings_from_query(query)
    assert isinstance(result, Settings)
    assert result.problem() is None
    assert len(notes) <= MAX_NOTES
    for note in notes:
        assert isinstance(note, str) and SAFE_NOTE.fullmatch(note), note


keys = st.sampled_from([*RANGES, "preset", "kernel", "input", "activation", "bogus"])
values = st.one_of(
    st.integers(-10**30, 10**30).map(str),
    st.sampled_from([*PRESETS, *ACTIVATIONS]),
    st.floats(allow_nan=True).map(str),
    st.text(max_size=30),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(keys, values), max_size=12))
def test_any_mix_of_real_keys_gives_runnable_settings(pairs):
    query = "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs)
    result, notes = settings_from_query(query)
    assert result.problem() is None
    assert len(notes) <= MAX_NOTES


def _runnable_settings() -> st.SearchStrategy[Settings]:
    ints = {name: st.integers(low, high) for name, (low, high, _) in RANGES.items()}
    return st.builds(Settings, activation=st.sampled_from(ACTIVATIONS), **ints).filter(
        lambda s: s.problem() is None
    )


@settings(max_examples=200, deadline=None)
@given(_runnable_settings())
def test_query_from_settings_round_trips(original):
    query = query_from_settings(original)
    assert settings_from_query(query) == (original, [])


def test_query_from_settings_names_the_closest_preset():
    for name, preset in PRESETS.items():
        assert query_from_settings(preset.settings) == f"preset={name}"
    assert query_from_settings(PRESETS["stride-2"].settings.replace(stride=3)) == (
        "preset=stride-2&stride=3"
    )


def test_query_from_settings_refuses_non_settings():
    with pytest.raises(TypeError, match="settings"):
        query_from_settings({"stride": 2})
