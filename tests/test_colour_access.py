"""Colour on the painter's output: red/blue apart for red-green colour vision, numbers at 4.5:1,
the orange step frame a shape (not only a hue).

Simulation: Machado et al. 2009 (tests/colour_vision.py). Simulated frames are written to
``test-artifacts/colour-vision-*.png`` to look at.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from colour_vision import contrast, delta_e, simulate
from matplotlib.colors import to_rgb

from cnnviz.explorer.layer import snapshot_from_settings
from cnnviz.explorer.presets import PRESETS
from cnnviz.explorer.render.colours import SIGNED_CMAP, colour_table, signed_colours, text_on
from cnnviz.explorer.render.fanout import FanOutFigure
from cnnviz.explorer.render.raster import GRID, HATCH, HIGHLIGHT, MapBox, short_number

VISIONS = ["normal", "deuteranopia", "protanopia"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def _seen(rgb: np.ndarray, vision: str) -> np.ndarray:
    return np.asarray(rgb, np.uint8) if vision == "normal" else simulate(rgb, vision)


def _fill(frame: np.ndarray, box: MapBox, r: int, c: int) -> np.ndarray:
    """A cell's fill colour: a pixel just inside its top-left corner (no grid, no glyph)."""
    return frame[box.row_edges[r] + 2, box.col_edges[c] + 2]


def _painted(values: np.ndarray, cell: int = 30) -> tuple[np.ndarray, MapBox]:
    rows, cols = values.shape
    frame = np.full((rows * cell + 20, cols * cell + 20, 3), 255, np.uint8)
    box = MapBox.from_bounds(10, 10, 10 + rows * cell, 10 + cols * cell, rows, cols)
    box.paint_cells(frame, signed_colours(values, 1.0))
    box.print_values(frame, values, 1.0)
    return frame, box


@pytest.mark.parametrize("vision", VISIONS)
def test_signs_stay_apart_in_a_simulated_frame(vision):
    values = np.array([[-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0]])
    frame, box = _painted(values)
    seen = _seen(frame, vision)
    colour = {v: _fill(seen, box, 0, c) for c, v in enumerate(values[0])}
    # measured (CIE76 ΔE): ends 35-58, ±0.5 48-73, ±0.25 25-33, ends vs 0 at least 76
    assert delta_e(colour[-1.0], colour[1.0]) >= 30
    assert delta_e(colour[-0.5], colour[0.5]) >= 30
    assert delta_e(colour[-0.25], colour[0.25]) >= 15
    for end in (-1.0, 1.0):
        assert delta_e(colour[end], colour[0.0]) >= 30


def test_the_check_tells_a_red_green_map_apart():
    """The same measure fails a red/green pair for deuteranopia: the test can fail."""
    red, green = np.array([215, 48, 39]), np.array([26, 152, 80])  # RdYlGn's ends
    assert delta_e(red, green) >= 30
    assert delta_e(simulate(red, "deuteranopia"), simulate(green, "deuteranopia")) < 30


@pytest.mark.parametrize("vision", VISIONS)
def test_most_positive_and_negative_cells_of_the_explorer_frame(vision):
    layer = snapshot_from_settings(PRESETS["course-demo"].settings)
    figure = FanOutFigure(layer)
    frame = figure.frame(figure.walk.count - 1)
    seen = _seen(frame, vision)
    ARTIFACTS.mkdir(exist_ok=True)
    from PIL import Image

    Image.fromarray(seen).save(ARTIFACTS / f"colour-vision-{vision}.png")
    box = figure.dx_slots[0].box
    dx = layer.dx[figure.channels[0]]
    top, low = np.unravel_index(dx.argmax(), dx.shape), np.unravel_index(dx.argmin(), dx.shape)
    assert delta_e(_fill(seen, box, *top), _fill(seen, box, *low)) >= 30


def test_numbers_on_every_map_colour_meet_4_5_to_1():
    colours = colour_table(SIGNED_CMAP)  # every colour the painter can give a cell
    ratios = contrast(text_on(colours), colours)
    assert ratios.min() >= 4.5, f"worst {ratios.min():.2f} on {colours[ratios.argmin()]}"


def test_printed_glyphs_reach_4_5_to_1_on_their_cell():
    values = np.linspace(-1, 1, 21)[None, :]  # the painter's own output, cell by cell
    frame, box = _painted(values)
    for c in range(values.shape[1]):
        if not short_number(values[0, c]):
            continue  # 0 is a blank cell
        cell = frame[box.row_edges[0] + 1 : box.row_edges[1] - 1,
                     box.col_edges[c] + 1 : box.col_edges[c + 1] - 1].reshape(-1, 3)
        fill = _fill(frame, box, 0, c)
        best = contrast(cell, fill).max()  # fully covered glyph pixels are the ink itself
        assert best >= 4.5, f"value {values[0, c]:.1f}: text contrast {best:.2f}"


@pytest.mark.parametrize("vision", VISIONS)
def test_step_frame_is_a_shape_on_every_cell_colour(vision):
    """Orange or its inner line reaches 3:1 (WCAG 1.4.11) against any cell it is drawn on.

    Measured on the painter's output: each map colour in turn under a drawn frame.
    """
    extra = [[255, 255, 255], HATCH, GRID]
    cells = np.concatenate([colour_table(SIGNED_CMAP), extra]).astype(np.uint8)
    worst = np.inf
    for fill in cells:
        frame = np.empty((40, 40, 3), np.uint8)
        frame[...] = fill
        box = MapBox.from_bounds(5, 5, 35, 35, 1, 1)
        box.outline(frame, 0, 0, 1, 1)
        seen = _seen(frame, vision)
        under = seen[20, 20]  # the cell, inside the frame
        ring = np.stack([seen[5, 20], seen[7, 20]])  # outer orange pixel, inner line pixel
        worst = min(worst, contrast(ring, under).max())
    assert worst >= 3.0, f"{vision}: worst {worst:.2f}"


def test_outline_draws_orange_and_an_inner_line_by_contrast():
    frame, box = _painted(np.array([[0.0, 0.0], [0.0, 1.0]]))
    box.outline(frame, 0, 0, 2, 2)
    y0, x0, y1 = box.row_edges[0], box.col_edges[0], box.row_edges[2]
    assert tuple(frame[y0, x0 + 10]) == HIGHLIGHT
    assert tuple(frame[y0 + 2, x0 + 10]) == (0, 0, 0)  # 3 px: 2 orange, 1 line; light cell
    assert tuple(frame[y1 - 3, x0 + 40]) == (255, 255, 255)  # on the dark red cell: white
    assert tuple(frame[y0 + 5, x0 + 10]) != (0, 0, 0)  # inside the frame: the cell


@pytest.mark.parametrize("signed", [True, False])
def test_lesson_figure_numbers_meet_4_5_to_1(signed):
    """The lessons' matplotlib maps pick their number colour the same way."""
    from cnnviz.lessons.figures import Panel, maps_figure

    values = np.linspace(-1, 1, 25).reshape(5, 5) if signed else np.arange(25.0).reshape(5, 5)
    axis = maps_figure([Panel("m", values, signed=signed)]).axes[0]
    image = axis.images[0]
    for text, value in zip(axis.texts, values.ravel(), strict=True):
        cell = np.round(np.asarray(image.cmap(image.norm(value)))[:3] * 255)
        ink = np.round(np.asarray(to_rgb(text.get_color())) * 255)
        assert contrast(ink, cell) >= 4.5, f"{value}: {contrast(ink, cell):.2f}"
