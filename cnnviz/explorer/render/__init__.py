"""Renderers: matplotlib and NumPy drawing of a layer and its backprop walk, no widgets."""

from cnnviz.explorer.render.fanout import FanOutFigure

__all__ = ["FanOutFigure"]
