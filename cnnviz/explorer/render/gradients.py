"""Weight and bias gradients: one dW per filter slice and one db per filter.

Row k shows ``dilate(δ_k)``, then ``dW[k, c]`` for each shown channel (the padded input
correlated with the dilated delta, cropped to the dilated kernel, every d-th row and column:
:func:`cnnviz.core.claims.dw_caption` says it with this layer's sizes), then ``db_k = Σ δ_k``.
Every window position adds into the same ``dW[k, c]`` and the same ``db_k``: the weights
belong to the filter, not to a position. Drawn once per layer (it does not change per step).
"""

from __future__ import annotations

import numpy as np

from cnnviz.core.claims import dw_caption
from cnnviz.core.conv import dilate
from cnnviz.explorer.layer import LayerSnapshot
from cnnviz.explorer.render.fit import (
    MAX_FILTERS,
    checked_channels,
    checked_filters,
    colour_limit,
)
from cnnviz.explorer.render.raster import MapBox, encode_png, paste_label, signed_colours

TEXT, SMALL = 13, 11  # label heights in pixels
LEFT, GAP, TITLE, FOOTER = 78, 16, 30, 40
MAX_HEIGHT = 700
RIGHT = 110  # room for the last title, db_k = ...
MIN_SLOT = 44  # px: each dW slot is at least this wide, for its title
MIN_CELL, MAX_CELL = 6, 24


def gradients_figure(
    layer: LayerSnapshot,
    *,
    first_channel: int = 0,
    channels_shown: int | None = None,
    first_filter: int = 0,
    max_width: int = 1240,
) -> np.ndarray:
    """The weight and bias gradients of ``layer`` as an RGB image ``(height, width, 3)`` uint8.

    ``channels_shown`` dW columns (default :data:`~cnnviz.explorer.render.fit.MAX_CHANNELS`) from
    ``first_channel`` on; cells shrink (to 6 px) so that the image fits ``max_width``.

    Raises
    ------
    TypeError, ValueError
        On a bad layer or channel.
    """
    if not isinstance(layer, LayerSnapshot):
        raise TypeError(f"layer must be a LayerSnapshot; got {type(layer).__name__}")
    channels = checked_channels(layer, first_channel, channels_shown)
    rows = checked_filters(layer, first_filter, MAX_FILTERS)
    spread = dilate(layer.delta, layer.stride)  # (K, Hd, Wd)
    (hd, wd), (kh, kw) = spread.shape[1:], layer.w.shape[2:]
    cell, width = _cell_and_width(wd, kw, max(hd, kh), len(channels), len(rows), max_width)
    row_height = max(hd, kh, 1) * cell + TITLE
    height = 2 * TITLE + len(rows) * row_height + FOOTER
    frame = np.full((height, width, 3), 255, dtype=np.uint8)
    for row, k in enumerate(rows):
        top = 2 * TITLE + row * row_height
        paste_label(frame, f"filter {k + 1}", top + 13, 6, TEXT, bold=True)
        dw_limit = colour_limit(layer.dw[k])
        left = _place(frame, top, LEFT, cell, spread[k], colour_limit(spread[k]),
                      f"dilate(δ{k + 1})")
        for c in channels:
            left = _place(frame, top, left, cell, layer.dw[k, c], dw_limit, f"dW{k + 1},{c + 1}")
        db = layer.db[k : k + 1, None]  # (1, 1)
        _place(frame, top, left, cell, db, colour_limit(db), f"db{k + 1} = {layer.db[k]:.2f}")
    _captions(frame, layer)
    return frame


def _cell_and_width(
    wd: int, kw: int, tall: int, channels: int, rows: int, max_width: int
) -> tuple[int, int]:
    """Cell size and image width (px): ``tall`` cells per row, ``wd + channels*kw + 1`` across."""
    cell_w = (max_width - LEFT - RIGHT - GAP * (channels + 3)) / (wd + channels * kw + 1)
    cell_h = (MAX_HEIGHT - 2 * TITLE - FOOTER - rows * TITLE) / (rows * tall)
    cell = int(np.clip(min(cell_w, cell_h), MIN_CELL, MAX_CELL))

    def width_for(cell: int) -> int:
        across = wd + channels * max(kw * cell, MIN_SLOT) / cell + 1
        return int(max(LEFT + across * cell + GAP * (channels + 3) + RIGHT, 640))

    while cell > MIN_CELL and width_for(cell) > max_width:
        cell -= 1
    return cell, width_for(cell)


def _place(
    frame: np.ndarray, top: int, left: int, cell: int, values: np.ndarray, limit: float, title: str
) -> int:
    """Paint ``values`` ``(rows, cols)`` with its title at ``(top, left)``; the next map's left."""
    rows, cols = values.shape
    box = MapBox.from_bounds(top, left, top + rows * cell, left + cols * cell, rows, cols)
    box.paint_cells(frame, signed_colours(values, limit))
    box.print_values(frame, values, limit, skip=values == 0)
    paste_label(frame, title, top - 5, left, TEXT)
    return left + max(cols * cell, MIN_SLOT) + GAP


def _captions(frame: np.ndarray, layer: LayerSnapshot) -> None:
    """The formula above the rows (built from the geometry) and the sentence below them."""
    paste_label(frame, dw_caption(layer.geometry) + ";   db_k = Σ δk", 38, 6, TEXT)
    paste_label(
        frame,
        "One dW per filter slice and one db per filter, however many positions the window\n"
        "visits: every position adds into the same numbers (the weights are shared).",
        frame.shape[0] - 6,
        6,
        SMALL,
    )


def gradients_png(
    layer: LayerSnapshot,
    *,
    first_channel: int = 0,
    channels_shown: int | None = None,
    first_filter: int = 0,
) -> bytes:
    """:func:`gradients_figure` as PNG bytes."""
    return encode_png(
        gradients_figure(
            layer,
            first_channel=first_channel,
            channels_shown=channels_shown,
            first_filter=first_filter,
        )
    )
