"""Renderers: frame sizes that fit a laptop, pixels where the data says, text with the numbers."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cnnviz.explorer.layer import gradient_check, snapshot_from_settings
from cnnviz.explorer.presets import PRESETS
from cnnviz.explorer.render.fanout import FanOutFigure
from cnnviz.explorer.render.fit import MAX_HEIGHT, MAX_WIDTH, READABLE_CELL, channels_that_fit
from cnnviz.explorer.render.gradients import gradients_figure, gradients_png
from cnnviz.explorer.render.raster import (
    HIGHLIGHT,
    MapBox,
    encode_png,
    glyphs,
    short_number,
    signed_colours,
)
from cnnviz.explorer.render.text import (
    agreement_html,
    check_html,
    equation_html,
    ledger_html,
    zero_zone_html,
)
from cnnviz.explorer.settings import Settings
from cnnviz.explorer.trace import Walk, final_dx

LARGEST = Settings(depth=10, filters=4, input_height=16, input_width=16, kernel_height=7,
                   kernel_width=7, stride=1, padding=3, dilation=1)


@pytest.mark.parametrize("settings", [p.settings for p in PRESETS.values()] + [LARGEST])
def test_frame_fits_a_laptop_screen(settings):
    figure = FanOutFigure(snapshot_from_settings(settings))
    frame = figure.frame(0)
    assert frame.shape == (figure.height, figure.width, 3) and frame.dtype == np.uint8
    assert figure.width <= MAX_WIDTH
    assert figure.height <= MAX_HEIGHT + 60


@pytest.mark.parametrize("name", ["course-demo", "single-channel", "depth-10", "stride-2"])
def test_presets_print_values_in_their_cells(name):
    figure = FanOutFigure(snapshot_from_settings(PRESETS[name].settings))
    assert figure.contrib_slots[0][0].box.text_pixels() >= 9
    assert figure.dx_slots[0].box.text_pixels() >= 9


def test_cells_show_the_data_colours_and_the_step_highlight():
    layer = snapshot_from_settings(PRESETS["course-demo"].settings)
    figure = FanOutFigure(layer, walk="scatter")
    frame = figure.frame(len(figure.walk) - 1)
    box = figure.dx_slots[0].box
    # a cell's corner (away from its printed number) has the colour of dx there
    r, c = 3, 3
    y, x = box.row_edges[r] + 2, box.col_edges[c] + 2
    expected = signed_colours(layer.dx[0, r, c], figure.dx_limit)
    assert np.abs(frame[y, x].astype(int) - expected.astype(int)).max() <= 1
    assert (frame == HIGHLIGHT).all(axis=2).any()
    first, last = figure.frame(0), figure.frame(len(figure.walk) - 1)
    assert not np.array_equal(first, last)


def _dx_cell_colours(figure: FanOutFigure, frame: np.ndarray, c: int) -> np.ndarray:
    """The colour drawn in each cell of input channel c's dx map: ``(H, W, 3)``, read a quarter
    cell in from the top-left corner: inside the step's orange outline, above the number."""
    box = figure.dx_slots[figure.channels.index(c)].box
    inset = box.cell_pixels // 4
    return frame[box.row_edges[:-1, None] + inset, box.col_edges[None, :-1] + inset]


def test_walk_switch_keeps_the_layout_and_the_final_dx_picture():
    layer = snapshot_from_settings(PRESETS["stride-2"].settings)
    figure = FanOutFigure(layer)
    last = {"scatter": figure.frame(len(figure.walk) - 1)}
    figure.set_walk("gather")
    last["gather"] = figure.frame(len(figure.walk) - 1)
    assert last["gather"].shape == last["scatter"].shape
    touched = layer.geometry.touched_mask()  # untouched cells are striped grey on purpose
    assert np.ptp(layer.dx[:, touched]) > 0  # a picture of varied numbers, not one colour
    for walk, frame in last.items():
        for c in figure.channels:
            expected = signed_colours(layer.dx[c], figure.dx_limit).astype(int)  # (H, W, 3)
            drawn = _dx_cell_colours(figure, frame, c).astype(int)
            gap = np.abs(drawn - expected).max(axis=2)
            assert gap[touched].max() <= 1, f"{walk}: channel {c}'s dx panel is not final dx"
    # and the first frame's dx panel is not yet final dx: the check above can fail
    first = figure.frame(0)
    gap = np.abs(_dx_cell_colours(figure, first, 0).astype(int)
                 - signed_colours(layer.dx[0], figure.dx_limit).astype(int)).max(axis=2)
    assert gap[touched].max() > 1
    with pytest.raises(ValueError, match="walk must be one of"):
        figure.set_walk("diagonal")


def test_png_is_a_png_of_the_frame():
    figure = FanOutFigure(snapshot_from_settings(PRESETS["single-channel"].settings))
    data = figure.png(2)
    image = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert np.array_equal(image, figure.frame(2))


def test_encode_png_round_trips_and_refuses_other_arrays():
    rgb = np.random.default_rng(0).integers(0, 256, size=(7, 11, 3), dtype=np.uint8)
    decoded = np.asarray(Image.open(io.BytesIO(encode_png(rgb))).convert("RGB"))
    assert np.array_equal(decoded, rgb)
    with pytest.raises(ValueError, match="uint8"):
        encode_png(rgb.astype(float))


def test_channel_window_and_bad_arguments():
    layer = snapshot_from_settings(PRESETS["depth-10"].settings)
    figure = FanOutFigure(layer, first_channel=6)
    assert figure.channels == [6, 7, 8, 9]
    with pytest.raises(ValueError, match="first_channel"):
        FanOutFigure(layer, first_channel=10)
    with pytest.raises(TypeError, match="LayerSnapshot"):
        FanOutFigure(np.zeros(3))


def test_all_ten_channels_receive_the_delta_at_once():
    layer = snapshot_from_settings(PRESETS["depth-10"].settings)
    assert channels_that_fit(layer) == 10
    figure = FanOutFigure(layer, channels_shown=10)
    assert figure.channels == list(range(10)) and len(figure.contrib_slots[0]) == 10
    assert figure.width <= MAX_WIDTH and figure.cell >= READABLE_CELL
    frame = figure.frame(len(figure.walk) - 1)
    assert frame.shape == (figure.height, figure.width, 3)
    # the 10th column's contribution map has the colours of delta flowing into x10
    box = figure.contrib_slots[0][9].box
    values = layer.contributions[0, 9]
    r, c = np.unravel_index(np.argmax(np.abs(values)), values.shape)
    y, x = box.row_edges[r] + 2, box.col_edges[c] + 2
    expected = signed_colours(values[r, c], figure.row_limit[0])
    assert np.abs(frame[y, x].astype(int) - expected.astype(int)).max() <= 1
    assert np.abs(expected.astype(int) - 255).max() > 30  # a real colour, not white
    # every channel's map is outlined at the same window on the first step
    first = figure.frame(0)
    for slot in figure.contrib_slots[0]:
        top, left = slot.box.row_edges[0], slot.box.col_edges[0]
        assert (first[top, left] == HIGHLIGHT).all()
    # titles do not run into the next column's title
    slots = figure.frame_slots + figure.contrib_slots[0] + figure.dx_slots + figure.below_slots
    for slot, right in zip(slots, slots[1:], strict=False):
        if right.box.row_edges[0] == slot.box.row_edges[0]:
            width = glyphs(slot.title, slot.title_pixels).shape[1]
            assert slot.box.col_edges[0] + width < right.box.col_edges[0]


@pytest.mark.parametrize("settings", [PRESETS["depth-10"].settings, LARGEST])
def test_as_many_channels_as_fit_stay_readable_and_inside_the_frame(settings):
    layer = snapshot_from_settings(settings)
    shown = channels_that_fit(layer)
    figure = FanOutFigure(layer, channels_shown=shown)
    assert figure.width <= MAX_WIDTH and figure.cell >= READABLE_CELL
    assert figure.contrib_slots[0][-1].box.col_edges[-1] < figure.width
    image = gradients_figure(layer, channels_shown=shown)
    assert image.shape[1] <= MAX_WIDTH


def test_channels_shown_is_checked():
    layer = snapshot_from_settings(PRESETS["depth-10"].settings)
    for bad in (0, 11, -1):
        with pytest.raises(ValueError, match="channels_shown"):
            FanOutFigure(layer, channels_shown=bad)
        with pytest.raises(ValueError, match="channels_shown"):
            gradients_figure(layer, channels_shown=bad)
    for bad in ("10", 2.0, True):
        with pytest.raises(TypeError, match="channels_shown"):
            FanOutFigure(layer, channels_shown=bad)
    assert FanOutFigure(layer, first_channel=8, channels_shown=10).channels == [8, 9]
    with pytest.raises(TypeError, match="LayerSnapshot"):
        channels_that_fit("layer")


def test_filter_window_shows_some_rows_and_highlights_only_those():
    layer = snapshot_from_settings(Settings(filters=4, input_height=14, input_width=14))
    figure = FanOutFigure(layer, first_filter=2)
    assert figure.filter_rows == [2, 3] and len(figure.delta_slots) == 2
    scatter = figure.walk
    hidden = next(t for t in range(len(scatter)) if scatter.step(t).filter_index == 0)
    assert figure.frame(hidden).shape == (figure.height, figure.width, 3)  # no error
    with pytest.raises(ValueError, match="first_filter"):
        FanOutFigure(layer, first_filter=4)


def test_mapbox_outline_clips_windows_that_reach_into_the_padding():
    frame = np.zeros((50, 50, 3), np.uint8)
    box = MapBox.from_bounds(0, 0, 40, 40, 4, 4)
    box.outline(frame, -1, -1, 3, 3)  # only rows/cols 0-1 are on the map
    assert (frame[0, 0] == HIGHLIGHT).all() and not (frame[25, 25] == HIGHLIGHT).all()
    box.outline(frame, 10, 10, 2, 2)  # entirely off the map: nothing, no error


@pytest.mark.parametrize("value", [0, 0.004, -0.42, 1.3, -9.99, 12.4, -350.0, 1e-7, -12345.0])
def test_short_numbers_fit_a_cell(value):
    text = short_number(value)
    assert len(text) <= 5
    if 0.01 <= abs(value) < 1000:
        assert abs(float(text.replace("−", "-")) - value) <= max(0.051 * abs(value), 0.006)


def test_signed_colours_are_centred_on_zero():
    white = signed_colours(np.array(0.0), 1.0)
    assert white.min() > 235  # the diverging map's middle is near white
    red, blue = signed_colours(np.array(1.0), 1.0), signed_colours(np.array(-1.0), 1.0)
    assert red[0] > red[2] and blue[2] > blue[0]


def test_gradients_figure_has_a_cell_per_weight_gradient():
    layer = snapshot_from_settings(PRESETS["course-demo"].settings)
    image = gradients_figure(layer)
    assert image.ndim == 3 and image.shape[1] <= 1240
    assert gradients_png(layer).startswith(b"\x89PNG")


def test_text_spells_out_the_step_with_its_numbers():
    layer = snapshot_from_settings(PRESETS["course-demo"].settings)
    scatter = Walk(layer, "scatter")
    step = scatter.step(5)
    text = equation_html(scatter, step)
    k, (i, j) = step.filter_index, step.delta_index
    assert f"[{i}, {j}]" in text and f"{step.delta_value:.2f}".replace("-", "−") in text
    assert f"δ<sub>{k + 1}</sub>" in text and "σ'" in text
    gather = Walk(layer, "gather")
    step = gather.step(10)
    text = equation_html(gather, step)
    r, q = step.pixel
    assert "rot180" in text and f"{step.dx[0, r, q]:.2f}".replace("-", "−") in text
    ledger = ledger_html(layer)
    assert "(2, 3, 3, 3)" in ledger and "(3, 7, 7)" in ledger and "(2, 4, 4)" in ledger


def test_gather_equation_says_why_an_untouched_pixel_gets_zero():
    layer = snapshot_from_settings(PRESETS["untouched-rows"].settings)
    walk = Walk(layer, "gather")
    assert "no forward window read this pixel" in equation_html(walk, walk.step(-1))
    assert "no forward window" not in equation_html(walk, walk.step(0))


def test_zero_zone_sentence_names_the_rows():
    untouched = snapshot_from_settings(PRESETS["untouched-rows"].settings)
    sentence = zero_zone_html(untouched)
    assert "rows 6, 7" in sentence and "exactly 0" in sentence
    one = zero_zone_html(snapshot_from_settings(PRESETS["stride-2"].settings))
    assert "Input row 5 lies" in one and "rows 5" not in one  # one row: "row 5", not "rows 5"
    assert "Every input pixel" in zero_zone_html(
        snapshot_from_settings(PRESETS["course-demo"].settings)
    )


def test_overlap_sentence_for_the_checkerboard_preset():
    text = zero_zone_html(snapshot_from_settings(PRESETS["uneven-overlap"].settings))
    assert "1, 2 or 4" in text and "checkerboard" in text
    single = zero_zone_html(snapshot_from_settings(Settings(kernel_height=1, kernel_width=1,
                                                            stride=1, padding=0)))
    assert "Uneven overlap" not in single


def test_check_and_agreement_badges():
    layer = snapshot_from_settings(PRESETS["stride-2"].settings)
    assert "✓" in check_html(gradient_check(layer))
    text = agreement_html(final_dx(layer, "scatter"), final_dx(layer, "gather"), layer.dx)
    assert "same dx" in text
