"""The words and numbers under the figure: live equation, shape ledger, zero zone, check badge.

Plain functions from data to small, escaped HTML snippets (no widgets here): the app puts them
in ``HTML`` widgets, a lesson may print them. Colours come from JupyterLab's CSS variables, so
the text reads in Voila's light and dark themes.
"""

from __future__ import annotations

import html

import numpy as np

from cnnviz.core.activations import DERIVATIVE_FORMULAS
from cnnviz.core.conventions import BLOG, INDEX_CONVENTION, SYMBOLS, backward_side_by_side
from cnnviz.core.formulas import FORMULAS
from cnnviz.explorer.layer import CheckResult, LayerSnapshot
from cnnviz.explorer.trace import Step, Walk, gather_window_products

_BOX = (
    "<div style='font-size:14px;line-height:1.5;color:var(--jp-ui-font-color1, inherit)'>{}</div>"
)


def signed_text(value: float) -> str:
    """``-1.234`` -> ``"−1.23"``: two decimals, a true minus sign, never "−0.00"."""
    value = float(value)
    if round(value, 2) == 0:
        value = 0.0  # no "−0.00"
    return f"{value:.2f}".replace("-", "−")


_n = signed_text  # the short name the f-strings below use


def _sub(text: object) -> str:
    return f"<sub>{html.escape(str(text))}</sub>"


def _span(a: int, b: int) -> str:
    return f"{a}–{b}" if b > a else f"{a}"


def equation_html(walk: Walk, step: Step, *, channel: int = 0) -> str:
    """The current step in the blog's notation (δ, rot180, σ'), with indices and values.

    ``channel`` picks which input channel's numbers are spelled out.
    """
    layer = walk.layer
    channel = int(np.clip(channel, 0, layer.depth - 1))
    head = f"<b>Step {step.index + 1} of {step.count}</b> ({step.walk}). "
    if step.walk == "scatter":
        body = _scatter_text(layer, step, channel)
    else:
        body = _gather_text(walk, step, channel)
    return _BOX.format(head + body + _below_text(layer, step, channel))


def _scatter_text(layer: LayerSnapshot, step: Step, c: int) -> str:
    k, (i, j), value = step.filter_index, step.delta_index, step.delta_value
    top, left, eh, ew = step.window
    (sh, sw), (ph, pw) = layer.stride, layer.padding
    d = f"δ{_sub(k + 1)}[{i}, {j}]"
    added = step.added[c]  # (kh, kw)
    return (
        f"{d} = {_n(value)} is spread back through filter {k + 1}: for every input channel c, "
        f"<br>dx[c][rows {_span(top, top + eh - 1)}, cols {_span(left, left + ew - 1)}] "
        f"+= {d} · W{_sub(f'{k + 1},c')} &nbsp; (window at (i·s − p, j·s − p) = "
        f"({i}·{sh} − {ph}, {j}·{sw} − {pw}) = ({top}, {left}); taps in the padding are dropped)"
        f"<br>channel {c + 1}, top-left tap: {_n(value)} × {_n(layer.w[k, c, 0, 0])} = "
        f"{_n(added[0, 0])}; the whole {added.shape[0]}×{added.shape[1]} patch sums to "
        f"{_n(added.sum())}."
    )


def gather_recipe(layer: LayerSnapshot) -> dict[str, object]:
    """The numbers the gather equation prints, so a test can recompute it from them.

    ``dx[c][r, q] = Σ_k Σ_{u,v} K_{k,c}[u, v] · F_k[r + ph + u, q + pw + v]`` with
    ``K_{k,c} = rot180(dilate_d(W_{k,c}))`` (``extent`` taps a side, ``u, v = 0 … e − 1``) and
    ``F_k`` = ``dilate_s(δ_k)`` with ``e − 1`` zeros before it (the explorer's frame).
    """
    g = layer.geometry
    return {"padding": g.padding, "dilation": g.dilation, "stride": g.stride,
            "extent": g.kernel_extent, "frame_offset": tuple(e - 1 for e in g.kernel_extent)}


def _gather_text(walk: Walk, step: Step, c: int) -> str:
    layer = walk.layer
    r, q = step.pixel
    recipe = gather_recipe(layer)
    (ph, pw), (dh, dw), (sh, sw) = recipe["padding"], recipe["dilation"], recipe["stride"]
    (eh, ew), (oh, ow) = recipe["extent"], recipe["frame_offset"]
    slice_name = f"W{_sub('k,c')}"
    kernel = (f"rot180({slice_name})" if (dh, dw) == (1, 1)
              else f"rot180(dilate{_sub(_fmt_pair(dh, dw))}({slice_name}))")
    terms = " + ".join(_n(step.pixel_values[k, c]) for k in range(layer.filters))
    products = gather_window_products(walk, step, 0, c)
    shown = [p for p in products.ravel() if p != 0][:4]
    first = " + ".join(_n(p) for p in shown) or "0"
    more = " + …" if np.count_nonzero(products) > len(shown) else ""
    untouched = not layer.geometry.touched_mask()[r, q]
    note = (
        " — no δ under the window: no forward window read this pixel, so its gradient is 0"
        if untouched
        else ""
    )
    return _star(
        f"input pixel ({r}, {q}): dx[c][{r}, {q}] = Σ{_sub('k')} Σ{_sub('u,v')} "
        f"{kernel}[u, v] · F{_sub('k')}[{r} + {ph} + u, {q} + {pw} + v], "
        f"u = 0…{eh - 1}, v = 0…{ew - 1}"
        f"<br>F{_sub('k')} = dilate{_sub(_fmt_pair(sh, sw))}(δ{_sub('k')}) with "
        f"{_fmt_pair(oh, ow)} zero row(s)/column(s) before it (a full correlation ⋆ with the "
        "turned slice: no second flip)"
        f"<br>channel {c + 1}: filter 1 gives {first}{more} = {_n(step.pixel_values[0, c])}; "
        f"over the {layer.filters} filter(s): {terms} = <b>{_n(step.dx[c, r, q])}</b>{note}"
    )


def _fmt_pair(a: int, b: int) -> str:
    return str(a) if a == b else f"({a}, {b})"


def _below_text(layer: LayerSnapshot, step: Step, c: int) -> str:
    if layer.activation == "identity":
        return "<br>No activation below (identity): δ for the layer below is dx itself."
    r, q = step.pixel if step.pixel is not None else (max(step.window[0], 0),
                                                       max(step.window[1], 0))
    r, q = min(r, layer.x.shape[1] - 1), min(q, layer.x.shape[2] - 1)
    slope = layer.sigma_prime[c, r, q]
    return (
        f"<br>Layer below ({layer.activation}, σ'(z) = {DERIVATIVE_FORMULAS[layer.activation]}): "
        f"δ{_sub('below')}[{c + 1}][{r}, {q}] = dx ⊙ σ'(z) = {_n(step.dx[c, r, q])} × "
        f"{_n(slope)} = {_n(step.delta_below[c, r, q])}"
    )


def ledger_html(layer: LayerSnapshot) -> str:
    """The shape ledger: every array of the layer, its shape and the size formula."""
    g = layer.geometry
    (c, h, w), (k, _, kh, kw) = layer.x.shape, layer.w.shape
    (ho, wo), (hd, wd) = g.output_size, g.dilated_output_size
    (s, _), (p, _), (d, _) = g.stride, g.padding, g.dilation
    rows = [
        ("x", (c, h, w), "(C, H, W)"),
        ("W", (k, c, kh, kw), "(K, C, kh, kw): each filter as deep as x"),
        ("out z, δ", (k, ho, wo), f"{FORMULAS['output_size'].text}: "
                                  f"⌊({h} + {2 * p} − {d * (kh - 1)} − 1)/{s}⌋ + 1 = {ho}"),
        ("dilated δ", (k, hd, wd), f"{FORMULAS['dilated_size'].text}: ({ho} − 1)·{s} + 1 = {hd}"),
        ("dx", (c, h, w), "same as x"),
        ("dW", (k, c, kh, kw), "same as W: one per filter, not per position"),
        ("db", (k,), "one per filter"),
    ]
    cells = "".join(
        f"<tr><td><b>{html.escape(name)}</b></td><td>{shape}</td><td>{html.escape(rule)}</td></tr>"
        for name, shape, rule in rows
    )
    style = "border-collapse:collapse;font-size:13px;color:var(--jp-ui-font-color1, inherit)"
    return f"<table style='{style}' cellpadding='3'>{cells}</table>"


def zero_zone_html(layer: LayerSnapshot) -> str:
    """One sentence on the input rows/columns no forward window reads (and on uneven overlap)."""
    return _untouched_sentence(layer) + _overlap_sentence(layer)


def overlap_profile(counts: np.ndarray) -> tuple[int, np.ndarray, int, np.ndarray]:
    """A row and a column of a ``window_counts()`` map ``(H, W)``, as read: ``(i, row, j, col)``.

    The least-read row that is read at all (and likewise column): its counts show the pattern
    along the width (height) with the smallest numbers.
    """
    row_peaks, col_peaks = counts.max(axis=1), counts.max(axis=0)
    i = int(np.argmin(np.where(row_peaks > 0, row_peaks, np.iinfo(np.int64).max)))
    j = int(np.argmin(np.where(col_peaks > 0, col_peaks, np.iinfo(np.int64).max)))
    return i, counts[i, :], j, counts[:, j]


def _rises_then_falls(profile: np.ndarray) -> bool:
    """True when the read counts only climb from the border to a plateau and fall again."""
    steps = np.sign(np.diff(profile[profile > 0]))
    steps = steps[steps != 0]
    return not np.any((steps[:-1] < 0) & (steps[1:] > 0))


def _overlap_sentence(layer: LayerSnapshot) -> str:
    counts = layer.geometry.window_counts()
    read = np.unique(counts[counts > 0])
    if read.size <= 1:
        return ""
    listed = ", ".join(str(n) for n in read[:-1]) + f" or {read[-1]}"
    i, along_row, j, along_col = overlap_profile(counts)
    uneven_row = np.unique(along_row[along_row > 0]).size > 1
    where, profile = (f"row {i}", along_row) if uneven_row else (f"column {j}", along_col)
    counted = ", ".join(str(int(n)) for n in profile)
    if _rises_then_falls(along_row) and _rises_then_falls(along_col):
        why = ("only the border is read less: fewer windows reach the pixels near the edge "
               "than those in the middle")
    else:
        why = ("the counts rise and fall inside the map, not only at the border: the "
               "checkerboard of uneven overlap (stride and dilation space the taps unevenly)")
    return _BOX.format(
        f"<b>Uneven overlap:</b> each input pixel is read by {listed} kernel taps across the "
        f"windows, so it collects that many terms of δ·W. Along {where} the pixels are read "
        f"{counted} times: {why}."
    )


def _untouched_sentence(layer: LayerSnapshot) -> str:
    g = layer.geometry
    rows = np.flatnonzero(~g.touched_rows())
    cols = np.flatnonzero(~g.touched_cols())
    if rows.size == 0 and cols.size == 0:
        return _BOX.format("Every input pixel is read by at least one window, so every "
                           "pixel can receive gradient.")
    parts = []
    if rows.size:  # "row 5", "rows 5, 6": one noun for one row
        parts.append(f"row{'s' if rows.size > 1 else ''} {', '.join(map(str, rows))}")
    if cols.size:
        parts.append(f"column{'s' if cols.size > 1 else ''} {', '.join(map(str, cols))}")
    ho, (s, _), (p, _) = g.output_size[0], g.stride, g.padding
    last = (ho - 1) * s - p + g.kernel_extent[0] - 1
    return _BOX.format(
        f"<b>Zero-gradient zone:</b> input {' and '.join(parts)} (grey stripes) "
        f"{'is' if rows.size + cols.size == 1 else 'are'} read by no "
        f"window (the last window along the height ends at row {last}, or the gaps of the stride "
        "and dilation skip them), so they never reach the output and their gradient is exactly 0."
    )


def check_html(result: CheckResult) -> str:
    """A badge: max |analytic − finite difference|, green when below 1e-6."""
    worst = result.worst
    ok = worst < 1e-6
    colour = "#1b7837" if ok else "#b2182b"
    sampled = "" if result.checked == result.total else (
        f" ({result.checked} of {result.total} entries, sampled)")
    detail = ", ".join(f"{name} {value:.1e}" for name, value in result.errors.items())
    return (
        f"<span style='background:{colour};color:white;padding:3px 8px;border-radius:4px;"
        f"font-size:13px'>{'✓' if ok else '✗'} finite-difference check: max |analytic − "
        f"numeric| = {worst:.1e}</span> <span style='font-size:12px;"
        f"color:var(--jp-ui-font-color2, inherit)'>{detail}{sampled}</span>"
    )


def agreement_html(scatter_dx: np.ndarray, gather_dx: np.ndarray, core_dx: np.ndarray) -> str:
    """The sentence that the two walks end at the same dx, with the numbers."""
    walks = float(np.max(np.abs(scatter_dx - gather_dx)))
    core = float(np.max(np.abs(scatter_dx - core_dx)))
    return _BOX.format(
        f"Both walks end at the same dx: max |scatter − gather| = {walks:.1e}, "
        f"max |scatter − core conv2d_backward| = {core:.1e} (Σ dx = {_n(float(core_dx.sum()))})."
    )


def conventions_html() -> str:
    """The page's short conventions box: ⋆ and ∗, full, rot180, numbering, and the depth answer.

    Generated from :mod:`cnnviz.core.conventions` and :data:`cnnviz.core.formulas.FORMULAS`,
    the same definitions lesson 00 displays.
    """
    symbols = "".join(
        f"<li><b>{html.escape(s.text)}</b> {html.escape(s.name)}: {html.escape(s.meaning)} "
        f"(<code>{html.escape(s.scipy)}</code>)</li>"
        for s in SYMBOLS
    )
    backward = "".join(
        f"<li>{html.escape(name)}: {html.escape(text)}</li>"
        for name, _, text in backward_side_by_side()
    )
    return _BOX.format(_star(
        "<details open><summary><b>Notation</b> (as in the lessons)</summary>"
        f"<ul style='margin:4px 0'>{symbols}</ul>"
        f"The backward formula, one channel:<ul style='margin:4px 0'>{backward}</ul>"
        f"{html.escape(BLOG)}<br>{html.escape(INDEX_CONVENTION)}<br>"
        f"<b>Depth.</b> {html.escape(depth_answer())}<br>"
        f"In general: {html.escape(FORMULAS['z'].text)}<br>"
        f"and {html.escape(FORMULAS['dx'].text)}</details>"
    ))


def _star(markup: str) -> str:
    """⋆ is a small glyph in most UI fonts: draw it larger so it does not read as a dot."""
    return markup.replace("⋆", "<span style='font-size:2em;line-height:1'>⋆</span>")


def depth_answer(depth: str = "D", filters: str = "K") -> str:
    """The depth question answered literally, in words."""
    return (
        f"Can the 1-deep δₖ be convolved with the {depth}-deep filter Wₖ? Yes: as {depth} "
        "separate 2-D full correlations, one per slice Wₖ,c, with no sum over depth. The sum "
        f"moves from c (forward: z adds over the {depth} channels) to k (backward: dx[c] adds "
        f"over the {filters} filters). So the backward pass is a forward convolution with the "
        f"filter bank transposed ({filters} ↔ {depth}) and each slice turned by rot180, run on "
        "the padded, dilated δ."
    )
