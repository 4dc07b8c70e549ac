"""Activation functions σ and their derivatives σ', for the ``⊙ σ'(z)`` step of backprop.

A conv layer's input ``x`` is the activation of the layer below: ``x = σ(z_below)``. Its input
gradient ``dx`` becomes that layer's delta after one element-wise product:
``δ_below = dx ⊙ σ'(z_below)``. NumPy only; every function returns a new array.
"""

from __future__ import annotations

import numpy as np

from cnnviz.core import budget

ACTIVATION_NAMES = ("identity", "relu", "sigmoid", "tanh")

# How each σ' is written in the lessons, for equations on the page.
DERIVATIVE_FORMULAS = {
    "identity": "1",
    "relu": "1 if z > 0 else 0",
    "sigmoid": "σ(z)(1 − σ(z))",
    "tanh": "1 − tanh²(z)",
}


# What each function holds at its peak, per entry of z: (float arrays shaped like z, boolean
# masks). σ(z) of sigmoid holds exp(-|z|), the two branches and the mask of z >= 0 besides its
# result; σ' of tanh holds tanh(z) and its square. Measured in tests/guard_memory.py.
_ACTIVATE_WORK = {"identity": (1, 0), "relu": (1, 0), "sigmoid": (4, 1), "tanh": (1, 0)}
_DERIVATIVE_WORK = {"identity": (1, 0), "relu": (1, 1), "sigmoid": (4, 1), "tanh": (2, 0)}


def activation_bytes(name: str, z: np.ndarray, slope: bool) -> int:
    """Peak bytes :func:`activate` (or :func:`derivative`, when ``slope``) allocates for ``z``.

    ``z`` as it is given (not yet floats): its conversion counts too.
    """
    dtype = np.result_type(z.dtype, np.float32)
    floats, masks = (_DERIVATIVE_WORK if slope else _ACTIVATE_WORK)[name]
    floats += z.dtype != dtype  # the converted copy
    return z.size * (floats * dtype.itemsize + masks)


def _checked(name: str, z: object, slope: bool = False) -> np.ndarray:
    if name not in ACTIVATION_NAMES:
        raise ValueError(f"activation must be one of {ACTIVATION_NAMES}; got {name!r}")
    array = np.asarray(z)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"z must hold real numbers; got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError(f"z must hold real numbers; got complex dtype {array.dtype}")
    what = f"the {name} {'derivative' if slope else 'activation'}"
    budget.check_work(
        activation_bytes(name, array, slope), what=what, blame=f"z of shape {array.shape}"
    )
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
    z = _checked(name, z, slope=True)
    if name == "identity":
        return np.ones_like(z)
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "sigmoid":
        s = _sigmoid(z)
        return s * (1 - s)
    return 1 - np.tanh(z) ** 2
