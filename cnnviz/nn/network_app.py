"""The whole-network page: ipywidgets wiring only (trace -> pictures and words -> widgets).

::

    from cnnviz.nn.network_app import network_page
    network_page()          # the trained gesture CNN; display the returned VBox

A "sample" control picks a held-out image (the mistakes first); "batch" shows B samples at
once. The forward maps sit on top; below, δ travels back one layer per row, from the loss to
the image (Play reveals one row per step). Each row shows its shapes, the δ it sends below and
what it did to it; conv rows open the one-layer explorer on that layer's real x, W and δ. A
badge checks the whole network against finite differences (float64).
"""

from __future__ import annotations

import html
import time

import ipywidgets as widgets
import numpy as np

from cnnviz.explorer.a11y import PageA11y
from cnnviz.explorer.app import Explorer
from cnnviz.nn import network_figures as pictures
from cnnviz.nn import network_words as words
from cnnviz.nn.backward_trace import BackwardTrace, batch_sum_errors, trace_backward
from cnnviz.nn.gestures import Gestures
from cnnviz.nn.layers import Sequential
from cnnviz.nn.losses import softmax
from cnnviz.nn.network_check import whole_network_check
from cnnviz.nn.pretrained import held_out, trained_network
from cnnviz.nn.training import conv_layer_snapshot

BATCHES = (1, 4, 8)
PLAY_MS = 900  # per step: time to read a row before δ moves on
_BOX = "border-left:3px solid #888;padding-left:8px;margin:6px 0"


# The pictures are sent one pixel per value and enlarged by the browser without smoothing.
_PIXELATED = widgets.HTML(
    "<style>.cnnviz-pixelated{image-rendering:pixelated;image-rendering:crisp-edges;"
    "height:auto;flex:none}.cnnviz-network a{color:var(--jp-content-link-color, #1a5fb4);"
    "text-decoration:underline}</style>"
)  # links read as links (Voila's theme draws them as plain text)


def _image() -> widgets.Image:
    image = widgets.Image(format="png")
    image.add_class("cnnviz-pixelated")
    return image


def _show(image: widgets.Image, drawn: pictures.Picture) -> None:
    image.value = drawn.png
    image.layout.width = drawn.display_width


class _StageRow:
    """The widgets of one backward stage: heading, picture, caption, colour key, explorer."""

    def __init__(self, on_explore=None, label: str = "") -> None:
        self.heading = widgets.HTML()
        self.picture = _image()
        self.caption = widgets.HTML(layout=widgets.Layout(max_width="420px"))
        self.key = widgets.HTML()
        side = [self.caption, self.key]
        self.holder = widgets.VBox()
        if on_explore is not None:
            self.button = widgets.Button(description=label, layout=widgets.Layout(width="auto"))
            self.button.on_click(on_explore)
            side.append(self.button)
        side_box = widgets.VBox(side, layout=widgets.Layout(margin="0 0 0 12px"))
        body = widgets.HBox([self.picture, side_box])
        self.widget = widgets.VBox([self.heading, body, self.holder])
        self.widget.add_class("cnnviz-stage")

    def reveal(self, shown: bool) -> None:
        self.picture.layout.visibility = "visible" if shown else "hidden"
        self.key.layout.visibility = "visible" if shown else "hidden"


class NetworkPage:
    """The whole-network page for a trained network and held-out samples.

    Parameters
    ----------
    network : Sequential, optional (default: the trained gesture CNN, seed 0)
    data : Gestures, optional (default: 200 held-out gestures)
    """

    def __init__(self, network: Sequential | None = None, data: Gestures | None = None) -> None:
        self.network = trained_network() if network is None else network
        self.data = held_out() if data is None else data
        if len(self.data) == 0:
            raise ValueError("data must hold at least one sample")
        self.predicted = softmax(self.network.predict(self.data.images)).argmax(axis=1)
        self.trace: BackwardTrace | None = None
        self.timings: dict[str, float] = {}
        self._build()
        self._update()

    # ------------------------------------------------------------------ widgets

    def _options(self) -> list[tuple[str, int]]:
        names, labels = self.data.class_names, self.data.labels
        wrong = np.flatnonzero(self.predicted != labels)
        order = np.concatenate([wrong, np.flatnonzero(self.predicted == labels)])
        return [
            (f"#{i}: {names[labels[i]]}"
             + (f" (seen as {names[self.predicted[i]]})" if self.predicted[i] != labels[i]
                else ""), int(i))
            for i in order
        ]  # fmt: skip

    def _build(self) -> None:
        self.sample = widgets.Dropdown(
            options=self._options(), description="sample", layout=widgets.Layout(width="340px")
        )
        self.batch = widgets.ToggleButtons(
            options=[(str(b), b) for b in BATCHES], description="batch B",
            style={"button_width": "42px"},
        )  # fmt: skip
        stages = len(self.network.layers)
        self.play = widgets.Play(
            value=stages + 1, min=0, max=stages + 1, interval=PLAY_MS, description="play"
        )  # opens with every row shown; jslink copies this value to the slider
        self.step = widgets.IntSlider(
            value=stages + 1, min=0, max=stages + 1, description="δ reached",
            layout=widgets.Layout(width="300px"),
        )  # fmt: skip
        widgets.jslink((self.play, "value"), (self.step, "value"))
        self.a11y = PageA11y(play=self.play)  # names, alt texts, live region, Space to play
        self.badge, self.info, self.loss = widgets.HTML(), widgets.HTML(), widgets.HTML()
        self.reading = widgets.HTML()  # the rows, the "δ reached" slider and the colours
        self.forward = widgets.VBox()
        self.rows = [self._stage_row(layer_index) for layer_index in range(stages - 1, -1, -1)]
        for row in self.rows:
            self.a11y.describe(row.picture, "The δ this layer sends below")
        self.saliency = _image()
        self.a11y.describe(self.saliency, "The images beside their dL/d(image)")
        self.saliency_text = widgets.HTML(layout=widgets.Layout(margin="0 0 0 12px"))
        self.batch_box = widgets.HTML()
        self.sample.observe(self._on_change, names="value")
        self.batch.observe(self._on_change, names="value")
        self.step.observe(self._on_step, names="value")
        self.widget = widgets.VBox(self._arrange())
        self.widget.add_class("cnnviz-network")

    def _stage_row(self, layer_index: int) -> _StageRow:
        layer = self.network.layers[layer_index]
        if type(layer).__name__ != "Conv2D":
            return _StageRow()
        conv = sum(type(x).__name__ == "Conv2D" for x in self.network.layers[:layer_index])
        row: _StageRow | None = None

        def explore(_button) -> None:
            self._guarded(lambda: self._open_explorer(row, conv))

        row = _StageRow(explore, f"open conv {conv + 1} in the one-layer explorer")
        return row

    def _arrange(self) -> list[widgets.Widget]:
        header = widgets.HTML("<h3 style='margin:8px 0 2px'>Forward: what each layer made</h3>")
        back = widgets.HTML(
            "<h3 style='margin:12px 0 2px'>Backward: δ from the loss to the image</h3>"
        )
        controls = widgets.HBox(
            [self.sample, self.batch, self.play, self.step],
            layout=widgets.Layout(flex_flow="row wrap", align_items="center"),
        )
        end = widgets.VBox(
            [widgets.HTML("<b>The image's gradient dL/d(image): the saliency map</b>"),
             widgets.HBox([self.saliency, self.saliency_text])]
        )  # fmt: skip
        return [_PIXELATED, self.a11y.widget, controls, self.reading, self.badge, self.info,
                header, self.forward, back, self.loss, *[row.widget for row in self.rows], end,
                self.batch_box]  # fmt: skip

    # ------------------------------------------------------------------ callbacks

    def _guarded(self, action) -> None:
        try:
            action()
        except Exception as error:  # the page never shows a traceback
            self.info.value = f"This could not be shown: {html.escape(str(error))}"

    def _on_change(self, _change=None) -> None:
        index, batch = self.sample.value, self.batch.value
        valid = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                    for v in (index, batch))  # fmt: skip
        if not valid or not 0 <= index < len(self.data) or batch not in BATCHES:
            self.info.value = "Pick a sample from the list and a batch size."
            return
        self._guarded(self._update)

    def _on_step(self, change=None) -> None:
        step = self.step.value
        if not isinstance(step, (int, np.integer)):
            return
        if change is not None and self.trace is not None:  # the learner (or Play) moved δ
            self.a11y.announce(words.step_words(int(step), self.trace))
        for number, row in enumerate(self.rows, start=1):
            row.reveal(number <= step)
        self.saliency.layout.visibility = "visible" if step > len(self.rows) else "hidden"

    def picked(self) -> np.ndarray:
        """Indices of the batch: the chosen sample, then the next ones in the list."""
        order = [value for _, value in self.sample.options]
        start = order.index(self.sample.value)
        return np.array([order[(start + i) % len(order)] for i in range(self.batch.value)])

    def _update(self) -> None:
        started = time.perf_counter()
        picks = self.picked()
        self.trace = trace_backward(self.network, self.data.images[picks],
                                    self.data.labels[picks])  # fmt: skip
        traced = time.perf_counter()
        self._draw(picks)
        drawn = time.perf_counter()
        check = whole_network_check(self.network, self.trace.images, self.trace.labels)
        # colour 0: the darkest of the theme's greens and reds (color1 is 4.1:1 on white)
        ok = "var(--jp-success-color0, #1a7f37)" if check.ok else "var(--jp-error-color0, #b42318)"
        text = html.escape(check.badge())
        self.badge.value = f"<div style='color:{ok};font-size:14px'>{text}</div>"
        self.timings = {"trace": traced - started, "draw": drawn - traced,
                        "check": time.perf_counter() - drawn}  # fmt: skip
        self._on_step()

    def _draw(self, picks: np.ndarray) -> None:
        trace, names = self.trace, self.data.class_names
        first = int(picks[0])
        self.info.value = (
            f"<div style='font-size:14px'>sample #{first}: true class "
            f"<b>{html.escape(names[self.data.labels[first]])}</b>, the network says "
            f"<b>{html.escape(names[int(trace.probabilities[0].argmax())])}</b>"
            f" (p = {trace.probabilities[0].max():.3f}); batch of {trace.batch}: "
            f"{', '.join(f'#{i}' for i in picks)}; mean loss {trace.loss:.4f}</div>"
        )
        self._draw_forward()
        self.reading.value = "<div style='font-size:13px;line-height:1.4'>" + "<br>".join(
            html.escape(text) for text in (words.rows_words(trace),
                                           words.slider_words(trace, PLAY_MS / 1000),
                                           words.colour_words(trace))) + "</div>"
        self.loss.value = words.loss_table(trace, names)
        for number, (row, stage) in enumerate(zip(self.rows, trace.stages, strict=True), 1):
            drawn = pictures.stage_picture(stage)
            row.heading.value = words.heading(stage, number)
            _show(row.picture, drawn)
            self.a11y.set_alt(row.picture, words.stage_alt(stage, number, scale=drawn.scale))
            text = words.caption(stage) + self._rows_note(picks)
            row.caption.value = f"<div style='font-size:13px;line-height:1.4'>{text}</div>"
            row.key.value = pictures.colour_key(drawn.scale)
            row.holder.children = ()
        _show(self.saliency, pictures.saliency_picture(trace))
        self.a11y.set_alt(self.saliency, words.saliency_alt(trace))
        self.saliency_text.value = (
            "<div style='font-size:13px;max-width:420px'>Left: the image; right: dL/d(image) "
            f"{words.shape_text(trace.images.shape[1:])} per sample. Red pixels would raise "
            "the loss if brightened, blue ones lower it.</div>"
            + pictures.colour_key(pictures.symmetric_scale(trace.saliency))
        )
        self.batch_box.value = (
            "" if trace.batch == 1 else
            f"<h3>The batch: B = {trace.batch}</h3>" + words.batch_table(batch_sum_errors(trace))
        )  # fmt: skip

    def _rows_note(self, picks: np.ndarray) -> str:
        if len(picks) == 1:
            return ""
        order = ", ".join(f"#{i}" for i in picks)
        return f"<br><i>Samples {order}: one after another, each its own block of maps.</i>"

    def _forward_values(self) -> list[tuple[str, np.ndarray, tuple, bool]]:
        trace = self.trace
        rows = [("input image", trace.images, self.network.input_shape, True)]
        stages = list(reversed(trace.stages))  # in forward order
        kinds = [stage.kind for stage in stages]
        for index, stage in enumerate(stages):
            if stage.kind in words.forward_kinds():
                rows.append((f"{self._forward_what(kinds, index)}, {stage.name}", stage.y,
                             stage.shape_out, False))
        return rows

    @staticmethod
    def _forward_what(kinds: list[str], index: int) -> str:
        if kinds[index] == "conv":
            return "z = conv output"
        relu_first = index > 0 and words.pooled_relu(kinds, index - 1)
        return "after ReLU and max-pool" if relu_first else "after max-pool"

    def _draw_forward(self) -> None:
        rows = self._forward_values()
        if len(self.forward.children) != len(rows):  # built once; later only values change
            self._forward_parts = [(widgets.HTML(), _image()) for _ in rows]
            self.forward.children = [widgets.HBox(list(part)) for part in self._forward_parts]
            for _, image in self._forward_parts:
                self.a11y.describe(image, "A forward map")
        for (label, image), (title, values, shape, is_image) in zip(
            self._forward_parts, rows, strict=True
        ):
            label.value = (
                f"<div style='font-size:13px;width:240px'>{html.escape(title)} "
                f"{words.shape_text(shape)}</div>"
            )
            _show(image, pictures.forward_picture(values, shape, image=is_image))
            self.a11y.set_alt(image, words.forward_alt(title, values, shape))

    def _open_explorer(self, row: _StageRow, conv: int) -> None:
        first = int(self.picked()[0])
        snapshot = conv_layer_snapshot(
            self.network, self.data.images[first], int(self.data.labels[first]), conv=conv
        )
        names = [type(layer).__name__ for layer in self.network.layers]
        self.explorer = Explorer(layer=snapshot, notes=[words.below_words(names, conv)])
        row.holder.children = [
            widgets.HTML(f"<div style='{_BOX}'>Conv layer {conv + 1} of sample #{first}: "
                         "its real x, W and δ in the one-layer explorer.</div>"),
            self.explorer.widget,
        ]  # fmt: skip


def network_page() -> widgets.VBox:
    """The page's one call: a :class:`NetworkPage` on the trained gesture CNN."""
    return NetworkPage().widget
