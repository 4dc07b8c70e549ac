"""Lesson 8, your own model: a PyTorch CNN trained on the gestures, captured, opened, compared.

The notebook calls five functions; each returns what it shows (or, without PyTorch, one
sentence saying how to get it, so the notebook still runs top to bottom):

* :func:`train` trains :func:`cnnviz.nn.capture.gesture_model` (lesson 6's layers, in torch)
  on the gesture data for a few epochs: well under a minute on one thread.
* :func:`capture_batch` captures it on lesson 7's batch (the first 4 of ``held_out(8)``).
* :func:`pages` opens its first conv layer in the explorer and the whole model in the network
  page (:func:`cnnviz.nn.captured.open_pages`).
* :func:`comparison` puts its numbers beside lesson 7's (the trained cnnviz network): test
  accuracy, the batch's mean loss, the batch rule (δ in a batch of B = δ alone / B) and the
  whole-network finite-difference check.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass

import numpy as np

from cnnviz.core.arrays import as_count
from cnnviz.nn.captured import Capture, open_pages
from cnnviz.nn.gestures import CLASS_NAMES, train_test_split
from cnnviz.nn.network_check import as_float64, whole_network_check
from cnnviz.nn.pretrained import held_out, trained_network
from cnnviz.nn.training import accuracy

BATCH = 4  # lesson 7's batch: the first 4 held-out images
EPOCHS = 3
TRAIN_COUNT = 6000


def missing_torch() -> str | None:
    """The sentence saying PyTorch is missing and how to install it, or None when it is there."""
    from cnnviz.nn.capture import torch_missing

    sentence = torch_missing()
    return None if sentence is None else (
        "This lesson shows nothing here: " + sentence[0].lower() + sentence[1:])


@dataclass(frozen=True, eq=False)
class Trained:
    """A torch gesture model after :func:`train`: the model, its seconds and test accuracy."""

    model: object
    seconds: float
    test_accuracy: float

    def summary(self) -> str:
        return (f"{self.model}\ntrained for {EPOCHS} epochs on {TRAIN_COUNT} gestures in "
                f"{self.seconds:.1f} s; held-out accuracy {self.test_accuracy:.3f}")  # fmt: skip


def train(seed: int = 0) -> Trained | None:
    """Train lesson 6's CNN, written in PyTorch, on the gestures (None without PyTorch)."""
    seed = as_count(seed, "seed", 0)
    if missing_torch():
        return None
    from cnnviz.nn import capture as torch_side

    train_set, _ = train_test_split(TRAIN_COUNT, 1, seed=seed)
    model = torch_side.gesture_model(seed=seed)
    started = time.perf_counter()
    torch_side.train_model(model, train_set.images, train_set.labels, epochs=EPOCHS, seed=seed)
    seconds = time.perf_counter() - started
    test = held_out()
    right = torch_side.predict(model, test.images).argmax(axis=1) == test.labels
    return Trained(model, seconds, float(np.mean(right)))


def trained_summary(trained: Trained | None) -> str:
    """The model, its training time and accuracy; or the sentence saying PyTorch is missing."""
    return trained.summary() if trained is not None else (missing_torch() or "Not trained.")


def captured_summary(captured: Capture | None) -> str:
    """The captured conv layers' names and what is not supported, one line each."""
    if captured is None:
        return missing_torch() or "Nothing captured."
    notes = "\n".join(captured.notes) or "nothing: the whole model opens"
    return f"conv layers: {', '.join(captured.names)}\nnot supported: {notes}"


def capture_batch(trained: Trained | None, sample: int = 0) -> Capture | None:
    """The trained model captured on lesson 7's batch (None without a model)."""
    if trained is None:
        return None
    if not isinstance(trained, Trained):
        raise TypeError(f"trained must be what train() returned; got {type(trained).__name__}")
    from cnnviz.nn.capture import capture

    data = held_out(8)
    return capture(trained.model, data.images[:BATCH], data.labels[:BATCH], sample=sample,
                   class_names=CLASS_NAMES)  # fmt: skip


def pages(captured: Capture | None) -> tuple:
    """Two widgets: the explorer on the first conv layer, the network page on the whole model
    (with lesson 7's 200 held-out gestures to pick from); sentences instead when they cannot
    open."""
    if captured is None:
        import ipywidgets as widgets

        missing = widgets.HTML(f"<p>{html.escape(missing_torch() or 'Capture a model first.')}</p>")
        return missing, missing
    return open_pages(captured, held_out())


def comparison(trained: Trained | None, captured: Capture | None) -> str:
    """A Markdown table: the torch model's numbers beside lesson 7's network's."""
    if trained is None or captured is None:
        return missing_torch() or "Train and capture the model first."
    if not isinstance(trained, Trained) or not isinstance(captured, Capture):
        raise TypeError("trained and captured must be what train() and capture_batch() returned")
    from cnnviz.nn.backward_trace import trace_backward
    from cnnviz.nn.capture import capture

    ours = as_float64(trained_network())
    theirs = as_float64(captured.network)
    data = held_out(8)
    images, labels = data.images[:BATCH].astype(np.float64), data.labels[:BATCH]
    test = held_out()  # the images train() measured the torch model's accuracy on
    rows = [(f"held-out accuracy ({len(test)} images)", accuracy(trained_network(), test),
             trained.test_accuracy)]  # fmt: skip
    traces = [trace_backward(net, images, labels) for net in (ours, theirs)]
    rows.append((f"mean loss on lesson 7's batch of {BATCH}", traces[0].loss, traces[1].loss))
    alone = trace_backward(ours, images[1], labels[1]).conv_stages()[0].delta_out[0]
    ours_gap = np.abs(traces[0].conv_stages()[0].delta_out[1] - alone / BATCH).max()
    own = capture(trained.model, data.images[1:2], data.labels[1:2])[0].delta
    theirs_gap = np.abs(captured.for_sample(1)[0].delta - own / BATCH).max()
    rule = f"batch rule at conv 1, sample 1: largest gap, δ in the batch vs δ alone / {BATCH}"
    rows.append((rule, float(ours_gap), float(theirs_gap)))
    checks = [whole_network_check(net, images, labels).worst for net in (ours, theirs)]
    rows.append(("whole-network check: largest gap, analytic vs numeric gradient", *checks))
    lines = ["| | lesson 7: cnnviz's gesture CNN | lesson 8: your torch model |",
             "| --- | --- | --- |"]  # fmt: skip
    lines += [f"| {name} | {_number(a)} | {_number(b)} |" for name, a, b in rows]
    return "\n".join(lines)


def _number(value: float) -> str:
    return f"{value:.3f}" if abs(value) >= 1e-3 else f"{value:.1e}"
