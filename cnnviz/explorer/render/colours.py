"""The maps' colours: the diverging colour table and black-or-white text by WCAG contrast.

NumPy only (no matplotlib for the page's own map): :mod:`~cnnviz.explorer.render.raster`
paints with these (and re-exports :func:`signed_colours` and :func:`text_on` beside its
``MapBox``).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SIGNED_CMAP = "RdBu_r"  # ColorBrewer diverging, readable with the common colour-vision types
LIGHT_TEXT = (255, 255, 255)
CELL_DARK_TEXT = (0, 0, 0)  # numbers on cells: black, not DARK_TEXT, keeps >= 4.5:1 on mid blues
_LUT_SIZE = 256
# ColorBrewer's RdBu, 11 classes (colorbrewer2.org), the anchors of matplotlib's "RdBu";
# "RdBu_r" runs them from blue to red.
_RDBU = (
    (103, 0, 31), (178, 24, 43), (214, 96, 77), (244, 165, 130), (253, 219, 199),
    (247, 247, 247), (209, 229, 240), (146, 197, 222), (67, 147, 195), (33, 102, 172),
    (5, 48, 97),
)  # fmt: skip


_CHANNEL = np.arange(256) / 255.0
_LINEAR = np.where(_CHANNEL <= 0.04045, _CHANNEL / 12.92, ((_CHANNEL + 0.055) / 1.055) ** 2.4)
# WCAG luminance at which black and white text contrast equally: (L + 0.05)^2 = 0.05 * 1.05
_EVEN = float(np.sqrt(0.05 * 1.05) - 0.05)


def _luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG 2 relative luminance of sRGB colours ``(..., 3)`` uint8 (a table lookup)."""
    return _LINEAR[np.asarray(rgb, dtype=np.uint8)] @ np.array([0.2126, 0.7152, 0.0722])


def text_on(colours: np.ndarray) -> np.ndarray:
    """Black or white, whichever contrasts more with each cell colour: ``(..., 3)`` uint8.

    WCAG 2 contrast ``(L1 + 0.05) / (L2 + 0.05)``: white wins below luminance ``_EVEN``
    (0.179). Over every colour of the map the better of the two is at least 4.58:1
    (tests/test_colour_access.py).
    """
    light = _luminance(colours)[..., None] < _EVEN
    return np.where(light, np.array(LIGHT_TEXT, np.uint8), np.array(CELL_DARK_TEXT, np.uint8))


@lru_cache(maxsize=4)
def colour_table(cmap_name: str) -> np.ndarray:
    """``(256, 3)`` uint8 colours of a colormap, for table lookups.

    :data:`SIGNED_CMAP` is computed here as matplotlib's ``LinearSegmentedColormap`` does
    (straight lines between evenly spaced anchors, sampled 256 times): the same table
    (tests/test_colour_access.py) without importing matplotlib. Other names ask matplotlib.
    """
    if cmap_name == SIGNED_CMAP:
        anchors = np.array(_RDBU[::-1], dtype=np.float64) / 255.0
        where = np.linspace(0.0, 1.0, _LUT_SIZE)
        spots = np.linspace(0.0, 1.0, len(anchors))
        table = np.stack([np.interp(where, spots, anchors[:, n]) for n in range(3)], axis=1)
    else:
        from matplotlib import colormaps

        table = colormaps[cmap_name](np.linspace(0.0, 1.0, _LUT_SIZE))[:, :3]
    table = np.round(table * 255).astype(np.uint8)
    table.flags.writeable = False
    return table


def signed_colours(values: np.ndarray, limit: float) -> np.ndarray:
    """Diverging colours centred on zero: ``(..., 3)`` uint8 for ``values`` in [-limit, limit]."""
    limit = float(limit) if limit > 0 else 1.0
    scaled = np.clip((np.asarray(values) / limit + 1.0) * 0.5, 0.0, 1.0)
    return colour_table(SIGNED_CMAP)[np.round(scaled * (_LUT_SIZE - 1)).astype(np.intp)]
