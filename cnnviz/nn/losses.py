"""The loss at the top of the network: softmax and its cross-entropy with the gradient.

``softmax_cross_entropy(logits, labels)`` returns the mean loss and ``dL/dlogits =
(p - onehot) / N``: the first δ of the backward pass (:mod:`cnnviz.nn.backward_trace`).
"""

from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``(N, classes)`` logits (shifted by the row max: no overflow)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against integer labels, and its gradient.

    Parameters
    ----------
    logits : ``(N, classes)``
    labels : ``(N,)`` int in ``[0, classes)``

    Returns
    -------
    loss : float, ``-mean(log p[n, labels[n]])``
    dlogits : ``(N, classes)``, ``(p - onehot) / N``
    """
    logits = np.asarray(logits)
    labels = np.asarray(labels)
    if logits.ndim != 2:
        raise ValueError(f"logits must be (N, classes); got shape {logits.shape}")
    if labels.shape != (logits.shape[0],):
        raise ValueError(f"labels must be ({logits.shape[0]},), one per row; got {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must be integers; got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
        raise ValueError(
            f"labels must lie in [0, {logits.shape[1]}); got {labels.min()}..{labels.max()}"
        )
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = float(-log_p[rows, labels].mean()) if n else 0.0  # an empty batch costs nothing
    dlogits = np.exp(log_p)
    dlogits[rows, labels] -= 1
    return loss, dlogits / max(n, 1)
