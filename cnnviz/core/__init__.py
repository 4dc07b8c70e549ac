"""The conv core: NumPy only, no plotting. Everything else in cnnviz is built on these rooms.

- :mod:`~cnnviz.core.geometry`: a frozen :class:`Geometry` (sizes, checks, untouched rows).
- :mod:`~cnnviz.core.conv`: the public passes in lesson order, then the textbook routes.
- :mod:`~cnnviz.core._fast`: how conv is fast (im2col/col2im, chunks, scratch) and what each
  route costs in bytes; :mod:`~cnnviz.core._rows` the stride-1 route.
- :mod:`~cnnviz.core.gradcheck`: one finite-difference gradient for everything.
- :mod:`~cnnviz.core.activations` and :mod:`~cnnviz.core.arrays`: activations, argument checks.
- :mod:`~cnnviz.core.budget`: the size guard (``set_work_limit``) every pass checks first, and
  the index plans it counts (one owner: ``_fast`` imports it, never the other way).
"""

from cnnviz.core.budget import DEFAULT_WORK_LIMIT, set_work_limit, work_limit

__all__ = ["DEFAULT_WORK_LIMIT", "set_work_limit", "work_limit"]
