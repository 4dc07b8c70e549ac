"""Your own PyTorch model in the explorer: one forward and backward pass, recorded with hooks.

The only module of cnnviz that imports torch, and only when :func:`capture` is called, so
cnnviz runs without it::

    import cnnviz
    from cnnviz.explorer import Explorer

    layers = cnnviz.capture(model, images, labels)   # images (N, C, H, W), labels (N,)
    Explorer(layer=layers[0]).widget                  # the first conv layer, sample 0
    layers.notes                                      # what is not supported, one sentence each

:func:`capture` hooks every leaf module, runs the batch forward, scores it (mean cross-entropy
unless ``loss`` is given), asks autograd for ``dL/d(output)`` of every module call (the model's
own ``.grad`` fields are not touched) and hands the records to
:class:`cnnviz.nn.captured.Capture`, which builds the explorer's snapshots and the network page's
model from them. Which δ: see :mod:`cnnviz.nn.captured` (with the mean loss, 1/N of the
sample's own).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cnnviz.core.arrays import as_count
from cnnviz.nn.captured import ACTIVATIONS, IMAGES, Capture, Record, as_index

NEEDS_TORCH = (
    "cnnviz.capture needs PyTorch, which is not installed here: install it with "
    "`pip install torch` (CPU only: `pip install torch --index-url "
    "https://download.pytorch.org/whl/cpu`) and restart the kernel."
)


def _torch():
    """The torch module, or an ImportError with the one sentence saying how to get it."""
    try:
        import torch
    except ImportError:  # also when sys.modules["torch"] is None
        raise ImportError(NEEDS_TORCH) from None
    return torch


def torch_missing() -> str | None:
    """:data:`NEEDS_TORCH` when PyTorch cannot be imported here, else None."""
    try:
        _torch()
    except ImportError:
        return NEEDS_TORCH
    return None


def _options(torch, module) -> tuple[str, dict]:
    """The module's kind and the settings cnnviz reads, as plain Python."""
    nn = torch.nn
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731
    if isinstance(module, nn.Conv2d):
        padding = module.padding if isinstance(module.padding, str) else pair(module.padding)
        return "Conv2d", {"stride": pair(module.stride), "padding": padding,
                          "dilation": pair(module.dilation), "groups": module.groups,
                          "padding_mode": module.padding_mode}  # fmt: skip
    if isinstance(module, nn.MaxPool2d):
        return "MaxPool2d", {"kernel_size": pair(module.kernel_size),
                             "stride": pair(module.stride), "padding": pair(module.padding),
                             "dilation": pair(module.dilation), "ceil_mode": module.ceil_mode}
    if isinstance(module, nn.Flatten):
        return "Flatten", {"start_dim": module.start_dim, "end_dim": module.end_dim}
    for kind in ("Linear", *ACTIVATIONS):
        if isinstance(module, getattr(nn, kind)):
            return kind, {}
    return type(module).__name__, {}


def _numpy(tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy().copy()  # a copy: later in-place ops cannot reach it


class _Recorder:
    """Forward hooks on every leaf module: each call's tensors, in run order."""

    def __init__(self, torch, model) -> None:
        self.torch, self.calls, self.handles, self.inputs = torch, [], [], {}
        self.outputs: dict[int, np.ndarray] = {}  # id(tensor passed on) -> its NumPy copy
        self.inplace = any(getattr(m, "inplace", False) for m in model.modules())
        for name, module in model.named_modules():
            if next(module.children(), None) is None:  # a leaf: it does the work itself
                self.handles.append(module.register_forward_pre_hook(self._before))
                self.handles.append(module.register_forward_hook(self._hook(name)))

    def _before(self, module, inputs) -> None:
        if inputs and isinstance(inputs[0], self.torch.Tensor):  # copied before an in-place op
            known = self.outputs.get(id(inputs[0]))  # the module before made it: its copy
            self.inputs[id(module)] = _numpy(inputs[0]) if known is None else known

    def _hook(self, name: str):
        def hook(module, inputs, output):
            x_np = self.inputs.pop(id(module), None)
            if x_np is None or not isinstance(output, self.torch.Tensor):
                return None  # nothing cnnviz can show (no tensor in, or a tuple out)
            passed = output.clone() if self.inplace else output  # an in-place ReLU after us
            y_np = _numpy(output)
            self.outputs[id(passed)] = y_np
            self.calls.append((name, module, inputs[0], output, passed, x_np, y_np))
            return passed if self.inplace else None

        return hook

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


def _checked_batch(torch, model, images, labels, sample: int, loss):
    """The batch as tensors, after checking every argument by name."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    if not isinstance(images, (np.ndarray, torch.Tensor)):
        raise TypeError(f"images must be a NumPy array or a torch tensor; got {type(images)}")
    if images.ndim != 4 or images.shape[0] < 1:
        raise ValueError(f"images must be (N, C, H, W) with N >= 1; got {tuple(images.shape)}")
    labels = labels if isinstance(labels, torch.Tensor) else np.asarray(labels)
    if tuple(labels.shape) != (images.shape[0],):
        raise ValueError(f"labels must be ({images.shape[0]},), one class per image; "
                         f"got {tuple(labels.shape)}")  # fmt: skip
    as_index(sample, "sample", images.shape[0])
    if loss is not None and not callable(loss):
        raise TypeError(f"loss must be callable as loss(logits, labels); got {loss!r}")
    parameter = next(model.parameters(), None)  # the batch goes where the model lives
    device = parameter.device if parameter is not None else "cpu"
    dtype = parameter.dtype if parameter is not None else torch.float32
    x = torch.as_tensor(images).detach().to(device, dtype).clone().requires_grad_(True)
    return x, torch.as_tensor(labels).to(device).long()


def _pool_again(torch, module, kind: str, records: list[Record], source: int | None):
    """For a max-pool reading an activation: a function pooling NumPy maps the same way.

    Max-pooling commutes with a rising σ, ``pool(σ(z)) = σ(pool(z))``, so the conv above sees
    ``x = σ(z_below)`` with ``z_below`` the activation's input pooled alike. Called only for the
    sample a snapshot shows (pooling the whole batch again would cost a second forward pool).
    """
    if kind != "MaxPool2d" or source in (None, IMAGES) or records[source].kind not in ACTIVATIONS:
        return None

    def pool(maps: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return _numpy(module(torch.from_numpy(maps)))

    return pool


def _records(torch, recorder: _Recorder, x, logits, value) -> tuple[tuple[Record, ...], bool]:
    """One Record per hooked call, with dL/d(output); and whether they form a chain."""
    calls = recorder.calls
    targets = [call[3] for call in calls]
    wanted = [i for i, t in enumerate(targets) if t.requires_grad]
    grads = torch.autograd.grad(value, [targets[i] for i in wanted], allow_unused=True)
    deltas = dict(zip(wanted, grads, strict=True))
    produced = {id(call[4]): i for i, call in enumerate(calls)}
    produced[id(x)] = IMAGES
    records: list[Record] = []
    for i, (name, module, tin, _, _, x_np, y_np) in enumerate(calls):
        kind, options = _options(torch, module)
        params = {key: _numpy(getattr(module, key)) for key in ("weight", "bias")
                  if isinstance(getattr(module, key, None), torch.Tensor)}  # fmt: skip
        grad, source = deltas.get(i), produced.get(id(tin))
        records.append(Record(name, kind, options, params, x_np, y_np,
                              np.zeros_like(y_np) if grad is None else _numpy(grad), source,
                              _pool_again(torch, module, kind, records, source)))  # fmt: skip
    chained = bool(calls) and all(r.source == i - 1 for i, r in enumerate(records)) and (
        records[0].source == IMAGES and logits is calls[-1][4])
    return tuple(records), chained


def capture(
    model,
    images,
    labels,
    sample: int = 0,
    loss: Callable | None = None,
    *,
    class_names: tuple[str, ...] | None = None,
) -> Capture:
    """Run a batch through ``model`` forward and backward; return its conv layers' snapshots.

    Parameters
    ----------
    model : torch.nn.Module, mapping images ``(N, C, H, W)`` to logits ``(N, classes)``
    images : ``(N, C, H, W)``, a NumPy array or a tensor
    labels : ``(N,)`` int, the true classes
    sample : int, the sample the snapshots show (any other: ``result.for_sample(n)``)
    loss : callable ``loss(logits, labels) -> scalar tensor``, optional; default the mean
        cross-entropy (then each sample's δ is 1/N of its own loss's δ)
    class_names : names of the classes, for the network page (default "class 0", ...)

    Returns
    -------
    Capture
        A sequence of :class:`~cnnviz.explorer.layer.LayerSnapshot`, one per supported
        ``nn.Conv2d`` call in run order; ``.names``, ``.notes`` (what is not supported),
        ``.network`` (cnnviz layers for the network page, or None). Parameters and ``.grad``
        are left as they were.

    Raises
    ------
    ImportError: one sentence saying how to install PyTorch, when it is missing.
    TypeError, ValueError: naming the argument and the rule it breaks.
    """
    torch = _torch()
    x, target = _checked_batch(torch, model, images, labels, sample, loss)
    recorder = _Recorder(torch, model)
    try:
        with torch.enable_grad():
            logits = model(x)
            value = (loss or torch.nn.functional.cross_entropy)(logits, target)
    finally:
        recorder.remove()  # before _records, which runs pools again to pool pre-activations
    if not isinstance(value, torch.Tensor) or value.numel() != 1:
        raise ValueError("loss must return one number (a scalar tensor)")
    records, chained = _records(torch, recorder, x, logits, value)
    classes = int(logits.shape[-1]) if logits.ndim == 2 else 0
    names = tuple(class_names or (f"class {i}" for i in range(classes)))
    return Capture(records, _numpy(x).astype(np.float32), _numpy(target), int(sample),
                   float(value.detach()), loss is not None, chained, names)  # fmt: skip


# --------------------------------------------------------------------------- a model to try


def gesture_model(*, seed: int = 0):
    """The gesture CNN of lesson 6 written in PyTorch (the same layers as
    :func:`cnnviz.nn.training.gesture_network`): ``(N, 1, 28, 28)`` → ``(N, 8)`` logits."""
    seed = as_count(seed, "seed", 0)
    torch = _torch()
    nn = torch.nn
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 8),
    )  # fmt: skip


def training_step(model, optimizer, images: np.ndarray, labels: np.ndarray) -> float:
    """One step of the usual loop: forward, mean cross-entropy, backward, optimizer step."""
    torch = _torch()
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(images)),
                                             torch.from_numpy(labels))  # fmt: skip
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def train_model(model, images: np.ndarray, labels: np.ndarray, *, epochs: int = 3,
                batch_size: int = 32, learning_rate: float = 2e-3, seed: int = 0) -> None:
    """Mini-batch Adam on ``images`` ``(N, C, H, W)`` float32 and ``labels`` ``(N,)`` int64.

    Runs torch on one thread: with numpy in the same process, more threads busy-wait
    against each other.
    """
    epochs, batch_size = as_count(epochs, "epochs"), as_count(batch_size, "batch_size")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0; got {learning_rate}")
    if len(images) != len(labels) or len(labels) == 0:
        raise ValueError(f"images and labels must hold the same number (>= 1) of samples; got "
                         f"{len(images)} and {len(labels)}")  # fmt: skip
    torch = _torch()
    torch.set_num_threads(1)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    rng = np.random.default_rng(seed)
    model.train()
    for _ in range(epochs):
        order = rng.permutation(len(labels))
        for start in range(0, len(order), batch_size):
            pick = order[start : start + batch_size]
            training_step(model, optimizer, images[pick], labels[pick])
    model.eval()


def predict(model, images: np.ndarray) -> np.ndarray:
    """The model's logits ``(N, classes)`` for ``images``, as a NumPy array."""
    torch = _torch()
    with torch.no_grad():
        return model(torch.as_tensor(images)).numpy()
