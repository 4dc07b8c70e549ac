"""What part of a layer a picture shows: which filters and channels, and how big a cell is.

Shared by the fan-out grid (:mod:`~cnnviz.explorer.render.fanout`) and the weight-gradient
picture (:mod:`~cnnviz.explorer.render.gradients`), so that both show the same rows and
columns and refuse the same bad requests with the same sentences.
"""

from __future__ import annotations

import numpy as np

from cnnviz.explorer.layer import LayerSnapshot

MAX_CHANNELS = 4  # columns shown at once by default; a channel window moves over deeper inputs
READABLE_CELL = 8  # px: smallest cell whose colour still reads; channels_that_fit stops there
MAX_FILTERS = 4  # rows shown at once for small inputs (see filters_shown)
MAX_WIDTH = 1240  # px: fits a 1366-wide laptop screen next to the page margins
MAX_HEIGHT = 820  # tall enough for numbers in the default preset (cells >= 22 px)
LEFT = 92  # px for the fan-out grid's row labels
GAP = 14  # px between maps


def filters_shown(height: int) -> int:
    """How many filter rows fit on screen for inputs ``height`` rows tall: 4, 2 or 1."""
    return MAX_FILTERS if height <= 10 else 2 if height <= 16 else 1


def framed_delta_size(layer: LayerSnapshot) -> tuple[int, int]:
    """``(Hf, Wf)`` of :func:`~cnnviz.explorer.trace.framed_delta` for ``layer``, unbuilt."""
    g = layer.geometry
    (hp, wp), (eh, ew) = g.padded_size, g.kernel_extent
    return hp + eh - 1, wp + ew - 1


def cell_width(layer: LayerSnapshot, shown: int, max_width: int) -> float:
    """Fan-out cell size (px, before clipping) that fits ``shown`` channel columns."""
    g = layer.geometry
    (h, w), kw, wo = g.input_size, g.kernel_size[1], g.output_size[1]
    hf, wf = framed_delta_size(layer)
    frame_scale = min(1.0, max(h, g.output_size[0]) / hf)
    across = wo + wf * frame_scale + shown * (kw + w)
    gaps = (1 + 2 * shown) * GAP
    return (max_width - LEFT - gaps - GAP) / across


def channels_that_fit(layer: LayerSnapshot, *, max_width: int = MAX_WIDTH) -> int:
    """The most input channels (1 to D) whose columns fit ``max_width`` with cells of at
    least :data:`READABLE_CELL` px; at least 1."""
    if not isinstance(layer, LayerSnapshot):
        raise TypeError(f"layer must be a LayerSnapshot; got {type(layer).__name__}")
    fits = [
        n for n in range(1, layer.depth + 1) if cell_width(layer, n, max_width) >= READABLE_CELL
    ]
    return max(fits, default=1)


def checked_channels(layer: LayerSnapshot, first_channel: object, shown: object) -> list[int]:
    """The input channels shown: ``shown`` of them (default :data:`MAX_CHANNELS`) from
    ``first_channel`` on, after checking both (ValueError/TypeError naming them)."""
    depth = layer.depth
    if not isinstance(first_channel, (int, np.integer)) or not 0 <= first_channel < depth:
        raise ValueError(f"first_channel must be an int in [0, {depth}); got {first_channel}")
    if shown is None:
        shown = min(MAX_CHANNELS, depth)
    if not isinstance(shown, (int, np.integer)) or isinstance(shown, bool):
        raise TypeError(f"channels_shown must be an int or None; got {type(shown).__name__}")
    if not 1 <= shown <= depth:
        raise ValueError(f"channels_shown must be in [1, {depth}]; got {shown}")
    return list(range(first_channel, min(first_channel + shown, depth)))


def checked_filters(layer: LayerSnapshot, first_filter: object, shown: int) -> list[int]:
    """Up to ``shown`` filters (rows) from ``first_filter`` on, after checking it."""
    count = layer.filters
    if not isinstance(first_filter, (int, np.integer)) or not 0 <= first_filter < count:
        raise ValueError(f"first_filter must be an int in [0, {count}); got {first_filter}")
    return list(range(first_filter, min(first_filter + shown, count)))


def window_words(name: str, shown: list[int], total: int) -> str:
    """``"channels 1-4 of 10"``, ``"filter 2 of 16"`` or ``"the only channel"``."""
    if total == 1:
        return f"the only {name}"
    if len(shown) == 1:
        return f"{name} {shown[0] + 1} of {total}"
    return f"{name}s {shown[0] + 1}-{shown[-1] + 1} of {total}"


def colour_limit(*arrays: np.ndarray) -> float:
    """The largest ``|value|`` over ``arrays`` (1 when all are zero): a signed map's ``±limit``."""
    value = max(float(np.max(np.abs(a))) if a.size else 0.0 for a in arrays)
    return value if value > 0 else 1.0
