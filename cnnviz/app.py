"""Kept for old links and notebooks: the explorer's widgets live in :mod:`cnnviz.explorer.app`."""

from cnnviz.explorer.app import Explorer, explorer_page

__all__ = ["Explorer", "explorer_page"]
