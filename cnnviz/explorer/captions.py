"""Exports for slides: the step's sentence written under each frame, and a figure that shows
every input channel.

The caption is the sentence the explorer prints under its figure for that step
(:func:`~cnnviz.explorer.render.text.equation_html` as plain text, the same words as the
figure's alternative text), so a slide and the page cannot say different things. Every frame
of one export gets a band of the same height (the longest caption's), so a GIF's frames stay
one size.

    figure = all_channels_figure(layer, "scatter")          # 10 of 10 channels, not 4
    sentences = [step_sentence(figure, figure.walk.step(i)) for i in steps]
    band = CaptionBand(sentences, width=frame.shape[1])
    slide = band.under(frame, sentences[0])                 # (H + band.height, W, 3) uint8
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from cnnviz.explorer.layer import LayerSnapshot
from cnnviz.explorer.render import FanOutFigure
from cnnviz.explorer.render.describe import plain_text
from cnnviz.explorer.render.fit import MAX_WIDTH, READABLE_CELL, cell_width
from cnnviz.explorer.render.text import equation_html
from cnnviz.explorer.trace import Step

CAPTION_PIXELS = 16  # font size: readable on a projected slide under a ~1100 px wide frame
LINE_HEIGHT = 22
MARGIN = 10  # px around the caption's text
# An all-channels figure may be as wide as a full-HD slide (the page keeps to 1240 px), and
# wider still, up to MAX_EXPORT_WIDTH, rather than draw cells too small to read.
SLIDE_WIDTH = 1920
MAX_EXPORT_WIDTH = 4000


@lru_cache(maxsize=4)
def caption_font(pixels: int = CAPTION_PIXELS):
    """matplotlib's DejaVu Sans (it has δ, Σ, ⋆ and ∗; Pillow's built-in font does not)."""
    from matplotlib import font_manager
    from PIL import ImageFont

    return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), pixels)


def step_sentence(figure: FanOutFigure, step: Step) -> str:
    """The sentence the explorer prints under ``figure`` for ``step``, as plain text."""
    if not isinstance(figure, FanOutFigure):
        raise TypeError(f"figure must be a FanOutFigure; got {type(figure).__name__}")
    if not isinstance(step, Step):
        raise TypeError(f"step must be a Step; got {type(step).__name__}")
    return plain_text(equation_html(figure.walk, step, channel=figure.channels[0]))


def all_channels_figure(layer: LayerSnapshot, walk: str = "scatter") -> FanOutFigure:
    """A fan-out figure with every input channel (the page shows a window of 4).

    The frame may be :data:`SLIDE_WIDTH` px wide (the page's is at most
    :data:`~cnnviz.explorer.render.fit.MAX_WIDTH`), and wider, up to :data:`MAX_EXPORT_WIDTH`,
    where cells would otherwise be smaller than
    :data:`~cnnviz.explorer.render.fit.READABLE_CELL` px.
    """
    if not isinstance(layer, LayerSnapshot):
        raise TypeError(f"layer must be a LayerSnapshot; got {type(layer).__name__}")
    width = max(MAX_WIDTH, SLIDE_WIDTH)
    while cell_width(layer, layer.depth, width) < READABLE_CELL and width < MAX_EXPORT_WIDTH:
        width += 40
    return FanOutFigure(layer, walk=walk, channels_shown=layer.depth, max_width=width)


def wrap(text: str, width: int, font=None) -> list[str]:
    """``text`` in lines no wider than ``width`` px in ``font`` (words kept whole; a word
    wider than the line gets a line of its own)."""
    font = font or caption_font()
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


class CaptionBand:
    """A white band under each frame, tall enough for the longest of ``sentences``.

    Parameters
    ----------
    sentences : sequence of str
        Every caption the export will write (the band's height is the longest one's).
    width : int
        The frames' width in pixels (at least 50).
    """

    def __init__(self, sentences: Sequence[str], width: int) -> None:
        if isinstance(width, bool) or not isinstance(width, int) or width < 50:
            raise ValueError(f"width must be a whole number of pixels >= 50; got {width!r}")
        if isinstance(sentences, str) or not all(isinstance(s, str) for s in sentences):
            raise TypeError("sentences must be a sequence of str")
        self.width, self.font = width, caption_font()
        self.text_width = width - 2 * MARGIN
        lines = max((len(wrap(s, self.text_width, self.font)) for s in sentences), default=1)
        self.height = 2 * MARGIN + lines * LINE_HEIGHT

    def under(self, frame: np.ndarray, sentence: str) -> np.ndarray:
        """A new frame: ``frame`` (H, W, 3) uint8 with ``sentence`` written in the band below."""
        from PIL import Image, ImageDraw

        array = np.asarray(frame)
        if array.ndim != 3 or array.shape[1] != self.width or array.dtype != np.uint8:
            raise ValueError(
                f"frame must be (height, {self.width}, 3) uint8; got {array.shape} {array.dtype}"
            )
        image = Image.new("RGB", (self.width, array.shape[0] + self.height), "white")
        image.paste(Image.fromarray(np.ascontiguousarray(array[..., :3]), "RGB"), (0, 0))
        pen = ImageDraw.Draw(image)
        top = array.shape[0] + MARGIN
        for row, line in enumerate(wrap(sentence, self.text_width, self.font)):
            pen.text((MARGIN, top + row * LINE_HEIGHT), line, fill="black", font=self.font)
        return np.asarray(image)
