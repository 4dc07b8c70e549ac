"""Lesson 7, through the whole network: max-pool backward, flatten and its undo, the batch sum.

Each formula is written once here, as LaTeX beside the NumPy that evaluates it; the notebook
checks every one against the core (:mod:`cnnviz.nn`) and against finite differences.

* :func:`maxpool_backward_by_definition`: each block's δ to its first largest input, by a
  plain ``argmax`` over each block (not the layer's folding), so the two can be compared.
* :func:`flat_index` / :func:`unflatten_index`: ``f = c·H·W + i·W + j`` and back.
* :func:`batch_delta_at_loss`: ``δ = (p − onehot) / B`` for the mean loss over a batch.
* :func:`per_sample_sum`: ``dW = Σ_n dW_n`` from each sample's own x and δ.
"""

from __future__ import annotations

import numpy as np

from cnnviz.core.arrays import as_count
from cnnviz.lessons.checks import as_real
from cnnviz.nn.backward_trace import BackwardTrace, per_sample_grads

FORMULAS = {
    "maxpool": r"\delta_{in}[i, j] = \delta[\lfloor i/s \rfloor, \lfloor j/s \rfloor]"
    r"\ \text{if } (i, j) \text{ is its block's first maximum, else } 0",
    "flat": r"f = c \cdot H W + i \cdot W + j",
    "unflat": r"(c, i, j) = (\lfloor f / HW \rfloor,\ \lfloor (f \bmod HW) / W \rfloor,"
    r"\ f \bmod W)",
    "loss": r"\delta_{logits} = (p - \mathrm{onehot}(y)) / B",
    "batch": r"\frac{\partial L}{\partial W} = \sum_{n=1}^{B} \frac{\partial L}{\partial W}\Big|_n,"
    r"\quad \frac{\partial L}{\partial b_k} = \sum_n \sum_{i,j} \delta_n[k, i, j]",
}


def maxpool_backward_by_definition(x: np.ndarray, delta: np.ndarray, size: int) -> np.ndarray:
    """dL/dx of a ``size × size`` max-pool, straight from the definition, for one sample.

    Parameters
    ----------
    x : ``(C, H, W)``, the pool's input
    delta : ``(C, H//size, W//size)``, dL/d(output)
    size : int >= 1

    Returns
    -------
    ``(C, H, W)``: each δ at its block's first maximum in reading order (``np.argmax`` over
    the block laid out row by row), 0 elsewhere and in cropped rows/columns.
    """
    x = as_real(x, "x", 3, "(C, H, W)")
    delta = as_real(delta, "delta", 3, "(C, Ho, Wo)")
    size = as_count(size, "size")
    c, h, w = x.shape
    ho, wo = h // size, w // size
    if delta.shape != (c, ho, wo):
        raise ValueError(f"delta must be {(c, ho, wo)} for x {x.shape} and size {size}")
    blocks = x[:, : ho * size, : wo * size].reshape(c, ho, size, wo, size)
    blocks = blocks.transpose(0, 1, 3, 2, 4).reshape(c, ho, wo, size * size)  # reading order
    first = blocks.argmax(axis=-1)  # (C, Ho, Wo): the first maximum of each block
    dx = np.zeros_like(x)
    cc, ii, jj = np.indices((c, ho, wo))
    dx[cc, ii * size + first // size, jj * size + first % size] = delta
    return dx


def flat_index(c: int, i: int, j: int, shape: tuple[int, int, int]) -> int:
    """``f = c·H·W + i·W + j``: where ``(c, i, j)`` of a ``(C, H, W)`` map lands when flattened."""
    _, h, w = shape
    return c * h * w + i * w + j


def unflatten_index(f: int, shape: tuple[int, int, int]) -> tuple[int, int, int]:
    """``(f // HW, (f % HW) // W, f % W)``: where flat index ``f`` goes back to."""
    _, h, w = shape
    return f // (h * w), (f % (h * w)) // w, f % w


def batch_delta_at_loss(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``(p − onehot) / B``: δ at the logits for the mean cross-entropy of a batch ``(B, K)``."""
    p = as_real(probabilities, "probabilities", 2, "(B, classes)")
    labels = np.asarray(labels)
    if labels.shape != (p.shape[0],):
        raise ValueError(f"labels must be ({p.shape[0]},); got {labels.shape}")
    onehot = np.eye(p.shape[1])[labels]
    return (p - onehot) / p.shape[0]


def per_sample_sum(trace: BackwardTrace, stage_index: int) -> dict[str, np.ndarray]:
    """``Σ_n dW_n`` and ``Σ_n db_n`` of one stage, each sample's own gradient added up."""
    parts = per_sample_grads(trace, trace.stages[stage_index])
    return {name: value.sum(axis=0) for name, value in parts.items()}
