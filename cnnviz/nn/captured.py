"""What :func:`cnnviz.capture` recorded from a PyTorch model, as plain NumPy: no torch here.

:mod:`cnnviz.nn.capture` runs the model with hooks and hands this module one :class:`Record`
per module call (its kind, options, parameters, input, output and ``dL/d(output)``). From
those, :class:`Capture` builds

* one :class:`~cnnviz.explorer.layer.LayerSnapshot` per ``nn.Conv2d`` call, in run order, for
  the chosen sample (``capture[i]``; any other sample with :meth:`Capture.for_sample`);
* the whole model as a :class:`~cnnviz.nn.layers.Sequential` of cnnviz layers
  (:attr:`Capture.network`), which the network page opens, when every module is a kind that page
  knows and they run one after another;
* :attr:`Capture.notes`: one sentence per thing that is not supported (the rest still opens).

Which δ: every ``delta`` is ``dL/dz`` of the loss the *batch* was scored with. With the default
mean cross-entropy over N images, sample n's δ is 1/N of the δ its own loss would give, and the N
snapshots' ``dw`` add up to torch's ``weight.grad``. Pass one image (N = 1) for a sample's own δ.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from cnnviz.explorer.layer import LayerSnapshot
from cnnviz.nn.gestures import Gestures
from cnnviz.nn.layers import Conv2D, Dense, Flatten, Layer, MaxPool2D, ReLU, Sequential

ACTIVATIONS = {"ReLU": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh"}  # torch kind -> explorer
PAGE_KINDS = ("Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear")  # what the network page knows
IMAGES = -1  # Record.source of a module that read the images themselves
ZBelow = Callable[[int], np.ndarray]  # sample -> the layer below's pre-activation (C, H, W)


@dataclass(frozen=True, eq=False)
class Record:
    """One call of one module (a leaf of the model), for the whole batch of N.

    Attributes
    ----------
    name : the module's name in the model, e.g. ``"features.0"``
    kind : its class name, e.g. ``"Conv2d"``
    options : the kind's settings as plain Python (e.g. ``stride``, ``groups``, ``kernel_size``)
    params : ``{"weight": ..., "bias": ...}`` as float32 arrays (``bias`` absent when None)
    x, y : the call's input and output, ``(N, ...)``
    delta : ``dL/dy``, shaped like ``y`` (zeros where the loss does not depend on y)
    source : index of the record whose output this call read, :data:`IMAGES` for the images,
        None when it came from elsewhere (a function call in ``forward``, a sum, ...)
    pool_again : for a max-pool that reads an activation, a function pooling ``(n, C, H, W)``
        maps as this call did (that activation's input pooled is the conv above's z_below:
        max-pooling commutes with a rising σ); else None
    """

    name: str
    kind: str
    options: dict
    params: dict[str, np.ndarray]
    x: np.ndarray
    y: np.ndarray
    delta: np.ndarray
    source: int | None
    pool_again: Callable[[np.ndarray], np.ndarray] | None = None


def as_index(value: object, name: str, count: int) -> int:
    """``value`` as an int in ``[0, count)``, or a TypeError/ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int; got {value!r}")
    if not 0 <= value < count:
        raise ValueError(f"{name} must lie in [0, {count}); got {value}")
    return int(value)


def same_padding(kernel: tuple[int, int], dilation: tuple[int, int]) -> tuple[int, int] | None:
    """``padding='same'`` as one padding per axis, or None when one side would get more.

    Torch pads ``d·(k − 1)`` in all along an axis; an odd total puts the extra row on one side.
    """
    totals = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
    if any(total % 2 for total in totals):
        return None
    return (totals[0] // 2, totals[1] // 2)


def conv_settings(record: Record) -> dict[str, tuple[int, int]] | None:
    """stride, padding and dilation as ``(h, w)`` pairs; None if the padding is one-sided."""
    options = record.options
    padding = options["padding"]
    if padding == "valid":
        padding = (0, 0)
    elif padding == "same":
        padding = same_padding(tuple(record.params["weight"].shape[2:]), options["dilation"])
        if padding is None:
            return None
    return {"stride": tuple(options["stride"]), "padding": tuple(padding),
            "dilation": tuple(options["dilation"])}  # fmt: skip


def conv_problem(record: Record) -> str | None:
    """The sentence saying why the explorer cannot show this conv call, or None if it can."""
    options, name = record.options, record.name
    if options["groups"] != 1:
        return (f"Conv2d '{name}' has groups={options['groups']}, and the explorer shows "
                "groups=1 only (each filter as deep as its whole input), so it is left out.")
    if options["padding_mode"] != "zeros":
        return (f"Conv2d '{name}' pads with padding_mode='{options['padding_mode']}', and the "
                "explorer pads with zeros only, so it is left out.")
    if conv_settings(record) is None:
        kh, kw = record.params["weight"].shape[2:]
        return (f"Conv2d '{name}' has padding='same' with a {kh}×{kw} kernel at dilation "
                f"{options['dilation']}, which pads one side more than the other, and the "
                "explorer pads both sides alike, so it is left out.")
    return None


def activation_below(records: Sequence[Record], index: int) -> tuple[str, ZBelow | None,
                                                                      str | None]:
    """The explorer's σ between record ``index`` (a conv) and the layer feeding it.

    Returns ``(activation, z_below(sample) or None, a note or None)``. Known: the
    images (identity), an activation module (z_below is its input), or a max-pool reading an
    activation (z_below is the pooled pre-activation). Anything else is shown as identity.
    """
    source = records[index].source
    if source == IMAGES:
        return "identity", None, None
    name = records[index].name
    if source is None:
        return "identity", None, (
            f"Conv2d '{name}' reads a tensor made outside a module (a function in forward), "
            "so δ below is shown as dx, without an activation's σ'.")
    below = records[source]
    if below.kind in ACTIVATIONS:
        return ACTIVATIONS[below.kind], lambda n: below.x[n], None
    if below.kind == "MaxPool2d" and below.pool_again is not None:
        pre = records[below.source].x  # the activation's input, (N, C, H, W)
        return (ACTIVATIONS[records[below.source].kind],
                lambda n: below.pool_again(pre[n : n + 1])[0], None)  # fmt: skip
    return "identity", None, (
        f"Conv2d '{name}' reads the output of {below.kind} '{below.name}', a kind the explorer "
        "does not know, so δ below is shown as dx, without an activation's σ'.")


def snapshot(record: Record, sample: int, activation: str,
             z_below: ZBelow | None) -> LayerSnapshot:
    """The explorer's view of one conv call, for one sample of the batch."""
    weight = record.params["weight"]
    bias = record.params.get("bias", np.zeros(weight.shape[0], dtype=weight.dtype))
    return LayerSnapshot.from_arrays(
        record.x[sample], weight, bias, record.delta[sample], **conv_settings(record),
        activation=activation, z_below=None if z_below is None else z_below(sample),
    )  # fmt: skip


# --------------------------------------------------------------------------- the network page


def page_problem(record: Record) -> str | None:
    """Why the network page cannot take this module call as a cnnviz layer, or None."""
    options, name = record.options, record.name
    if record.kind not in PAGE_KINDS:
        return f"{record.kind} '{name}' is a kind it does not know"
    if record.kind == "Conv2d":
        return None if conv_problem(record) is None else f"Conv2d '{name}' is left out above"
    if record.kind == "MaxPool2d":
        size = options["kernel_size"]
        plain = (size[0] == size[1] and tuple(options["stride"]) == size
                 and tuple(options["padding"]) == (0, 0) and tuple(options["dilation"]) == (1, 1)
                 and not options["ceil_mode"])  # fmt: skip
        return None if plain else (
            f"MaxPool2d '{name}' is not a plain square pool (kernel_size = stride, no padding, "
            "no dilation, ceil_mode=False)")
    if record.kind == "Flatten" and (options["start_dim"], options["end_dim"]) != (1, -1):
        return f"Flatten '{name}' does not flatten from dim 1 to the end"
    return None


def cnnviz_layer(record: Record) -> Layer:
    """The cnnviz layer doing what this (supported) module call did, with float32 copies."""
    kind, params = record.kind, record.params
    if kind == "Conv2d":
        weight = params["weight"]
        layer = Conv2D(weight.shape[1], weight.shape[0], tuple(weight.shape[2:]),
                       **conv_settings(record))  # fmt: skip
    elif kind == "Linear":
        weight = params["weight"].T  # torch keeps (out, in); Dense multiplies x (N, in) @ w
        layer = Dense(weight.shape[0], weight.shape[1])
    else:
        return {"ReLU": ReLU, "Flatten": Flatten}.get(kind, lambda: MaxPool2D(
            record.options["kernel_size"][0]))()
    bias = params.get("bias", np.zeros(weight.shape[-1 if kind == "Linear" else 0]))
    # C order, like the layers' own params (weight.T is a Fortran-ordered view)
    layer.params = {"w": np.ascontiguousarray(weight, dtype=np.float32),
                    "b": np.ascontiguousarray(bias, dtype=np.float32)}  # fmt: skip
    return layer


def network_problem(records: Sequence[Record], chained: bool) -> str | None:
    """The one sentence saying why the whole model cannot open in the network page, or None."""
    problems = [p for p in map(page_problem, records) if p is not None]
    if not chained:
        problems.append("its modules do not simply run one after another (each reading the "
                        "one before)")
    if not records or records[-1].y.ndim != 2:
        problems.append("its last module does not give logits (N, classes)")
    if not problems:
        return None
    return ("The network page opens models built only of Conv2d, ReLU, MaxPool2d, Flatten and "
            f"Linear run one after another; here {'; '.join(problems)}, so the model opens "
            "one conv layer at a time in the explorer only.")


@dataclass(frozen=True, eq=False)
class Capture(Sequence[LayerSnapshot]):
    """One forward and backward pass of a model: its conv layers for the explorer, and more.

    ``capture[i]`` is the i-th supported ``nn.Conv2d`` call's :class:`LayerSnapshot` for
    ``sample`` (run order); ``names[i]`` is that module's name.

    Attributes
    ----------
    records : tuple of Record, every module call in run order
    images : ``(N, C, H, W)`` float32; labels : ``(N,)`` int64
    sample : int, the sample the snapshots show
    loss : float, the batch's loss; custom_loss : bool, True when ``loss`` was given
    chained : bool, every module read the output of the one before (the first, the images)
    class_names : tuple of str, for the network page
    """

    records: tuple[Record, ...]
    images: np.ndarray
    labels: np.ndarray
    sample: int
    loss: float
    custom_loss: bool
    chained: bool
    class_names: tuple[str, ...]
    _cache: dict = field(default_factory=dict, repr=False)

    @cached_property
    def conv_indices(self) -> tuple[int, ...]:
        """Indices into :attr:`records` of the conv calls the explorer can show."""
        return tuple(i for i, r in enumerate(self.records)
                     if r.kind == "Conv2d" and conv_problem(r) is None)  # fmt: skip

    @property
    def names(self) -> tuple[str, ...]:
        """The module name of each snapshot, e.g. ``("conv1", "conv2")``."""
        return tuple(self.records[i].name for i in self.conv_indices)

    @cached_property
    def notes(self) -> tuple[str, ...]:
        """One sentence for each thing that is not supported (an empty tuple when all is)."""
        found = [conv_problem(r) for r in self.records if r.kind == "Conv2d"]
        found += [activation_below(self.records, i)[2] for i in self.conv_indices]
        found.append(network_problem(self.records, self.chained))
        if self.custom_loss and self.network is not None:
            found.append("The network page scores the batch with the mean cross-entropy, "
                         "not the loss given to capture.")
        return tuple(note for note in found if note is not None)

    def for_sample(self, sample: int) -> tuple[LayerSnapshot, ...]:
        """The snapshots of sample ``sample`` of the batch (same δ scale, see the module)."""
        sample = as_index(sample, "sample", len(self.labels))
        if sample not in self._cache:
            made = []
            for index in self.conv_indices:
                activation, z_below, _ = activation_below(self.records, index)
                made.append(snapshot(self.records[index], sample, activation, z_below))
            self._cache[sample] = tuple(made)
        return self._cache[sample]

    def __getitem__(self, index):
        return self.for_sample(self.sample)[index]

    def __len__(self) -> int:
        return len(self.conv_indices)

    @cached_property
    def network(self) -> Sequential | None:
        """The whole model as cnnviz layers (float32), or None when the page cannot take it."""
        if network_problem(self.records, self.chained) is not None:
            return None
        layers = [cnnviz_layer(record) for record in self.records]
        return Sequential(layers, input_shape=self.images.shape[1:])

    def data(self) -> Gestures:
        """The captured batch as the network page's data (images, labels, class names)."""
        return Gestures(self.images, self.labels, self.class_names)


def open_pages(captured: Capture, data: Gestures | None = None, *, conv: int = 0):
    """The explorer on conv ``conv`` and the network page on the whole model, as two widgets.

    Each is the page itself, or an HTML sentence saying why it cannot open (the notes).
    ``data`` gives the network page its samples (default: the captured batch).
    """
    if not isinstance(captured, Capture):
        raise TypeError(f"captured must be a Capture; got {type(captured).__name__}")
    if isinstance(conv, bool) or not isinstance(conv, (int, np.integer)):
        raise TypeError(f"conv must be an int; got {conv!r}")
    if len(captured) and not 0 <= conv < len(captured):
        raise ValueError(f"conv must lie in [0, {len(captured)}), one per conv layer; got {conv}")
    import ipywidgets as widgets  # only here: capturing needs no widgets

    from cnnviz.explorer.app import Explorer
    from cnnviz.nn.network_app import NetworkPage

    def sentence(text: str) -> widgets.HTML:
        return widgets.HTML(f"<p>{html.escape(text)}</p>")

    if len(captured) == 0:
        explorer = sentence("No conv layer of this model can open in the explorer: "
                            + " ".join(captured.notes))  # fmt: skip
    else:
        explorer = Explorer(layer=captured[conv]).widget
    if captured.network is None:
        page = sentence(" ".join(captured.notes))
    else:
        page = NetworkPage(captured.network, captured.data() if data is None else data).widget
    return explorer, page
