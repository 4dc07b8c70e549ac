"""Measured page layout for the handout: text placed top to bottom by its drawn size.

Every text is measured with the renderer as it is placed, so the next one starts where it
ends (no hand-tuned line heights that overflow when a formula grows), and a block that would
run past the bottom margin moves whole to the next page. Positions are figure fractions.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.table import Table
from matplotlib.text import Text

A4 = (8.27, 11.69)  # inches, portrait
LEFT, RIGHT = 0.07, 0.93  # figure fractions: the text column's edges
TOP, BOTTOM = 0.955, 0.045  # the first baseline's top and the lowest a block may reach


def new_page() -> Figure:
    """An A4 figure with an Agg canvas, so its texts can be measured before it is saved."""
    figure = Figure(figsize=A4)
    FigureCanvasAgg(figure)
    return figure


def extent(artist: Artist) -> tuple[float, float, float, float]:
    """``(x0, y0, x1, y1)`` of a drawn artist in figure fractions."""
    figure = artist.get_figure(root=True)
    box = artist.get_window_extent(figure.canvas.get_renderer())
    return tuple(box.transformed(figure.transFigure.inverted()).extents)


def width_of(figure: Figure, text: str, **style) -> float:
    """How wide ``text`` is drawn with ``style``, as a fraction of the figure's width."""
    probe = figure.text(0, 0.5, text, **style)
    x0, _, x1, _ = extent(probe)
    probe.remove()
    return x1 - x0


def wrap_to(figure: Figure, text: str, width: float, **style) -> str:
    """``text`` broken into lines no wider than ``width`` (figure fraction) when drawn."""
    lines = []
    for part in text.split("\n"):
        chars = len(part)
        wrapped = part
        while chars > 10 and width_of(figure, wrapped, **style) > width:
            chars = int(chars * 0.94)  # shrink the line length until every line fits
            wrapped = textwrap.fill(part, chars)
        lines.append(wrapped)
    return "\n".join(lines)


@dataclass
class Column:
    """A strip of a page that texts fill from ``y`` downwards."""

    figure: Figure
    x: float = LEFT
    width: float = RIGHT - LEFT
    y: float = TOP

    def put(self, text: str, *, indent: float = 0.0, gap: float = 0.0, **style) -> Text:
        """Place ``text`` (top-aligned) at the current height and move below it."""
        artist = self.figure.text(self.x + indent, self.y, text, va="top", **style)
        self.y = extent(artist)[1] - gap
        return artist

    def put_wrapped(self, text: str, *, indent: float = 0.0, gap: float = 0.0,
                    **style) -> Text:  # fmt: skip
        """:meth:`put`, with ``text`` wrapped to the column's width."""
        return self.put(wrap_to(self.figure, text, self.width - indent, **style), indent=indent,
                        gap=gap, **style)  # fmt: skip

    def fits(self, text: str, *, indent: float = 0.0, **style) -> bool:
        """Whether ``text`` drawn on one line stays within the column."""
        return width_of(self.figure, text, **style) <= self.width - indent

    def split(self, count: int, gutter: float = 0.03) -> list[Column]:
        """``count`` side-by-side columns starting at the current height."""
        width = (self.width - gutter * (count - 1)) / count
        return [Column(self.figure, self.x + i * (width + gutter), width, self.y)
                for i in range(count)]  # fmt: skip


@dataclass
class Flow:
    """Pages filled one block at a time; a block that overflows a page starts the next."""

    pages: list[Figure] = field(default_factory=lambda: [new_page()])
    column: Column = field(init=False)

    def __post_init__(self) -> None:
        self.column = Column(self.pages[-1])

    def next_page(self) -> None:
        self.pages.append(new_page())
        self.column = Column(self.pages[-1])

    def block(self, draw: Callable[[Column], list[Artist]]) -> None:
        """Draw a block with ``draw(column)``; redraw it on a new page if it ran past BOTTOM."""
        top = self.column.y
        placed = draw(self.column)
        if self.column.y < BOTTOM and top < TOP:  # never move a block that fills a page alone
            for artist in placed:
                artist.remove()
            self.next_page()
            draw(self.column)


def fit_table(table: Table, width: float, pad: float = 0.006) -> None:
    """Size a table's columns to hold every cell's text within ``width`` (figure fraction).

    Each column is as wide as its widest text plus ``pad`` either side (the spare width shared
    out); if together they are wider than ``width`` the table's font shrinks until they fit.
    The table must fill its axes (``bbox=(0, 0, 1, 1)``) and the axes be ``width`` wide.
    """
    figure = table.get_figure(root=True)
    cells = table.get_celld()
    columns = 1 + max(col for _, col in cells)
    natural = [0.0] * columns
    for (_, col), cell in cells.items():
        text = cell.get_text()
        needed = width_of(figure, text.get_text(), fontproperties=text.get_fontproperties())
        natural[col] = max(natural[col], needed)
    room = width - 2 * pad * columns
    if sum(natural) > room:
        shrink = room / sum(natural)
        table.set_fontsize(cells[0, 0].get_fontsize() * shrink)
        natural = [w * shrink for w in natural]
    spare = (room - sum(natural)) / columns
    widths = [w + spare + 2 * pad for w in natural]
    for (_, col), cell in cells.items():
        cell.set_width(widths[col])
        cell.PAD = pad / widths[col]
