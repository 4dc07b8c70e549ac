"""The one-layer backprop explorer: settings -> layer -> trace -> render -> app.

Each module imports only the ones before it in that chain (and :mod:`cnnviz.core`).
:func:`explorer_page` (in :mod:`cnnviz.explorer.app`) is what the Voila page calls; it is
imported lazily here so that ``import cnnviz.explorer.trace`` does not pull in ipywidgets.
"""

from __future__ import annotations

__all__ = ["Explorer", "explorer_page"]


def __getattr__(name: str):
    if name in __all__:
        from cnnviz.explorer import app

        return getattr(app, name)
    raise AttributeError(f"module 'cnnviz.explorer' has no attribute {name!r}")
