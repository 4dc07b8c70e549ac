"""Activation functions σ and their derivatives σ', for the ``⊙ σ'(z)`` step of backprop.

A conv layer's input ``x`` is the activation of the layer below: ``x = σ(z_below)``. Its input
gradient ``dx`` becomes that layer's delta after one element-wise product:
``δ_below = dx ⊙ σ'(z_below)``. NumPy only; every function returns a new array.
"""

from __future__ import annotations

import numpy as np

ACTIVATION_NAMES = ("identity", "relu", "sigmoid", "tanh")

# How each σ' is written in the lessons, for equations on the page.
DERIVATIVE_FORMULAS = {
    "identity": "1",
    "relu": "1 if z > 0 else 0",
    "sigmoid": "σ(z)(1 − σ(z))",
    "tanh": "1 − tanh²(z)",
}


def _checked(name: str, z: object) -> np.ndarray:
    if name not in ACTIVATION_NAMES:
        raise ValueError(f"activation must be one of {ACTIVATION_NAMES}; got {name!r}")
    array = np.asarray(z)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"z must hold real numbers; got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError(f"z must hold real numbers; got complex dtype {array.dtype}")
    return array.astype(np.result_type(array.dtype, np.float32), copy=False)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # exp of -|z| never overflows; both branches are the same function
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def activate(name: str, z: np.ndarray) -> np.ndarray:
    """σ(z) for the activation called ``name``, any shape.

    Parameters
    ----------
    name : {"identity", "relu", "sigmoid", "tanh"}
    z : array, any shape

    Returns
    -------
    array shaped like ``z`` (floating)

    Raises
    ------
    ValueError
        If ``name`` is not one of :data:`ACTIVATION_NAMES`.
    TypeError
        If ``z`` does not hold real numbers.
    """
    z = _checked(name, z)
    if name == "identity":
        return z.copy()
    if name == "relu":
        return np.maximum(z, 0)
    if name == "sigmoid":
        return _sigmoid(z)
    return np.tanh(z)


def derivative(name: str, z: np.ndarray) -> np.ndarray:
    """σ'(z), the slope of the activation at ``z``, any shape.

    ReLU's slope at exactly 0 is taken as 0 (as PyTorch does).

    Parameters
    ----------
    name : {"identity", "relu", "sigmoid", "tanh"}
    z : array, any shape

    Returns
    -------
    array shaped like ``z`` (floating)
    """
    z = _checked(name, z)
    if name == "identity":
        return np.ones_like(z)
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "sigmoid":
        s = _sigmoid(z)
        return s * (1 - s)
    return 1 - np.tanh(z) ** 2
