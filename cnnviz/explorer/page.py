"""The explorer page's widgets and their layout: built once, then updated by :mod:`.app`.

:class:`ExplorerWidgets` creates every control and output of the page and arranges them;
:class:`cnnviz.explorer.app.Explorer` adds the behaviour (what each control does). Kept apart
so that the wiring reads as a list of widgets and the callbacks as a list of rules.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from ipywidgets.widgets.widget_string import HTMLStyle

from cnnviz.core.activations import ACTIVATION_NAMES
from cnnviz.explorer.a11y import PageA11y
from cnnviz.explorer.frame_view import FrameView
from cnnviz.explorer.kernel_watch import ROOT_CLASS, KernelWatch
from cnnviz.explorer.presets import PRESETS
from cnnviz.explorer.render.guide import depth_html, notation_html, preset_html, stride_html
from cnnviz.explorer.render.text import conventions_html
from cnnviz.explorer.settings import RANGES, Settings

CUSTOM = "custom"
FEW, ALL = "few", "all"  # values of the "channels shown" buttons
SPEEDS = (1, 30)  # steps per second on Play
DEFAULT_SPEED = 4
GEOMETRY_CONTROLS = tuple(name for name in RANGES if name != "seed")
STEP_BAR = "cnnviz-stepbar"  # the sticky bar of step controls and equation
NOTE_STYLE = "color:var(--jp-warn-color0, #b35900);font-size:14px"


def _slider(name: str, value: int, *, layout: widgets.Layout,
            style: widgets.SliderStyle) -> widgets.IntSlider:
    low, high, label = RANGES[name]
    return widgets.IntSlider(
        value=int(np.clip(value, low, high)),
        min=low,
        max=high,
        description=label,
        continuous_update=False,
        style=style,
        layout=layout,
    )


class ExplorerWidgets:
    """Every widget of the explorer page, made once (:meth:`_build_widgets`) and laid out.

    :meth:`_observe` connects the controls to the ``_on_*`` rules of the subclass,
    :class:`cnnviz.explorer.app.Explorer`.
    """

    settings: Settings
    fixed_layer: object

    @staticmethod
    def _preset_name(settings: Settings) -> str:
        for name, preset in PRESETS.items():
            if preset.settings == settings:
                return name
        return CUSTOM


    def _build_widgets(self) -> None:
        self._build_setting_controls()
        self._build_walk_controls()
        self._build_outputs()
        self._observe()
        self.widget = self._arrange()


    def _build_setting_controls(self) -> None:
        """The preset menu, one slider per setting and the activation below."""
        s = self.settings
        names = {preset.title: name for name, preset in PRESETS.items()}
        self.preset = widgets.Dropdown(
            options=[*names.items(), ("(your own settings)", CUSTOM)],
            value=self._preset_name(s),
            description="preset",
            style={"description_width": "60px"},
            layout=widgets.Layout(width="440px"),
        )
        # one Layout and one style for all ten sliders (none of them is ever changed): every
        # widget model is a message to the kernel, the server and the browser when a student
        # opens the page, and the page had 132 of them (48 Layouts)
        layout = widgets.Layout(width="300px")
        style = widgets.SliderStyle(description_width="120px")
        self.sliders = {
            name: _slider(name, getattr(s, name), layout=layout, style=style) for name in RANGES
        }
        self.activation = widgets.Dropdown(
            options=[(name if name != "relu" else "ReLU", name) for name in ACTIVATION_NAMES],
            value=s.activation,
            description="activation below (σ)",
            style={"description_width": "130px"},
            layout=widgets.Layout(width="300px"),
        )

    def _build_walk_controls(self) -> None:
        """The walk, Play and step controls, and the channel and filter windows."""
        self.walk = widgets.ToggleButtons(
            options=[
                ("scatter (per δ element)", "scatter"),
                ("gather (per input pixel)", "gather"),
            ],
            value="scatter",
            description="walk",
            style={"description_width": "40px", "button_width": "180px"},
        )
        # steps count from 1, as "Step N of M" says: the slider reads 1 to M (walk step N - 1)
        self.play = widgets.Play(value=1, min=1, max=2, interval=1000 // DEFAULT_SPEED,
                                 description="Play", show_repeat=True)
        self.step = widgets.IntSlider(value=1, min=1, max=2, description="step",
                                      continuous_update=True,
                                      style={"description_width": "40px"},
                                      layout=widgets.Layout(width="420px"))
        widgets.jslink((self.play, "value"), (self.step, "value"))
        self.back = widgets.Button(description="◀ step", tooltip="step back",
                                   layout=widgets.Layout(width="80px"))
        self.forward = widgets.Button(description="step ▶", tooltip="step forward",
                                      layout=widgets.Layout(width="80px"))
        self.speed = widgets.IntSlider(value=DEFAULT_SPEED, min=SPEEDS[0], max=SPEEDS[1],
                                       description="steps/s", continuous_update=False,
                                       style={"description_width": "60px"},
                                       layout=widgets.Layout(width="260px"))
        self.channel = widgets.IntSlider(value=1, min=1, max=1, description="first channel",
                                         continuous_update=False,
                                         style={"description_width": "90px"},
                                         layout=widgets.Layout(width="300px"))
        self.channels_shown = widgets.ToggleButtons(
            options=[("4", FEW), ("all", ALL)],
            value=FEW,
            description="channels shown",
            tooltips=["big enough cells show their numbers", "see every channel get the delta"],
            style={"description_width": "100px", "button_width": "170px"},
        )
        self._channels_choice: str | None = None  # None: the default for the layer
        self.filter = widgets.IntSlider(value=1, min=1, max=1, description="first filter",
                                        continuous_update=False,
                                        style={"description_width": "90px"},
                                        layout=widgets.Layout(width="300px"))

    def _build_outputs(self) -> None:
        """Export, notes, the figures, the sentences and the accessibility glue."""
        self.export = widgets.Button(description="Export GIF", icon="download",
                                     tooltip="the current walk as an animated GIF")
        self._text_look = widgets.Layout(), HTMLStyle()  # shared: never changed
        self.download = self._html()
        self.note = self._html()
        # only the tiles that changed travel, and Play steps through clips in the browser
        self.image = FrameView(play=self.play, play_first=1,
                               layout=widgets.Layout(max_width="100%"))
        self.equation = self._html().add_class("cnnviz-equation")
        self.stride_note = self._html()  # the stride (s > 1) and depth (C > 1) answers
        self.preset_note = self._html()  # the preset's description and "what to notice"
        self.agreement = self._html()
        self.check = self._html()
        self.zero_zone = self._html()
        self.ledger = self._html()
        self.link = self._html()
        self.gradients = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.a11y = PageA11y(play=self.play)  # names, alt texts, live region, Space to play
        self.image.alt = "The fan-out figure"  # FrameView's canvas takes it as its aria-label
        self.a11y.describe(self.gradients, "The weight and bias gradients")

    def _show_guide(self, layer, preset_name: str) -> None:
        """The stride and depth answers for ``layer`` and the preset's description (none for
        custom)."""
        self.stride_note.value = stride_html(layer.geometry) + depth_html(
            layer.filters, layer.depth)
        self.preset_note.value = preset_html(PRESETS.get(preset_name))

    def _html(self, value: str = "") -> widgets.HTML:
        layout, style = self._text_look
        return widgets.HTML(value, layout=layout, style=style)

    def _observe(self) -> None:
        for slider in self.sliders.values():
            slider.observe(self._on_setting, names="value")
        self.activation.observe(self._on_setting, names="value")
        self.preset.observe(self._on_preset, names="value")
        self.walk.observe(self._on_walk, names="value")
        self.step.observe(self._on_step, names="value")
        self.speed.observe(self._on_speed, names="value")
        self.play.observe(self._on_playing, names="playing")
        self.channel.observe(self._on_channel, names="value")
        self.channels_shown.observe(self._on_channels_shown, names="value")
        self.filter.observe(self._on_channel, names="value")
        self.back.on_click(lambda _: self._nudge(-1))
        self.forward.on_click(lambda _: self._nudge(+1))
        self.export.on_click(self._on_export)

    def _details(self) -> widgets.HBox:
        return widgets.HBox(
            [self.gradients, widgets.VBox([self._html("<b>Shape ledger</b>"), self.ledger])],
            layout=widgets.Layout(flex_flow="row wrap", grid_gap="16px"),
        )

    def _arrange(self) -> widgets.VBox:
        grid = widgets.GridBox(
            [self.sliders[name] for name in RANGES] + [self.activation],
            layout=widgets.Layout(grid_template_columns="repeat(auto-fill, 310px)",
                                  grid_gap="2px 8px"),
        )
        self.controls = widgets.VBox([self.preset, self.preset_note, grid])
        if self.fixed_layer is not None:
            self.controls.layout.display = "none"
        player = widgets.HBox([self.play, self.back, self.forward, self.step, self.speed],
                              layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        # the step's controls and its equation stick to the top of the window while the
        # picture scrolls under them: both stay in view with the step's frame (kernel_watch.css)
        step_bar = widgets.VBox([player, self.equation]).add_class(STEP_BAR)
        walking = widgets.HBox([self.walk, self.channels_shown, self.channel, self.filter,
                                self.export],
                               layout=widgets.Layout(flex_flow="row wrap",
                                                     align_items="center"))
        self.watch = KernelWatch(controls=[
            self.preset, *self.sliders.values(), self.activation, self.walk, self.play,
            self.step, self.back, self.forward, self.speed, self.channel,
            self.channels_shown, self.filter, self.export,
        ])  # fmt: skip
        self.watch.on_shown(self._show_details)
        page = widgets.VBox(
            [
                self.watch,
                self.note,
                self.controls,
                walking,
                step_bar,
                self.download,
                self.stride_note,
                self.image,
                self.agreement,
                widgets.HBox([self.check]),
                self.zero_zone,
                self._html(conventions_html()),
                self._html(notation_html()),
                self._html("<h2 style='font-size:17px'>Weight and bias gradients</h2>"),
                self._details(),
                self.link,
                self.a11y.widget,
            ],
            layout=widgets.Layout(max_width="1300px"),
        )
        return page.add_class(ROOT_CLASS)

