"""Widget glue for the lessons: show a figure, step through frames, pick one of several views.

ipywidgets wiring only. Frames are rendered to PNG once, up front; the slider, the Play button
and the picker are linked to the image stack in the browser (``jslink``), so stepping needs no
kernel round trip and works the same in JupyterLab and Voila.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ipywidgets as widgets
from IPython.display import Image, display
from matplotlib.figure import Figure

from cnnviz.conv import IntOrPair
from cnnviz.geometry import Geometry
from cnnviz.lesson_figures import figure_png, scatter_step_figure
from cnnviz.teaching import scatter_partial_sums


def show(figure: Figure) -> None:
    """Display a figure as a PNG (a static picture that reads the same in Lab and Voila)."""
    if not isinstance(figure, Figure):
        raise TypeError(f"figure must be a matplotlib Figure; got {type(figure).__name__}")
    display(Image(data=figure_png(figure)))


def _image_stack(figures: Sequence[Figure]) -> widgets.Stack:
    images = [widgets.Image(value=figure_png(f), format="png") for f in figures]
    return widgets.Stack(children=images, selected_index=0)


def frame_player(
    figures: Sequence[Figure], *, description: str = "step", interval_ms: int = 900
) -> widgets.VBox:
    """Play / step through pre-rendered frames with a Play button and a slider.

    Parameters
    ----------
    figures : sequence of Figure
        One per frame, in order.
    description : str
        The slider's label.
    interval_ms : int
        Time between frames when playing.
    """
    figures = list(figures)
    if not figures or not all(isinstance(f, Figure) for f in figures):
        raise TypeError("figures must be a non-empty sequence of matplotlib Figures")
    last = len(figures) - 1
    play = widgets.Play(min=0, max=last, step=1, interval=interval_ms, description="play")
    slider = widgets.IntSlider(
        min=0, max=last, step=1, description=description, continuous_update=True
    )
    stack = _image_stack(figures)
    widgets.jslink((play, "value"), (slider, "value"))
    widgets.jslink((slider, "value"), (stack, "selected_index"))
    return widgets.VBox([widgets.HBox([play, slider]), stack])


def picker(figures: Mapping[str, Figure], *, description: str = "show") -> widgets.VBox:
    """Choose one of several labelled figures from a drop-down."""
    labels = list(figures)
    if not labels or not all(isinstance(figures[k], Figure) for k in labels):
        raise TypeError("figures must map labels to matplotlib Figures")
    choice = widgets.Dropdown(
        options=labels, index=0, description=description, layout=widgets.Layout(width="max-content")
    )
    stack = _image_stack([figures[k] for k in labels])
    widgets.jslink((choice, "index"), (stack, "selected_index"))
    return widgets.VBox([choice, stack])


def scatter_player(
    delta,
    kernel,
    input_size: IntOrPair,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> widgets.VBox:
    """Step through the scatter: each delta element adds ``δ[i, j] · w`` onto its window.

    Parameters
    ----------
    delta : ``(Ho, Wo)``; kernel : ``(kh, kw)``; input_size : int or ``(H, W)``
    """
    sums = scatter_partial_sums(
        delta, kernel, input_size, stride=stride, padding=padding, dilation=dilation
    )
    geometry = Geometry(input_size, kernel.shape, stride=stride, padding=padding, dilation=dilation)
    frames = [scatter_step_figure(sums, delta, kernel, geometry, step) for step in range(len(sums))]
    return frame_player(frames, description="δ element")
