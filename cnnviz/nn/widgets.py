"""Widget glue for the gesture notebook: live training progress, and a real layer explored.

ipywidgets wiring only; the maths lives in :mod:`cnnviz.nn.training` and the drawing in
:mod:`cnnviz.nn.figures`.

::

    from cnnviz.nn.widgets import SampleExplorer, show, train_with_progress
    history = train_with_progress(network, train_set, test_set=test_set, epochs=3)
    SampleExplorer(network, test_set).widget    # pick a test image, open the explorer on it
"""

from __future__ import annotations

import html
import time

import ipywidgets as widgets
import numpy as np
from IPython.display import display

from cnnviz.explorer.a11y import PageA11y
from cnnviz.explorer.app import Explorer
from cnnviz.explorer.render.png import figure_png
from cnnviz.explorer.render.png import show as show  # re-exported for the notebook
from cnnviz.nn.figures import curves_alt, curves_figure, sample_alt, sample_figure
from cnnviz.nn.gestures import Gestures
from cnnviz.nn.layers import Conv2D, Sequential
from cnnviz.nn.losses import softmax
from cnnviz.nn.training import DEFAULTS, History, Progress, conv_layer_snapshot, train

MAX_CHOICES = 200  # test samples offered in the picker
_REDRAW_SECONDS = 0.2  # the bar's text is rewritten at most this often (each update is a message)


class TrainingProgress:
    """A progress bar, a status line and loss/accuracy curves, fed with :class:`Progress`.

    Use it as the ``on_progress`` callback of :func:`cnnviz.nn.training.train`; display
    :attr:`widget` first. The curves are redrawn once per epoch.
    """

    def __init__(self) -> None:
        self.bar = widgets.IntProgress(
            value=0,
            min=0,
            max=1,
            description="training",
            layout=widgets.Layout(width="360px"),
        )
        self.status = widgets.HTML("waiting to start")
        self.curves = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.a11y = PageA11y()  # the curves' alt text; the bar is named by its label
        self.a11y.describe(self.curves, curves_alt([], []))
        # flex-start: a stretched VBox child would blow the PNG up to the page's width
        self.widget = widgets.VBox(
            [widgets.HBox([self.bar, self.status]), self.curves, self.a11y.widget],
            layout=widgets.Layout(align_items="flex-start"),
        )
        self.loss: list[float] = []
        self.accuracy: list[float] = []
        self.test_accuracy: list[float] = []
        self._last = 0.0

    def __call__(self, progress: Progress) -> None:
        self.bar.max = progress.epochs * progress.batches
        self.bar.value = (progress.epoch - 1) * progress.batches + progress.batch
        now = time.perf_counter()
        if progress.epoch_done or now - self._last >= _REDRAW_SECONDS:
            self._last = now
            held_out = (
                f", held-out accuracy {progress.test_accuracy:.3f}"
                if progress.test_accuracy is not None
                else ""
            )
            self.status.value = (
                f"epoch {progress.epoch}/{progress.epochs}, batch {progress.batch}/"
                f"{progress.batches}: loss {progress.loss:.3f}, accuracy "
                f"{progress.accuracy:.3f}{held_out} ({progress.seconds:.1f} s)"
            )
        if progress.epoch_done:
            self.loss.append(progress.loss)
            self.accuracy.append(progress.accuracy)
            if progress.test_accuracy is not None:
                self.test_accuracy.append(progress.test_accuracy)
            self.curves.value = figure_png(
                curves_figure(self.loss, self.accuracy, self.test_accuracy)
            )
            self.a11y.set_alt(self.curves, curves_alt(self.loss, self.accuracy,
                                                      self.test_accuracy))  # fmt: skip


def train_with_progress(
    network: Sequential,
    train_set: Gestures,
    *,
    test_set: Gestures | None = None,
    epochs: int = DEFAULTS["epochs"],
    batch_size: int = DEFAULTS["batch_size"],
    learning_rate: float = DEFAULTS["learning_rate"],
    seed: int = 0,
) -> History:
    """Display a live :class:`TrainingProgress`, then train (:func:`cnnviz.nn.training.train`)."""
    progress = TrainingProgress()
    display(progress.widget)
    return train(
        network,
        train_set,
        test_set=test_set,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
        on_progress=progress,
    )


class SampleExplorer:
    """Pick a test sample and a conv layer; the explorer opens on that layer's real numbers.

    For the chosen sample the network runs one forward and one backward pass (loss: the
    cross-entropy against the sample's true class); the explorer then shows that conv layer's
    real input ``x``, filters ``W`` and delta ``δ = dL/dz``.

    Parameters
    ----------
    network : Sequential, trained, with at least one Conv2D
    data : Gestures, usually the held-out set
    index : int, optional, the sample shown first (default: the first mistake, if any)
    conv : int, which conv layer first (0 = the first; 1 = the second, whose x is 8 deep)
    """

    def __init__(
        self, network: Sequential, data: Gestures, *, index: int | None = None, conv: int = 1
    ) -> None:
        self.network, self.data = network, data
        self.convs = [layer for layer in network.layers if isinstance(layer, Conv2D)]
        if not self.convs:
            raise ValueError("network must contain at least one Conv2D layer")
        if len(data) == 0:
            raise ValueError("data must hold at least one sample")
        self.probabilities = softmax(network.predict(data.images))
        options = self._options()
        order = [value for _, value in options]
        self.sample = widgets.Dropdown(
            options=options,
            value=int(index) if index is not None and index in order else order[0],
            description="test sample",
            layout=widgets.Layout(width="380px"),
        )
        self.layer = widgets.ToggleButtons(
            options=[(self._conv_label(i), i) for i in range(len(self.convs))],
            value=int(np.clip(conv, 0, len(self.convs) - 1)),
            description="layer",
            style={"button_width": "180px"},
        )
        self.picture = widgets.Image(format="png")
        self.a11y = PageA11y()  # the sample picture's alt text
        self.a11y.describe(self.picture, "The chosen held-out gesture image")
        self.info = widgets.HTML()
        self.holder = widgets.VBox()
        self.explorer: Explorer | None = None
        self.sample.observe(self._on_change, names="value")
        self.layer.observe(self._on_change, names="value")
        self.widget = widgets.VBox(
            [
                widgets.HBox(
                    [self.sample, self.layer], layout=widgets.Layout(flex_flow="row wrap")
                ),
                widgets.HBox(
                    [self.picture, self.info], layout=widgets.Layout(align_items="center")
                ),
                self.holder,
                self.a11y.widget,
            ]
        )
        self._on_change()

    def _options(self) -> list[tuple[str, int]]:
        """The mistakes first (their deltas are the large ones), then the others in order."""
        predicted = self.probabilities.argmax(axis=1)
        names, labels = self.data.class_names, self.data.labels
        wrong = np.flatnonzero(predicted != labels)
        order = np.concatenate([wrong, np.flatnonzero(predicted == labels)])
        return [
            (f"#{i}: {names[labels[i]]}"
             + ("" if predicted[i] == labels[i] else f" (seen as {names[predicted[i]]})"),
             int(i))
            for i in order[: max(MAX_CHOICES, wrong.size)]
        ]  # fmt: skip

    def _conv_label(self, position: int) -> str:
        layer = self.convs[position]
        depth = "the image" if position == 0 else f"{layer.in_channels} deep"
        return f"conv {position + 1} (x is {depth})"

    def _on_change(self, _change=None) -> None:
        index, conv = self.sample.value, self.layer.value
        valid = all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (index, conv)
        )
        if not valid or not (0 <= index < len(self.data) and 0 <= conv < len(self.convs)):
            self.info.value = "Pick a sample from the list and one of the layers."
            return
        try:
            self._open(int(index), int(conv))
        except Exception as error:  # the page must never show a traceback
            self.info.value = f"This sample could not be shown: {html.escape(str(error))}"

    def _open(self, index: int, conv: int) -> None:
        label = int(self.data.labels[index])
        names = self.data.class_names
        p = self.probabilities[index]
        snapshot = conv_layer_snapshot(self.network, self.data.images[index], label, conv=conv)
        title = f"#{index}: {names[label]}"
        self.picture.value = figure_png(sample_figure(self.data.images[index], title=title))
        self.a11y.set_alt(self.picture, sample_alt(self.data.images[index], title=title))
        self.info.value = (
            f"<div style='font-size:14px'>true class <b>{html.escape(names[label])}</b>; "
            f"the network says <b>{html.escape(names[int(p.argmax())])}</b> "
            f"(p = {p.max():.3f}); loss −log p(true) = {-np.log(max(p[label], 1e-300)):.3g}.<br>"
            f"Conv layer {conv + 1}, {html.escape(repr(self.convs[conv]))}: "
            f"x {snapshot.x.shape}, W {snapshot.w.shape}, "
            f"δ {snapshot.delta.shape}, activation below: {snapshot.activation}.<br>"
            "Every number below is this sample's real forward input, filter weight and "
            "delta δ = ∂L/∂z.</div>"
        )
        self.explorer = Explorer(layer=snapshot)
        self.holder.children = [self.explorer.widget]
