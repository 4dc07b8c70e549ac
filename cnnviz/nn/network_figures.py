"""Pictures and words for the whole-network page: NumPy mosaics of maps, PNG bytes, captions.

No widgets and no matplotlib figures: a whole backward view must draw in a few tens of
milliseconds, so each stage is one NumPy image (maps tiled in a grid, each value a block of
pixels coloured through matplotlib's colour maps) encoded as a PNG. Text (names, shapes, the
maths of each stage) is HTML generated from the trace, so every number and formula the page
shows comes from the code that computed it.

Colours: δ and pre-activations use the diverging ``RdBu_r`` map centred on zero (blue < 0,
white 0, red > 0) on one symmetric scale per picture; where a route *blocks* δ (a max-pool
loser, a ReLU gate at 0) the cell is grey, so a blocked zero and a δ that happens to be 0 look
different. Images use gray.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

from cnnviz.explorer.render.colours import SIGNED_CMAP, colour_table, signed_colours
from cnnviz.explorer.render.raster import encode_png
from cnnviz.nn.backward_trace import BackwardTrace, Stage

DIVERGING = SIGNED_CMAP  # "RdBu_r", as on the explorer page
BLOCKED = np.array([200, 200, 200], dtype=np.uint8)  # a cell the route gives no δ
GAP = np.array([255, 255, 255], dtype=np.uint8)
MAX_WIDTH = 880  # pixels: a picture fits beside its caption on a 1366-wide screen
MAX_HEIGHT = 640  # a batch of 8 stays within about one screen per layer
PER_ROW = 8  # maps per row of a mosaic


def colorize(values: np.ndarray, scale: float, *, cmap: str = DIVERGING) -> np.ndarray:
    """``(..., 3)`` uint8 RGB: ``values`` on ``[-scale, scale]`` (gray: ``[0, scale]``).

    The diverging colours are the explorer's own
    (:func:`~cnnviz.explorer.render.raster.signed_colours`), so δ reads the same on both pages.
    """
    if cmap == DIVERGING:
        return signed_colours(values, scale)
    position = np.asarray(values, dtype=np.float64) / max(scale, 1e-300)
    return colour_table(cmap)[np.clip(np.rint(position * 255), 0, 255).astype(np.intp)]


def symmetric_scale(values: np.ndarray) -> float:
    """The colour scale of a diverging picture: ``max |values|`` (1 when all are 0)."""
    top = float(np.max(np.abs(values))) if np.size(values) else 0.0
    return top if top > 0 else 1.0


def mosaic(
    maps: np.ndarray,
    *,
    scale: float,
    blocked: np.ndarray | None = None,
    cmap: str = DIVERGING,
    per_row: int = PER_ROW,
    cell: int | None = None,
) -> np.ndarray:
    """Tile maps ``(B, C, H, W)`` into one RGB image: each sample's C maps in rows of ``per_row``.

    Parameters
    ----------
    maps : ``(B, C, H, W)``
    scale : colour scale (see :func:`colorize`)
    blocked : ``(B, C, H, W)`` bool, optional: cells drawn grey (no δ may pass there)
    cell : pixels per value (default 1: the browser enlarges the picture, pixelated, which
        keeps the PNG tiny and fast to encode and send)

    Returns
    -------
    ``(rows, cols, 3)`` uint8, maps separated by ``cell`` pixels of white
    """
    if maps.shape[1] == 1:  # one map per sample (an image): the samples side by side
        maps = maps.transpose(1, 0, 2, 3)
        blocked = None if blocked is None else blocked.transpose(1, 0, 2, 3)
    b, c, h, w = maps.shape
    columns = min(c, per_row)
    rows = b * -(-c // columns)
    cell = 1 if cell is None else cell
    rgb = colorize(maps, scale, cmap=cmap)  # (B, C, H, W, 3)
    if blocked is not None:
        rgb[blocked] = BLOCKED
    tile_h, tile_w = (h + 1) * cell, (w + 1) * cell
    out = np.empty((rows * tile_h - cell, columns * tile_w - cell, 3), dtype=np.uint8)
    out[:] = GAP
    big = rgb.repeat(cell, axis=2).repeat(cell, axis=3) if cell > 1 else rgb
    for n in range(b):  # a loop over maps (at most B*C = 128), not over pixels
        for k in range(c):
            row = n * -(-c // columns) + k // columns
            top, left = row * tile_h, (k % columns) * tile_w
            out[top : top + h * cell, left : left + w * cell] = big[n, k]
    return out


@dataclass(frozen=True)
class Picture:
    """A PNG drawn one pixel per value, and the size to show it at (pixelated)."""

    png: bytes
    width: int  # pixels in the PNG
    height: int
    zoom: int  # screen pixels per PNG pixel
    scale: float = 1.0  # the colour scale (values at ±scale are the darkest)

    @property
    def display_width(self) -> str:
        return f"{self.width * self.zoom}px"


def picture(rgb: np.ndarray, *, scale: float = 1.0, zoom: int | None = None) -> Picture:
    """A :class:`Picture` of ``rgb``, zoomed to fit :data:`MAX_WIDTH` × :data:`MAX_HEIGHT`.

    ``zoom`` is at most that (and at least 2, at most 8).
    """
    height, width = rgb.shape[:2]
    fit = min(MAX_WIDTH // width, MAX_HEIGHT // height)
    zoom = int(np.clip(fit if zoom is None else min(zoom, fit), 2, 8))
    return Picture(png(rgb), width, height, zoom, scale)


def png(rgb: np.ndarray) -> bytes:
    """PNG bytes of an ``(H, W, 3)`` uint8 image (the explorer's fast encoder: redrawn often)."""
    return encode_png(np.ascontiguousarray(rgb), level=1)


def as_maps(array: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A batch ``(B, *shape)`` as maps ``(B, C, H, W)``: vectors become one row per 49 values."""
    b = array.shape[0]
    if len(shape) == 3:
        return array
    f = int(np.prod(shape))
    width = line_length(f)
    return array.reshape(b, 1, f // width, width)


def line_length(features: int) -> int:
    """Numbers per line when a vector is drawn: 49, one 7×7 map's worth, when that divides."""
    return 49 if features % 49 == 0 else features


def stage_picture(stage: Stage, *, scale: float | None = None) -> Picture:
    """The δ a stage sends below (``delta_in``), on a symmetric colour scale.

    Max-pool losers and ReLU-gated cells are grey (their δ is 0 by the route, not by chance).
    """
    delta = stage.delta_in
    scale = symmetric_scale(delta) if scale is None else scale
    blocked = None
    if stage.kind in ("max-pool", "ReLU"):
        blocked = ~stage.route
    maps = as_maps(delta, stage.shape_in)
    per_row = 16 if maps.shape[1] == 16 and maps.shape[-1] <= 7 else PER_ROW
    rgb = mosaic(maps, scale=scale, blocked=blocked, per_row=per_row)
    return picture(rgb, scale=scale)


def forward_picture(values: np.ndarray, shape: tuple[int, ...], *, image: bool = False) -> Picture:
    """A forward value ``(B, *shape)``: images in gray, maps on a diverging scale."""
    maps = as_maps(values, shape)
    if image:
        return picture(mosaic(maps, scale=1.0, cmap="gray"), zoom=4)
    scale = symmetric_scale(maps)
    return picture(mosaic(maps, scale=scale, per_row=16), scale=scale, zoom=3)


def saliency_picture(trace: BackwardTrace) -> Picture:
    """Each sample's image beside ``dL/d(image)`` (the saliency)."""
    images = colorize(trace.images[:, 0], 1.0, cmap="gray")  # (B, H, W, 3)
    scale = symmetric_scale(trace.saliency)
    saliency = colorize(trace.saliency[:, 0], scale)
    gap = np.full(images[:, :, :2].shape, 255, np.uint8)
    pair = np.concatenate([images, gap, saliency], axis=2)  # (B, H, 2W + 2, 3)
    spacer = np.full((2, pair.shape[2], 3), 255, np.uint8)
    rows = [r for row in pair for r in (row, spacer)][:-1]
    return picture(np.concatenate(rows, axis=0), scale=scale, zoom=5)


def colour_key(scale: float) -> str:
    """HTML: a small bar of the diverging map with its end values."""
    table = colour_table(DIVERGING)
    stops = ", ".join(f"rgb{tuple(int(v) for v in table[i])}" for i in (0, 128, 255))
    return (
        f"<span style='font-size:12px'>{-scale:.2g} "
        f"<span style='display:inline-block;width:80px;height:10px;vertical-align:middle;"
        f"background:linear-gradient(to right, {stops})'></span> {scale:.2g}</span>"
    )


def esc(text: object) -> str:
    return html.escape(str(text))
