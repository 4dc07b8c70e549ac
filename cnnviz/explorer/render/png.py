"""A figure made, saved as PNG bytes, and shown as a static picture: one copy for every room.

The lessons and the gesture network both draw matplotlib figures and show them as PNGs. This
module sits in the explorer's renderers because that is the one room both may import
(core -> explorer -> nn -> lessons) and because turning a figure into pixels is drawing. It
wires no widget: :func:`show` hands a static picture to IPython's display.
"""

from __future__ import annotations

import io

from IPython.display import HTML, display
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cnnviz.explorer.render.describe import figure_alt, img_html

DPI = 90  # readable numbers in the cells at the sizes the lessons use, small files


def new_figure(width: float, height: float) -> Figure:
    """An empty white figure of ``width`` x ``height`` inches on its own Agg canvas.

    No pyplot: nothing piles up in pyplot's registry, and ``savefig`` works anywhere.
    """
    figure = Figure(figsize=(width, height), facecolor="white", layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def figure_png(figure: Figure, *, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes (what an ``Image`` widget or a static display shows)."""
    if not isinstance(figure, Figure):
        raise TypeError(f"figure must be a matplotlib Figure; got {type(figure).__name__}")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def show(figure: Figure) -> None:
    """Display a figure as a PNG (a static picture that reads the same in Lab and Voila).

    An ``<img>`` with alternative text (:func:`~cnnviz.explorer.render.describe.figure_alt`):
    IPython's ``Image(data=...)`` output has no ``alt`` in JupyterLab or Voila
    (jupyter/enhancement-proposals#120).
    """
    if not isinstance(figure, Figure):
        raise TypeError(f"figure must be a matplotlib Figure; got {type(figure).__name__}")
    display(HTML(img_html(figure_png(figure), figure_alt(figure))))
