"""The conv core: NumPy only, no plotting. Everything else in cnnviz is built on these rooms.

- :mod:`~cnnviz.core.geometry`: a frozen :class:`Geometry` (sizes, checks, untouched rows).
- :mod:`~cnnviz.core.conv`: the public passes in lesson order, then the textbook routes.
- :mod:`~cnnviz.core._fast`: how conv is fast (index plans, im2col/col2im, chunks, scratch).
- :mod:`~cnnviz.core.gradcheck`: one finite-difference gradient for everything.
- :mod:`~cnnviz.core.activations` and :mod:`~cnnviz.core.arrays`: activations, argument checks.
"""
