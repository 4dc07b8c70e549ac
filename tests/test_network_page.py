"""The whole-network page without a browser: words from the trace, pictures, widgets, weights."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz.cli import main as cli
from cnnviz.nn import network_figures as pictures
from cnnviz.nn import network_words as words
from cnnviz.nn import pretrained
from cnnviz.nn.backward_trace import trace_backward
from cnnviz.nn.gestures import make_gestures
from cnnviz.nn.training import gesture_network, train


@pytest.fixture(scope="module")
def trained():
    data = make_gestures(400, seed=5)
    network = gesture_network(seed=5)
    train(network, data, epochs=1, batch_size=32, seed=5)
    return network, make_gestures(24, seed=6)


def _numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\b\d+\b", text)]


def test_captions_quote_the_traces_own_counts_and_indices(trained):
    network, data = trained
    trace = trace_backward(network, data.images[:1], data.labels[:1])
    dense, flat, pool, relu, conv = trace.stages[:5]
    assert f"{int(pool.route.sum())} of {pool.route.size} positions receive δ" in words.caption(
        pool
    )
    closed = relu.route.size - int(relu.route.sum())
    assert f"({int(relu.route.sum())} of {relu.route.size} positions)" in words.caption(relu)
    assert f"the other {closed}." in words.caption(relu)
    f, (c, i, j) = words.unflatten_example(flat)
    assert (c, i, j) == tuple(int(v) for v in np.unravel_index(f, flat.shape_in))
    assert flat.delta_in[0, c, i, j] == flat.delta_out[0, f]
    assert f"f = {f} ↦ (c, i, j) = {(c, i, j)}: channel {c + 1}, row {i}" in words.caption(flat)
    assert f"channels 1 … {flat.shape_in[0]} from left to right" in words.caption(flat)
    assert "c = 0" not in words.caption(flat)  # channels count from 1, as on the explorer
    assert "(f // 49, (f % 49) // 7, f % 7)" in words.caption(flat)
    assert html.escape(words.dx_formula_text()) in words.caption(conv)  # from FORMULAS
    assert "rot180" in words.dx_formula_text() and "crop_p" in words.dx_formula_text()
    assert "all 8 input channels" in words.caption(conv)
    assert "saliency" in words.caption(trace.stages[-1])
    assert words.heading(pool, 3).endswith("δ (16, 7, 7) → (16, 14, 14)")
    assert words.shape_text((784,)) == "(784,)"


def test_loss_table_is_p_minus_onehot(trained):
    network, data = trained
    trace = trace_backward(network, data.images[:1], data.labels[:1])
    table = words.loss_table(trace, data.class_names)
    p = trace.probabilities[0]
    label = int(data.labels[0])
    assert f"{p[label] - 1:+.3f}" in table
    assert f"−log p(true) = {-np.log(p[label]):.3g}" in table


def test_pictures_grey_out_what_the_route_blocks(trained):
    network, data = trained
    trace = trace_backward(network, data.images[:2], data.labels[:2])
    pool = trace.stages[2]
    drawn = pictures.stage_picture(pool)
    assert drawn.png.startswith(b"\x89PNG") and drawn.zoom >= 2
    rgb = pictures.mosaic(pool.delta_in, scale=drawn.scale, blocked=~pool.route)
    grey = np.all(rgb == pictures.BLOCKED, axis=-1).sum()
    assert grey == (~pool.route).sum()  # one pixel per value, every blocked value grey
    assert rgb.shape == (2 * 2 * 15 - 1, 8 * 15 - 1, 3)  # 2 samples × 2 rows of 8 maps
    assert np.all(pictures.colorize(np.zeros(1), 1.0)[0] > 240)  # zero is (near) white
    low, high = pictures.colorize(np.array([-1.0, 1.0]), 1.0)
    assert low[2] > low[0] and high[0] > high[2]  # blue below zero, red above


def test_page_reacts_to_sample_batch_step_and_opens_the_explorer(trained):
    from cnnviz.nn.network_app import NetworkPage

    network, data = trained
    page = NetworkPage(network, data)
    assert page.sample.description == "sample"
    assert "whole network ✓" in page.badge.value
    first = bytes(page.rows[0].picture.value)
    page.sample.value = page.sample.options[2][1]
    assert bytes(page.rows[0].picture.value) != first
    assert f"#{page.sample.value}" in page.info.value
    page.batch.value = 4
    assert page.trace.batch == 4 and "The batch: B = 4" in page.batch_box.value
    assert "✗" not in page.batch_box.value and "✓" in page.batch_box.value
    page.step.value = 3
    shown = [row.picture.layout.visibility for row in page.rows]
    assert shown == ["visible"] * 3 + ["hidden"] * 5
    conv_row = page.rows[4]
    conv_row.button.click()
    assert page.explorer.fixed_layer.x.shape == (8, 14, 14)
    assert conv_row.holder.children[1] is page.explorer.widget


def test_pictures_are_described_and_play_announces_where_delta_is(trained):
    from cnnviz.nn.network_app import NetworkPage

    network, data = trained
    page = NetworkPage(network, data)
    alts = page.a11y._alts
    assert len(alts) == len(page.rows) + 1 + 5  # every row, the saliency, 5 forward maps
    pool_row = page.rows[2]
    pool = page.trace.stages[2]
    alt = alts[page.a11y._classes[id(pool_row.picture)]]
    assert alt.startswith("Layer 3 (max-pool, MaxPool2D(2×2)): δ of shape (16, 7, 7) becomes")
    assert f"{int(pool.route.sum())} of {pool.route.size} positions receive δ" in alt
    where = np.unravel_index(np.argmax(np.abs(pool.delta_in[0])), pool.shape_in)
    value = pool.delta_in[0][where]
    c, i, j = (int(v) for v in where)  # channels counted from 1, rows and columns from 0
    assert f"{value:+.3g} at channel {c + 1}, row {i}, column {j}" in alt
    saliency = alts[page.a11y._classes[id(page.saliency)]]
    assert saliency.startswith("The image (left) beside dL/d(image) (1, 28, 28)")
    page.sample.value = page.sample.options[3][1]
    assert alts[page.a11y._classes[id(pool_row.picture)]] != alt  # new sample, new numbers
    page.batch.value = 4
    assert alts[page.a11y._classes[id(page.saliency)]].startswith("Each of the 4 images")
    page.step.value = 3
    assert page.a11y.live.value == (
        "δ moves through layer 3 of 8, max-pool MaxPool2D(2×2): (16, 7, 7) → (16, 14, 14)."
    )
    page.step.value = 0
    assert page.a11y.live.value == "δ is at the loss: p − onehot."
    page.step.value = len(page.rows) + 1
    assert "dL/d(image)" in page.a11y.live.value
    assert page.a11y.widget in page.widget.children


def test_page_answers_a_failure_with_a_sentence(trained, monkeypatch):
    from cnnviz.nn import network_app
    from cnnviz.nn.network_app import NetworkPage

    network, data = trained
    page = NetworkPage(network, data)

    def broken(*_args):
        raise ValueError("no trace today")

    monkeypatch.setattr(network_app, "trace_backward", broken)
    page.sample.value = page.sample.options[1][1]
    assert page.info.value == "This could not be shown: no trace today"


def test_weights_round_trip_and_the_command(tmp_path, monkeypatch, trained, capsys):
    network, _ = trained
    path = tmp_path / "w.npz"
    pretrained.save_weights(network, path, seed=7)
    loaded, seed = pretrained.load_weights(path)
    assert seed == 7
    for a, b in zip(network.layers, loaded.layers, strict=True):
        for name in a.params:
            np.testing.assert_array_equal(a.params[name], b.params[name])
    assert pretrained.trained_network(seed=7, path=path).layers[0].params["w"].shape == (8, 1, 3, 3)
    monkeypatch.setattr(pretrained, "train_from_seed", lambda seed: network)
    out = tmp_path / "made.npz"
    assert cli(["gesture-weights", "--seed", "3", "--out", str(out)]) == 0
    assert pretrained.load_weights(out)[1] == 3
    assert re.search(r"test accuracy: [01]\.\d{3}", capsys.readouterr().out)


def test_the_shipped_weights_fit_and_are_trained():
    network, seed = pretrained.load_weights(pretrained.WEIGHTS_PATH)
    assert seed == 0
    data = pretrained.held_out(200, seed=0)
    accuracy = np.mean(network.predict(data.images).argmax(axis=1) == data.labels)
    assert accuracy > 0.9


def test_the_page_says_why_its_rows_differ_what_the_slider_counts_and_how_colours_scale(trained):
    from cnnviz.nn.network_app import PLAY_MS, NetworkPage

    network, data = trained
    page = NetworkPage(network, data)
    said = html.unescape(page.reading.value)
    forward, backward = len(page.forward.children), len(page.rows)
    assert (forward, backward) == (5, 8)
    assert f"{forward} rows forward, {backward} backward" in said
    assert f"{page.step.max} also the image's gradient" in said and page.step.min == 0
    assert f"1 … {backward} one more layer's row each" in said
    assert f"every {PLAY_MS / 1000:g} s" in said
    assert "one scale per picture" in said and "the sample shown" in said
    assert "(a ReLU's output is drawn inside the max-pool after it; flatten and dense make" in said
    assert [label for label in _forward_labels(page) if "max-pool" in label] and all(
        "after ReLU and max-pool" in label for label in _forward_labels(page) if "pool" in label)
    trace = page.trace  # the key's ends are the row's largest |δ| over the samples shown
    for row, stage in zip(page.rows, trace.stages, strict=True):
        assert f"{np.abs(stage.delta_in).max():.2g}" in row.key.value
    page.batch.value = 4
    assert "over the 4 samples shown" in html.unescape(page.reading.value)


def test_explorer_opened_on_the_second_conv_names_the_layers_below(trained):
    from cnnviz.nn.network_app import NetworkPage

    network, data = trained
    page = NetworkPage(network, data)
    names = [type(layer).__name__ for layer in network.layers]
    second = [n for n, name in enumerate(names) if name == "Conv2D"][1]
    assert names[second - 1] == "MaxPool2D"  # what the sentence must name first
    page.rows[4].button.click()  # row 5 going back: the second conv
    note = html.unescape(page.explorer.note.value)
    assert "Directly below conv 2 is a max-pool, and below that a ReLU" in note
    page.rows[-1].button.click()
    assert "reads the image" in html.unescape(page.explorer.note.value)
    with pytest.raises(ValueError, match="conv"):
        words.below_words(names, 2)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(["conv", "ReLU", "max-pool", "unflatten", "dense"]),
                min_size=1, max_size=9))
def test_rows_sentence_follows_any_layer_order(kinds):
    """Captured models come in any order: the ReLU and vector clauses are read from it."""
    from types import SimpleNamespace

    from cnnviz.nn import network_words as words

    stages = [SimpleNamespace(kind=kind) for kind in reversed(kinds)]  # the trace runs backward
    said = words.rows_words(SimpleNamespace(stages=stages))
    drawn = sum(kind in ("conv", "max-pool") for kind in kinds)
    assert said.startswith(f"{1 + drawn} rows forward, {len(kinds)} backward.")
    relus = [i for i, kind in enumerate(kinds) if kind == "ReLU"]
    pooled = [i for i in relus if i + 1 < len(kinds) and kinds[i + 1] == "max-pool"]
    assert ("drawn inside the max-pool after it" in said) == (bool(relus) and pooled == relus)
    assert ("not drawn" in said) == (len(pooled) < len(relus))
    assert ("vectors" in said) == ("unflatten" in kinds or "dense" in kinds)
    assert "  " not in said and "the  ones" not in said and "()" not in said


def _forward_labels(page) -> list[str]:
    return [row[0] for row in page._forward_values()]
