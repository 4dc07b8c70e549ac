"""The figures in words: alternative text and the short sentence a screen reader announces.

Plain functions from data to plain text (no widgets, no HTML). The step figure's alternative
text is the very sentence printed under it (:func:`~cnnviz.explorer.render.text.equation_html`,
stripped of its markup), so what a screen reader says and what the page shows cannot drift
apart; the announcement is its first clause, short enough to follow while stepping.

Use::

    figure.frame(index)                # the figure's current step is set by drawing it
    step_alt(figure)                   # "Fan-out grid (filters 1-2 of 2, ...). Step 3 of 32 ..."
    step_announcement(figure.current)  # "Step 3 of 32: δ1[0, 2] = 0.41 spreads ..."
    gradients_alt(layer, channels=[0, 1], filter_rows=[0])
    img_html(png, figure_alt(matplotlib_figure))   # a static picture with its titles as alt
"""

from __future__ import annotations

import base64
import html
import re
from typing import TYPE_CHECKING

import numpy as np

from cnnviz.core.claims import dw_recipe, lines_words, tap_lines
from cnnviz.explorer.layer import LayerSnapshot
from cnnviz.explorer.render.fanout import FanOutFigure
from cnnviz.explorer.render.fit import window_words
from cnnviz.explorer.render.text import equation_html
from cnnviz.explorer.render.text import signed_text as _n
from cnnviz.explorer.trace import Step

if TYPE_CHECKING:  # the explorer page never imports matplotlib (0.2 s of every kernel's start)
    from matplotlib.figure import Figure

_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def plain_text(snippet: str) -> str:
    """The words of an HTML snippet: tags dropped, entities decoded, a line break ends a
    sentence (unless the line already ends in punctuation)."""
    if not isinstance(snippet, str):
        raise TypeError(f"snippet must be a str; got {type(snippet).__name__}")
    lines = html.unescape(_TAG.sub("", _BREAK.sub("\n", snippet))).split("\n")
    words = [" ".join(line.replace("\xa0", " ").split()) for line in lines]
    text = ""
    for line in filter(None, words):
        joint = "" if not text else " " if text[-1] in ".,:;!?" else ". "
        text += joint + line
    return text


def shown_words(figure: FanOutFigure) -> str:
    """Which filters and channels the figure shows, as its footer says it."""
    layer = figure.layer
    return (
        f"{window_words('filter', figure.filter_rows, layer.filters)}, "
        f"{window_words('channel', figure.channels, layer.depth)}"
    )


def step_alt(figure: FanOutFigure) -> str:
    """Alternative text of the fan-out figure at its current step (draw the step first).

    Raises
    ------
    ValueError
        When no step has been drawn yet (``figure.current`` is None).
    """
    if not isinstance(figure, FanOutFigure):
        raise TypeError(f"figure must be a FanOutFigure; got {type(figure).__name__}")
    if figure.current is None:
        raise ValueError("figure.current is None: draw a step (figure.frame(i)) first")
    sentence = plain_text(
        equation_html(figure.walk, figure.current, channel=figure.channels[0])
    )
    return (
        f"Fan-out grid ({shown_words(figure)}; red above 0, blue below 0, the orange frame "
        f"marks this step). {sentence}"
    )


def step_announcement(step: Step, *, channel: int = 0) -> str:
    """The short sentence a live region reads when the step moves.

    ``channel`` (0-based) is the input channel whose gathered value a gather step names.
    """
    if not isinstance(step, Step):
        raise TypeError(f"step must be a Step; got {type(step).__name__}")
    if not isinstance(channel, (int, np.integer)) or not 0 <= channel < step.dx.shape[0]:
        raise ValueError(f"channel must be an int in [0, {step.dx.shape[0]}); got {channel!r}")
    head = f"Step {step.index + 1} of {step.count}: "
    if step.walk == "scatter":
        k, (i, j) = step.filter_index, step.delta_index
        rows, cols = (tap_lines(start, n, d) for start, n, d in zip(
            step.window[:2], step.added.shape[1:], _dilation(step), strict=True))
        return (
            f"{head}δ{k + 1}[{i}, {j}] = {_n(step.delta_value)} spreads through filter {k + 1} "
            f"into dx rows {lines_words(rows)}, columns {lines_words(cols)}."
        )
    r, q = step.pixel
    return (
        f"{head}input pixel ({r}, {q}) gathers dx = {_n(step.dx[channel, r, q])} "
        f"in channel {channel + 1}."
    )


def _dilation(step: Step) -> tuple[int, int]:
    """The dilation a scatter step's window was drawn with: (extent − 1)/(kernel − 1) per axis."""
    _, _, eh, ew = step.window
    kh, kw = step.added.shape[1:]
    return ((eh - 1) // (kh - 1) if kh > 1 else 1, (ew - 1) // (kw - 1) if kw > 1 else 1)


def gradients_alt(
    layer: LayerSnapshot, *, channels: list[int], filter_rows: list[int]
) -> str:
    """Alternative text of the weight and bias gradient figure, with its numbers."""
    if not isinstance(layer, LayerSnapshot):
        raise TypeError(f"layer must be a LayerSnapshot; got {type(layer).__name__}")
    shown = (
        f"{window_words('filter', list(filter_rows), layer.filters)}, "
        f"{window_words('channel', list(channels), layer.depth)}"
    )
    biases = "; ".join(f"db{k + 1} = {_n(layer.db[k])}" for k in filter_rows)
    shown_dw = layer.dw[np.ix_(list(filter_rows), list(channels))]
    largest = float(np.max(np.abs(shown_dw))) if shown_dw.size else 0.0
    return (
        f"Weight and bias gradients ({shown}). For each filter k: dilate(δk), then "
        f"{dw_recipe(layer.geometry)} Then db_k = Σ δk: {biases}. "
        f"Largest |dW| shown = {_n(largest)}. Every window position adds into the same dW and db: "
        "the weights are shared."
    )


_TEX = {"delta": "δ", "ast": "∗", "star": "⋆", "Sigma": "Σ", "sigma": "σ", "cdot": "·",
        "odot": "⊙", "times": "×", "partial": "∂", "rightarrow": "→", "prime": "′"}


def _spoken(title: str) -> str:
    """A title with its mathtext as plain symbols: ``$\\delta_{0}$`` -> ``δ0``."""
    if "$" not in title:
        return title
    text = re.sub(r"\\([A-Za-z]+)", lambda m: _TEX.get(m.group(1), m.group(1)), title)
    return re.sub(r"[${}_]", "", text).replace("^", " to the ")


def figure_alt(figure: Figure) -> str:
    """Alternative text of a matplotlib figure: its title and its panels' titles, as drawn."""
    from matplotlib.figure import Figure  # already imported by whoever made the figure

    if not isinstance(figure, Figure):
        raise TypeError(f"figure must be a matplotlib Figure; got {type(figure).__name__}")
    titles = [figure._suptitle.get_text()] if figure._suptitle is not None else []
    titles += [ax.get_title() for ax in figure.axes]
    words = [_spoken(t) for t in titles if t.strip()]
    return "Figure: " + ("; ".join(words) or "a lesson figure")


def img_html(png: bytes, alt: str) -> str:
    """An ``<img>`` of PNG bytes with alternative text, for a static display.

    IPython's ``Image(data=...)`` output gets no ``alt`` in JupyterLab or Voila
    (jupyter/enhancement-proposals#120, open).
    """
    if not isinstance(png, bytes) or not isinstance(alt, str):
        raise TypeError("png must be bytes and alt a str")
    data = base64.b64encode(png).decode("ascii")
    return (f'<img alt="{html.escape(alt, quote=True)}" src="data:image/png;base64,{data}" '
            'style="max-width:100%">')
