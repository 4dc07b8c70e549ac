"""The words and numbers under the figure: live equation, shape ledger, zero zone, check badge.

Plain functions from data to small, escaped HTML snippets (no widgets here): the app puts them
in ``HTML`` widgets, a lesson may print them. Colours come from JupyterLab's CSS variables, so
the text reads in Voila's light and dark themes.
"""

from __future__ import annotations

import html

import numpy as np

from cnnviz.core.activations import DERIVATIVE_FORMULAS
from cnnviz.core.claims import (
    depth_answer,
    lines_words,
    overlap_sentence,
    tap_lines,
    zero_zone_sentence,
)
from cnnviz.core.conventions import BLOG, INDEX_CONVENTION, SYMBOLS, backward_side_by_side
from cnnviz.core.formulas import FORMULAS
from cnnviz.core.symbols import SYMBOL_TABLE
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
    top, left, _, _ = step.window
    (sh, sw), (ph, pw) = layer.stride, layer.padding
    d = f"δ{_sub(k + 1)}[{i}, {j}]"
    added = step.added[c]  # (kh, kw)
    rows, cols = scatter_lines(layer, step)
    spaced = "" if layer.dilation == (1, 1) else (
        f" (dilation {_fmt_pair(*layer.dilation)}: the taps are that far apart)")
    return (
        f"{d} = {_n(value)} is spread back through filter {k + 1}: for every input channel c, "
        f"<br>dx[c][rows {lines_words(rows)}, cols {lines_words(cols)}] "
        f"+= {d} · W{_sub(f'{k + 1},c')}{spaced} &nbsp; (window at (i·s − p, j·s − p) = "
        f"({i}·{sh} − {ph}, {j}·{sw} − {pw}) = ({top}, {left}); taps in the padding are dropped)"
        f"<br>channel {c + 1}, top-left tap: {_n(value)} × {_n(layer.w[k, c, 0, 0])} = "
        f"{_n(added[0, 0])}; the whole {added.shape[0]}×{added.shape[1]} patch sums to "
        f"{_n(added.sum())}."
    )


def scatter_lines(layer: LayerSnapshot, step: Step) -> tuple[list[int], list[int]]:
    """The input rows and columns a scatter step's kernel taps land on (padding ones included).

    Row ``top + u·d`` for tap row ``u``: with dilation these are not a span.
    """
    if step.walk != "scatter":
        raise ValueError("scatter_lines needs a scatter step")
    top, left, _, _ = step.window
    (kh, kw), (dh, dw) = layer.w.shape[2:], layer.dilation
    return tap_lines(top, kh, dh), tap_lines(left, kw, dw)


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
    return large_symbols(
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
        f"channel {c + 1}: δ{_sub('below')}[{r}, {q}] = dx ⊙ σ'(z) = {_n(step.dx[c, r, q])} × "
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
    """The input rows/columns no forward window reads, then how unevenly the others are read.

    Both sentences come from :mod:`cnnviz.core.claims` (geometry only).
    """
    g = layer.geometry
    zone = zero_zone_sentence(g)
    label = "" if zone.startswith("Every") else "<b>Zero-gradient zone:</b> "
    text = _BOX.format(label + html.escape(zone))
    overlap = overlap_sentence(g)
    if overlap:
        text += _BOX.format("<b>Uneven overlap:</b> " + html.escape(overlap))
    return text


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


AGREE = 1e-9  # max |difference| two routes may show and still be called the same dx


def agreement_html(scatter_dx: np.ndarray, gather_dx: np.ndarray, core_dx: np.ndarray) -> str:
    """Whether the two walks end at the same dx, with the numbers: green if so, red if not.

    The scatter walk adds δ·W patches (the core's col2im); the gather walk computes each pixel
    from the framed delta (:mod:`cnnviz.explorer.trace`): two independent routes.
    """
    walks = float(np.max(np.abs(scatter_dx - gather_dx)))
    core = float(np.max(np.abs(scatter_dx - core_dx)))
    numbers = (f"max |scatter − gather| = {walks:.1e}, max |scatter − core conv2d_backward| = "
               f"{core:.1e} (Σ dx = {_n(float(core_dx.sum()))})")
    if walks <= AGREE and core <= AGREE:
        return _BOX.format(f"<span style='color:#1b7837'>✓</span> Both walks end at the same "
                           f"dx: {numbers}.")
    return _BOX.format(f"<span style='color:#b2182b;font-weight:bold'>✗ The walks disagree:"
                       f"</span> {numbers}.")


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
    return _BOX.format(large_symbols(
        "<details open><summary><b>Notation</b> (as in the lessons)</summary>"
        f"<ul style='margin:4px 0'>{symbols}</ul>"
        f"The backward formula, one channel:<ul style='margin:4px 0'>{backward}</ul>"
        f"{html.escape(BLOG)}<br>{html.escape(INDEX_CONVENTION)}<br>"
        f"<b>Depth.</b> {html.escape(depth_answer())}<br>"
        f"In general: {html.escape(FORMULAS['z'].text)}<br>"
        f"and {html.escape(FORMULAS['dx'].text)}</details>"
    ))


# the page's fonts draw ⋆ much smaller than ∗ (as DejaVu does in the pictures)
SYMBOL_EM = {"⋆": 2.0, "∗": 1.2}


def large_symbols(markup: str) -> str:
    """⋆ and ∗ are small glyphs in most UI fonts: draw them larger, so that they do not read as
    · and ×."""
    for symbol, size in SYMBOL_EM.items():
        markup = markup.replace(
            symbol, f"<span style='font-size:{size}em;line-height:1;vertical-align:-0.1em'>"
                    f"{symbol}</span>")
    return markup


def symbol_table_html() -> str:
    """:data:`cnnviz.core.symbols.SYMBOL_TABLE` as an escaped HTML table, for the page's box."""
    cells = "".join(
        f"<tr><td><b>{html.escape(row.text)}</b></td><td>{html.escape(row.meaning)}</td></tr>"
        for row in SYMBOL_TABLE
    )
    style = "border-collapse:collapse;font-size:13px;color:var(--jp-ui-font-color1, inherit)"
    return f"<table class='cnnviz-symbols' style='{style}' cellpadding='3'>{cells}</table>"
