"""The explorer's wiring, driven as the page would drive it (no browser): every control moves
the picture, impossible or hostile values give a sentence, never an exception."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

from cnnviz.explorer.app import CUSTOM, Explorer, explorer_page
from cnnviz.explorer.layer import LayerSnapshot, snapshot_from_settings
from cnnviz.explorer.presets import DEFAULT_PRESET, PRESETS
from cnnviz.explorer.render.describe import plain_text
from cnnviz.explorer.render.fanout import MAX_CHANNELS, MAX_WIDTH
from cnnviz.explorer.settings import Settings


@pytest.fixture(scope="module")
def explorer():
    return Explorer()


def _png(explorer) -> bytes:
    return bytes(explorer.image.value)


def test_default_page_draws_everything(explorer):
    assert _png(explorer).startswith(b"\x89PNG")
    assert explorer.preset.value == DEFAULT_PRESET
    assert explorer.step.value == explorer.step.max == len(explorer.figure.walk)
    assert "Step" in explorer.equation.value and "✓" in explorer.check.value
    assert "same dx" in explorer.agreement.value
    assert "(2, 3, 3, 3)" in explorer.ledger.value
    assert bytes(explorer.gradients.value).startswith(b"\x89PNG")
    assert explorer.note.value == ""


def test_stride_change_redraws(explorer):
    before = _png(explorer)
    explorer.sliders["stride"].value = 1
    assert _png(explorer) != before
    assert explorer.figure.layer.stride == (1, 1)
    assert explorer.preset.value == CUSTOM
    explorer.preset.value = DEFAULT_PRESET
    assert explorer.sliders["stride"].value == 2 and explorer.figure.layer.stride == (2, 2)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_moves_the_controls(explorer, name):
    explorer.preset.value = name
    settings = PRESETS[name].settings
    for field, slider in explorer.sliders.items():
        assert slider.value == getattr(settings, field)
    assert explorer.figure.layer.depth == settings.depth
    assert explorer.note.value == ""


def test_impossible_combination_gives_one_sentence_and_keeps_the_picture(explorer):
    explorer.preset.value = "single-channel"
    before = _png(explorer)
    explorer.sliders["kernel_height"].value = 7
    assert "no window fits" in explorer.note.value
    assert _png(explorer) == before
    explorer.sliders["kernel_height"].value = 3
    assert explorer.note.value == ""


def test_steps_walks_and_hostile_values(explorer):
    explorer.preset.value = "stride-2"
    explorer.walk.value = "gather"
    assert explorer.step.max == 6 * 6
    explorer.step.value = 3  # the slider counts from 1: walk step 2
    assert explorer.figure.current.index == 2
    explorer._nudge(+1)
    assert explorer.figure.current.index == 3
    explorer._nudge(-10)
    assert explorer.figure.current.index == 0 and explorer.step.value == explorer.step.min == 1
    # values no real slider sends: ignored or clipped, never an exception
    explorer._on_step({"new": "3"})
    explorer._on_step({"new": 10**9})
    assert explorer.figure.current.index == explorer.step.max - 1
    explorer._on_walk({"new": "sideways"})
    explorer._on_preset({"new": "no-such-preset"})
    explorer._on_speed({"new": 24})
    assert explorer.play.interval == 1000 // 24
    explorer.walk.value = "scatter"


def test_channel_window_on_a_deep_input(explorer):
    explorer.preset.value = "depth-10"
    explorer.channels_shown.value = "few"  # the preset opens with all 10
    assert explorer.channel.layout.display != "none"
    explorer.channel.value = 5
    assert explorer.figure.channels == [4, 5, 6, 7]
    explorer.preset.value = DEFAULT_PRESET
    assert explorer.channel.layout.display == "none"
    assert explorer.figure.channels == [0, 1, 2]


def test_depth_10_opens_with_all_channels_and_the_toggle_switches(explorer):
    explorer.preset.value = "depth-10"
    assert explorer.channels_shown.layout.display != "none"
    assert explorer.channels_shown.value == "all" and explorer.figure.channels == list(range(10))
    assert explorer.channel.layout.display == "none"  # nothing to slide over
    assert "all 10" in explorer.channels_shown.options[1][0]
    all_png = _png(explorer)
    explorer.channels_shown.value = "few"
    assert explorer.figure.channels == [0, 1, 2, 3] and _png(explorer) != all_png
    assert explorer.channel.layout.display != "none"
    explorer.channel.value = 7
    assert explorer.figure.channels == [6, 7, 8, 9]
    explorer.sliders["seed"].value = 3  # the learner's choice survives other settings
    assert explorer.channels_shown.value == "few" and len(explorer.figure.channels) == 4
    explorer.channels_shown.value = "all"
    assert explorer.figure.channels == list(range(10))
    # values no real button sends: ignored, never an exception
    for hostile in (99, None, "everything", ["all"]):
        explorer._on_channels_shown({"new": hostile})
    assert explorer.figure.channels == list(range(10)) and explorer.note.value == ""
    explorer.preset.value = DEFAULT_PRESET  # depth 3: no toggle, no window
    assert explorer.channels_shown.layout.display == "none"
    assert explorer.channel.layout.display == "none"
    assert explorer.figure.channels == [0, 1, 2]


def test_the_largest_input_caps_the_channels_to_what_stays_readable():
    explorer = Explorer(settings=Settings(depth=10, filters=1, input_height=16,
                                          input_width=16, padding=1))
    assert explorer.channels_shown.layout.display != "none"
    label, value = explorer.channels_shown.options[1]
    assert value == "all" and "as many as fit" in label
    explorer.channels_shown.value = "all"
    shown = len(explorer.figure.channels)
    assert MAX_CHANNELS < shown < 10 and f"{shown} of 10" in label
    assert explorer.channel.layout.display != "none"  # the rest is reached by the window
    assert explorer.figure.width <= MAX_WIDTH


def test_a_real_layer_fixes_the_geometry():
    layer = snapshot_from_settings(Settings(depth=2, filters=3, stride=1, activation="tanh"))
    explorer = Explorer(layer=layer)
    assert explorer.controls.layout.display == "none"
    assert explorer.figure.layer is layer
    explorer.sliders["stride"].value = 3  # hidden, and ignored if the page sends it
    assert explorer.figure.layer is layer
    explorer.walk.value = "gather"
    assert explorer.step.max == 7 * 7
    with pytest.raises(TypeError, match="LayerSnapshot"):
        Explorer(layer=np.zeros(3))


def test_page_reads_the_link(monkeypatch):
    monkeypatch.setenv("QUERY_STRING", "preset=stride-2&stride=3&depth=99")
    page = explorer_page()
    text = " ".join(child.value for child in page.children if hasattr(child, "value")
                    and isinstance(child.value, str))
    assert "depth" in text  # the ignored value is named in the note line
    monkeypatch.delenv("QUERY_STRING")
    assert explorer_page() is not None


def _exported_gif(explorer) -> Image.Image:
    explorer._on_export(None)
    assert "download=" in explorer.download.value
    encoded = re.search(r"data:image/gif;base64,([A-Za-z0-9+/=]+)", explorer.download.value)
    return Image.open(io.BytesIO(base64.b64decode(encoded.group(1))))


def test_export_offers_a_gif_download(explorer):
    explorer.preset.value = "single-channel"
    gif = _exported_gif(explorer)
    assert gif.n_frames == len(explorer.figure.walk)  # 9 steps: none thinned
    assert gif.size == (explorer.figure.width, explorer.figure.height)


def test_export_draws_what_is_on_screen(explorer):
    explorer.preset.value = "depth-10"  # opens with all 10 channels
    explorer.step.value = 4
    gif = _exported_gif(explorer)
    assert len(explorer.figure.channels) == 10
    assert gif.size == (explorer.figure.width, explorer.figure.height)
    assert explorer.figure.current.index == 3  # the page's own figure kept its step
    explorer.channels_shown.value = "few"
    assert len(explorer.figure.channels) == MAX_CHANNELS
    assert _exported_gif(explorer).size == (explorer.figure.width, explorer.figure.height)


def test_export_works_on_a_real_layer():
    layer = snapshot_from_settings(Settings(depth=2, filters=1, stride=2))
    explorer = Explorer(layer=layer)
    gif = _exported_gif(explorer)
    assert gif.size == (explorer.figure.width, explorer.figure.height)
    assert "cnnviz-scatter-layer.gif" in explorer.download.value


def test_a_real_sized_layer_gets_a_filter_window():
    rng = np.random.default_rng(1)
    z_below = rng.normal(size=(8, 14, 14))
    layer = LayerSnapshot.from_arrays(
        np.maximum(z_below, 0), rng.normal(size=(16, 8, 3, 3)), np.zeros(16),
        rng.normal(size=(16, 14, 14)), padding=1, activation="relu", z_below=z_below,
    )
    explorer = Explorer(layer=layer)
    assert explorer.filter.layout.display != "none" and explorer.filter.max == 15
    assert explorer.figure.filter_rows == [0, 1]
    explorer.filter.value = 9
    assert explorer.figure.filter_rows == [8, 9]
    explorer.filter.value = 15
    assert explorer.figure.filter_rows == [14, 15]
    explorer.channel.value = 5
    assert explorer.figure.channels == [4, 5, 6, 7]
    assert explorer.figure.width <= 1240


@pytest.mark.parametrize("walk", ["scatter", "gather"])
def test_step_n_of_m_is_what_the_slider_reads(explorer, walk):
    """Steps count from 1 everywhere (the notation box's rule): the slider, Play and the text."""
    explorer.preset.value = "stride-2"
    explorer.walk.value = walk
    count = len(explorer.figure.walk)
    assert (explorer.step.min, explorer.step.max) == (explorer.play.min, explorer.play.max)
    assert (explorer.step.min, explorer.step.max) == (1, count)
    assert f"Step {count} of {count}" in explorer.equation.value  # opens on the last step
    for value in (1, 2, count):
        explorer.step.value = value
        assert f"<b>Step {value} of {count}</b>" in explorer.equation.value
    assert explorer.image.play_first == explorer.step.min  # the browser's clips agree
    explorer.walk.value = "scatter"


def test_gif_link_goes_when_the_settings_or_the_walk_change(explorer):
    explorer.preset.value = "single-channel"
    explorer._on_export(None)
    assert "download=" in explorer.download.value
    explorer.sliders["stride"].value = 2
    assert explorer.download.value == ""
    explorer._on_export(None)
    explorer.walk.value = "gather"
    assert explorer.download.value == ""
    explorer.walk.value = "scatter"


def test_stride_answer_and_preset_notes_follow_the_settings(explorer):
    explorer.preset.value = "stride-2"
    assert "Backward is not strided" in explorer.stride_note.value
    assert PRESETS["stride-2"].description in plain_text(explorer.preset_note.value)
    assert "What to notice" in explorer.preset_note.value
    explorer.sliders["stride"].value = 1
    assert explorer.stride_note.value == "" and explorer.preset_note.value == ""


def test_the_depth_answer_beside_the_picture_has_the_current_counts(explorer):
    explorer.preset.value = "depth-10"
    words = plain_text(explorer.stride_note.value)
    assert "Depth (K = 1, C = 10)" in words and "ten separate 2-D full correlations" in words
    explorer.sliders["depth"].value = 4
    words = plain_text(explorer.stride_note.value)
    assert "C = 4" in words and "four separate 2-D full correlations" in words
    explorer.sliders["depth"].value = 1
    assert "Depth" not in explorer.stride_note.value


@pytest.mark.parametrize(
    ("notes", "shown"), [(None, []), ([], []), (("one note",), ["one note"])]
)
def test_notes_none_is_no_note_and_a_tuple_is_kept(notes, shown):
    explorer = Explorer(notes=notes)
    assert explorer._notes == shown


@pytest.mark.parametrize("notes", ["abc", 5, ["fine", 3], {"a note"}])
def test_notes_that_are_not_a_list_of_str_are_a_type_error_naming_notes(notes):
    # 'abc' used to show three notes, a, b and c; None and 5 a bare "not iterable"
    with pytest.raises(TypeError, match="notes"):
        Explorer(notes=notes)
