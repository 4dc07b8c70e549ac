"""The backprop explorer: ipywidgets wiring only (controls -> Settings -> layer -> walk -> render).

Public API (the notebook calls :func:`explorer_page`; other notebooks may build an
:class:`Explorer` directly)::

    from cnnviz.explorer.app import Explorer, explorer_page

    page = explorer_page()                 # reads os.environ["QUERY_STRING"] (Voila sets it)
    page                                   # an ipywidgets.VBox: display it

    explorer = Explorer()                  # default preset, seeded random numbers
    explorer = Explorer(settings=Settings(depth=10, filters=1, stride=1))
    explorer = Explorer(layer=snapshot)    # a real layer (cnnviz.explorer.layer.LayerSnapshot): the
                                           # geometry controls are hidden, only the walk,
                                           # step, channel-window and filter-window controls
                                           # move (any size: windows of 4 channels and 1-4
                                           # filters keep big layers readable)
    explorer.widget                        # the VBox to display
    explorer.show_step(5)                  # what the step buttons do

Inputs deeper than 4 channels get a "channels shown" choice: 4 at a time (bigger cells, a
"first channel" window) or all D at once (as many as fit with cells of at least 8 px); it opens
on "all" when all D fit, so the depth-10 preset shows every channel receive the delta at once.

Every callback checks the value the page sent (the page can send anything) and shows a plain
sentence instead of a traceback when something cannot be drawn.
"""

from __future__ import annotations

import base64
import html
import os
import time

import ipywidgets as widgets
import numpy as np

from cnnviz.core.activations import ACTIVATION_NAMES
from cnnviz.explorer.layer import LayerSnapshot, gradient_check, snapshot_from_settings
from cnnviz.explorer.links import query_from_settings, settings_from_query
from cnnviz.explorer.page import (  # noqa: F401 (the page's names, re-exported)
    ALL,
    CUSTOM,
    FEW,
    GEOMETRY_CONTROLS,
    NOTE_STYLE,
    SPEEDS,
    ExplorerWidgets,
)
from cnnviz.explorer.play_clip import PlayClip
from cnnviz.explorer.presets import DEFAULT_PRESET, PRESETS
from cnnviz.explorer.render.describe import gradients_alt, step_alt, step_announcement
from cnnviz.explorer.render.fanout import (
    MAX_CHANNELS,
    FanOutFigure,
    channels_that_fit,
    filters_shown,
)
from cnnviz.explorer.render.gradients import gradients_png
from cnnviz.explorer.render.text import (
    agreement_html,
    check_html,
    equation_html,
    ledger_html,
    zero_zone_html,
)
from cnnviz.explorer.settings import RANGES, Settings
from cnnviz.explorer.trace import WALKS, final_dx


class Explorer(ExplorerWidgets):
    """The explorer page for seeded settings or for one real layer.

    Parameters
    ----------
    settings : Settings, optional
        Starting scenario (default: the course-demo preset). Ignored when ``layer`` is given.
    layer : LayerSnapshot, optional
        A real layer to explore; its geometry is fixed.
    notes : list or tuple of str, or None
        Plain sentences shown in the note line (e.g. ignored parts of a link); None is none.
    defer_details : bool
        Draw the first picture only, and the details below it (gradient check, the two walks'
        agreement, dW/db) once the page shows it: a class arriving together gets its pictures
        sooner (the Voila page does this; the details follow within a second).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        layer: LayerSnapshot | None = None,
        notes: list[str] | tuple[str, ...] | None = (),
        defer_details: bool = False,
    ) -> None:
        notes = _checked_notes(notes)
        if settings is not None and not isinstance(settings, Settings):
            raise TypeError(f"settings must be a Settings; got {type(settings).__name__}")
        if layer is not None and not isinstance(layer, LayerSnapshot):
            raise TypeError(f"layer must be a LayerSnapshot; got {type(layer).__name__}")
        self.fixed_layer = layer
        self.settings = settings or PRESETS[DEFAULT_PRESET].settings
        self.layer: LayerSnapshot | None = None
        self.figure: FanOutFigure | None = None
        self.timings: dict[str, float] = {}
        self._busy = False
        self._details_pending = defer_details
        self._build_widgets()
        self.clip = PlayClip(self.image)
        self._epoch = 0  # a new one for each layer, window or walk the picture shows
        self._set_notes(notes)
        self._load()

    # ------------------------------------------------------------------ state

    def _set_notes(self, notes: list[str]) -> None:
        self._notes = notes
        self._show_notes([])

    def _show_notes(self, extra: list[str]) -> None:
        lines = [html.escape(str(n)) for n in [*self._notes, *extra]]
        self.note.value = (
            f"<div style='{NOTE_STYLE}'>{'<br>'.join(lines)}</div>" if lines else ""
        )

    def _read_settings(self) -> tuple[Settings | None, str | None]:
        """Settings from the controls, or None and a plain sentence why not."""
        values = {}
        for name, slider in self.sliders.items():
            low, high, _ = RANGES[name]
            value = slider.value
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
                return None, f"{name} must be a whole number."
            values[name] = int(np.clip(value, low, high))
        activation = self.activation.value
        if activation not in ACTIVATION_NAMES:
            return None, "Choose an activation from the list."
        settings = Settings(activation=activation, **values)
        return settings, settings.problem()

    def _load(self) -> None:
        """Make the layer, its walk and figure for the current settings, then draw."""
        started = time.perf_counter()
        if self.fixed_layer is not None:
            layer = self.fixed_layer
        else:
            layer = snapshot_from_settings(self.settings)
        fit = channels_that_fit(layer)
        many = fit > MAX_CHANNELS and layer.depth > MAX_CHANNELS  # the "all" choice is offered
        choice = self._channels_choice or (ALL if many and fit == layer.depth else FEW)
        shown = min(layer.depth, fit if many and choice == ALL else MAX_CHANNELS)
        first = self._first(self.channel.value, layer.depth - shown)
        rows = filters_shown(layer.x.shape[1])
        first_filter = self._first(self.filter.value, layer.filters - rows)
        self.layer = layer
        self._show_guide(layer, CUSTOM if self.fixed_layer else self.preset.value)
        self.figure = FanOutFigure(
            layer, walk=self.walk.value, first_channel=first, channels_shown=shown,
            first_filter=first_filter,
        )
        self._busy = True
        try:
            self._set_channel_choices(layer.depth, fit, choice if many else FEW)
            self.channels_shown.layout.display = "" if many else "none"
            self.channel.max = max(1, layer.depth - shown + 1)
            self.channel.value = first + 1
            self.channel.layout.display = "" if layer.depth > shown else "none"
            self.filter.max = max(1, layer.filters - rows + 1)
            self.filter.value = first_filter + 1
            self.filter.layout.display = "" if layer.filters > rows else "none"
        finally:
            self._busy = False
        self._show_walk_end()
        self.timings["control_to_image_ms"] = (time.perf_counter() - started) * 1000
        if not self._details_pending:
            self._describe_layer()

    def _set_channel_choices(self, depth: int, fit: int, value: str) -> None:
        """Label the "channels shown" buttons for this depth (call with ``_busy`` set)."""
        most = f"all {depth} at once" if fit >= depth else f"{fit} of {depth} (as many as fit)"
        options = ((f"{MAX_CHANNELS} at a time, bigger cells", FEW), (most, ALL))
        if tuple(self.channels_shown.options) != options:
            self.channels_shown.options = options  # resets the value: set it again below
        self.channels_shown.value = value

    @staticmethod
    def _first(value: object, highest: int) -> int:
        """A 1-based window slider's value as a checked 0-based first index."""
        wanted = value - 1 if isinstance(value, (int, np.integer)) else 0
        return int(np.clip(wanted, 0, max(0, highest)))

    def _describe_layer(self) -> None:
        layer = self.layer
        self.ledger.value = ledger_html(layer)
        self.zero_zone.value = zero_zone_html(layer)
        self.agreement.value = agreement_html(
            final_dx(layer, "scatter"), final_dx(layer, "gather"), layer.dx
        )
        self.gradients.value = gradients_png(
            layer,
            first_channel=self.figure.channels[0],
            channels_shown=len(self.figure.channels),
            first_filter=self.figure.filter_rows[0],
        )
        self.a11y.set_alt(self.gradients, gradients_alt(
            layer, channels=self.figure.channels, filter_rows=self.figure.filter_rows))
        self.check.value = check_html(gradient_check(layer))
        if self.fixed_layer is None:
            query = html.escape(query_from_settings(self.settings))
            self.link.value = (
                "<span style='font-size:12px;color:var(--jp-ui-font-color2, inherit)'>"
                f"Link to this scenario: add <code>?{query}</code> to the page address.</span>"
            )

    def _show_details(self) -> None:
        """The page shows the picture: draw what ``defer_details`` held back."""
        if self._details_pending:
            self._details_pending = False
            self._guarded(self._describe_layer)

    def show_step(self, index: int) -> None:
        """Draw step ``index`` of the current walk (clipped to the walk's range)."""
        if self.figure is None:
            return
        started = time.perf_counter()
        walk = self.figure.walk
        index = int(np.clip(index, 0, walk.count - 1))
        # while the browser plays this walk from a clip, the picture is already there
        quiet = self.play.playing and self.clip.covers(self.figure, self._epoch)
        self.image.show(self.figure.frame(index), step=index, epoch=self._epoch, send=not quiet)
        self.equation.value = equation_html(walk, self.figure.current,
                                            channel=self.figure.channels[0])
        self.image.alt = step_alt(self.figure)
        self.a11y.announce(step_announcement(self.figure.current, channel=self.figure.channels[0]))
        self.timings["step_ms"] = (time.perf_counter() - started) * 1000

    def _show_walk_end(self) -> None:
        """A new figure or walk: Play and the step move to its last step, drawn as a new epoch."""
        last = self.figure.walk.count - 1
        self.download.value = ""  # a GIF of the walk before would download the old walk
        self._busy = True
        try:  # the slider counts steps from 1: walk step n is slider value n + 1
            self.step.max = self.play.max = last + 1
            self.step.value = self.play.value = last + 1
        finally:
            self._busy = False
        self._epoch += 1
        self.show_step(last)
        self._send_clip()

    def _send_clip(self) -> None:
        """While Play runs, give the browser the walk's steps ahead (see explorer.play_clip)."""
        figure = self.figure
        if not self.play.playing or figure is None:
            self.clip.stop()
            return
        shown = figure.walk.count - 1 if figure.current is None else figure.current.index
        self.clip.start(figure, epoch=self._epoch, after=shown)

    # ------------------------------------------------------------------ callbacks

    def _guarded(self, action) -> None:
        try:
            action()
        except Exception as error:  # the page must never show a traceback
            self._show_notes([f"This could not be drawn: {error}"])

    def _on_setting(self, _change=None) -> None:
        if self._busy or self.fixed_layer is not None:
            return
        settings, problem = self._read_settings()
        if problem is not None:
            self._show_notes([problem + " The picture still shows the last setting that works."])
            return
        self._show_notes([])
        self.settings = settings
        self._busy = True
        try:
            self.preset.value = self._preset_name(settings)
        finally:
            self._busy = False
        self._guarded(self._load)

    def _on_preset(self, change) -> None:
        if self._busy or change["new"] not in PRESETS or self.fixed_layer is not None:
            return
        self._channels_choice = None  # a preset opens with its own default channel view
        self._apply_settings(PRESETS[change["new"]].settings)

    def _apply_settings(self, settings: Settings) -> None:
        """Move every control to ``settings`` and draw once."""
        self._busy = True
        try:
            for name, slider in self.sliders.items():
                slider.value = getattr(settings, name)
            self.activation.value = settings.activation
        finally:
            self._busy = False
        self._on_setting()

    def _on_walk(self, change) -> None:
        if change["new"] not in WALKS or self.figure is None:
            return

        def switch() -> None:
            self.figure.set_walk(change["new"])
            self._show_walk_end()

        self._guarded(switch)

    def _on_step(self, change) -> None:
        if self._busy:
            return
        value = change["new"]
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            self._guarded(lambda: self.show_step(int(value) - 1))  # the slider counts from 1

    def _nudge(self, delta: int) -> None:
        last = self.figure.walk.count if self.figure is not None else self.step.max
        self.step.value = int(np.clip(self.step.value + delta, 1, last))

    def _on_playing(self, change) -> None:
        def toggle() -> None:
            self._send_clip()
            if not change["new"] and self.figure is not None:  # stopped: the kernel's picture
                self.show_step(self.step.value - 1)  # again (a whole frame after the clip)

        self._guarded(toggle)

    def _on_speed(self, change) -> None:
        value = change["new"]
        if isinstance(value, (int, np.integer)):
            self.play.interval = int(1000 / np.clip(value, *SPEEDS))

    def _on_channel(self, change) -> None:
        if self._busy or self.layer is None or not isinstance(change["new"], (int, np.integer)):
            return
        self._guarded(self._load)

    def _on_channels_shown(self, change) -> None:
        if self._busy or self.layer is None or change["new"] not in (FEW, ALL):
            return
        self._channels_choice = change["new"]  # kept while the learner changes other settings
        self._guarded(self._load)

    def _on_export(self, _button) -> None:
        self.download.value = "Drawing the GIF…"

        def export() -> None:
            shown = self.figure  # a copy of what is on screen, so the page's figure keeps its step
            copy = FanOutFigure(
                self.layer, walk=self.walk.value, first_channel=shown.channels[0],
                channels_shown=len(shown.channels), first_filter=shown.filter_rows[0],
            )  # fmt: skip
            from cnnviz.explorer.export import figure_gif_bytes  # only when asked: not at start

            data = figure_gif_bytes(copy)
            encoded = base64.b64encode(data).decode("ascii")
            own = self.fixed_layer is None
            scenario = query_from_settings(self.settings) if own else "layer"
            name = f"cnnviz-{self.walk.value}-{scenario}.gif"
            name = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name)
            self.download.value = (
                f"<a download='{name}' href='data:image/gif;base64,{encoded}'>"
                f"Download {html.escape(name)} ({len(data) // 1024} kB)</a>"
            )

        try:
            export()
        except Exception as error:  # the page must never show a traceback
            self.download.value = f"The GIF could not be made: {html.escape(str(error))}"


def explorer_page(query: str | None = None) -> widgets.VBox:
    """The explorer for the page's link: a preset and overrides from the query string.

    Parameters
    ----------
    query : str, optional
        A URL query such as ``"preset=stride-2&stride=3"``; by default
        ``os.environ["QUERY_STRING"]`` (Voila sets it; in JupyterLab it is absent).
    """
    if query is None:
        query = os.environ.get("QUERY_STRING", "")
    settings, notes = settings_from_query(query)
    return Explorer(settings=settings, notes=notes, defer_details=True).widget


def _checked_notes(notes: object) -> list[str]:
    """``notes`` as a list of sentences; a lone string (which would show one note per letter),
    a non-sequence or a non-string entry is a TypeError naming ``notes``."""
    if notes is None:
        return []
    if not isinstance(notes, (list, tuple)):
        raise TypeError(f"notes must be a list or tuple of str; got {type(notes).__name__}")
    odd = [type(n).__name__ for n in notes if not isinstance(n, str)]
    if odd:
        raise TypeError(f"notes must hold only str; got {odd[0]}")
    return list(notes)
