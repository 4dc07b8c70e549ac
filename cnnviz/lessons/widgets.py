"""Widget glue for the lessons: show a figure, step through frames, pick one of several views.

ipywidgets wiring only. Frames are rendered to PNG once, up front; the slider, the Play button
and the picker are linked to the image stack in the browser (``jslink``), so stepping needs no
kernel round trip and works the same in JupyterLab and Voila.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from cnnviz.core.conv import IntOrPair, input_grad_contributions
from cnnviz.core.geometry import Geometry
from cnnviz.explorer.a11y import PageA11y
from cnnviz.explorer.layer import snapshot_from_settings
from cnnviz.explorer.presets import get_preset
from cnnviz.explorer.render.describe import figure_alt, step_alt
from cnnviz.explorer.render.fanout import FanOutFigure
from cnnviz.explorer.render.png import figure_png
from cnnviz.explorer.render.png import show as show  # re-exported: the notebooks call views.show
from cnnviz.explorer.settings import Settings
from cnnviz.lessons import per_position_weight_grads, scatter_partial_sums
from cnnviz.lessons.exercise_widgets import exercises as exercises  # views.exercises("03")
from cnnviz.lessons.figures import (
    contribution_figure,
    overlap_figure,
    position_figure,
    scatter_step_figure,
)


def _image_stack(
    frames: Sequence[Figure | bytes], alts: Sequence[str] | None = None
) -> tuple[widgets.Stack, widgets.Box]:
    """The frames as a Stack of images, and the glue that names the page's controls and
    gives every image its alternative text (``alts``, or each Figure's titles)."""
    # max_width keeps a wide frame inside the page instead of under a scroll bar
    images = [
        widgets.Image(
            value=f if isinstance(f, bytes) else figure_png(f),
            format="png",
            layout=widgets.Layout(max_width="100%", height="auto"),
        )
        for f in frames
    ]
    glue = PageA11y()
    for n, (frame, image) in enumerate(zip(frames, images, strict=True)):
        alt = alts[n] if alts is not None else None
        glue.describe(image, alt or (figure_alt(frame) if isinstance(frame, Figure) else
                                     f"frame {n + 1} of {len(frames)}"))
    return widgets.Stack(children=images, selected_index=0), glue.widget


def frame_player(
    frames: Sequence[Figure | bytes],
    *,
    description: str = "step",
    interval_ms: int = 900,
    alts: Sequence[str] | None = None,
) -> widgets.VBox:
    """Play / step through pre-rendered frames with a Play button and a slider.

    Parameters
    ----------
    frames : sequence of Figure or PNG bytes
        One per frame, in order.
    description : str
        The slider's label.
    interval_ms : int
        Time between frames when playing.
    alts : sequence of str, optional
        Each frame's alternative text (default: a Figure's titles).
    """
    frames = list(frames)
    if not frames or not all(isinstance(f, (Figure, bytes)) for f in frames):
        raise TypeError("frames must be a non-empty sequence of matplotlib Figures or PNG bytes")
    last = len(frames) - 1
    play = widgets.Play(min=0, max=last, step=1, interval=interval_ms, description="play")
    slider = widgets.IntSlider(
        min=0, max=last, step=1, description=description, continuous_update=True
    )
    stack, glue = _image_stack(frames, alts)
    widgets.jslink((play, "value"), (slider, "value"))
    widgets.jslink((slider, "value"), (stack, "selected_index"))
    return widgets.VBox([widgets.HBox([play, slider]), glue, stack])  # the stack stays last


def picker(figures: Mapping[str, Figure], *, description: str = "show") -> widgets.VBox:
    """Choose one of several labelled figures from a drop-down."""
    labels = list(figures)
    if not labels or not all(isinstance(figures[k], Figure) for k in labels):
        raise TypeError("figures must map labels to matplotlib Figures")
    choice = widgets.Dropdown(
        options=labels, index=0, description=description, layout=widgets.Layout(width="max-content")
    )
    alts = [f"{label}. {figure_alt(figures[label])}" for label in labels]
    stack, glue = _image_stack([figures[k] for k in labels], alts)
    widgets.jslink((choice, "index"), (stack, "selected_index"))
    return widgets.VBox([choice, glue, stack])


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


def contribution_picker(
    delta,
    w,
    input_size: IntOrPair,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> widgets.VBox:
    """Pick a (filter, channel) pair: see ``δ_k ⋆_full rot180(w_{k,c})`` and the channel's sum.

    The choices count from 1, as the explorer's labels do.

    Parameters
    ----------
    delta : ``(K, Ho, Wo)``, one sample's delta; w : ``(K, C, kh, kw)``
    """
    contrib = input_grad_contributions(
        delta, w, input_size, stride=stride, padding=padding, dilation=dilation
    )  # (K, C, H, W)
    total = contrib.sum(axis=0)  # (C, H, W)
    figures = {
        f"filter {k + 1} → channel {c + 1}": contribution_figure(
            delta[k], w[k, c], contrib[k, c], total[c], k=k, c=c
        )
        for k, c in np.ndindex(*contrib.shape[:2])
    }
    return picker(figures, description="show")


def position_picker(
    x,
    delta,
    kernel_size: IntOrPair,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> widgets.VBox:
    """Pick an output position: see its share ``δ[i, j] · window`` of the one shared ``dW``.

    Parameters
    ----------
    x : ``(H, W)``, one channel; delta : ``(Ho, Wo)``, one filter's delta
    """
    settings = {"stride": stride, "padding": padding, "dilation": dilation}
    parts = per_position_weight_grads(x[None], delta[None], kernel_size, **settings)
    total = parts.sum(axis=(0, 1))[0, 0]  # (kh, kw)
    geometry = Geometry(x.shape, kernel_size, **settings)
    figures = {
        f"position ({i}, {j})": position_figure(
            x, delta, parts[i, j, 0, 0], total, geometry, (i, j)
        )
        for i, j in np.ndindex(*geometry.output_size)
    }
    return picker(figures, description="show")


def overlap_picker(geometries: Sequence[Geometry]) -> widgets.VBox:
    """Pick a geometry from a list: see how many windows read each input pixel."""
    figures = {g.describe(): overlap_figure(g) for g in geometries}
    return picker(figures, description="settings")


def walk_player(
    preset: str | Settings, *, walk: str = "scatter", first_channel: int = 0
) -> widgets.VBox:
    """The explorer's fan-out view of a preset, one frame per step of a walk.

    Uses the explorer's own data (:func:`cnnviz.explorer.layer.snapshot_from_settings`), walk
    (:class:`cnnviz.explorer.trace.Walk`) and renderer
    (:class:`cnnviz.explorer.render.FanOutFigure`), so a lesson shows exactly
    what the explorer shows.

    Parameters
    ----------
    preset : str or Settings
        A preset name (see ``python -m cnnviz presets``) or explicit settings.
    walk : {"scatter", "gather"}
    first_channel : int
        First input channel shown (the view shows up to four).
    """
    settings = get_preset(preset).settings if isinstance(preset, str) else preset
    if not isinstance(settings, Settings):
        raise TypeError(f"preset must be a preset name or Settings; got {type(preset).__name__}")
    figure = FanOutFigure(snapshot_from_settings(settings), walk=walk, first_channel=first_channel)
    frames, alts = [], []
    for index in range(figure.walk.count):
        frames.append(figure.png(index))
        alts.append(step_alt(figure))  # the step just drawn, in words
    return frame_player(frames, description=f"{walk} step", interval_ms=700, alts=alts)


def explorer(preset: str) -> widgets.VBox:
    """The full explorer (:class:`~cnnviz.explorer.app.Explorer`) on a preset, for a lesson page."""
    from cnnviz.explorer.app import Explorer  # the whole app only where a lesson embeds it

    return Explorer(settings=get_preset(preset).settings).widget


def handout_button() -> widgets.VBox:
    """A button that makes the class handout (two A4 pages) and offers it as a download.

    The PDF is made only when asked (about a second), and handed over as an ``<a download>``
    link with a data: URL, which works in Voila where there is no file server.
    """
    from cnnviz.lessons.handout import download_link_html, handout_pdf

    button = widgets.Button(
        description="make the handout (PDF)", layout=widgets.Layout(width="200px")
    )
    link = widgets.HTML()

    def make(_button=None) -> None:
        link.value = "making the PDF…"
        try:
            link.value = download_link_html(handout_pdf())
        except Exception:  # the page must never show a traceback
            link.value = "Could not make the handout; try again, or run python -m cnnviz handout."

    button.on_click(make)
    return widgets.VBox([widgets.HBox([button, link])])
