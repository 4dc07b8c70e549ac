"""Training the gesture CNN: a short run beats chance, runs repeat, real snapshots.

The command line (``train-gestures``) is tested in tests/test_cli.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.core.gradcheck import numerical_gradient
from cnnviz.explorer.layer import LayerSnapshot
from cnnviz.nn import softmax_cross_entropy
from cnnviz.nn.gestures import CLASS_NAMES, make_gestures, train_test_split
from cnnviz.nn.training import (
    accuracy,
    confusion_matrix,
    conv_layer_snapshot,
    gesture_network,
    train,
)


@pytest.fixture(scope="module")
def short_run():
    train_set, test_set = train_test_split(1200, 400, seed=0)
    network = gesture_network(seed=0)
    events = []
    history = train(
        network, train_set, epochs=2, batch_size=32, test_set=test_set, on_progress=events.append
    )
    return network, test_set, history, events


def test_short_training_beats_chance_clearly(short_run):
    network, test_set, history, _ = short_run
    chance = 1 / len(CLASS_NAMES)
    assert accuracy(network, test_set) > 0.5 > 3 * chance
    assert history.train_loss[-1] < history.train_loss[0] < np.log(len(CLASS_NAMES)) + 0.5


def test_progress_is_reported_after_every_batch(short_run):
    _, test_set, history, events = short_run
    batches = -(-1200 // 32)
    assert len(events) == 2 * batches
    assert [e.epoch_done for e in events].count(True) == 2
    ends = [e for e in events if e.epoch_done]
    assert [e.loss for e in ends] == history.train_loss
    assert [e.test_accuracy for e in ends] == history.test_accuracy
    assert all(e.test_accuracy is None for e in events if not e.epoch_done)
    assert all(a.seconds <= b.seconds for a, b in zip(events, events[1:], strict=False))


def test_confusion_matrix_agrees_with_accuracy(short_run):
    network, test_set, _, _ = short_run
    confusion = confusion_matrix(network, test_set)
    assert confusion.shape == (len(CLASS_NAMES),) * 2
    np.testing.assert_array_equal(confusion.sum(axis=1), np.bincount(test_set.labels))
    assert np.trace(confusion) / confusion.sum() == pytest.approx(accuracy(network, test_set))


def test_same_seed_same_training():
    data = make_gestures(200, seed=4)
    runs = []
    for _ in range(2):
        network = gesture_network(seed=3)
        history = train(network, data, epochs=1, batch_size=50, seed=3)
        runs.append((history.train_loss, network.layers[0].params["w"].copy()))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def test_train_argument_errors():
    data = make_gestures(16, seed=0)
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        train(gesture_network(), data, epochs=0)
    with pytest.raises(TypeError, match="batch_size must be an int"):
        train(gesture_network(), data, batch_size=2.0)


# --------------------------------------------------------------------------- real snapshots


def _tiny_trained(seed: int = 0):
    """A float64 network on 12×12 gestures, trained a little so its deltas are not random."""
    data = make_gestures(160, seed=seed, size=12)
    network = gesture_network(seed=seed, size=12, dtype=np.float64)
    train(network, data, epochs=1, batch_size=16, seed=seed)
    return network, data


@pytest.mark.parametrize("conv", [0, 1])
def test_snapshot_delta_is_the_real_dL_dz(conv):
    network, data = _tiny_trained()
    image, label = data.images[3].astype(np.float64), int(data.labels[3])
    snapshot = conv_layer_snapshot(network, image, label, conv=conv)
    assert isinstance(snapshot, LayerSnapshot)
    layer = [layer for layer in network.layers if type(layer).__name__ == "Conv2D"][conv]

    def loss_of(w: np.ndarray) -> float:
        saved = layer.params["w"]
        layer.params["w"] = w
        try:
            return softmax_cross_entropy(network.forward(image[None]), np.array([label]))[0]
        finally:
            layer.params["w"] = saved

    # the snapshot's dW, computed by the core from its x and δ, is the loss's true gradient
    numeric = numerical_gradient(loss_of, layer.params["w"])
    assert np.max(np.abs(snapshot.dw - numeric)) < 1e-7
    np.testing.assert_allclose(snapshot.z, layer.forward(snapshot.x[None])[0])


def test_first_conv_snapshot_sees_the_image_and_second_sees_eight_channels():
    network, data = _tiny_trained()
    image, label = data.images[0].astype(np.float64), int(data.labels[0])
    first = conv_layer_snapshot(network, image, label, conv=0)
    np.testing.assert_array_equal(first.x, image)
    assert first.activation == "identity" and first.depth == 1
    second = conv_layer_snapshot(network, image, label, conv=1)
    assert second.x.shape == (8, 6, 6) and second.w.shape == (16, 8, 3, 3)
    assert second.delta.shape == (16, 6, 6)
    assert second.activation == "relu"
    np.testing.assert_allclose(np.maximum(second.z_below, 0), second.x)


def test_snapshot_argument_errors():
    network, data = _tiny_trained()
    with pytest.raises(ValueError, match="conv must be < 2"):
        conv_layer_snapshot(network, data.images[0], 0, conv=2)
    with pytest.raises(ValueError, match=r"image must be one sample \(1, 12, 12\)"):
        conv_layer_snapshot(network, data.images[:2], 0)


# --------------------------------------------------------------------------- figures and widgets


def test_gesture_figures_draw(short_run):
    from cnnviz.nn.figures import (
        confusion_figure,
        curves_figure,
        figure_png,
        filters_figure,
        samples_figure,
    )

    network, test_set, history, _ = short_run
    figures = [
        samples_figure(test_set, per_class=3),
        curves_figure(history.train_loss, history.train_accuracy, history.test_accuracy),
        confusion_figure(confusion_matrix(network, test_set)),
        filters_figure(network.layers[3].params["w"], title="second conv"),
    ]
    assert len(figures[0].axes) == 3 * len(CLASS_NAMES)
    assert len(figures[3].axes) == 2  # the mosaic of every slice, and the colour bar
    for figure in figures:
        assert figure_png(figure).startswith(b"\x89PNG")
    with pytest.raises(ValueError, match=r"confusion must be \(8, 8\)"):
        confusion_figure(np.zeros((3, 3)))


def test_training_progress_widget_follows_the_events(short_run):
    from cnnviz.nn.widgets import TrainingProgress

    _, _, history, events = short_run
    progress = TrainingProgress()
    for event in events:
        progress(event)
    assert progress.bar.value == progress.bar.max == len(events)
    assert progress.loss == history.train_loss
    assert progress.test_accuracy == history.test_accuracy
    assert bytes(progress.curves.value).startswith(b"\x89PNG")
    assert "epoch 2/2" in progress.status.value
    alt = progress.a11y._alts  # the curves' alt text says every epoch's own numbers
    (text,) = alt.values()
    assert text.startswith("Training curves over 2 epochs")
    epochs = zip(history.train_loss, history.test_accuracy, strict=True)
    for epoch, (loss, held) in enumerate(epochs, 1):
        assert f"epoch {epoch}: loss {loss:.3f}" in text
        assert f"held-out accuracy {held:.3f}" in text


def test_sample_explorer_opens_the_real_layer(short_run):
    from cnnviz.nn.widgets import SampleExplorer

    network, test_set, _, _ = short_run
    explorer = SampleExplorer(network, test_set, index=2, conv=1)
    layer = explorer.explorer.fixed_layer
    expected = conv_layer_snapshot(network, test_set.images[2], int(test_set.labels[2]), conv=1)
    np.testing.assert_array_equal(layer.delta, expected.delta)
    assert layer.x.shape == (8, 14, 14)
    assert "true class" in explorer.info.value
    wrong = np.flatnonzero(network.predict(test_set.images).argmax(axis=1) != test_set.labels)
    labels = [label for label, _ in explorer.sample.options]
    assert all("seen as" in label for label in labels[: wrong.size])  # mistakes come first
    assert not any("seen as" in label for label in labels[wrong.size :])
    explorer.layer.value = 0
    assert explorer.explorer.fixed_layer.depth == 1
    explorer.sample.value = 5
    np.testing.assert_array_equal(explorer.explorer.fixed_layer.x, test_set.images[5])
    (alt,) = explorer.a11y._alts.values()  # the picture's alt follows the sample
    i, j = np.unravel_index(np.argmax(test_set.images[5, 0]), (28, 28))
    assert alt.startswith(f"Gesture image #5: {CLASS_NAMES[test_set.labels[5]]}, 28×28")
    assert f"the brightest at (i, j) = ({i}, {j})" in alt
    assert f"{int((test_set.images[5] > 0.5).sum())} brighter than 0.5" in alt
    assert explorer.holder.children == (explorer.explorer.widget,)
