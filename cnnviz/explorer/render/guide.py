"""The page's answers in words: the stride sentence, the dilated-δ panel's sizes, each preset's
"what to notice" line and the notation box's words (pad, dilate, every, crop, counting).

Plain functions from the geometry (or a preset) to plain text or small escaped HTML: every
number in a sentence is computed here from the geometry, and tests/test_guide.py redoes each
one by another route (tests/reference.py loops, ``scipy.signal``) over strides 1-4, padding
0-3, dilation 1-3 and rectangular inputs and kernels.

Use::

    stride_answer(layer.geometry)    # "" at stride 1, else one sentence with the numbers
    dilated_sizes(layer.geometry)    # "4×4 → dilated 7×7 → framed 11×11"
    preset_notice(PRESETS["untouched-rows"])
    notation_html()                  # the symbol table, counting, cell numbers
"""

from __future__ import annotations

import html

import numpy as np

from cnnviz.core.claims import depth_answer
from cnnviz.core.geometry import Geometry
from cnnviz.explorer.presets import Preset
from cnnviz.explorer.render.raster import short_number
from cnnviz.explorer.render.text import large_symbols, symbol_table_html

COUNTING = (
    "Rows and columns count from 0, as in NumPy (the top-left pixel is [0, 0]); filters, "
    "channels and steps count from 1 (filter 1 makes δ1, channel 1 is x1, and the step "
    "slider and \"Step N of M\" both start at 1)."
)
ONE_Z = (
    "One z per output pixel per filter: z has K maps of Ho×Wo. W and b belong to the filter: "
    "filter k has one W_k (C×kh×kw, as deep as x) and one b_k, used at every position, so dW "
    "and db add over every window."
)


def cell_numbers_words() -> str:
    """How the picture's cells print numbers, its examples written by the painter's own
    :func:`~cnnviz.explorer.render.raster.short_number`."""
    examples = ", ".join(short_number(v) for v in (0.36, -0.36, 3.2))
    return (
        f"Cells print one decimal with a leading zero ({examples}), from 10 on a whole number "
        f"({short_number(12.4)}); a blank cell is 0 (it rounds to 0.0: |value| < 0.05). "
        "The sentences give two decimals."
    )


def _check(geometry: object) -> Geometry:
    if not isinstance(geometry, Geometry):
        raise TypeError(f"geometry must be a Geometry; got {type(geometry).__name__}")
    return geometry


def _by(pair: tuple[int, int]) -> str:
    return f"{pair[0]}×{pair[1]}"


def _zeros(count: int) -> str:
    return f"{count} zero" if count == 1 else f"{count} zeros"


def full_size(geometry: Geometry) -> tuple[int, int]:
    """Size of ``dilate_s(δ) ⋆_full rot180(dilate_d(W))``: ``Hdil + e − 1`` each way."""
    g = _check(geometry)
    return tuple(n + e - 1 for n, e in zip(g.dilated_output_size, g.kernel_extent, strict=True))


def stride_answer(geometry: Geometry) -> str:
    """The stride question answered with the current numbers, or ``""`` at stride 1.

    "Backward is not strided: δ (Ho×Wo) gets s − 1 zeros between its entries (→ Hdil×Wdil),
    then a stride-1 full correlation ⋆ with rot180(W) ..., cropped to the input's H×W".
    """
    g = _check(geometry)
    (sh, sw), (ph, pw), (dh, dw) = g.stride, g.padding, g.dilation
    if (sh, sw) == (1, 1):
        return ""
    if sh == sw:
        zeros = f"s − 1 = {_zeros(sh - 1)} between its entries"
    else:
        zeros = (f"{_zeros(sh - 1)} between its rows and {_zeros(sw - 1)} between its "
                 "columns (s − 1 each way)")
    kh, kw = g.kernel_size
    kernel = (f"rot180(W) ({kh}×{kw})" if (dh, dw) == (1, 1)
              else f"rot180(dilate_d(W)) ({_by(g.kernel_extent)}, d = {_fmt(dh, dw)})")
    (fh, fw), (h, w) = full_size(g), g.input_size
    crop = (f"then crop_p keeps the {h}×{w} rows and columns from p = {_fmt(ph, pw)} on: "
            f"that is dx")
    short = [f"{n} row{'s' if n != 1 else ''}" for n in [h - (fh - ph)] if n > 0]
    short += [f"{n} column{'s' if n != 1 else ''}" for n in [w - (fw - pw)] if n > 0]
    if short:
        crop += (f", whose last {' and '.join(short)} lie past the correlation's end, "
                 "read by no window, so they are 0")
    return (
        f"Backward is not strided: δ ({_by(g.output_size)}) gets {zeros} "
        f"(→ {_by(g.dilated_output_size)}), then a stride-1 full correlation ⋆ with {kernel} "
        f"gives {fh}×{fw}; {crop}. The stride {_fmt(sh, sw)} lives only in those zeros."
    )


def _fmt(a: int, b: int) -> str:
    return str(a) if a == b else f"({a}, {b})"


def dilated_sizes(geometry: Geometry) -> str:
    """The dilated-δ panel's sizes: ``"4×4 → dilated 7×7 → framed 11×11"``.

    Framed: the dilated δ with ``e − 1 + p`` zero rows and columns around it, the map the
    gather walk slides rot180(W) over (:func:`cnnviz.explorer.trace.framed_delta`).
    """
    g = _check(geometry)
    framed = tuple(n + 2 * p + e - 1 for n, p, e in
                   zip(g.input_size, g.padding, g.kernel_extent, strict=True))
    return f"{_by(g.output_size)} → dilated {_by(g.dilated_output_size)} → framed {_by(framed)}"


def _rows_words(name: str, indices: np.ndarray) -> str:
    return f"{name} {', '.join(str(int(n)) for n in indices)}" if indices.size else ""


def preset_notice(preset: Preset) -> str:
    """The preset's "what to notice" line, its numbers from the preset's geometry."""
    if not isinstance(preset, Preset):
        raise TypeError(f"preset must be a Preset; got {type(preset).__name__}")
    s = preset.settings
    g = s.geometry()
    counts = g.window_counts()
    read = np.unique(counts[counts > 0])
    untouched = [_rows_words("rows", np.flatnonzero(~g.touched_rows())),
                 _rows_words("columns", np.flatnonzero(~g.touched_cols()))]
    untouched = " and ".join(part for part in untouched if part)
    lines = {
        "single-channel": (f"each δ entry adds a {_by(g.kernel_size)} patch to dx; the patches "
                           f"overlap, so a pixel collects from {read.min()} to {read.max()} "
                           "terms."),
        "depth-10": (f"the one δ map ({_by(g.output_size)}) reaches all {s.depth} input channels "
                     f"at the same step, each through its own slice W1,c: no sum over depth."),
        "stride-2": (f"the dilated δ panel: {dilated_sizes(g)}. The gather walk then slides "
                     "rot180(W) one pixel at a time: stride 1."),
        "course-demo": (f"dx of each channel adds both filters' patches (Σ over the "
                        f"{s.filters} filters), and crop_p drops the p = {s.padding} padded "
                        "rows and columns."),
        "untouched-rows": (f"input {untouched or 'pixels'} are read by no window: their "
                           "gradient stays exactly 0 (grey stripes) in both walks."),
        "uneven-overlap": ("pixels are read by " + ", ".join(str(n) for n in read[:-1])
                           + f" or {read[-1]} kernel taps, so dx forms a checkerboard."),
    }
    return lines.get(preset.name, "")


def preset_html(preset: Preset | None) -> str:
    """The preset's description and "what to notice" line as a small HTML box ("" for none)."""
    if preset is None:
        return ""
    notice = preset_notice(preset)
    notice = f"<br><b>What to notice:</b> {html.escape(notice)}" if notice else ""
    return (
        "<div class='cnnviz-preset' style='font-size:13px;line-height:1.4;"
        "color:var(--jp-ui-font-color1, inherit)'>"
        f"<b>{html.escape(preset.title)}.</b> {large_symbols(html.escape(preset.description))}"
        f"{large_symbols(notice)}</div>"
    )


def stride_html(geometry: Geometry) -> str:
    """:func:`stride_answer` in a box, or ``""`` at stride 1."""
    answer = stride_answer(geometry)
    if not answer:
        return ""
    return (
        "<div class='cnnviz-stride' style='font-size:14px;line-height:1.4;padding:3px 8px;"
        "border-left:4px solid #e69f00;color:var(--jp-ui-font-color1, inherit)'>"
        f"<b>Stride.</b> {large_symbols(html.escape(answer))}</div>"
    )


def depth_html(filters: int, depth: int) -> str:
    """The depth answer (:func:`cnnviz.core.claims.depth_answer`) with the layer's own K and C,
    in a box like the stride's; ``""`` for a one-channel input (no depth to ask about)."""
    if depth == 1:
        return ""
    return (
        "<div class='cnnviz-depth' style='font-size:14px;line-height:1.4;padding:3px 8px;"
        "border-left:4px solid #56b4e9;color:var(--jp-ui-font-color1, inherit)'>"
        f"<b>Depth (K = {filters}, C = {depth}).</b> "
        f"{large_symbols(html.escape(depth_answer(filters, depth)))}</div>"
    )


def notation_html() -> str:
    """The course's symbol table (:data:`cnnviz.core.symbols.SYMBOL_TABLE`: pad, dilate,
    every, crop and every letter), what z, W and b are, how the page counts and how a cell
    prints its number."""
    return (
        "<div class='cnnviz-notation' style='font-size:14px;line-height:1.5;"
        "color:var(--jp-ui-font-color1, inherit)'>"
        "<details open><summary><b>Symbols, words in the formulas, and counting</b></summary>"
        f"{large_symbols(symbol_table_html())}{html.escape(ONE_Z)}<br>"
        f"<b>Counting.</b> {html.escape(COUNTING)}<br><b>Numbers in the cells.</b> "
        f"{html.escape(cell_numbers_words())}</details></div>"
    )
