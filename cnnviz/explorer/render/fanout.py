"""The fan-out grid: every filter's delta flowing back into every input channel.

Rows are filters k, columns input channels c. At the left of row k: ``δ_k`` and its
dilated, padded form. In cell (k, c): the filter slice (``W[k, c]`` for the scatter walk,
``rot180(W[k, c])`` for the gather walk) and the running contribution of ``δ_k`` to ``dx[c]``.
Along the bottom: ``dx[c] = Σ_k`` and, below it, ``δ_below[c] = dx[c] ⊙ σ'(z[c])``.

The layout (where each map goes) is computed once per layer; titles, labels, maps and numbers
are painted into one RGB array with :mod:`cnnviz.explorer.render.raster` (glyphs from matplotlib's
FreeType fonts). Measured: a matplotlib figure with the same titles took ~40 ms to build and
draw, and ~0.37 ms per value printed as a Text artist; painting takes ~2 ms to build and
~8 ms per frame for the default preset. :meth:`FanOutFigure.frame` updates the frame from a
:class:`~cnnviz.explorer.trace.Step`.

Use::

    figure = FanOutFigure(layer, walk="scatter")
    rgb = figure.frame(step_index)          # (height, width, 3) uint8
    png = figure.png(step_index)            # bytes, for an Image widget or a file
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.explorer.layer import LayerSnapshot
from cnnviz.explorer.render.raster import (
    DARK_TEXT,
    MapBox,
    encode_png,
    glyphs,
    paste_label,
    paste_text,
    signed_colours,
)
from cnnviz.explorer.trace import WALKS, Step, Walk

MAX_CHANNELS = 4  # columns shown at once by default; a channel window moves over deeper inputs
READABLE_CELL = 8  # px: smallest cell whose colour still reads; channels_that_fit stops there
MAX_FILTERS = 4  # rows shown at once for small inputs (see filters_shown)
MAX_WIDTH = 1240  # px: fits a 1366-wide laptop screen next to the page margins
MAX_HEIGHT = 820  # tall enough for numbers in the default preset (cells >= 22 px)
TEXT, SMALL = 13, 11  # label heights in pixels
LEFT = 92  # px for row labels
GAP = 14  # px between maps
TITLE = 30  # px above each row of maps for titles
FOOTER = 36
MIN_CELL, MAX_CELL = 6, 30


@dataclass
class _Slot:
    """A map in the figure: its box and, for titles, its pixel position."""

    box: MapBox
    title: str
    title_pixels: int = TEXT


def filters_shown(height: int) -> int:
    """How many filter rows fit on screen for inputs ``height`` rows tall: 4, 2 or 1."""
    return MAX_FILTERS if height <= 10 else 2 if height <= 16 else 1


def _fit_title(candidates: tuple[str, ...], width: float) -> tuple[str, int]:
    """The first title (at :data:`TEXT`, then :data:`SMALL` px) no wider than ``width``."""
    for pixels in (TEXT, SMALL):
        for text in candidates:
            if glyphs(text, pixels).shape[1] <= width:
                return text, pixels
    return candidates[-1], SMALL


def _cell_width(layer: LayerSnapshot, shown: int, max_width: int) -> float:
    """Cell size (px, before clipping) that fits ``shown`` channel columns in ``max_width``."""
    g = layer.geometry
    (h, w), kw, wo = g.input_size, g.kernel_size[1], g.output_size[1]
    hf, wf = framed_delta_size(layer)
    frame_scale = min(1.0, max(h, g.output_size[0]) / hf)
    across = wo + wf * frame_scale + shown * (kw + w)
    gaps = (1 + 2 * shown) * GAP
    return (max_width - LEFT - gaps - GAP) / across


def framed_delta_size(layer: LayerSnapshot) -> tuple[int, int]:
    """``(Hf, Wf)`` of :func:`~cnnviz.explorer.trace.framed_delta` for ``layer``, unbuilt."""
    g = layer.geometry
    (hp, wp), (eh, ew) = g.padded_size, g.kernel_extent
    return hp + eh - 1, wp + ew - 1


def channels_that_fit(layer: LayerSnapshot, *, max_width: int = MAX_WIDTH) -> int:
    """The most input channels (1 to D) whose columns fit ``max_width`` with cells of at
    least :data:`READABLE_CELL` px; at least 1."""
    if not isinstance(layer, LayerSnapshot):
        raise TypeError(f"layer must be a LayerSnapshot; got {type(layer).__name__}")
    fits = [
        n for n in range(1, layer.depth + 1) if _cell_width(layer, n, max_width) >= READABLE_CELL
    ]
    return max(fits, default=1)


def _window(name: str, shown: list[int], total: int) -> str:
    """``"channels 1-4 of 10"``, ``"filter 2 of 16"`` or ``"the only channel"``."""
    if total == 1:
        return f"the only {name}"
    if len(shown) == 1:
        return f"{name} {shown[0] + 1} of {total}"
    return f"{name}s {shown[0] + 1}-{shown[-1] + 1} of {total}"


def _limit(*arrays: np.ndarray) -> float:
    value = max(float(np.max(np.abs(a))) if a.size else 0.0 for a in arrays)
    return value if value > 0 else 1.0


class FanOutFigure:
    """The fan-out grid for one layer and one walk, as an RGB frame updated per step.

    Parameters
    ----------
    layer : LayerSnapshot
    walk : {"scatter", "gather"}
    first_channel : int
        First input channel shown.
    channels_shown : int, optional
        How many input channels (columns) to show, 1 to D; default :data:`MAX_CHANNELS`.
        More columns make smaller cells (see :func:`channels_that_fit`).
    first_filter : int
        First filter (row) shown; at most :func:`filters_shown` rows are shown. ``dx`` is
        always the sum over all K filters.
    max_width, max_height : int
        Largest frame size in pixels; cells shrink to fit.

    Raises
    ------
    TypeError, ValueError
        On a bad layer, walk or channel.
    """

    def __init__(
        self,
        layer: LayerSnapshot,
        *,
        walk: str = "scatter",
        first_channel: int = 0,
        channels_shown: int | None = None,
        first_filter: int = 0,
        max_width: int = MAX_WIDTH,
        max_height: int = MAX_HEIGHT,
    ) -> None:
        if not isinstance(layer, LayerSnapshot):
            raise TypeError(f"layer must be a LayerSnapshot; got {type(layer).__name__}")
        if walk not in WALKS:
            raise ValueError(f"walk must be one of {WALKS}; got {walk!r}")
        depth = layer.depth
        if not isinstance(first_channel, (int, np.integer)) or not 0 <= first_channel < depth:
            raise ValueError(f"first_channel must be an int in [0, {depth}); got {first_channel}")
        if channels_shown is None:
            channels_shown = min(MAX_CHANNELS, depth)
        if not isinstance(channels_shown, (int, np.integer)) or isinstance(channels_shown, bool):
            raise TypeError(
                f"channels_shown must be an int or None; got {type(channels_shown).__name__}"
            )
        if not 1 <= channels_shown <= depth:
            raise ValueError(f"channels_shown must be in [1, {depth}]; got {channels_shown}")
        count = layer.filters
        if not isinstance(first_filter, (int, np.integer)) or not 0 <= first_filter < count:
            raise ValueError(f"first_filter must be an int in [0, {count}); got {first_filter}")
        self.layer = layer
        self.channels = list(range(first_channel, min(first_channel + channels_shown, depth)))
        rows = filters_shown(layer.x.shape[1])
        self.filter_rows = list(range(first_filter, min(first_filter + rows, count)))
        self._row_of = {k: row for row, k in enumerate(self.filter_rows)}
        self.show_below = layer.activation != "identity"
        self.walks = {name: Walk(layer, name) for name in WALKS}
        self.walk = self.walks[walk]
        self._limits()
        self._layout(max_width, max_height)
        self._background = self._draw_background()
        self._static = {}
        self.current: Step | None = None

    # ------------------------------------------------------------------ layout

    def _limits(self) -> None:
        layer = self.layer
        self.row_limit = [
            _limit(layer.delta[k], layer.contributions[k]) for k in range(layer.filters)
        ]
        self.kernel_limit = [_limit(layer.w[k]) for k in range(layer.filters)]
        self.dx_limit = _limit(layer.dx)
        self.below_limit = _limit(layer.delta_below)

    def _layout(self, max_width: int, max_height: int) -> None:
        g = self.layer.geometry
        (h, w), (kh, kw), (ho, wo) = g.input_size, g.kernel_size, g.output_size
        hf, wf = framed_delta_size(self.layer)
        shown = len(self.channels)
        # the framed delta is drawn with smaller cells so that it is no taller than the input
        self.frame_scale = min(1.0, max(h, ho) / hf)
        bottom_rows = 1 + int(self.show_below)
        row_cells = max(h, ho, kh, hf * self.frame_scale)
        rows = len(self.filter_rows) + bottom_rows
        cell_w = _cell_width(self.layer, shown, max_width)
        tall = len(self.filter_rows) * row_cells + bottom_rows * h
        cell_h = (max_height - rows * TITLE - FOOTER) / tall
        cell = int(np.clip(min(cell_w, cell_h), MIN_CELL, MAX_CELL))
        self.cell = cell
        columns = self._column_lefts(cell, wo, wf, kw, w)
        # room for a channel column's title: up to the next column's title, less a space
        room = (kw + w) * cell + GAP + GAP // 2 - 6
        top = 0
        self.delta_slots, self.frame_slots, self.kernel_slots, self.contrib_slots = [], [], [], []
        self.row_tops = []
        for k in self.filter_rows:
            top += TITLE
            self.row_tops.append(top)
            fcell = cell * self.frame_scale
            self.delta_slots.append(self._slot(top, columns["delta"], ho, wo, cell, f"δ{k + 1}"))
            self.frame_slots.append(
                self._slot(top, columns["frame"], hf, wf, fcell,
                           (f"δ{k + 1} dilated, padded", f"δ{k + 1} dilated+padded",
                            f"δ{k + 1} padded"), columns["contrib"][0] - columns["frame"] - 6)
            )
            self.kernel_slots.append(
                [self._slot(top, columns["kernel"][i], kh, kw, cell, "") for i in range(shown)]
            )
            self.contrib_slots.append(
                [
                    self._slot(top, columns["contrib"][i], h, w, cell,
                               (f"δ{k + 1} → x{c + 1}", f"δ{k + 1}→x{c + 1}"), room)
                    for i, c in enumerate(self.channels)
                ]
            )
            top += int(round(row_cells * cell))
        top += TITLE
        self.dx_top = top
        self.dx_slots = [
            self._slot(top, columns["contrib"][i], h, w, cell,
                       (f"dx{c + 1} = Σk", f"dx{c + 1}"), room)
            for i, c in enumerate(self.channels)
        ]
        top += h * cell
        self.below_slots = []
        if self.show_below:
            top += TITLE
            self.below_top = top
            self.below_slots = [
                self._slot(top, columns["contrib"][i], h, w, cell,
                           (f"δ below, channel {c + 1}", f"δ below x{c + 1}", f"x{c + 1}"), room)
                for i, c in enumerate(self.channels)
            ]
            top += h * cell
        self.height = top + FOOTER
        last = columns["contrib"][-1]
        titles = [row[-1] for row in self.contrib_slots] + self.dx_slots[-1:]
        titles += self.below_slots[-1:]
        widest = max(glyphs(s.title, s.title_pixels).shape[1] for s in titles)
        self.width = last + max(w * cell + GAP, widest + 6)  # the last title is not cut off

    def _column_lefts(self, cell: int, wo: int, wf: int, kw: int, w: int) -> dict:
        left = LEFT
        columns = {"delta": left}
        left += wo * cell + GAP
        columns["frame"] = left
        left += int(round(wf * cell * self.frame_scale)) + GAP
        columns["kernel"], columns["contrib"] = [], []
        for _ in self.channels:
            columns["kernel"].append(left)
            left += kw * cell + GAP // 2
            columns["contrib"].append(left)
            left += w * cell + GAP
        return columns

    @staticmethod
    def _slot(
        top: int,
        left: int,
        rows: int,
        cols: int,
        cell: float,
        titles: str | tuple[str, ...],
        room: float | None = None,
    ) -> _Slot:
        """A map's slot; ``titles`` long to short, the first that fits ``room`` px is used."""
        box = MapBox.from_bounds(top, left, top + rows * cell, left + cols * cell, rows, cols)
        if isinstance(titles, str):
            return _Slot(box, titles)
        return _Slot(box, *_fit_title(titles, room))

    def _draw_background(self) -> np.ndarray:
        """White canvas with titles and labels, written once: ``(height, width, 3)`` uint8."""
        frame = np.full((self.height, self.width, 3), 255, dtype=np.uint8)

        def label(bottom: float, left: float, text: str, pixels: int = TEXT, **style) -> None:
            lines = text.count("\n")
            bottom += lines * int(round(pixels * 1.35))
            paste_label(frame, text, int(bottom), int(left), pixels, **style)

        slots = [s for row in self.contrib_slots for s in row]
        slots += self.delta_slots + self.frame_slots + self.dx_slots + self.below_slots
        for slot in slots:
            label(slot.box.row_edges[0] - 5, slot.box.col_edges[0], slot.title,
                  slot.title_pixels)
        for k, top in zip(self.filter_rows, self.row_tops, strict=True):
            label(top + 13, 6, f"filter {k + 1}", bold=True)
            label(top + 30, 6, f"W{k + 1}: {self.layer.depth} deep", SMALL)
        count = self.layer.filters
        over = "the only\nfilter" if count == 1 else f"all {count}\nfilters"
        label(self.dx_top + 13, 6, f"dx = Σ over\n{over}", SMALL)
        if self.show_below:
            label(self.below_top + 13, 6,
                  f"δ below =\ndx ⊙ σ'(z)\n{self.layer.activation}", SMALL)
        depth = self.layer.depth
        shown = (
            f"{_window('filter', self.filter_rows, self.layer.filters)}, "
            f"{_window('channel', self.channels, depth)}"
        )
        label(
            self.height - 6 - int(round(SMALL * 1.35)),
            6,
            "red > 0, blue < 0, white = 0; one colour scale per row; orange frame = this step;\n"
            f"grey stripes = no window reads it. Showing {shown}.",
            SMALL,
        )
        return frame

    # ------------------------------------------------------------------ painting

    def _static_layer(self, walk: str) -> np.ndarray:
        """Background plus everything that does not change during a walk."""
        if walk in self._static:
            return self._static[walk]
        frame = self._background.copy()
        layer = self.layer
        frame_maps = self.walks[walk].frame
        kernels = layer.w[:, :, ::-1, ::-1] if walk == "gather" else layer.w
        for row, k in enumerate(self.filter_rows):
            limit = self.row_limit[k]
            self._paint(frame, self.delta_slots[row].box, layer.delta[k], limit)
            self._paint(frame, self.frame_slots[row].box, frame_maps[k], limit,
                        skip=frame_maps[k] == 0)
            for i, c in enumerate(self.channels):
                self._paint(frame, self.kernel_slots[row][i].box, kernels[k, c],
                            self.kernel_limit[k])
        self._kernel_titles(frame, walk)
        self._static[walk] = frame
        return frame

    def _kernel_titles(self, frame: np.ndarray, walk: str) -> None:
        name = "rot W" if walk == "gather" else "W"
        for row, k in enumerate(self.filter_rows):
            for i, c in enumerate(self.channels):
                box = self.kernel_slots[row][i].box
                centre = (box.row_edges[-1] + 8, (box.col_edges[0] + box.col_edges[-1]) / 2)
                # centred under the kernel: it must stop before the map to its right
                room = box.col_edges[-1] - box.col_edges[0] + GAP // 2 * 2 - 2
                text = f"{name}{k + 1},{c + 1}"
                pixels = next((n for n in (9, 8) if glyphs(text, n).shape[1] <= room), 7)
                paste_text(frame, text, centre, pixels, DARK_TEXT)

    @staticmethod
    def _paint(frame, box: MapBox, values, limit, *, skip=None) -> None:
        box.paint_cells(frame, signed_colours(values, limit))
        box.print_values(frame, values, limit, skip=skip)

    def set_walk(self, walk: str) -> None:
        """Switch between the scatter and gather walks (same layout)."""
        if walk not in WALKS:
            raise ValueError(f"walk must be one of {WALKS}; got {walk!r}")
        self.walk = self.walks[walk]
        self.current = None

    def frame(self, index: int) -> np.ndarray:
        """The RGB frame ``(height, width, 3)`` uint8 after step ``index`` of the walk."""
        step = self.walk.step(index)
        self.current = step
        frame = self._static_layer(self.walk.walk).copy()
        untouched = ~self.layer.geometry.touched_mask()
        for row, k in enumerate(self.filter_rows):
            for i, c in enumerate(self.channels):
                box = self.contrib_slots[row][i].box
                values = step.contributions[k, c]
                self._paint(frame, box, values, self.row_limit[k], skip=values == 0)
                box.hatch_cells(frame, untouched)
        for i, c in enumerate(self.channels):
            self._paint(frame, self.dx_slots[i].box, step.dx[c], self.dx_limit,
                        skip=step.dx[c] == 0)
            self.dx_slots[i].box.hatch_cells(frame, untouched)
            if self.show_below:
                values = step.delta_below[c]
                self._paint(frame, self.below_slots[i].box, values, self.below_limit,
                            skip=values == 0)
                self.below_slots[i].box.hatch_cells(frame, untouched)
        self._highlight(frame, step)
        return frame

    def _highlight(self, frame: np.ndarray, step: Step) -> None:
        top, left, eh, ew = step.window
        if step.walk == "scatter":
            k, (i, j) = step.filter_index, step.delta_index
            sh, sw = self.layer.stride
            for n in range(len(self.channels)):
                self.dx_slots[n].box.outline(frame, top, left, eh, ew)
            row = self._row_of.get(k)
            if row is None:  # that filter's row is not on screen
                return
            self.delta_slots[row].box.outline(frame, i, j, 1, 1)
            self.frame_slots[row].box.outline(frame, eh - 1 + i * sh, ew - 1 + j * sw, 1, 1)
            for n in range(len(self.channels)):
                self.contrib_slots[row][n].box.outline(frame, top, left, eh, ew)
                self.kernel_slots[row][n].box.outline(frame, 0, 0, *self.layer.w.shape[2:])
            return
        r, q = step.pixel
        for row in range(len(self.filter_rows)):
            self.frame_slots[row].box.outline(frame, top, left, eh, ew)
            for n in range(len(self.channels)):
                self.contrib_slots[row][n].box.outline(frame, r, q, 1, 1)
        for n in range(len(self.channels)):
            self.dx_slots[n].box.outline(frame, r, q, 1, 1)
            if self.show_below:
                self.below_slots[n].box.outline(frame, r, q, 1, 1)

    def png(self, index: int) -> bytes:
        """The frame after step ``index`` as PNG bytes (fast, light compression)."""
        return encode_png(self.frame(index))
