"""One step of the walk painted onto the fan-out grid: whole, or as the change from the last one.

A step of the scatter walk changes a window of cells in a few maps (one filter row's
contributions, ``dx`` and ``δ_below``) and moves the orange frames; painting every map's every
number again took 10-12 ms a step for the course-demo preset, most of it printing numbers that
had not changed. :func:`paint_changes` repaints only the cells whose value changed or that an
orange frame leaves or enters, and gives the same pixels as :func:`paint_step` (a test checks
that on every preset, both walks, in and out of order).

The maps of a step (all in :class:`~cnnviz.explorer.render.fanout.FanOutFigure`'s layout):

* *changing maps*, repainted from the step's values: each shown filter row's contributions
  ``(H, W)`` per shown channel, then per shown channel ``dx[c]`` and ``δ_below[c]``;
* *fixed maps* (``δ_k``, its dilated and padded frame, the kernels): painted once in the
  figure's static layer; a step only draws frames on them.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from cnnviz.explorer.layer import LayerSnapshot
from cnnviz.explorer.render.raster import MapBox, signed_colours
from cnnviz.explorer.trace import Step

Outline = tuple[MapBox, int, int, int, int]  # box, then top, left, height, width in cells


class _Slot(Protocol):
    box: MapBox


class FanOutLayout(Protocol):
    """What painting a step reads of :class:`~cnnviz.explorer.render.fanout.FanOutFigure`:
    its layer, which rows and columns it shows, where each map goes and the colour limits.

    A protocol, not an import: the figure imports this module, and this one must not import
    the figure back (no two modules import each other).
    """

    layer: LayerSnapshot
    filter_rows: list[int]
    channels: list[int]
    show_below: bool
    row_limit: list[float]
    dx_limit: float
    below_limit: float
    delta_slots: list[_Slot]
    frame_slots: list[_Slot]
    kernel_slots: list[list[_Slot]]
    contrib_slots: list[list[_Slot]]
    dx_slots: list[_Slot]
    below_slots: list[_Slot]

    def row_of(self, k: int) -> int | None: ...


def changing_maps(figure: FanOutLayout, step: Step) -> list[tuple[MapBox, np.ndarray, float]]:
    """``(box, values (rows, cols), colour limit)`` of every map the step's values fill."""
    maps = []
    for row, k in enumerate(figure.filter_rows):
        for i, c in enumerate(figure.channels):
            maps.append((figure.contrib_slots[row][i].box, step.contributions[k, c],
                         figure.row_limit[k]))
    for i, c in enumerate(figure.channels):
        maps.append((figure.dx_slots[i].box, step.dx[c], figure.dx_limit))
        if figure.show_below:
            maps.append((figure.below_slots[i].box, step.delta_below[c], figure.below_limit))
    return maps


def outlines(figure: FanOutLayout, step: Step) -> list[Outline]:
    """The orange frames of ``step``: which cells of which map."""
    top, left, eh, ew = step.window
    channels = range(len(figure.channels))
    if step.walk == "scatter":
        k, (i, j) = step.filter_index, step.delta_index
        sh, sw = figure.layer.stride
        found = [(figure.dx_slots[n].box, top, left, eh, ew) for n in channels]
        row = figure.row_of(k)
        if row is None:  # that filter's row is not on screen
            return found
        kh, kw = figure.layer.w.shape[2:]
        found += [
            (figure.delta_slots[row].box, i, j, 1, 1),
            (figure.frame_slots[row].box, eh - 1 + i * sh, ew - 1 + j * sw, 1, 1),
        ]
        for n in channels:
            found += [(figure.contrib_slots[row][n].box, top, left, eh, ew),
                      (figure.kernel_slots[row][n].box, 0, 0, kh, kw)]
        return found
    r, q = step.pixel
    found = []
    for row in range(len(figure.filter_rows)):
        found.append((figure.frame_slots[row].box, top, left, eh, ew))
        found += [(figure.contrib_slots[row][n].box, r, q, 1, 1) for n in channels]
    for n in channels:
        found.append((figure.dx_slots[n].box, r, q, 1, 1))
        if figure.show_below:
            found.append((figure.below_slots[n].box, r, q, 1, 1))
    return found


def _paint_map(frame: np.ndarray, box: MapBox, values: np.ndarray, limit: float,
               untouched: np.ndarray) -> None:
    box.paint_cells(frame, signed_colours(values, limit))
    box.print_values(frame, values, limit, skip=values == 0)
    box.hatch_cells(frame, untouched)


def paint_step(figure: FanOutLayout, static: np.ndarray, step: Step) -> np.ndarray:
    """A new frame: ``static`` ``(height, width, 3)`` uint8 with ``step`` painted on it."""
    frame = static.copy()
    untouched = ~figure.layer.geometry.touched_mask()
    for box, values, limit in changing_maps(figure, step):
        _paint_map(frame, box, values, limit, untouched)
    _draw_outlines(frame, outlines(figure, step))
    return frame


def paint_changes(
    figure: FanOutLayout, static: np.ndarray, last: np.ndarray, before: Step, step: Step
) -> np.ndarray:
    """A new frame equal to ``paint_step(figure, static, step)``, made from ``last``, the
    frame of step ``before`` of the same walk, by repainting only what differs."""
    frame = last.copy()
    untouched = ~figure.layer.geometry.touched_mask()
    gone, coming = outlines(figure, before), outlines(figure, step)
    old = {id(box): values for box, values, _ in changing_maps(figure, before)}
    for box, *cells in gone:  # a fixed map: its static pixels wipe the old frame off
        if id(box) not in old:
            rows, cols = _cell_slices(box, *cells)
            y, x = box.row_edges[[rows.start, rows.stop]], box.col_edges[[cols.start, cols.stop]]
            frame[y[0] : y[1], x[0] : x[1]] = static[y[0] : y[1], x[0] : x[1]]
    for box, values, limit in changing_maps(figure, step):
        dirty = values != old[id(box)]
        for framed, *cells in gone + coming:  # cells an orange frame leaves or enters
            if framed is box:
                dirty[_cell_slices(box, *cells)] = True
        if dirty.any():
            rows, cols = _bounds(dirty)
            _paint_map(frame, box.part(rows, cols), values[rows, cols], limit,
                       untouched[rows, cols])
    _draw_outlines(frame, coming)
    return frame


def _cell_slices(box: MapBox, top: int, left: int, height: int, width: int) -> tuple[slice, slice]:
    """The cells of a frame, clipped to the map (a window may start in the padding)."""
    r0, r1 = max(top, 0), min(top + height, box.rows)
    c0, c1 = max(left, 0), min(left + width, box.cols)
    return slice(r0, max(r0, r1)), slice(c0, max(c0, c1))


def _bounds(mask: np.ndarray) -> tuple[slice, slice]:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def _draw_outlines(frame: np.ndarray, found: list[Outline]) -> None:
    for box, top, left, height, width in found:
        box.outline(frame, top, left, height, width)
