"""Argument checks shared by the lesson modules; internal, not re-exported by the package.

Each raises a TypeError or ValueError naming the parameter and the rule it breaks, and never
touches the caller's array.
"""

from __future__ import annotations

import numpy as np

from cnnviz.core.arrays import real_array
from cnnviz.core.conv import IntOrPair
from cnnviz.core.geometry import Geometry


def as_real(value: object, name: str, ndim: int, layout: str) -> np.ndarray:
    """A float64 copy of ``value`` with rank ``ndim``, or a TypeError/ValueError naming it."""
    return real_array(value, name, ndim, layout).astype(np.float64)  # the caller's is untouched


def as_geometry(value: object) -> Geometry:
    """``value`` itself when it is a :class:`~cnnviz.core.geometry.Geometry`, else a TypeError."""
    if not isinstance(value, Geometry):
        raise TypeError(f"geometry must be a cnnviz Geometry; got {type(value).__name__}")
    return value


def single_geometry(
    delta: np.ndarray,
    kernel: np.ndarray,
    input_size: IntOrPair,
    stride: IntOrPair,
    padding: IntOrPair,
    dilation: IntOrPair,
) -> Geometry:
    """One channel's Geometry, after checking that ``delta`` has its output's shape ``(Ho, Wo)``."""
    geometry = Geometry(input_size, kernel.shape, stride=stride, padding=padding, dilation=dilation)
    if delta.shape != geometry.output_size:
        raise ValueError(
            f"delta must have the forward output's shape {geometry.output_size} for "
            f"{geometry.describe()}; got {delta.shape}"
        )
    return geometry
