"""A small CNN on the same conv core: layers, the gesture data, training, its views.

- :mod:`~cnnviz.nn.layers`: Conv2D, ReLU, MaxPool2D, Flatten, Dense, Sequential, the loss, Adam.
- :mod:`~cnnviz.nn.gestures`: the synthetic gesture images (made from a seed, no download).
- :mod:`~cnnviz.nn.training`: the training loop shared by the command and the notebook.
- :mod:`~cnnviz.nn.figures` (matplotlib) and :mod:`~cnnviz.nn.widgets` (ipywidgets): the views.
- :mod:`~cnnviz.nn.capture` (``cnnviz.capture``; the one module that imports PyTorch, and only
  when called) and :mod:`~cnnviz.nn.captured` (what it recorded, as NumPy): your own model's
  conv layers for the explorer and the whole model for the network page.
"""

from cnnviz.nn.layers import (
    Conv2D,
    Dense,
    Flatten,
    Layer,
    MaxPool2D,
    ReLU,
    Sequential,
    softmax,
    softmax_cross_entropy,
)
from cnnviz.nn.optim import Adam

__all__ = [
    "Adam",
    "Conv2D",
    "Dense",
    "Flatten",
    "Layer",
    "MaxPool2D",
    "ReLU",
    "Sequential",
    "softmax",
    "softmax_cross_entropy",
]
