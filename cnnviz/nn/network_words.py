"""The words of the whole-network page, generated from a :class:`BackwardTrace`.

Every count, shape, index and formula here is computed from the trace, so a wrong route or a
wrong reshape changes the sentence (and fails ``tests/test_network_page.py``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np

from cnnviz.core.formulas import FORMULAS
from cnnviz.nn.backward_trace import BackwardTrace, Stage
from cnnviz.nn.network_figures import line_length


def shape_text(shape: Sequence[int]) -> str:
    """``(16, 7, 7)``; a vector as ``(784,)``."""
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def unflatten_example(stage: Stage) -> tuple[int, tuple[int, int, int]]:
    """The flat index with the largest |δ| of sample 0, and the ``(c, i, j)`` it lands on."""
    flat = int(np.argmax(np.abs(stage.delta_out[0])))
    c, h, w = stage.shape_in
    return flat, (flat // (h * w), (flat % (h * w)) // w, flat % w)


def heading(stage: Stage, step: int) -> str:
    """``3. max-pool  MaxPool2D(2×2): δ (16, 7, 7) → (16, 14, 14)``, as HTML."""
    return (
        f"<b>{step}. {html.escape(stage.kind)}</b> <code>{html.escape(stage.name)}</code>: "
        f"δ {shape_text(stage.shape_out)} → {shape_text(stage.shape_in)}"
    )


def dx_formula_text() -> str:
    """The input-gradient formula as :data:`cnnviz.core.formulas.FORMULAS` writes it."""
    entry = FORMULAS["dx"]
    return f"{entry.lhs.text()} = {entry.forms[0].text()}"


def caption(stage: Stage) -> str:
    """What this stage does to δ, with this trace's numbers (HTML)."""
    total = int(np.prod(stage.delta_in.shape))
    if stage.kind == "dense":
        f, k = stage.shape_in[0], stage.shape_out[0]
        return (
            f"δ<sub>in</sub> = δ·Wᵀ: each of the {f} features gets Σ over the {k} classes of "
            f"δ[k]·W[f, k]. dW = xᵀδ {shape_text((f, k))}, db = δ summed over the batch. "
            f"Drawn in order, {line_length(f)} numbers per line."
        )
    if stage.kind == "unflatten":
        c, h, w = stage.shape_in
        flat, where = unflatten_example(stage)
        return (
            f"The reshape made visible, no number changes: flat index f ↦ (c, i, j) = "
            f"(f // {h * w}, (f % {h * w}) // {w}, f % {w}). The largest |δ| sits at "
            f"f = {flat} ↦ (c, i, j) = {where}: {_channel_words(where)}. Each tile is one "
            f"channel's {h}×{w} map, channels 1 … {c} from left to right (array index c is "
            f"channel c + 1): channel n is line n of the picture above, folded."
        )
    if stage.kind == "max-pool":
        winners = int(stage.route.sum())
        size = int(round((stage.route.size / max(stage.delta_out.size, 1)) ** 0.5))
        return (
            f"Each δ goes to its {size}×{size} block's winner, the largest input of the "
            f"forward pass (the first in reading order when several tie); the other "
            f"{size * size - 1} cells of the block get 0 (grey). {winners} of {total} "
            f"positions receive δ."
        )
    if stage.kind == "ReLU":
        open_ = int(stage.route.sum())
        return (
            f"The gate σ'(z) = [z > 0]: δ passes where the conv's output z was positive "
            f"({open_} of {total} positions) and stops (grey) at the other {total - open_}."
        )
    c, k = stage.shape_in[0], stage.shape_out[0]
    first = stage.index == 0
    return (
        f"δ ({k} maps) fans out into {'the' if c == 1 else 'all'} {c} input "
        f"channel{'' if c == 1 else 's'}: {html.escape(dx_formula_text())} "
        f"(⋆_full: full cross-correlation; s, p, d: this layer's stride, padding, dilation). "
        f"dW and db sum over the batch and every position."
        + (" This dx is dL/d(image): the saliency map." if first else "")
    )


def loss_table(trace: BackwardTrace, class_names: Sequence[str], sample: int = 0) -> str:
    """An HTML table for one sample: p, onehot and δ = p − onehot for every class."""
    p = trace.probabilities[sample]
    label = int(trace.labels[sample])
    onehot = np.eye(p.size)[label]
    delta = p - onehot
    cells = []
    for row, values in (("p", p), ("onehot", onehot), ("δ = p − onehot", delta)):
        numbers = "".join(
            f"<td style='padding:0 6px;text-align:right'>{v:+.3f}</td>"
            if row.startswith("δ") else
            f"<td style='padding:0 6px;text-align:right'>{v:.3f}</td>"
            for v in values
        )  # fmt: skip
        cells.append(f"<tr><th style='text-align:left'>{html.escape(row)}</th>{numbers}</tr>")
    names = "".join(f"<th style='padding:0 6px'>{html.escape(n)}</th>" for n in class_names)
    scale = "" if trace.batch == 1 else f" (the batch carries it divided by B = {trace.batch})"
    return (
        f"<table style='font-size:13px;border-collapse:collapse'><tr><th></th>{names}</tr>"
        + "".join(cells)
        + f"</table><div style='font-size:13px'>δ at the loss{scale}: loss = "
        f"−log p(true) = {-np.log(max(p[label], 1e-300)):.3g}</div>"
    )


def batch_table(errors: dict[str, float]) -> str:
    """HTML: for every layer with parameters, ``max |Σ_n dW_n − dW|`` and the same for db."""
    rows = "".join(
        f"<tr><td><code>{html.escape(name)}</code></td><td style='padding:0 8px'>"
        f"{error:.1e}</td><td>{'✓' if error < 1e-4 else '✗'}</td></tr>"
        for name, error in errors.items()
    )
    return (
        "<div style='font-size:13px'>dW = Σ<sub>n</sub> dW<sub>n</sub> (each sample's own "
        "gradient, from its own x and δ) and db = Σ<sub>n</sub> Σ<sub>positions</sub> δ: "
        "largest difference between the batch's gradient and the sum"
        f"<table style='font-size:13px'>{rows}</table></div>"
    )


# ---------------------------------------------------------------- alternative texts and speech

_DOES = {
    "dense": "δ·Wᵀ spreads δ over every feature",
    "unflatten": "the flat δ is folded back into maps, no number changes",
    "max-pool": "δ is routed to each block's winner",
    "ReLU": "δ passes where z > 0 and stops elsewhere",
    "conv": "δ fans out into every input channel through rot180(W) (⋆: cross-correlation)",
}


def _channel_words(index: tuple[int, int, int]) -> str:
    """``(2, 3, 4)`` -> ``"channel 3, row 3, column 4"``: channels from 1, rows and columns
    from 0, as both pages count them."""
    c, i, j = index
    return f"channel {c + 1}, row {i}, column {j}"


def _where(shape: Sequence[int], flat: int) -> str:
    """``channel 4, row 4, column 5`` for maps, ``f = 17`` for a vector."""
    index = tuple(int(v) for v in np.unravel_index(flat, tuple(shape)))
    if len(index) == 1:
        return f"f = {index[0]}"
    if len(index) == 3:
        return _channel_words(index)
    return f"row {index[0]}, column {index[1]}" if len(index) == 2 else f"index {index}"


def _largest(values: np.ndarray, shape: Sequence[int]) -> str:
    """Sample 0's value of largest magnitude in ``values`` ``(B, *shape)``, and where."""
    first = np.asarray(values[0]).reshape(-1)
    flat = int(np.argmax(np.abs(first)))
    return f"{first[flat]:+.3g} at {_where(shape, flat)}"


def _routed(stage: Stage) -> str:
    total = int(np.prod(stage.delta_in.shape))
    if stage.kind == "max-pool":
        return f"; {int(stage.route.sum())} of {total} positions receive δ, the others are grey"
    if stage.kind == "ReLU":
        return f"; open at {int(stage.route.sum())} of {total} positions, the others are grey"
    return ""


def stage_alt(stage: Stage, step: int, *, scale: float) -> str:
    """Alternative text of a backward row's picture (the δ the stage sends below)."""
    samples = stage.delta_in.shape[0]
    return (
        f"Layer {step} ({stage.kind}, {stage.name}): δ of shape {shape_text(stage.shape_out)} "
        f"becomes {shape_text(stage.shape_in)}; {_DOES[stage.kind]}{_routed(stage)}. "
        f"Largest |δ| sent below for the first sample: "
        f"{_largest(stage.delta_in, stage.shape_in)}. "
        f"{samples} sample{'s' if samples > 1 else ''}; colours from blue −{scale:.2g} "
        f"through white 0 to red +{scale:.2g}."
    )


def forward_alt(title: str, values: np.ndarray, shape: Sequence[int]) -> str:
    """Alternative text of a forward picture: what it is, its shape, its range."""
    samples = values.shape[0]
    return (
        f"Forward: {title} {shape_text(shape)}, {samples} sample{'s' if samples > 1 else ''}; "
        f"values from {float(values.min()):.3g} to {float(values.max()):.3g}; "
        f"largest |value| for the first sample: {_largest(values, shape)}."
    )


def saliency_alt(trace: BackwardTrace) -> str:
    """Alternative text of the saliency picture: each image beside its dL/d(image)."""
    shape = trace.saliency.shape[1:]
    which = "The image" if trace.batch == 1 else f"Each of the {trace.batch} images"
    return (
        f"{which} (left) beside dL/d(image) {shape_text(shape)} (right). Largest "
        f"|dL/d(image)| for the first sample: {_largest(trace.saliency, shape)}. Red pixels "
        f"would raise the loss if brightened, blue ones lower it."
    )


def step_words(step: int, trace: BackwardTrace) -> str:
    """What the live region says when δ has travelled ``step`` rows (0: still at the loss)."""
    rows = len(trace.stages)
    if step <= 0:
        return "δ is at the loss: p − onehot."
    if step > rows:
        return "δ has reached the image: dL/d(image), the saliency map."
    stage = trace.stages[step - 1]
    return (
        f"δ moves through layer {step} of {rows}, {stage.kind} {stage.name}: "
        f"{shape_text(stage.shape_out)} → {shape_text(stage.shape_in)}."
    )


# ---------------------------------------------------------------- reading the page


def forward_kinds() -> tuple[str, ...]:
    """The stage kinds whose output the page draws as a forward row (besides the image)."""
    return ("conv", "max-pool")


def rows_words(trace: BackwardTrace) -> str:
    """Why the page has fewer forward rows than backward rows, with this network's counts and
    what its own layer order does with each ReLU's output."""
    kinds = [stage.kind for stage in reversed(trace.stages)]  # in forward order
    drawn = [kind for kind in kinds if kind in forward_kinds()]
    others = sorted({kind for kind in kinds if kind not in forward_kinds()})
    notes = [note for note in (_relu_words(kinds), _vector_words(kinds)) if note]
    also = f", also the {', '.join(others)} ones" if others else ""
    return (
        f"{1 + len(drawn)} rows forward, {len(kinds)} backward. Forward shows the image and the "
        f"maps worth seeing: the {len(drawn)} outputs of the conv and max-pool layers"
        + (f" ({'; '.join(notes)})" if notes else "")
        + f". Backward, δ changes at every layer, so each of the {len(kinds)} layers gets a "
        f"row{also}."
    )


def pooled_relu(kinds: Sequence[str], index: int) -> bool:
    """Whether layer ``index`` (forward order) is a ReLU whose output a max-pool reads next."""
    return kinds[index] == "ReLU" and index + 1 < len(kinds) and kinds[index + 1] == "max-pool"


def _relu_words(kinds: Sequence[str]) -> str:
    relus = [i for i, kind in enumerate(kinds) if kind == "ReLU"]
    pooled = [i for i in relus if pooled_relu(kinds, i)]
    if not relus:
        return ""
    if len(pooled) == len(relus):
        return "a ReLU's output is drawn inside the max-pool after it"
    if not pooled:
        return "a ReLU's output is not drawn forward"
    return "a ReLU's output is drawn inside a max-pool right after it, and not drawn otherwise"


def _vector_words(kinds: Sequence[str]) -> str:
    flat = [name for kind, name in (("unflatten", "flatten"), ("dense", "dense")) if kind in kinds]
    if not flat:
        return ""
    return f"{' and '.join(flat)} make{'s' if len(flat) == 1 else ''} vectors"


def slider_words(trace: BackwardTrace, play_seconds: float) -> str:
    """What the "δ reached" slider counts, with this network's number of rows."""
    rows = len(trace.stages)
    return (
        f"“δ reached” counts the backward rows δ has passed: 0 shows only the loss, 1 … {rows} "
        f"one more layer's row each (row 1 is the {trace.stages[0].kind} next to the loss), "
        f"{rows + 1} also the image's gradient (the saliency map). Play moves it one row "
        f"every {play_seconds:g} s."
    )


def colour_words(trace: BackwardTrace) -> str:
    """How the pictures' colours are scaled: one scale per picture, over the samples shown."""
    samples = f"the {trace.batch} samples shown" if trace.batch > 1 else "the sample shown"
    return (
        "Colours: blue below 0, white 0, red above 0, on one scale per picture: its ends (the "
        f"key beside it) are ± the largest |value| in that picture over {samples}. So compare "
        "colours within a row, not between rows; the scale changes with the sample and the "
        "batch."
    )


def below_words(layer_names: Sequence[str], conv: int) -> str:
    """What is below conv layer ``conv`` (from 0), for the explorer opened on it.

    ``layer_names`` are the network's layers in forward order (``type(layer).__name__``).
    """
    positions = [n for n, name in enumerate(layer_names) if name == "Conv2D"]
    if not 0 <= conv < len(positions):
        raise ValueError(f"conv must be in [0, {len(positions)}); got {conv!r}")
    if conv == 0:
        return (f"Conv {conv + 1} reads the image: no layer below it, so its dx is "
                "dL/d(image), the saliency map.")
    between = list(layer_names[positions[conv - 1] + 1 : positions[conv]])
    if between != ["ReLU", "MaxPool2D"]:
        nearest = ", ".join(reversed(between)) or f"conv {conv}"
        return f"Below conv {conv + 1}, nearest first: {nearest}."
    return (
        f"Directly below conv {conv + 1} is a max-pool, and below that a ReLU. The explorer's "
        "“δ below” row is dx ⊙ σ'(z) with z the max-pooled pre-activation: ReLU and "
        "max-pool commute (pool(relu(z)) = relu(pool(z))), so the ReLU's gate is applied at "
        "the pooled size; the max-pool then sends each value to its block's winner (its row "
        "on this page)."
    )
