"""Numbers a student can read in the painted cells: the point, zero, the leading zero, the frame.

Painted by the page's own painter (MapBox.print_values) at every cell size the page prints
numbers in (from the smallest, 22 px with 9 px digits), on every colour of the map.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.explorer.layer import snapshot_from_settings
from cnnviz.explorer.presets import PRESETS
from cnnviz.explorer.render.fanout import FanOutFigure
from cnnviz.explorer.render.raster import (
    HIGHLIGHT,
    WIDEST,
    MapBox,
    cell_text_pixels,
    dot_size,
    frame_band,
    glyphs,
    number_glyphs,
    short_number,
    signed_colours,
)

SMALLEST_CELL = min(c for c in range(6, 31) if cell_text_pixels(c))  # 22 px
CELLS = range(SMALLEST_CELL, 31)


def _luminance(rgb) -> np.ndarray:
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def _contrast(a, b) -> np.ndarray:
    la, lb = _luminance(a), _luminance(b)
    return (np.maximum(la, lb) + 0.05) / (np.minimum(la, lb) + 0.05)


def _one_cell(value: float, limit: float, cell: int):
    frame = np.full((cell + 10, cell + 10, 3), 255, np.uint8)
    box = MapBox.from_bounds(5, 5, 5 + cell, 5 + cell, 1, 1)
    values = np.array([[value]])
    box.paint_cells(frame, signed_colours(values, limit))
    fill = frame[5 + cell // 2, 6].copy()  # inside the cell, left of any digit
    box.print_values(frame, values, limit)
    return frame, box, fill


def test_short_numbers_have_one_decimal_a_leading_zero_and_one_zero():
    assert short_number(0.36) == "0.4" and short_number(-0.36) == "-0.4"
    assert short_number(3.2) == "3.2" and short_number(-12.4) == "-12"
    for zero in (0.0, -0.0, 0.049, -0.03, 1e-9):
        assert short_number(zero) == ""  # one way to show zero: a blank cell
    for value in np.linspace(-9.9, 9.9, 199):
        text = short_number(float(value))
        assert not text.startswith((".", "-.")), text
        if text:
            assert abs(float(text) - value) <= 0.05 + 1e-9


@pytest.mark.parametrize("cell", [SMALLEST_CELL, 25, 30])
def test_the_point_of_3_2_stands_out_on_every_map_colour(cell):
    """Every colour of the map, with 3.2 or -3.2 on it: the point is a solid square, far from
    both digits, in the text colour (>= 4.5:1 against the cell)."""
    size = cell_text_pixels(cell)
    dot = dot_size(size)
    assert dot >= 2
    for entry in np.linspace(-1, 1, 256):
        value = 3.2 if entry >= 0 else -3.2
        limit = abs(value) / max(abs(entry), 1e-3)
        frame, box, fill = _one_cell(value, limit, cell)
        text = short_number(value)
        mask = number_glyphs(text, size)
        h, w = mask.shape
        cy, cx = box.centres()
        top, left = int(round(cy[0] - h / 2)), int(round(cx[0] - w / 2))
        whole = glyphs(text.split(".")[0], size).shape[1]
        point = frame[top + h - dot : top + h, left + whole + 1 : left + whole + 1 + dot]
        assert _contrast(point.reshape(-1, 3), fill).min() >= 4.5, (entry, fill)
        # a clear column on each side of the point, over the digits' whole height: not "32"
        for column in (left + whole, left + whole + 1 + dot):
            strip = frame[top : top + h, column]
            assert _contrast(strip, fill).max() < 1.5, (entry, column)


@pytest.mark.parametrize("cell", CELLS)
def test_the_step_frame_never_covers_a_digit_or_a_minus_sign(cell):
    size = cell_text_pixels(cell)
    band = frame_band(cell)
    for text in WIDEST:
        width = number_glyphs(text, size).shape[1]
        room = cell - 2 * band - 2
        assert width <= room, f"{text!r} at {size} px is {width} px; room {room} px"
    for value in (-8.8, -0.8, -88.0):
        frame, box, _ = _one_cell(value, 100.0, cell)
        blank, _, _ = _one_cell(0.0, 100.0, cell)
        blank[5 : 5 + cell, 5 : 5 + cell] = frame[5 + cell // 2, 6]  # the cell without digits
        inked = np.argwhere((frame != blank).any(axis=2) & ~_grid(cell, frame.shape))
        assert len(inked) > 10
        box.outline(frame, 0, 0, 1, 1)
        covered = (frame[tuple(inked.T)] == HIGHLIGHT).all(axis=1)
        assert not covered.any(), f"{value}: the frame covers {covered.sum()} ink pixels"


def _grid(cell: int, shape) -> np.ndarray:
    grid = np.zeros(shape[:2], bool)
    grid[[5, 4 + cell], 5 : 5 + cell] = True
    grid[5 : 5 + cell, [5, 4 + cell]] = True
    return grid


def test_zero_cells_of_the_page_figure_are_blank():
    """A map's cells that are exactly 0 carry no ink (one way to show zero)."""
    layer = snapshot_from_settings(PRESETS["course-demo"].settings)
    figure = FanOutFigure(layer)
    frame = figure.frame(0)  # scatter step 1: most of dx is still 0
    box = figure.dx_slots[0].box
    top, left, eh, ew = figure.current.window
    zeros = [(r, c) for r, c in np.argwhere(figure.current.dx[figure.channels[0]] == 0)
             if not (top - 1 <= r <= top + eh and left - 1 <= c <= left + ew)]  # off the frame
    assert len(zeros) > 10
    for r, c in zeros:
        cell = frame[box.row_edges[r] + 1 : box.row_edges[r + 1] - 1,
                     box.col_edges[c] + 1 : box.col_edges[c + 1] - 1]
        assert (cell == cell[0, 0]).all()  # blank (no hatching on this preset's dx)


@pytest.mark.parametrize("pixels", [11, 13])  # the pictures' label sizes
def test_star_and_asterisk_in_a_label_are_big_enough_to_tell_from_dot_and_cross(pixels):
    def ink(text: str) -> tuple[int, int]:
        image = glyphs(text, pixels)
        rows, cols = np.flatnonzero(image.max(axis=1) > 0.3), np.flatnonzero(
            image.max(axis=0) > 0.3)
        return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1

    digit = ink("8")[0]
    for symbol in "⋆∗":
        height, width = ink(symbol + " ")  # a label with the symbol in it
        assert height >= digit and width >= digit, (symbol, height, width, digit)
    assert ink("·")[0] * 3 <= ink("⋆ ")[0]


@pytest.mark.parametrize("name", list(PRESETS))
def test_the_dilated_delta_panel_prints_its_numbers_on_every_preset(name):
    """The panel's cells are shrunk to keep the row short; its columns are widened instead
    of losing the numbers: each δ entry shows in its place among the stride's zeros."""
    layer = snapshot_from_settings(PRESETS[name].settings)
    figure = FanOutFigure(layer)
    box = figure.frame_slots[0].box
    assert box.text_pixels() > 0, box.cell_size
    frame = figure.frame(0)
    framed = figure.walk.frame[figure.filter_rows[0]]
    fill = signed_colours(framed, figure.row_limit[figure.filter_rows[0]])
    for r, c in np.argwhere(np.abs(framed) >= 0.05):
        cell = frame[box.row_edges[r] + 3 : box.row_edges[r + 1] - 3,
                     box.col_edges[c] + 3 : box.col_edges[c + 1] - 3]
        assert (cell != fill[r, c]).any(axis=2).any(), (r, c)  # digits drawn on the cell
