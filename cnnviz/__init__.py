"""cnnviz: see how a convolutional layer learns, with a small verified NumPy core.

The public names below load on first use (PEP 562): ``import cnnviz`` alone imports no NumPy, so
``python -m cnnviz`` can set up its Ctrl-C handling before the heavy imports start.
"""

from __future__ import annotations

import sys

if sys.argv[:1] == ["-m"]:  # Python is locating `-m cnnviz...`: nothing of ours ran before
    from cnnviz import _exit

    if _exit.run_as_command():
        _exit.install()

import importlib  # noqa: E402 (after the signal handler: Ctrl-C may come at any moment)
from typing import TYPE_CHECKING  # noqa: E402

if TYPE_CHECKING:  # what the names are, for readers and type checkers
    from cnnviz.core.conv import (
        conv2d,
        conv2d_backward,
        dilate,
        input_grad_by_full_convolution,
        input_grad_contributions,
        pad_input,
        rot180,
        weight_grad_by_correlation,
    )
    from cnnviz.core.geometry import Geometry, as_pair, output_length
    from cnnviz.core.gradcheck import conv2d_gradient_errors, numerical_gradient

_WHERE = {
    "Geometry": "cnnviz.core.geometry",
    "as_pair": "cnnviz.core.geometry",
    "capture": "cnnviz.nn.capture",  # PyTorch is imported only when capture() is called
    "conv2d": "cnnviz.core.conv",
    "conv2d_backward": "cnnviz.core.conv",
    "conv2d_gradient_errors": "cnnviz.core.gradcheck",
    "dilate": "cnnviz.core.conv",
    "input_grad_by_full_convolution": "cnnviz.core.conv",
    "input_grad_contributions": "cnnviz.core.conv",
    "numerical_gradient": "cnnviz.core.gradcheck",
    "output_length": "cnnviz.core.geometry",
    "pad_input": "cnnviz.core.conv",
    "rot180": "cnnviz.core.conv",
    "weight_grad_by_correlation": "cnnviz.core.conv",
}

_ROOMS = ("core", "explorer", "nn", "lessons", "cli")

__all__ = [
    "Geometry",
    "capture",
    "as_pair",
    "conv2d",
    "conv2d_backward",
    "conv2d_gradient_errors",
    "dilate",
    "input_grad_by_full_convolution",
    "input_grad_contributions",
    "numerical_gradient",
    "output_length",
    "pad_input",
    "rot180",
    "weight_grad_by_correlation",
]


def __getattr__(name: str) -> object:
    """Import a public name's module on first use, and keep the name here from then on."""
    if name in _ROOMS:  # `import cnnviz; cnnviz.core` worked when this file imported the core
        return importlib.import_module(f"cnnviz.{name}")
    if name not in _WHERE:
        raise AttributeError(f"module 'cnnviz' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
