"""Static figures for the lessons: small maps with their numbers printed on them.

matplotlib only (no widgets, no pyplot): every function returns a plain
:class:`matplotlib.figure.Figure` on an Agg canvas, so nothing is kept alive by pyplot and the
same figure can be shown in JupyterLab, in Voila or saved to a file. Signed maps use a
diverging, colour-blind-safe map centred on zero; counts use a sequential one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from cnnviz.core.geometry import Geometry
from cnnviz.explorer.render.png import figure_png as figure_png  # re-exported for the notebooks
from cnnviz.explorer.render.png import new_figure as _new_figure
from cnnviz.explorer.render.raster import text_on

SIGNED_CMAP = "RdBu_r"  # ColorBrewer diverging: readable with the common colour-vision types
COUNT_CMAP = "cividis"  # sequential, designed for colour-vision deficiency
HIGHLIGHT = "#e69f00"  # Okabe-Ito orange: an outline that stands apart from red and blue
ANNOTATE_UP_TO = 12  # print every value on maps no larger than this on either side


@dataclass
class Panel:
    """One map in a row of maps.

    Attributes
    ----------
    title : str
        Shown above the map; may hold mathtext (``$\\delta$``).
    values : array ``(h, w)``
    signed : bool
        Diverging colours centred on zero (True) or sequential counts (False).
    boxes : list of ``(row, col, height, width)``
        Outlined rectangles, in the map's own cell coordinates.
    hatch : boolean array ``(h, w)`` or None
        Cells to cross out (e.g. pixels no window touched).
    limit : float or None
        Fixed colour limit ``±limit`` for a signed map (e.g. the same for every frame of an
        animation); None lets the figure choose.
    """

    title: str
    values: np.ndarray
    signed: bool = True
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)
    hatch: np.ndarray | None = None
    limit: float | None = None


def _draw_panel(ax, panel: Panel, scale: float | None) -> None:
    values = np.asarray(panel.values, dtype=float)
    if values.ndim != 2:
        raise ValueError(f"panel {panel.title!r} must hold a 2-D map; got shape {values.shape}")
    h, w = values.shape
    if panel.signed:
        if panel.limit is not None:
            limit = panel.limit
        elif scale is not None:
            limit = scale
        else:
            limit = float(np.max(np.abs(values), initial=0.0))
        limit = limit or 1.0  # an all-zero map still gets a valid colour scale
        image = ax.imshow(values, cmap=SIGNED_CMAP, vmin=-limit, vmax=limit)
    else:
        image = ax.imshow(values, cmap=COUNT_CMAP, vmin=0, vmax=max(float(values.max()), 1.0))
    if max(h, w) <= ANNOTATE_UP_TO:
        _annotate(ax, values, image, integer=not panel.signed)
    for row, col, bh, bw in panel.boxes:
        ax.add_patch(
            Rectangle(
                (col - 0.5, row - 0.5),
                bw,
                bh,
                fill=False,
                lw=2.5,
                edgecolor=HIGHLIGHT,
                clip_on=False,
            )
        )
    if panel.hatch is not None:
        for row, col in zip(*np.nonzero(panel.hatch), strict=True):
            ax.add_patch(
                Rectangle(
                    (col - 0.5, row - 0.5), 1, 1, fill=False, hatch="///", edgecolor="0.45", lw=0
                )
            )
    ax.set_title(panel.title, fontsize=11)
    ax.set_xlabel("column", fontsize=9)
    ax.set_ylabel("row", fontsize=9)
    ax.set_xticks(range(w) if w <= ANNOTATE_UP_TO else range(0, w, max(1, w // 6)))
    ax.set_yticks(range(h) if h <= ANNOTATE_UP_TO else range(0, h, max(1, h // 6)))
    ax.tick_params(labelsize=8, length=0)


def _annotate(ax, values: np.ndarray, image, *, integer: bool) -> None:
    size = 8 if max(values.shape) <= 7 else 6.5
    for (row, col), value in np.ndenumerate(values):
        # black or white by WCAG contrast with the cell (>= 4.5:1), as the explorer's painter
        cell = np.round(np.asarray(image.cmap(image.norm(value)))[:3] * 255).astype(np.uint8)
        dark = bool(text_on(cell)[0] == 255)
        text = f"{value:.0f}" if integer else f"{value:.2f}".replace("-0.00", "0.00")
        ax.text(
            col,
            row,
            text,
            ha="center",
            va="center",
            fontsize=size,
            color="white" if dark else "black",
        )


def maps_figure(
    panels: Sequence[Panel],
    *,
    title: str | None = None,
    shared_scale: bool = True,
    panel_width: float = 2.6,
) -> Figure:
    """A row of maps, one per :class:`Panel`, values printed when small.

    Parameters
    ----------
    panels : sequence of Panel
    title : str or None
        A line above the row.
    shared_scale : bool
        Signed panels share one colour scale (so equal colours mean equal numbers).
    panel_width : float
        Inches per panel.
    """
    panels = list(panels)
    if not panels or not all(isinstance(p, Panel) for p in panels):
        raise TypeError("panels must be a non-empty sequence of Panel")
    signed = [np.abs(np.asarray(p.values, dtype=float)) for p in panels if p.signed]
    scale = max((float(a.max(initial=0.0)) for a in signed), default=None)
    figure = _new_figure(panel_width * len(panels), panel_width + (0.55 if title else 0.35))
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels, strict=True):
        _draw_panel(ax, panel, scale if shared_scale else None)
    if title:
        figure.suptitle(title, fontsize=12)
    return figure


def scatter_step_figure(
    sums: np.ndarray, delta: np.ndarray, kernel: np.ndarray, geometry: Geometry, step: int
) -> Figure:
    """One step of the scatter: the delta element, the kernel it multiplies, the running dx.

    Parameters
    ----------
    sums : ``(Ho*Wo + 1, H, W)`` from :func:`cnnviz.lessons.scatter_partial_sums`
    delta : ``(Ho, Wo)``; kernel : ``(kh, kw)``
    step : int
        0 (nothing added yet) to ``Ho*Wo`` (all added).
    """
    if not 0 <= step < len(sums):
        raise ValueError(f"step must be between 0 and {len(sums) - 1}; got {step}")
    boxes_delta, boxes_dx, caption = [], [], "start: dL/dx is all zeros"
    if step > 0:
        i, j = np.unravel_index(step - 1, delta.shape)
        top, left = geometry.window_origin(int(i), int(j))
        (ph, pw), (eh, ew) = geometry.padding, geometry.kernel_extent
        boxes_delta = [(int(i), int(j), 1, 1)]
        boxes_dx = [(top - ph, left - pw, eh, ew)]
        caption = (
            f"step {step}: dL/dx[window of z[{i},{j}]] += "
            f"δ[{i},{j}] × w   ({delta[i, j]:+.2f} × w, no flip)"
        )
    panels = [
        Panel("$\\delta$ (dL/dz)", delta, boxes=boxes_delta),
        Panel("$w$ as stored (not rotated)", kernel),
        Panel(
            f"dL/dx after {step} of {len(sums) - 1}",
            sums[step],
            boxes=boxes_dx,
            limit=float(np.max(np.abs(sums))),  # one scale for every frame: sums grow visibly
        ),
    ]
    return maps_figure(panels, title=caption, shared_scale=False)


def pair_figure(
    left: tuple[str, np.ndarray],
    right: tuple[str, np.ndarray],
    *,
    title: str | None = None,
    hatch: np.ndarray | None = None,
) -> Figure:
    """Two signed maps side by side on one colour scale, plus their difference."""
    a, b = np.asarray(left[1], dtype=float), np.asarray(right[1], dtype=float)
    panels = [Panel(left[0], a, hatch=hatch), Panel(right[0], b, hatch=hatch)]
    if a.shape == b.shape:
        panels.append(Panel("difference", b - a, hatch=hatch))
    return maps_figure(panels, title=title)


def contribution_figure(
    delta_k: np.ndarray,
    slice_kc: np.ndarray,
    contribution: np.ndarray,
    total: np.ndarray,
    *,
    k: int,
    c: int,
) -> Figure:
    """What filter ``k``'s delta sends into input channel ``c``, beside that channel's total.

    ``k`` and ``c`` are array indices (from 0); the labels count from 1, as the explorer does.

    Parameters
    ----------
    delta_k : ``(Ho, Wo)``; slice_kc : ``(kh, kw)``; contribution, total : ``(H, W)``
    """
    fk, fc = k + 1, c + 1  # labels count from 1 (cnnviz.core.conventions.INDEX_CONVENTION)
    panels = [
        Panel(f"$\\delta_{{{fk}}}$", delta_k),
        Panel(f"slice $w_{{{fk},{fc}}}$", slice_kc),
        Panel(f"$\\delta_{{{fk}}} \\star_{{\\mathrm{{full}}}}$ rot180($w_{{{fk},{fc}}}$)",
              contribution),
        Panel(f"dL/dx, channel {fc} ($\\Sigma$ over k)", total),
    ]
    return maps_figure(
        panels, title=f"filter {fk} → input channel {fc}", shared_scale=False, panel_width=2.5
    )


def position_figure(
    x: np.ndarray,
    delta: np.ndarray,
    part: np.ndarray,
    total: np.ndarray,
    geometry: Geometry,
    position: tuple[int, int],
) -> Figure:
    """One output position's share of ``dW`` (one channel, one filter), beside the whole ``dW``.

    Parameters
    ----------
    x : ``(H, W)``; delta : ``(Ho, Wo)``; part, total : ``(kh, kw)``
    position : ``(i, j)``, the output position whose share is shown
    """
    i, j = position
    top, left = geometry.window_origin(i, j)  # padded coordinates
    (ph, pw), (eh, ew) = geometry.padding, geometry.kernel_extent
    padded = np.pad(np.asarray(x, dtype=float), ((ph, ph), (pw, pw)))
    border = np.ones(padded.shape, dtype=bool)
    border[ph : padded.shape[0] - ph, pw : padded.shape[1] - pw] = False
    panels = [
        Panel("input x (padding hatched)", padded, boxes=[(top, left, eh, ew)], hatch=border),
        Panel("$\\delta$", delta, boxes=[(i, j, 1, 1)]),
        Panel(f"$\\delta$[{i},{j}] × window", part),
        Panel("dW: sum over every position", total),
    ]
    return maps_figure(
        panels,
        title=f"position ({i}, {j}) adds its share into the same filter",
        shared_scale=False,
        panel_width=2.5,
    )


def overlap_figure(geometry: Geometry) -> Figure:
    """How many (window, tap) pairs read each input pixel; zero cells hatched."""
    counts = geometry.window_counts()
    panel = Panel("reads per pixel", counts, signed=False, hatch=counts == 0)
    (kh, _), (sh, _) = geometry.kernel_size, geometry.stride
    return maps_figure(
        [panel],
        title=f"kernel {kh}, stride {sh}: counts {np.unique(counts).tolist()}",
        panel_width=4.0,
    )
