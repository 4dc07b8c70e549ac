"""Weight and bias gradients: one dW per filter slice and one db per filter.

Row k shows ``dilate(δ_k)``, then ``dW[k, c] = x[c] ⋆ dilate(δ_k)`` for each shown channel
(a correlation of the padded input with the dilated delta), then ``db_k = Σ δ_k`` as one cell.
Every window position adds into the same ``dW[k, c]`` and the same ``db_k``: the weights
belong to the filter, not to a position. Drawn once per layer (it does not change per step).
"""

from __future__ import annotations

import numpy as np

from cnnviz.core.conv import dilate
from cnnviz.explorer.layer import LayerSnapshot
from cnnviz.explorer.render.fanout import MAX_CHANNELS, MAX_FILTERS
from cnnviz.explorer.render.raster import MapBox, encode_png, paste_label, signed_colours

TEXT, SMALL = 13, 11  # label heights in pixels
LEFT, GAP, TITLE, FOOTER = 78, 16, 30, 40
MAX_HEIGHT = 700
RIGHT = 110  # room for the last title, db_k = ...


def _limit(array: np.ndarray) -> float:
    value = float(np.max(np.abs(array))) if array.size else 0.0
    return value if value > 0 else 1.0


def _checked_channels(layer: LayerSnapshot, first_channel, channels_shown) -> list[int]:
    if not isinstance(first_channel, (int, np.integer)) or not 0 <= first_channel < layer.depth:
        raise ValueError(f"first_channel must be in [0, {layer.depth}); got {first_channel}")
    if channels_shown is None:
        channels_shown = min(MAX_CHANNELS, layer.depth)
    if not isinstance(channels_shown, (int, np.integer)) or isinstance(channels_shown, bool):
        raise TypeError(
            f"channels_shown must be an int or None; got {type(channels_shown).__name__}"
        )
    if not 1 <= channels_shown <= layer.depth:
        raise ValueError(f"channels_shown must be in [1, {layer.depth}]; got {channels_shown}")
    return list(range(first_channel, min(first_channel + channels_shown, layer.depth)))


def gradients_figure(
    layer: LayerSnapshot,
    *,
    first_channel: int = 0,
    channels_shown: int | None = None,
    first_filter: int = 0,
    max_width: int = 1240,
) -> np.ndarray:
    """The weight and bias gradients of ``layer`` as an RGB image ``(height, width, 3)`` uint8.

    ``channels_shown`` dW columns (default :data:`~cnnviz.explorer.render.fanout.MAX_CHANNELS`) from
    ``first_channel`` on; cells shrink (to 6 px) so that the image fits ``max_width``.

    Raises
    ------
    TypeError, ValueError
        On a bad layer or channel.
    """
    if not isinstance(layer, LayerSnapshot):
        raise TypeError(f"layer must be a LayerSnapshot; got {type(layer).__name__}")
    channels = _checked_channels(layer, first_channel, channels_shown)
    if not isinstance(first_filter, (int, np.integer)) or not 0 <= first_filter < layer.filters:
        raise ValueError(f"first_filter must be in [0, {layer.filters}); got {first_filter}")
    rows = list(range(first_filter, min(first_filter + MAX_FILTERS, layer.filters)))
    spread = dilate(layer.delta, layer.stride)  # (K, Hd, Wd)
    (hd, wd), (kh, kw) = spread.shape[1:], layer.w.shape[2:]
    across = wd + len(channels) * kw + 1
    cell_w = (max_width - LEFT - RIGHT - GAP * (len(channels) + 3)) / across
    cell_h = (MAX_HEIGHT - 2 * TITLE - FOOTER - len(rows) * TITLE) / (len(rows) * max(hd, kh))
    cell = int(np.clip(min(cell_w, cell_h), 6, 24))

    def width_for(cell: int) -> int:  # each dW slot is at least 44 px wide, for its title
        across = wd + sum(max(kw * cell, 44) for _ in channels) / cell + 1
        return int(max(LEFT + across * cell + GAP * (len(channels) + 3) + RIGHT, 640))

    while cell > 6 and width_for(cell) > max_width:
        cell -= 1
    width = width_for(cell)
    row_height = max(hd, kh, 1) * cell + TITLE
    height = 2 * TITLE + len(rows) * row_height + FOOTER
    frame = np.full((height, width, 3), 255, dtype=np.uint8)

    def place(top, left, values, limit, title):
        rows, cols = values.shape
        box = MapBox.from_bounds(top, left, top + rows * cell, left + cols * cell, rows, cols)
        box.paint_cells(frame, signed_colours(values, limit))
        box.print_values(frame, values, limit, skip=values == 0)
        paste_label(frame, title, top - 5, left, TEXT)
        return left + max(cols * cell, 44) + GAP

    for row, k in enumerate(rows):
        top = 2 * TITLE + row * row_height
        paste_label(frame, f"filter {k + 1}", top + 13, 6, TEXT, bold=True)
        dw_limit = _limit(layer.dw[k])
        left = place(top, LEFT, spread[k], _limit(spread[k]), f"dilate(δ{k + 1})")
        for c in channels:
            left = place(top, left, layer.dw[k, c], dw_limit, f"dW{k + 1},{c + 1}")
        db = layer.db[k : k + 1, None]  # (1, 1)
        place(top, left, db, _limit(db), f"db{k + 1} = {layer.db[k]:.2f}")
    paste_label(
        frame,
        "dW[k, c] = x[c] ⋆ dilate(δk)  (padded input correlated with the dilated delta);   "
        "db_k = Σ δk",
        20,
        6,
        TEXT,
    )
    paste_label(
        frame,
        "One dW per filter slice and one db per filter, however many positions the window\n"
        "visits: every position adds into the same numbers (the weights are shared).",
        height - 6,
        6,
        SMALL,
    )
    return frame


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
