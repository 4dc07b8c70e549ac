"""The optimizer: Adam, updating a :class:`~cnnviz.nn.layers.Sequential`'s parameters in place."""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # only for the type hint: layers need no optimizer
    from cnnviz.nn.layers import Sequential


# Adam's step moves each weight by about learning_rate: past 1 a He-initialised weight (about
# 0.1) is thrown far off at every step, and 1e308 overflows to inf at once.
MAX_LEARNING_RATE = 1.0


def _real(value: object, name: str) -> float:
    """``value`` as a finite float, or a TypeError/ValueError naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value}")
    return float(value)


class Adam:
    """Adam (Kingma & Ba, 2015): per-parameter steps from running means of g and g².

    Parameters
    ----------
    network : Sequential, whose layers' ``params`` are updated in place by :meth:`step`
    learning_rate : float > 0
    beta1, beta2 : float in [0, 1)
    eps : float > 0
    """

    def __init__(
        self,
        network: Sequential,
        *,
        learning_rate: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        learning_rate = _real(learning_rate, "learning_rate")
        if not 0 < learning_rate <= MAX_LEARNING_RATE:
            raise ValueError(
                f"learning_rate must be > 0 and <= {MAX_LEARNING_RATE:g} (Adam moves every "
                f"weight by about that much each step: larger steps diverge); got {learning_rate}"
            )
        for name, beta in (("beta1", beta1), ("beta2", beta2)):
            if not 0 <= _real(beta, name) < 1:
                raise ValueError(f"{name} must lie in [0, 1); got {beta}")
        if not _real(eps, "eps") > 0:
            raise ValueError(f"eps must be > 0 (it keeps the step finite where g is 0); got {eps}")
        self.network = network
        self.learning_rate = float(learning_rate)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.steps = 0
        self.moments = {
            (id(layer), name): (
                np.zeros_like(layer.params[name]),
                np.zeros_like(layer.params[name]),
            )
            for layer, name in network.parameters()
        }

    def step(self) -> None:
        """Move every parameter by its Adam step, using the grads of the last backward."""
        self.steps += 1
        correction1 = 1 - self.beta1**self.steps
        correction2 = 1 - self.beta2**self.steps
        for layer, name in self.network.parameters():
            grad = layer.grads.get(name)
            if grad is None:
                raise RuntimeError("Adam.step called before the network's backward pass")
            m, v = self.moments[(id(layer), name)]
            m *= self.beta1
            m += (1 - self.beta1) * grad
            v *= self.beta2
            v += (1 - self.beta2) * grad * grad
            step = self.learning_rate * (m / correction1) / (np.sqrt(v / correction2) + self.eps)
            layer.params[name] -= step.astype(layer.params[name].dtype, copy=False)
