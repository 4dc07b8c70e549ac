"""Colour-vision simulation and colour metrics for tests and benches (not used by the product).

Machado, Oliveira & Fernandes (2009), "A physiologically-based model for simulation of color
vision deficiency", IEEE TVCG 15(6): the severity-1.0 matrices, applied to linear RGB (as in
DaltonLens and colorspacious). CIELAB (D65) for colour differences (ΔE*ab, CIE76) and WCAG 2
relative luminance and contrast ratio.
"""

from __future__ import annotations

import numpy as np

MACHADO = {
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868],
         [0.114503, 0.786281, 0.099216],
         [-0.003882, -0.048116, 1.051998]]
    ),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968],
         [0.280085, 0.672501, 0.047413],
         [-0.011820, 0.042940, 0.968881]]
    ),
    "tritanopia": np.array(
        [[1.255528, -0.076749, -0.178779],
         [-0.078411, 0.930809, 0.147602],
         [0.004733, 0.691367, 0.303900]]
    ),
}  # fmt: skip
_XYZ = np.array(
    [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
)
_WHITE = _XYZ.sum(axis=1)


def to_linear(rgb: np.ndarray) -> np.ndarray:
    """sRGB ``(..., 3)`` uint8 (or floats in [0, 255]) -> linear RGB in [0, 1]."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def to_srgb(linear: np.ndarray) -> np.ndarray:
    """Linear RGB in [0, 1] -> sRGB ``(..., 3)`` uint8."""
    c = np.clip(linear, 0.0, 1.0)
    c = np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)
    return np.round(c * 255).astype(np.uint8)


def simulate(rgb: np.ndarray, kind: str) -> np.ndarray:
    """What a viewer with ``kind`` colour vision sees of an sRGB image ``(..., 3)`` uint8."""
    return to_srgb(to_linear(rgb) @ MACHADO[kind].T)


def lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB ``(..., 3)`` -> CIELAB ``(..., 3)`` (D65)."""
    t = (to_linear(rgb) @ _XYZ.T) / _WHITE
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


def delta_e(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """CIE76 colour difference between two sRGB colours (arrays broadcast)."""
    return np.linalg.norm(lab(a) - lab(b), axis=-1)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG 2 relative luminance of sRGB ``(..., 3)``."""
    return to_linear(rgb) @ np.array([0.2126, 0.7152, 0.0722])


def contrast(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """WCAG 2 contrast ratio (1 to 21) between sRGB colours ``a`` and ``b``."""
    la, lb = luminance(a), luminance(b)
    return (np.maximum(la, lb) + 0.05) / (np.minimum(la, lb) + 0.05)
