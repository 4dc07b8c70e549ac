"""cnnviz.capture against torch's own autograd: the explorer's dx, dW, db and the network
page's δ at every layer, for a batch and for one sample; what is not supported; no torch.

The torch gradients here come from the test's own forward pass through the model's children
(``retain_grad`` on every output, ``loss.backward()``), not from capture's hooks.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnviz
from cnnviz.nn.backward_trace import trace_backward
from cnnviz.nn.capture import NEEDS_TORCH
from cnnviz.nn.captured import same_padding

try:
    import torch
except ImportError:  # the no-torch test below still runs
    torch = None
else:
    torch.set_num_threads(1)  # torch and numpy busy-wait against each other otherwise
if torch is None and os.environ.get("CNNVIZ_REQUIRE_TORCH") == "1":  # make test: never skip
    pytest.fail("CNNVIZ_REQUIRE_TORCH=1 but PyTorch is not installed", pytrace=False)
nn = torch.nn if torch is not None else None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed: capture needs it")


def close(actual, expected, scale=None):
    """float32 agreement, relative to the largest entry of the expected array."""
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(float(np.abs(expected).max(initial=0.0)), 1e-6) if scale is None else scale
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), expected,
                               rtol=0, atol=2e-5 * scale)  # fmt: skip


def torch_pass(model, images, labels):
    """The test's own route: each child's input and output kept, mean cross-entropy, backward."""
    model.zero_grad()
    x = torch.as_tensor(images).clone().requires_grad_(True)
    inputs, outputs, h = [], [], x
    for child in model.children():
        inputs.append(h)
        h = child(h)
        if not h.requires_grad:
            h.requires_grad_(True)
        h.retain_grad()
        outputs.append(h)
    for tensor in inputs:
        tensor.retain_grad()
    loss = nn.functional.cross_entropy(h, torch.as_tensor(labels).long())
    loss.backward()
    return x, inputs, outputs, float(loss.detach())


def small_cnn(seed=0):
    """Stride 2, padding, dilation, a rectangular kernel, several channels, a max-pool and a
    linear head; one conv without a bias."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(4, 6, 3, padding=2, dilation=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 5, (3, 2), stride=(1, 2), padding=(1, 0), bias=False), nn.ReLU(),
        nn.Flatten(), nn.Linear(5 * 3 * 1, 4),
    )  # fmt: skip


def batch(n, seed=1, shape=(2, 13, 11), classes=4):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, *shape)).astype(np.float32), rng.integers(0, classes, n)


def conv_positions(model):
    return [i for i, child in enumerate(model.children()) if isinstance(child, nn.Conv2d)]


# --------------------------------------------------------------------------- the explorer


@needs_torch
@pytest.mark.parametrize("n", [1, 3])
def test_explorer_gradients_equal_torch_autograd(n):
    model = small_cnn()
    images, labels = batch(n)
    captured = cnnviz.capture(model, images, labels)
    _, inputs, outputs, _ = torch_pass(model, images, labels)
    positions = conv_positions(model)
    assert len(captured) == len(positions) == 3 and captured.notes == ()
    per_sample = [captured.for_sample(s) for s in range(n)]
    for number, position in enumerate(positions):
        conv = list(model.children())[position]
        for s in range(n):
            layer = per_sample[s][number]
            close(layer.x, inputs[position].detach()[s])
            close(layer.delta, outputs[position].grad[s])
            close(layer.dx, inputs[position].grad[s])
        close(sum(p[number].dw for p in per_sample), conv.weight.grad)  # Σ_n dW_n = dW
        # no bias: db is still Σ δ, what a bias would receive
        bias = conv.bias.grad if conv.bias is not None else outputs[position].grad.sum((0, 2, 3))
        close(sum(p[number].db for p in per_sample), bias)


@needs_torch
def test_delta_below_is_the_layer_belows_delta():
    model = small_cnn()
    images, labels = batch(2)
    captured = cnnviz.capture(model, images, labels, sample=1)
    _, _, outputs, _ = torch_pass(model, images, labels)
    second = captured[1]  # conv 2 reads ReLU(conv 1): δ below is dL/dz of conv 1
    assert second.activation == "relu"
    close(second.delta_below, outputs[0].grad[1])
    third = captured[2]  # conv 3 reads max-pool(ReLU(conv 2)): z_below is the pooled z
    assert third.activation == "relu"
    close(third.z_below, nn.functional.max_pool2d(outputs[2].detach(), 2)[1])


@needs_torch
def test_one_image_gives_its_own_delta_and_a_batch_one_nth():
    model = small_cnn()
    images, labels = batch(4)
    alone = cnnviz.capture(model, images[2:3], labels[2:3])
    in_batch = cnnviz.capture(model, images, labels, sample=2)
    for own, shared in zip(alone, in_batch, strict=True):
        close(shared.delta * 4, own.delta)


# --------------------------------------------------------------------------- the network page


@needs_torch
@pytest.mark.parametrize("n", [1, 3])
def test_network_page_deltas_equal_torch_autograd(n):
    model = small_cnn(seed=2)
    images, labels = batch(n, seed=3)
    captured = cnnviz.capture(model, images, labels)
    x, _, outputs, loss = torch_pass(model, images, labels)
    trace = trace_backward(captured.network, images, labels)
    assert trace.loss == pytest.approx(loss, rel=1e-5)
    children = list(model.children())
    for stage in trace.stages:  # the top layer first, as δ travels
        close(stage.delta_out, outputs[stage.index].grad)
        if stage.grads:
            torch_w = children[stage.index].weight.grad
            torch_w = torch_w.T if stage.kind == "dense" else torch_w
            close(stage.grads["w"], torch_w)
    close(trace.saliency, x.grad)


@needs_torch
def test_network_page_opens_a_captured_model():
    from cnnviz.nn.network_app import NetworkPage

    model = small_cnn()
    images, labels = batch(3)
    captured = cnnviz.capture(model, images, labels, class_names=("a", "b", "c", "d"))
    page = NetworkPage(captured.network, captured.data())
    assert len(page.rows) == len(list(model.children()))
    assert "mean loss" in page.info.value


# --------------------------------------------------------------------------- any geometry


@needs_torch
@settings(max_examples=12, deadline=None)
@given(
    stride=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    padding=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    dilation=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    channels=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    size=st.tuples(st.integers(9, 14), st.integers(9, 14)),
)
def test_any_geometry_matches_autograd(stride, padding, dilation, kernel, channels, size):
    extent = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    out = [(s + 2 * p - e) // st_ + 1
           for s, p, e, st_ in zip(size, padding, extent, stride, strict=True)]  # fmt: skip
    if min(out) < 1:
        return  # this layer cannot run on this input: nothing to compare
    torch.manual_seed(0)
    c, k = channels
    model = nn.Sequential(
        nn.Conv2d(c, k, kernel, stride=stride, padding=padding, dilation=dilation), nn.Tanh(),
        nn.Flatten(), nn.Linear(k * out[0] * out[1], 3),
    )  # fmt: skip
    images, labels = batch(2, shape=(c, *size), classes=3)
    captured = cnnviz.capture(model, images, labels, sample=1)
    _, inputs, outputs, _ = torch_pass(model, images, labels)
    layer, conv = captured[0], model[0]
    assert layer.stride == stride and layer.padding == padding and layer.dilation == dilation
    close(layer.dx, inputs[0].grad[1])
    close(layer.dw + captured.for_sample(0)[0].dw, conv.weight.grad)
    close(layer.db + captured.for_sample(0)[0].db, conv.bias.grad)
    trace = trace_backward(captured.network, images, labels) if captured.network else None
    assert trace is None  # Tanh is not a page kind: the page says so, the explorer opens
    assert any("Tanh '1'" in note for note in captured.notes)


# --------------------------------------------------------------------------- what is not supported


@needs_torch
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
def test_unsupported_options_each_get_a_sentence_and_the_rest_opens():
    from cnnviz.explorer.app import Explorer

    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(),
        nn.Conv2d(4, 4, 3, padding=1, groups=2), nn.ReLU(),
        nn.Conv2d(4, 4, 3, padding=1, padding_mode="reflect"), nn.BatchNorm2d(4),
        nn.Conv2d(4, 3, 2, padding="same"), nn.Conv2d(3, 3, 3, padding="same"),
        nn.Flatten(), nn.Linear(3 * 8 * 8, 2),
    )  # fmt: skip
    images, labels = batch(2, shape=(2, 8, 8), classes=2)
    captured = cnnviz.capture(model, images, labels)
    notes = " ".join(captured.notes)
    assert captured.names == ("0", "7")  # conv 0 and the odd-kernel 'same' conv open
    assert "Conv2d '2' has groups=2" in notes
    assert "Conv2d '4' pads with padding_mode='reflect'" in notes
    assert "Conv2d '6' has padding='same' with a 2×2 kernel at dilation (1, 1)" in notes
    assert "BatchNorm2d '5' is a kind it does not know" in notes
    assert "reads the output of Conv2d '6'" in notes  # conv 7 reads a conv left out: σ' = 1
    assert captured.network is None
    assert captured[1].padding == (1, 1)  # 'same' with a 3×3 kernel: one each side
    assert Explorer(layer=captured[0]).layer is captured[0]


@needs_torch
@given(kernel=st.tuples(st.integers(1, 6), st.integers(1, 6)),
       dilation=st.tuples(st.integers(1, 3), st.integers(1, 3)))
@settings(max_examples=40, deadline=None)
def test_same_padding_is_torchs(kernel, dilation):
    conv = nn.Conv2d(1, 1, kernel, padding="same", dilation=dilation, bias=False)
    x = torch.randn(1, 1, 9, 8)
    pair = same_padding(kernel, dilation)
    if pair is None:  # torch pads one side more: check that some axis has an odd total
        assert any(d * (k - 1) % 2 for k, d in zip(kernel, dilation, strict=True))
        return
    expected = nn.functional.conv2d(x, conv.weight, padding=pair, dilation=dilation)
    assert torch.allclose(conv(x), expected, atol=1e-6)


@needs_torch
def test_a_function_in_forward_and_a_custom_loss_are_said():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Conv2d(1, 2, 3), nn.Conv2d(2, 2, 3)
            self.head = nn.Linear(2 * 5 * 5, 2)

        def forward(self, x):
            return self.head(torch.relu(self.b(torch.relu(self.a(x)))).flatten(1))

    images, labels = batch(2, shape=(1, 9, 9), classes=2)
    captured = cnnviz.capture(Net(), images, labels, loss=lambda z, y: z.pow(2).sum())
    assert [s.activation for s in captured] == ["identity", "identity"]
    assert any("Conv2d 'b' reads a tensor made outside a module" in n for n in captured.notes)
    assert any("do not simply run one after another" in n for n in captured.notes)


@needs_torch
def test_the_model_is_left_as_it_was_and_in_place_relu_is_fine():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(inplace=True), nn.Conv2d(3, 2, 3),
                          nn.ReLU(inplace=True), nn.Flatten(), nn.Linear(2 * 3 * 3, 2))
    before = [p.detach().clone() for p in model.parameters()]
    images, labels = batch(2, shape=(1, 7, 7), classes=2)
    captured = cnnviz.capture(model, images, labels)
    assert all(p.grad is None for p in model.parameters())
    assert all(torch.equal(a, p) for a, p in zip(before, model.parameters(), strict=True))
    plain = nn.Sequential(*[nn.ReLU() if isinstance(m, nn.ReLU) else m for m in model])
    _, inputs, outputs, _ = torch_pass(plain, images, labels)
    close(captured[1].z_below, outputs[0].detach()[0])  # z, not relu(z)
    close(captured[1].delta_below, outputs[0].grad[0])


# --------------------------------------------------------------------------- arguments, no torch


@needs_torch
@pytest.mark.parametrize(
    ("change", "error", "name"),
    [
        ({"model": "not a model"}, TypeError, "model"),
        ({"images": [[1.0]]}, TypeError, "images"),
        ({"images": np.zeros((2, 9, 9), np.float32)}, ValueError, "images"),
        ({"labels": np.zeros(3, int)}, ValueError, "labels"),
        ({"sample": 2}, ValueError, "sample"),
        ({"sample": 1.0}, TypeError, "sample"),
        ({"loss": 3}, TypeError, "loss"),
    ],
)
def test_bad_arguments_are_named(change, error, name):
    arguments = {"model": nn.Sequential(nn.Conv2d(1, 1, 3)),
                 "images": np.zeros((2, 1, 9, 9), np.float32), "labels": np.zeros(2, int)}
    arguments.update(change)
    with pytest.raises(error, match=name):
        cnnviz.capture(**arguments)


@needs_torch
def test_for_sample_names_a_bad_sample():
    captured = cnnviz.capture(small_cnn(), *batch(2))
    with pytest.raises(ValueError, match="sample must lie in \\[0, 2\\)"):
        captured.for_sample(2)
    with pytest.raises(TypeError, match="sample"):
        captured.for_sample(True)


def test_without_torch_capture_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # what an environment without torch does
    with pytest.raises(ImportError) as caught:
        cnnviz.capture(object(), np.zeros((1, 1, 5, 5)), [0])
    assert str(caught.value) == NEEDS_TORCH
    assert "pip install torch" in NEEDS_TORCH and NEEDS_TORCH.count(". ") == 0


@needs_torch
def test_the_captured_network_passes_the_whole_network_check():
    from cnnviz.nn.network_check import whole_network_check

    model = small_cnn(seed=4)
    images, labels = batch(2, seed=5)
    network = cnnviz.capture(model, images, labels).network
    assert all(a.flags.c_contiguous for layer in network.layers for a in layer.params.values())
    assert whole_network_check(network, images.astype(np.float64), labels).ok


@needs_torch
@pytest.mark.parametrize(("module", "name"), [("Sigmoid", "sigmoid"), ("Tanh", "tanh")])
def test_a_pool_after_sigmoid_or_tanh_gives_the_pooled_pre_activation(module, name):
    torch.manual_seed(3)
    first, second = nn.Conv2d(1, 3, 3, padding=1), nn.Conv2d(3, 2, 3)
    model = nn.Sequential(first, getattr(nn, module)(), nn.MaxPool2d(2), second, nn.Flatten(),
                          nn.Linear(2 * 2 * 2, 2))  # fmt: skip
    images, labels = batch(1, shape=(1, 8, 8), classes=2)
    layer = cnnviz.capture(model, images, labels)[1]
    assert layer.activation == name
    # the same network with the pool moved before σ (they commute): dL/d(pooled z) is δ below
    pooled = nn.functional.max_pool2d(first(torch.from_numpy(images)), 2)
    pooled.retain_grad()
    logits = model[5](model[4](second(getattr(torch, name)(pooled))))
    nn.functional.cross_entropy(logits, torch.as_tensor(labels)).backward()
    close(layer.z_below, pooled.detach()[0])
    close(layer.delta_below, pooled.grad[0])


def _conv_record(groups=1, padding_mode="zeros", padding=(0, 0), kernel=(3, 3), dilation=(1, 1)):
    from cnnviz.nn.captured import Record

    options = {"stride": (1, 1), "padding": padding, "dilation": dilation, "groups": groups,
               "padding_mode": padding_mode}  # fmt: skip
    empty = np.zeros((1, 1, 1, 1))
    return Record("c", "Conv2d", options, {"weight": np.zeros((2, 1, *kernel))}, empty, empty,
                  empty, -1)  # fmt: skip


@settings(max_examples=30, deadline=None)
@given(groups=st.integers(1, 8), mode=st.sampled_from(["zeros", "reflect", "replicate"]),
       kernel=st.tuples(st.integers(1, 5), st.integers(1, 5)),
       dilation=st.tuples(st.integers(1, 3), st.integers(1, 3)))
def test_each_sentence_states_the_layers_own_settings(groups, mode, kernel, dilation):
    from cnnviz.nn.captured import conv_problem

    sentence = conv_problem(_conv_record(groups, mode, "same", kernel, dilation))
    one_sided = any(d * (k - 1) % 2 for k, d in zip(kernel, dilation, strict=True))
    if groups != 1:
        assert f"has groups={groups}," in sentence
    elif mode != "zeros":
        assert f"padding_mode='{mode}'" in sentence
    elif one_sided:
        assert f"a {kernel[0]}×{kernel[1]} kernel at dilation {dilation}" in sentence
    else:
        assert sentence is None


@needs_torch
def test_the_helpers_name_their_bad_arguments():
    from cnnviz.nn.capture import gesture_model, train_model
    from cnnviz.nn.captured import open_pages

    with pytest.raises(TypeError, match="seed"):
        gesture_model(seed=1.5)
    model = gesture_model()
    images, labels = np.zeros((2, 1, 28, 28), np.float32), np.zeros(2, np.int64)
    with pytest.raises(ValueError, match="epochs"):
        train_model(model, images, labels, epochs=0)
    with pytest.raises(ValueError, match="images and labels"):
        train_model(model, images, labels[:1])
    with pytest.raises(TypeError, match="captured"):
        open_pages(model)
    with pytest.raises(ValueError, match="conv"):
        open_pages(cnnviz.capture(model, images, labels), conv=2)
