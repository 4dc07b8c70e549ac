"""The browser-side pieces of the pages, kept as files rather than Python strings.

``frame_view.js`` (the fan-out picture's patches), ``kernel_watch.js``/``.css`` (the "kernel is
gone" sentence), ``a11y.js``/``.css`` (names, alt texts, live region, focus ring) and
``player.html`` (the exported standalone player). Package data: listed in pyproject.toml.
"""

from __future__ import annotations

from importlib import resources


def asset(name: str) -> str:
    """The text of the file ``name`` in this folder."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
