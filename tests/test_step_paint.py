"""Painting a step as the change from the last frame gives exactly the whole frame's pixels."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.explorer.layer import snapshot_from_settings
from cnnviz.explorer.presets import PRESETS
from cnnviz.explorer.render.fanout import FanOutFigure
from cnnviz.explorer.render.raster import MapBox
from cnnviz.explorer.settings import Settings
from cnnviz.explorer.trace import WALKS


def _orders(count: int, seed: int) -> list[int]:
    """Forward, backward, a wrap-around and random jumps (repeats included)."""
    rng = np.random.default_rng(seed)
    jumps = rng.integers(0, count, size=8).tolist()
    return [*range(count), count - 1, *range(count - 1, -1, -3), 0, count - 1, 0, *jumps]


def _whole(layer, walk: str, index: int, **window) -> np.ndarray:
    return FanOutFigure(layer, walk=walk, **window).frame(index)  # a fresh figure: no last frame


@pytest.mark.parametrize("walk", WALKS)
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_changes_painted_on_the_last_frame_equal_the_whole_frame(name, walk):
    layer = snapshot_from_settings(PRESETS[name].settings)
    figure = FanOutFigure(layer, walk=walk)
    for index in _orders(figure.walk.count, seed=len(name)):
        np.testing.assert_array_equal(figure.frame(index), _whole(layer, walk, index),
                                      err_msg=f"{name} {walk} step {index}")


def test_walk_switches_and_hidden_filter_rows_paint_the_same():
    settings = Settings(depth=3, filters=4, input_height=6, input_width=6, stride=2, padding=1)
    layer = snapshot_from_settings(settings)
    figure = FanOutFigure(layer, first_filter=2)  # rows 3-4 shown: some steps spread hidden rows
    for walk, index in [("scatter", 0), ("scatter", 20), ("gather", 5), ("scatter", 3),
                        ("gather", 0), ("gather", 35), ("scatter", 35)]:
        figure.set_walk(walk)
        np.testing.assert_array_equal(figure.frame(index),
                                      _whole(layer, walk, index, first_filter=2))


def test_a_new_frame_is_a_new_array_and_the_last_one_is_left_alone():
    figure = FanOutFigure(snapshot_from_settings(PRESETS["course-demo"].settings))
    first = figure.frame(0)
    kept = first.copy()
    second = figure.frame(1)
    assert second is not first
    np.testing.assert_array_equal(first, kept)


def test_a_part_of_a_map_paints_as_the_map_does_there():
    box = MapBox.from_bounds(10, 20, 10 + 5 * 17, 20 + 6 * 17, 5, 6)
    values = np.random.default_rng(0).normal(size=(5, 6))
    whole = np.full((120, 140, 3), 255, np.uint8)
    box.paint_cells(whole, np.full((5, 6, 3), 90, np.uint8))
    box.print_values(whole, values, 3.0)
    part = np.full((120, 140, 3), 255, np.uint8)
    box.paint_cells(part, np.full((5, 6, 3), 90, np.uint8))
    box.part(slice(1, 3), slice(2, 6)).paint_cells(part, np.full((2, 4, 3), 90, np.uint8))
    box.part(slice(0, 5), slice(0, 6)).print_values(part, values, 3.0)
    np.testing.assert_array_equal(part, whole)
    with pytest.raises(ValueError, match="rows and cols"):
        box.part(slice(3, 3), slice(0, 2))
