"""The data one explorer view shows: one sample through one conv layer, forward and backward.

A :class:`LayerSnapshot` holds, for a single sample,

* ``x`` ``(C, H, W)``: the layer's input, ``x = σ(z_below)``;
* ``w`` ``(K, C, kh, kw)`` and ``b`` ``(K,)``: the filters and their biases;
* ``delta`` ``(K, Ho, Wo)``: ``δ = dL/dz`` of this layer, handed down from above;
* the geometry (stride, padding, dilation as ``(h, w)`` pairs);
* ``activation`` and ``z_below`` ``(C, H, W)``: the layer below's activation and
  pre-activation, so that ``δ_below = dx ⊙ σ'(z_below)``.

Make one from real arrays with :meth:`LayerSnapshot.from_arrays` (it checks shapes and names
what is wrong), or from the explorer's controls with :func:`snapshot_from_settings` (seeded
random numbers, rounded to one decimal so a learner can redo a sum by hand). The gradients
(``dx``, ``dw``, ``db``, per-filter contributions, ``δ_below``) are computed by the core once,
on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from cnnviz.core.activations import ACTIVATION_NAMES, activate, derivative
from cnnviz.core.arrays import real_array
from cnnviz.core.conv import conv2d, conv2d_backward, input_grad_contributions
from cnnviz.core.geometry import Geometry, Pair
from cnnviz.core.gradcheck import numerical_partials
from cnnviz.explorer.settings import Settings


def _frozen_array(value: object, name: str, ndim: int, layout: str) -> np.ndarray:
    """A read-only float64 copy of ``value`` with ``ndim`` dimensions."""
    array = real_array(value, name, ndim, layout)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must hold finite numbers (no NaN or inf)")
    copy = np.array(array, dtype=np.float64)  # never share memory with the caller
    copy.flags.writeable = False
    return copy


def _layer_geometry(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    delta: np.ndarray,
    stride: int | Pair,
    padding: int | Pair,
    dilation: int | Pair,
) -> Geometry:
    """The layer's geometry, after checking that x, w, b and delta fit together."""
    if w.shape[1] != x.shape[0]:
        raise ValueError(
            f"w has depth {w.shape[1]} but x has {x.shape[0]} channels: each filter must "
            "be as deep as the input (w is (K, C, kh, kw), x is (C, H, W))"
        )
    if b.shape[0] != w.shape[0]:
        raise ValueError(f"b must have one entry per filter, K={w.shape[0]}; got {b.shape}")
    geometry = Geometry(
        x.shape[1:], w.shape[2:], stride=stride, padding=padding, dilation=dilation
    )
    expected = (w.shape[0], *geometry.output_size)
    if delta.shape != expected:
        raise ValueError(
            f"delta must have the layer output's shape {expected} (K, Ho, Wo); "
            f"got {delta.shape}"
        )
    return geometry


def _checked_z_below(activation: str, z_below: object, x: np.ndarray) -> np.ndarray:
    """The layer below's pre-activation ``(C, H, W)``; ``x`` itself for the identity."""
    if activation not in ACTIVATION_NAMES:
        raise ValueError(f"activation must be one of {ACTIVATION_NAMES}; got {activation!r}")
    if z_below is None:
        if activation != "identity":
            raise ValueError(
                f"z_below (C, H, W) is needed to compute σ'(z_below) for activation "
                f"{activation!r}"
            )
        z_below = x
    z_below = _frozen_array(z_below, "z_below", 3, "(C, H, W)")
    if z_below.shape != x.shape:
        raise ValueError(f"z_below must be shaped like x {x.shape}; got {z_below.shape}")
    return z_below


@dataclass(frozen=True, eq=False)
class LayerSnapshot:
    """One sample's forward input, filters and upstream delta for one conv layer.

    Build it with :meth:`from_arrays` or :func:`snapshot_from_settings`; the arrays are
    read-only float64 copies.

    Attributes
    ----------
    x : ``(C, H, W)``
    w : ``(K, C, kh, kw)``
    b : ``(K,)``
    delta : ``(K, Ho, Wo)``, dL/dz of this layer
    stride, padding, dilation : ``(h, w)`` pairs
    activation : str, one of :data:`cnnviz.core.activations.ACTIVATION_NAMES`
    z_below : ``(C, H, W)``, with ``x = σ(z_below)``
    """

    x: np.ndarray
    w: np.ndarray
    b: np.ndarray
    delta: np.ndarray
    stride: Pair
    padding: Pair
    dilation: Pair
    activation: str
    z_below: np.ndarray

    @classmethod
    def from_arrays(
        cls,
        x: np.ndarray,
        w: np.ndarray,
        b: np.ndarray,
        delta: np.ndarray,
        *,
        stride: int | Pair = 1,
        padding: int | Pair = 0,
        dilation: int | Pair = 1,
        activation: str = "identity",
        z_below: np.ndarray | None = None,
    ) -> LayerSnapshot:
        """Check and copy one sample's arrays.

        Parameters
        ----------
        x : ``(C, H, W)``
        w : ``(K, C, kh, kw)``
        b : ``(K,)``
        delta : ``(K, Ho, Wo)``, shaped like this layer's output
        stride, padding, dilation : int or ``(h, w)``
        activation : {"identity", "relu", "sigmoid", "tanh"}
            The layer below's activation σ.
        z_below : ``(C, H, W)``, optional
            The layer below's pre-activation. Needed unless ``activation`` is "identity"
            (then it defaults to ``x``).

        Raises
        ------
        TypeError, ValueError
            Naming the argument and the rule it breaks.
        """
        x = _frozen_array(x, "x", 3, "(C, H, W)")
        w = _frozen_array(w, "w", 4, "(K, C, kh, kw)")
        b = _frozen_array(b, "b", 1, "(K,)")
        delta = _frozen_array(delta, "delta", 3, "(K, Ho, Wo)")
        geometry = _layer_geometry(x, w, b, delta, stride, padding, dilation)
        z_below = _checked_z_below(activation, z_below, x)
        return cls(
            x=x, w=w, b=b, delta=delta,
            stride=geometry.stride, padding=geometry.padding, dilation=geometry.dilation,
            activation=activation, z_below=z_below,
        )

    # ---- sizes

    @cached_property
    def geometry(self) -> Geometry:
        """The layer's :class:`~cnnviz.core.geometry.Geometry`."""
        return Geometry(
            self.x.shape[1:],
            self.w.shape[2:],
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
        )

    @property
    def depth(self) -> int:
        """C, the number of input channels: the depth."""
        return self.x.shape[0]

    @property
    def filters(self) -> int:
        """K, the number of filters (output channels)."""
        return self.w.shape[0]

    # ---- forward and backward, computed once by the core

    @cached_property
    def z(self) -> np.ndarray:
        """``(K, Ho, Wo)``: the layer's output, ``conv2d(x, w) + b``."""
        return self._frozen(conv2d(self.x[None], self.w, self.b, **self._settings())[0])

    @cached_property
    def contributions(self) -> np.ndarray:
        """``(K, C, H, W)``: what filter k's delta sends into input channel c."""
        return self._frozen(
            input_grad_contributions(
                self.delta, self.w, self.x.shape[1:], **self._settings()
            )
        )

    @cached_property
    def _backward(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        dx, dw, db = conv2d_backward(self.delta[None], self.x[None], self.w, **self._settings())
        return self._frozen(dx[0]), self._frozen(dw), self._frozen(db)

    @property
    def dx(self) -> np.ndarray:
        """``(C, H, W)``: dL/dx, the sum over k of :attr:`contributions`."""
        return self._backward[0]

    @property
    def dw(self) -> np.ndarray:
        """``(K, C, kh, kw)``: dL/dW, one gradient per filter (not per position)."""
        return self._backward[1]

    @property
    def db(self) -> np.ndarray:
        """``(K,)``: dL/db, the sum of each delta map."""
        return self._backward[2]

    @cached_property
    def sigma_prime(self) -> np.ndarray:
        """``(C, H, W)``: σ'(z_below)."""
        return self._frozen(derivative(self.activation, self.z_below))

    @cached_property
    def delta_below(self) -> np.ndarray:
        """``(C, H, W)``: δ of the layer below, ``dx ⊙ σ'(z_below)``."""
        return self._frozen(self.dx * self.sigma_prime)

    def _settings(self) -> dict[str, Pair]:
        return {"stride": self.stride, "padding": self.padding, "dilation": self.dilation}

    @staticmethod
    def _frozen(array: np.ndarray) -> np.ndarray:
        array = np.array(array, dtype=np.float64)
        array.flags.writeable = False
        return array


def snapshot_from_settings(settings: Settings) -> LayerSnapshot:
    """Seeded random data for the explorer's controls, rounded to one decimal.

    ``z_below ~ N(0, 1)``, ``x = σ(z_below)``, ``w ~ N(0, 0.5²)``, ``b ~ N(0, 0.1²)`` and
    ``δ ~ N(0, 1)`` (``z_below`` is never exactly 0); the same settings always give the
    same numbers.

    Raises
    ------
    TypeError
        If ``settings`` is not a :class:`~cnnviz.explorer.settings.Settings`.
    ValueError
        With the plain sentence of ``settings.problem()`` when the combination cannot run.
    """
    if not isinstance(settings, Settings):
        raise TypeError(f"settings must be a Settings; got {type(settings).__name__}")
    geometry = settings.geometry()  # raises the plain sentence when impossible
    rng = np.random.default_rng(settings.seed)
    c, k = settings.depth, settings.filters
    h, w_ = geometry.input_size
    kh, kw = geometry.kernel_size
    z_below = np.round(rng.normal(0.0, 1.0, (c, h, w_)), 1)
    z_below[z_below == 0] = 0.1  # no pre-activation exactly on ReLU's kink
    weights = np.round(rng.normal(0.0, 0.5, (k, c, kh, kw)), 1)
    bias = np.round(rng.normal(0.0, 0.1, (k,)), 1)
    delta = np.round(rng.normal(0.0, 1.0, (k, *geometry.output_size)), 1)
    return LayerSnapshot.from_arrays(
        activate(settings.activation, z_below),
        weights,
        bias,
        delta,
        stride=geometry.stride,
        padding=geometry.padding,
        dilation=geometry.dilation,
        activation=settings.activation,
        z_below=z_below,
    )


CHECK_WORK = 4 * 10**9  # multiply-adds the finite-difference check may spend (about a second)
MIN_CHECKED = 8  # entries per array checked however big the layer


def gradient_check(
    layer: LayerSnapshot, *, eps: float = 1e-6, max_entries: int | None = 400, seed: int = 0
) -> CheckResult:
    """Largest ``|analytic − finite difference|`` for dx, dW, db and δ_below of ``layer``.

    The loss is ``Σ z ⊙ δ`` (so dL/dz = δ); δ_below is checked through the activation, with
    ``x = σ(z_below)``. Central differences cost two forward passes per entry, so at most
    ``max_entries`` entries of each array are checked (chosen at random with ``seed``; all of
    them when ``max_entries`` is None or the array is small enough), and on a big layer fewer:
    as many as keep the forward passes under :data:`CHECK_WORK` multiply-adds in all (a
    64-channel layer on 56×56 maps gets about 17 per array, not a minute of checking).

    Returns
    -------
    CheckResult
        ``errors`` (dict with keys ``"dx"``, ``"dw"``, ``"db"``, ``"delta_below"``), and
        ``checked`` / ``total``, the entries compared and present.
    """
    settings = layer._settings()
    rng = np.random.default_rng(seed)
    per_pass = layer.w.size * int(np.prod(layer.geometry.output_size))  # multiply-adds
    affordable = max(MIN_CHECKED, CHECK_WORK // (2 * 4 * per_pass))  # 2 passes, 4 arrays
    max_entries = None if max_entries is None else min(max_entries, affordable)

    def loss(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> float:
        return float(np.sum(conv2d(x[None], w, b, **settings)[0] * layer.delta))

    def below(z: np.ndarray) -> float:
        return loss(activate(layer.activation, z), layer.w, layer.b)

    cases = {
        "dx": (lambda v: loss(v, layer.w, layer.b), layer.x, layer.dx),
        "dw": (lambda v: loss(layer.x, v, layer.b), layer.w, layer.dw),
        "db": (lambda v: loss(layer.x, layer.w, v), layer.b, layer.db),
        "delta_below": (below, layer.z_below, layer.delta_below),
    }
    errors, checked, total = {}, 0, 0
    for name, (function, at, analytic) in cases.items():
        chosen = np.arange(at.size)
        if max_entries is not None and at.size > max_entries:
            chosen = rng.choice(at.size, size=max_entries, replace=False)
        if name == "delta_below" and layer.activation == "relu":
            # ReLU has no slope at exactly 0 (we use 0, a central difference sees 1/2)
            chosen = chosen[np.abs(at.reshape(-1)[chosen]) > eps]
        numeric = numerical_partials(function, at, chosen, eps=eps)
        gap = np.abs(numeric - analytic.reshape(-1)[chosen])
        errors[name] = float(gap.max(initial=0.0))
        checked, total = checked + chosen.size, total + at.size
    return CheckResult(errors=errors, checked=checked, total=total)


@dataclass(frozen=True)
class CheckResult:
    """What :func:`gradient_check` found: max errors per gradient and how much was checked."""

    errors: dict[str, float]
    checked: int
    total: int

    @property
    def worst(self) -> float:
        """The largest error over every gradient."""
        return max(self.errors.values())
