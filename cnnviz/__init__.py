"""cnnviz: see how a convolutional layer learns, with a small verified NumPy core."""

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


def __getattr__(name: str):
    # capture is imported on first use: cnnviz.nn pulls in more than the core, and PyTorch is
    # imported only inside capture() itself, so cnnviz runs without it
    if name == "capture":
        from cnnviz.nn.capture import capture

        return capture
    raise AttributeError(f"module 'cnnviz' has no attribute {name!r}")
