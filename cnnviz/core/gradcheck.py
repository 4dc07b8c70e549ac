"""Finite differences: the numbers every analytic gradient here is checked against."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import numpy as np

from cnnviz.core.conv import IntOrPair, conv2d, conv2d_backward


def numerical_gradient(
    loss: Callable[[np.ndarray], float], at: np.ndarray, *, eps: float = 1e-6
) -> np.ndarray:
    """Central-difference gradient of a scalar ``loss`` at ``at``, any shape.

    ``grad[idx] = (loss(at + eps*e_idx) - loss(at - eps*e_idx)) / (2*eps)``. Works on a
    float64 copy, so the caller's array is never touched. One pair of loss calls per entry:
    meant for small arrays (:func:`numerical_partials` does a chosen few entries).

    Parameters
    ----------
    loss : callable
        Takes an array shaped like ``at``, returns a float.
    at : array, any shape
    eps : float
        Step size, > 0.

    Returns
    -------
    grad : float64 array shaped like ``at``
    """
    _check_loss_and_eps(loss, eps)  # before the point, as the parameters come
    point = _float64_copy(at)
    entries = np.arange(point.size)
    return numerical_partials(loss, point, entries, eps=eps).reshape(point.shape)


def numerical_partials(
    loss: Callable[[np.ndarray], float],
    at: np.ndarray,
    entries: Sequence[int] | np.ndarray,
    *,
    eps: float = 1e-6,
) -> np.ndarray:
    """The central differences of :func:`numerical_gradient` for the chosen entries only.

    Parameters
    ----------
    loss, at, eps
        As for :func:`numerical_gradient`.
    entries : ints
        Flat indices into ``at`` (``np.ravel_multi_index`` turns an index tuple into one).

    Returns
    -------
    partials : float64 array ``(len(entries),)``, ``d loss / d at.flat[entry]`` for each entry
    """
    _check_loss_and_eps(loss, eps)
    point = _float64_copy(at)  # a copy we may nudge
    flat = point.reshape(-1)
    entries = np.asarray(entries, dtype=np.intp).reshape(-1)
    if entries.size and not (0 <= entries.min() and entries.max() < flat.size):
        raise ValueError(f"entries must be flat indices below at.size={flat.size}")
    partials = np.empty(entries.size)
    for n, index in enumerate(entries):
        saved = flat[index]
        flat[index] = saved + eps
        up = float(loss(point))
        flat[index] = saved - eps
        down = float(loss(point))
        flat[index] = saved
        partials[n] = (up - down) / (2 * eps)
    return partials


def _check_loss_and_eps(loss: object, eps: object) -> None:
    if not callable(loss):
        raise TypeError(f"loss must be callable; got {type(loss).__name__}")
    if not isinstance(eps, numbers.Real) or isinstance(eps, bool):
        raise TypeError(f"eps must be a real number; got {eps!r}")
    if not eps > 0:
        raise ValueError(f"eps must be > 0; got {eps}")


def _float64_copy(at: object) -> np.ndarray:
    """A float64 copy of ``at``, or a TypeError when it does not hold real numbers."""
    try:
        kind = np.asarray(at).dtype.kind
    except ValueError as error:  # ragged nested lists
        raise TypeError(f"at must be an array of real numbers: {error}") from None
    if kind not in "iuf":
        raise TypeError(f"at must be an array of real numbers; got {type(at).__name__}")
    return np.array(at, dtype=np.float64)


def conv2d_gradient_errors(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    dout: np.ndarray,
    *,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    eps: float = 1e-6,
) -> dict[str, float]:
    """Largest ``|analytic - finite difference|`` for dx, dw and db of :func:`conv2d`.

    The loss is ``sum(conv2d(x, w, b) * dout)``, so ``dL/dz = dout``.

    Parameters
    ----------
    x : ``(N, C, H, W)``; w : ``(K, C, kh, kw)``; b : ``(K,)``; dout : ``(N, K, Ho, Wo)``

    Returns
    -------
    dict with keys ``"dx"``, ``"dw"``, ``"db"``: the max absolute errors.
    """
    settings = {"stride": stride, "padding": padding, "dilation": dilation}
    dx, dw, db = conv2d_backward(dout, x, w, **settings)
    dout64 = np.asarray(dout, dtype=np.float64)

    def loss_of(x_, w_, b_):
        return float(np.sum(conv2d(x_, w_, b_, **settings) * dout64))

    numeric = {
        "dx": numerical_gradient(lambda v: loss_of(v, w, b), x, eps=eps),
        "dw": numerical_gradient(lambda v: loss_of(x, v, b), w, eps=eps),
        "db": numerical_gradient(lambda v: loss_of(x, w, v), b, eps=eps),
    }
    analytic = {"dx": dx, "dw": dw, "db": db}
    gaps = {name: np.abs(analytic[name] - numeric[name]) for name in analytic}
    return {name: float(gap.max(initial=0.0)) for name, gap in gaps.items()}  # N = 0: no gap
