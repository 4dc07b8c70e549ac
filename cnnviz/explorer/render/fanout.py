"""The fan-out grid: every filter's delta flowing back into every input channel.

Rows are filters k, columns input channels c. At the left of row k: ``δ_k`` and its
dilated, padded form. In cell (k, c): the filter slice (``W[k, c]`` for the scatter walk,
``rot180(dilate_d(W[k, c]))`` for the gather walk) and the running contribution of ``δ_k``
to ``dx[c]``.
Along the bottom: ``dx[c] = Σ_k`` and, below it, ``δ_below[c] = dx[c] ⊙ σ'(z[c])``.

The layout (where each map goes) is computed once per layer; titles, labels, maps and numbers
are painted into one RGB array with :mod:`cnnviz.explorer.render.raster` (glyphs from matplotlib's
FreeType fonts, pre-rendered in :mod:`~cnnviz.explorer.render.atlas`). Measured: a matplotlib
figure with the same titles took ~40 ms to build and draw, and ~0.37 ms per value printed as a
Text artist; painting takes ~2 ms to build and ~8 ms per frame for the default preset.
:meth:`FanOutFigure.frame` updates the frame from a
:class:`~cnnviz.explorer.trace.Step`.

Use::

    figure = FanOutFigure(layer, walk="scatter")
    rgb = figure.frame(step_index)          # (height, width, 3) uint8
    png = figure.png(step_index)            # bytes, for an Image widget or a file
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.core.conv import dilate, rot180
from cnnviz.explorer.layer import LayerSnapshot
from cnnviz.explorer.render.fit import (
    GAP,
    LEFT,
    MAX_CHANNELS,
    MAX_HEIGHT,
    MAX_WIDTH,
    channels_that_fit,
    checked_channels,
    checked_filters,
    colour_limit,
    filters_shown,
    framed_delta_size,
    window_words,
)
from cnnviz.explorer.render.fit import cell_width as _cell_width
from cnnviz.explorer.render.raster import (
    DARK_TEXT,
    MapBox,
    cell_text_pixels,
    encode_png,
    glyphs,
    paste_label,
    paste_text,
    signed_colours,
)
from cnnviz.explorer.render.step_paint import paint_changes, paint_step
from cnnviz.explorer.trace import WALKS, Step, Walk

# the app imports these from here; they live in render.fit, shared with render.gradients
__all__ = ["MAX_CHANNELS", "FanOutFigure", "channels_that_fit", "filters_shown"]

TEXT, SMALL = 13, 11  # label heights in pixels
TITLE = 30  # px above each row of maps for titles
FOOTER = 36
MIN_CELL, MAX_CELL = 6, 30
NUMBER_CELL = next(c for c in range(MIN_CELL, 64) if cell_text_pixels(c))  # 22 px: prints


@dataclass
class _Slot:
    """A map in the figure: its box and, for titles, its pixel position."""

    box: MapBox
    title: str
    title_pixels: int = TEXT


def _fit_title(candidates: tuple[str, ...], width: float) -> tuple[str, int]:
    """The first title (at :data:`TEXT`, then :data:`SMALL` px) no wider than ``width``."""
    for pixels in (TEXT, SMALL):
        for text in candidates:
            if glyphs(text, pixels).shape[1] <= width:
                return text, pixels
    return candidates[-1], SMALL


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
        self.layer = layer
        self.channels = checked_channels(layer, first_channel, channels_shown)
        self.filter_rows = checked_filters(layer, first_filter, filters_shown(layer.x.shape[1]))
        self._row_of = {k: row for row, k in enumerate(self.filter_rows)}
        self.show_below = layer.activation != "identity"
        self.walks = {name: Walk(layer, name) for name in WALKS}
        self.walk = self.walks[walk]
        self._limits()
        self._may_widen = True  # the dilated δ's columns, for its numbers (_frame_columns)
        self._layout(max_width, max_height)
        if self.width > max_width and self._may_widen:  # a long last title: narrow again
            self._may_widen = False
            self._layout(max_width, max_height)
        self._background = self._draw_background()
        self._static = {}
        self.current: Step | None = None
        self._last: tuple[Step, np.ndarray] | None = None  # the last frame painted, its step

    # ------------------------------------------------------------------ layout

    def _limits(self) -> None:
        layer = self.layer
        self.row_limit = [
            colour_limit(layer.delta[k], layer.contributions[k]) for k in range(layer.filters)
        ]
        self.kernel_limit = [colour_limit(layer.w[k]) for k in range(layer.filters)]
        self.dx_limit = colour_limit(layer.dx)
        self.below_limit = colour_limit(layer.delta_below)

    def _layout(self, max_width: int, max_height: int) -> None:
        """Where each map goes: slots for every row, then the frame's size in pixels."""
        g = self.layer.geometry
        h, w = g.input_size
        row_cells, cell = self._cell_size(max_width, max_height)
        self.cell = cell
        hf, wf = framed_delta_size(self.layer)
        columns = self._frame_columns(cell, (g.output_size[1], wf, g.kernel_size[1], w),
                                      max_width)
        # room for a channel column's title: up to the next column's title, less a space
        room = (g.kernel_size[1] + w) * cell + GAP + GAP // 2 - 6
        top = 0
        self.delta_slots, self.frame_slots, self.kernel_slots, self.contrib_slots = [], [], [], []
        self.row_tops = []
        for k in self.filter_rows:
            top += TITLE
            self.row_tops.append(top)
            self._filter_row(k, top, columns, room)
            top += int(round(row_cells * cell))
        self.dx_top = top + TITLE
        self.dx_slots = self._channel_row(self.dx_top, columns, room, "dx{c} = Σk", "dx{c}")
        top = self.dx_top + h * cell
        self.below_slots = []
        if self.show_below:
            self.below_top = top + TITLE
            self.below_slots = self._channel_row(
                self.below_top, columns, room, "δ below, channel {c}", "δ below x{c}", "x{c}"
            )
            top = self.below_top + h * cell
        self.height = top + FOOTER
        titles = [row[-1] for row in self.contrib_slots] + self.dx_slots[-1:]
        titles += self.below_slots[-1:]
        widest = max(glyphs(s.title, s.title_pixels).shape[1] for s in titles)
        # the last title is not cut off
        self.width = columns["contrib"][-1] + max(w * cell + GAP, widest + 6)

    def _cell_size(self, max_width: int, max_height: int) -> tuple[float, int]:
        """``(row_cells, cell)``: a filter row's height in cells, and the cell size in px."""
        g = self.layer.geometry
        (h, _), kh, ho = g.input_size, g.kernel_size[0], g.output_size[0]
        hf, _ = framed_delta_size(self.layer)
        # the framed delta is drawn with smaller cells so that it is no taller than the input
        self.frame_scale = min(1.0, max(h, ho) / hf)
        bottom_rows = 1 + int(self.show_below)
        row_cells = max(h, ho, kh, hf * self.frame_scale)
        rows = len(self.filter_rows) + bottom_rows
        cell_w = _cell_width(self.layer, len(self.channels), max_width)
        tall = len(self.filter_rows) * row_cells + bottom_rows * h
        cell_h = (max_height - rows * TITLE - FOOTER) / tall
        return row_cells, int(np.clip(min(cell_w, cell_h), MIN_CELL, MAX_CELL))

    def _filter_row(self, k: int, top: int, columns: dict, room: float) -> None:
        """The slots of filter ``k``'s row: its delta, framed delta, kernels, contributions."""
        g, cell = self.layer.geometry, self.cell
        (h, w), (kh, kw), (ho, wo) = g.input_size, g.kernel_size, g.output_size
        hf, wf = framed_delta_size(self.layer)
        name = f"δ{k + 1}"
        self.delta_slots.append(self._slot(top, columns["delta"], ho, wo, cell, name))
        hd, wd = g.dilated_output_size  # the stride's zeros, counted in the title
        frame_titles = (f"{name} dilated to {hd}×{wd}, padded", f"{name} dilated {hd}×{wd}",
                        f"{name} dilated, padded", f"{name} padded")
        frame_room = columns["contrib"][0] - columns["frame"] - 6
        self.frame_slots.append(self._slot(
            top, columns["frame"], hf, wf, cell * self.frame_scale, frame_titles, frame_room,
            width=self.frame_col,
        ))
        self.kernel_slots.append(
            [self._slot(top, left, kh, kw, cell, "") for left in columns["kernel"]]
        )
        self.contrib_slots.append([
            self._slot(top, columns["contrib"][i], h, w, cell,
                       (f"{name} → x{c + 1}", f"{name}→x{c + 1}"), room)
            for i, c in enumerate(self.channels)
        ])

    def _channel_row(self, top: int, columns: dict, room: float, *titles: str) -> list[_Slot]:
        """One input-sized slot per shown channel; ``titles`` long to short, ``{c}`` filled."""
        h, w = self.layer.geometry.input_size
        return [
            self._slot(top, columns["contrib"][i], h, w, self.cell,
                       tuple(t.format(c=c + 1) for t in titles), room)
            for i, c in enumerate(self.channels)
        ]

    def _frame_columns(self, cell: int, widths: tuple[int, int, int, int],
                       max_width: int) -> dict:
        """The maps' left edges, and :attr:`frame_col`: the dilated δ's column width. Its cells
        are shrunk to keep the row no taller than the input; when that leaves no room for
        numbers, its columns are :data:`NUMBER_CELL` px wide if the figure still fits."""
        tall = cell * self.frame_scale
        self.frame_col = float(NUMBER_CELL)
        if (self._may_widen and not cell_text_pixels(int(tall))
                and cell_text_pixels(int(tall), NUMBER_CELL)):
            columns = self._column_lefts(cell, *widths)
            if columns["contrib"][-1] + widths[3] * cell + GAP <= max_width:
                return columns
        self.frame_col = tall
        return self._column_lefts(cell, *widths)

    def _column_lefts(self, cell: int, wo: int, wf: int, kw: int, w: int) -> dict:
        left = LEFT
        columns = {"delta": left}
        left += wo * cell + GAP
        columns["frame"] = left
        left += int(round(wf * self.frame_col)) + GAP
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
        width: float | None = None,
    ) -> _Slot:
        """A map's slot; ``titles`` long to short, the first that fits ``room`` px is used;
        cells ``cell`` px tall and ``width`` px wide (default square)."""
        width = cell if width is None else width
        box = MapBox.from_bounds(top, left, top + rows * cell, left + cols * width, rows, cols)
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
            f"{window_words('filter', self.filter_rows, self.layer.filters)}, "
            f"{window_words('channel', self.channels, depth)}"
        )
        label(
            self.height - 6 - int(round(SMALL * 1.35)),
            6,
            "red > 0, blue < 0, blank = 0 (one decimal); one colour scale per row; "
            "orange frame = this step;\n"
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
        # the gather slides rot180(dilate_d(W)): drawn in the kernel's slot with smaller cells
        kernels = rot180(dilate(layer.w, layer.dilation)) if walk == "gather" else layer.w
        for row, k in enumerate(self.filter_rows):
            limit = self.row_limit[k]
            self._paint(frame, self.delta_slots[row].box, layer.delta[k], limit)
            self._paint(frame, self.frame_slots[row].box, frame_maps[k], limit,
                        skip=frame_maps[k] == 0)
            for i, c in enumerate(self.channels):
                slot = self.kernel_slots[row][i].box
                box = MapBox.from_bounds(slot.row_edges[0], slot.col_edges[0],
                                         slot.row_edges[-1], slot.col_edges[-1],
                                         *kernels.shape[2:])
                self._paint(frame, box, kernels[k, c], self.kernel_limit[k],
                            skip=kernels[k, c] == 0 if walk == "gather" else None)
        self._kernel_titles(frame, walk)
        self._static[walk] = frame
        return frame

    def _kernel_titles(self, frame: np.ndarray, walk: str) -> None:
        dilated = self.layer.dilation != (1, 1)
        name = ("rot dil W" if dilated else "rot W") if walk == "gather" else "W"
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
        """The RGB frame ``(height, width, 3)`` uint8 after step ``index`` of the walk.

        A new array each call; painted from the last frame of the same walk when there is one,
        repainting only what changed (:mod:`cnnviz.explorer.render.step_paint`).
        """
        step = self.walk.step(index)
        static = self._static_layer(self.walk.walk)
        last = self._last
        if last is not None and last[0].walk == step.walk:
            frame = paint_changes(self, static, last[1], last[0], step)
        else:
            frame = paint_step(self, static, step)
        self.current, self._last = step, (step, frame)
        return frame

    def row_of(self, k: int) -> int | None:
        """The row filter ``k`` is drawn in, or None when it is not shown."""
        return self._row_of.get(k)

    def png(self, index: int) -> bytes:
        """The frame after step ``index`` as PNG bytes (fast, light compression)."""
        return encode_png(self.frame(index))
