"""A glyph atlas: the painter's characters pre-rendered by matplotlib's FreeType, shipped as data.

The painter (:mod:`~cnnviz.explorer.render.raster`) writes numbers and labels by pasting glyph
bitmaps. Asking matplotlib's ``FT2Font`` for them when the page starts costs every student's
kernel the matplotlib import (about 0.3 CPU s measured with ``python -X importtime``) before the
first picture, and 60 kernels start together when a class arrives. So every character the
pages draw, at every pixel size they draw it, in both weights, is rendered once by ``FT2Font``
(DejaVu Sans, the font used before) and kept in ``glyph_atlas.npz`` beside this module, with
the numbers that place it: advance, bitmap corner and bounding box in FreeType's 1/64 px.

:func:`atlas_image` lays a string out the way ``FT2Font.set_text`` and
``draw_glyphs_to_bitmap`` do (pen advances, one bounding box, the glyph bitmaps OR-ed in),
without kerning: at these sizes DejaVu's kerning moves a glyph by 1/8 px or so, and the atlas
glyphs sit on whole pixels. A string without kerned pairs comes out pixel for pixel as FreeType
draws it (tests/test_glyph_atlas.py). A character or size that is not in the atlas gives None
and the caller asks FreeType itself (:func:`freetype_image`, which imports matplotlib then).

Regenerate with ``python -m cnnviz glyph-atlas`` after changing :data:`CHARACTERS` or
:data:`SIZES`, or matplotlib's version; a test rebuilds it and compares it with the file.
"""

from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import BinaryIO

import numpy as np

FAMILY = "DejaVu Sans"
ATLAS_FILE = "glyph_atlas.npz"
SIZES = tuple(range(7, 14))  # px: cell numbers 9-12, kernel titles 7-9, labels 11 and 13
# Printable ASCII, then the symbols the titles and formulas use (δ Σ ⋆ ∗ ⊙ σ → ′ ...), Greek
# letters and sub/superscript digits a label might hold.
CHARACTERS = "".join(map(chr, range(32, 127))) + (
    "δΣσ⋆∗⊙→←′″×·−∂∇±≈≠≤≥∞–—…°"
    "αβγεζηθκλμνπρτφχψωΓΔΘΛΞΠΦΨΩ"
    "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻₀₁₂₃₄₅₆₇₈₉₊₋ₖ"
)
# ⋆ and ∗ are small at a label's size (at 11 px ⋆ is a 5-pixel blob, easy to take for ·):
# labels draw them from these bigger sizes (:func:`atlas_image`'s ``symbols``).
BIG_SYMBOLS = "⋆∗"
BIG_SIZES = tuple(range(14, 27))
# One row per glyph: its character, size, weight, bitmap shape and where the bitmap starts in
# the flat "bitmaps" array; the bitmap's corner (FreeType's bitmap_left / bitmap_top, px) and
# the pen advance and vertical extent of its outline (1/64 px).
COLUMNS = ("code", "pixels", "bold", "rows", "cols", "start",
           "left", "top", "advance", "x_min", "y_min", "y_max")  # fmt: skip
_C = {name: n for n, name in enumerate(COLUMNS)}


@dataclass(frozen=True)
class Glyph:
    """One character's FreeType bitmap ``(rows, cols)`` uint8 and the numbers that place it."""

    bitmap: np.ndarray
    left: int  # px from the pen to the bitmap's first column
    top: int  # px from the baseline up to the bitmap's first row
    advance: int  # 1/64 px to the next pen position
    x_min: int  # 1/64 px: the outline's leftmost point, from the pen
    y_min: int  # 1/64 px: the outline's lowest point (negative below the baseline)
    y_max: int  # 1/64 px: its highest point


# ---------------------------------------------------------------------------------- FreeType


@lru_cache(maxsize=2)
def _font(bold: bool):
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    weight = "bold" if bold else "normal"
    return FT2Font(font_manager.findfont(font_manager.FontProperties(family=FAMILY,
                                                                     weight=weight)))


def freetype_image(text: str, pixels: int, bold: bool = False) -> tuple[np.ndarray, int]:
    """``text`` drawn by matplotlib's FT2Font: the bitmap ``(h, w)`` uint8 and the descent
    (1/64 px below the baseline). The reference the atlas copies; imports matplotlib."""
    from matplotlib.ft2font import LoadFlags

    font = _font(bool(bold))
    font.set_size(pixels * 0.75, 96)  # points at 96 dpi: 0.75 pt per pixel
    font.set_text(text, 0.0, flags=LoadFlags.FORCE_AUTOHINT)
    font.draw_glyphs_to_bitmap(antialiased=True)
    return np.array(font.get_image(), dtype=np.uint8), int(font.get_descent())


def _glyph_row(char: str, pixels: int, bold: bool) -> tuple[list[int], np.ndarray] | None:
    """The atlas row and bitmap of one character, cut out of FT2Font's drawing of it alone."""
    font = _font(bold)
    if font.get_char_index(ord(char)) == 0:
        return None  # not in the font: FreeType would draw a box; leave it to the fallback
    image, descent = freetype_image(char, pixels, bold)
    advance, height = font.get_width_height()
    x_min = font.get_bitmap_offset()[0]
    y_min, y_max = -descent, height - descent
    # FreeType's bitmap spans the grid-fitted outline box; draw_glyphs_to_bitmap put its corner
    # at column int(left - x_min/64) and row int(y_max/64 - top + 1) of the image.
    left, top = math.floor(x_min / 64), math.ceil(y_max / 64)
    rows = top - math.floor(y_min / 64)
    column, row = int(left - x_min / 64), int(y_max / 64 - top + 1)
    bitmap = image[row : row + rows, column:] if rows > 0 else image[:0, :0]
    shape = [ord(char), pixels, int(bold), *bitmap.shape, 0]
    return [*shape, left, top, advance, x_min, y_min, y_max], bitmap


def build_atlas() -> dict[str, np.ndarray]:
    """Every character of :data:`CHARACTERS` at every size of :data:`SIZES`, and
    :data:`BIG_SYMBOLS` at :data:`BIG_SIZES`, both weights.

    Returns the arrays of ``glyph_atlas.npz``: ``glyphs`` ``(n, len(COLUMNS))`` int32,
    ``bitmaps`` (flat uint8) and ``source`` (font, matplotlib and FreeType versions).
    """
    import matplotlib
    from matplotlib import ft2font

    rows, bitmaps, start = [], [], 0
    wanted = [(pixels, CHARACTERS) for pixels in SIZES]
    wanted += [(pixels, BIG_SYMBOLS) for pixels in BIG_SIZES]
    for bold in (False, True):
        for pixels, characters in wanted:
            for char in characters:
                made = _glyph_row(char, pixels, bold)
                if made is None:
                    continue
                row, bitmap = made
                row[_C["start"]] = start
                rows.append(row)
                bitmaps.append(bitmap.ravel())
                start += bitmap.size
    source = (f"{FAMILY} ({_font(False).fname.rsplit('/', 1)[-1]}), matplotlib "
              f"{matplotlib.__version__}, FreeType {ft2font.__freetype_version__}")  # fmt: skip
    return {
        "glyphs": np.array(rows, dtype=np.int32),
        "bitmaps": np.concatenate(bitmaps).astype(np.uint8),
        "source": np.array(source),
    }


def write_atlas(arrays: dict[str, np.ndarray], stream: BinaryIO) -> None:
    """Write ``arrays`` as a compressed ``.npz`` that is the same bytes for the same arrays
    (``np.savez_compressed`` stamps the current time into the archive)."""
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w") as member:
                np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)


# ------------------------------------------------------------------------------- the atlas


def atlas_path():
    """The shipped atlas file (package data)."""
    return resources.files(__package__).joinpath(ATLAS_FILE)


@lru_cache(maxsize=1)
def _atlas() -> tuple[np.ndarray, np.ndarray]:
    with atlas_path().open("rb") as stream, np.load(stream) as data:
        return data["glyphs"], data["bitmaps"]


@lru_cache(maxsize=2 * (len(SIZES) + len(BIG_SIZES)))
def face(pixels: int, bold: bool = False) -> dict[str, Glyph]:
    """The atlas's glyphs of one size and weight, by character (empty for other sizes)."""
    table, bitmaps = _atlas()
    chosen = table[(table[:, _C["pixels"]] == pixels) & (table[:, _C["bold"]] == int(bold))]
    glyphs = {}
    for code, _, _, rows, cols, start, *placing in chosen.tolist():
        glyphs[chr(code)] = Glyph(bitmaps[start : start + rows * cols].reshape(rows, cols),
                                  *placing)
    return glyphs


def atlas_image(
    text: str, pixels: int, bold: bool = False, symbols: dict[str, int] | None = None
) -> tuple[np.ndarray, int] | None:
    """``text`` composed from the atlas as FT2Font lays it out (no kerning): the bitmap
    ``(h, w)`` uint8 and the descent (1/64 px), or None when a character is not in it.

    ``symbols``: draw these characters (of :data:`BIG_SYMBOLS`) at the size given for each,
    centred where the small one would be (None: as FreeType draws the string).
    """
    glyphs = face(pixels, bool(bold))
    if not text or not all(char in glyphs for char in text):
        return None
    chosen = [glyphs[char] for char in text]
    for char, size in (symbols or {}).items():
        big = face(size, bool(bold))
        if char in BIG_SYMBOLS and char in big:
            chosen = [_centred(big[char], glyph) if c == char else glyph
                      for c, glyph in zip(text, chosen, strict=True)]
    pens = np.cumsum([0] + [g.advance for g in chosen[:-1]]).tolist()  # 1/64 px, no kerning
    # an empty outline (a space) has the box (0, 0, 0, 0) wherever the pen is
    x_min = min(pen + g.x_min if g.bitmap.size else 0 for pen, g in zip(pens, chosen, strict=True))
    y_min, y_max = min(g.y_min for g in chosen), max(g.y_max for g in chosen)
    # FT2Font's corners, truncated as its C code does (int(), towards zero)
    columns = [int(pen // 64 + g.left - x_min / 64) for pen, g in zip(pens, chosen, strict=True)]
    width = max(col + g.bitmap.shape[1] for col, g in zip(columns, chosen, strict=True))
    image = np.zeros(((y_max - y_min) // 64 + 2, width), dtype=np.uint8)
    for column, glyph in zip(columns, chosen, strict=True):
        row = int(y_max / 64 - glyph.top + 1)
        block = glyph.bitmap[: max(0, image.shape[0] - row)]
        image[row : row + block.shape[0], column : column + block.shape[1]] |= block
    return image, -y_min


def _centred(big: Glyph, small: Glyph) -> Glyph:
    """``big`` moved down so that its middle sits where ``small``'s middle does."""
    rows_big, rows_small = big.bitmap.shape[0], small.bitmap.shape[0]
    shift = int(round((big.top - rows_big / 2) - (small.top - rows_small / 2)))  # px
    return replace(big, top=big.top - shift, y_min=big.y_min - 64 * shift,
                   y_max=big.y_max - 64 * shift)
