"""The landing page over HTTP: a tornado handler, and a Jupyter server extension that mounts it.

``make class`` (cnnviz.serve.course) puts :class:`LandingHandler` at ``/`` of its Voila. Inside a
Jupyter server (Binder, each user of the hub), enabling this module as an extension
(``c.ServerApp.jpserver_extensions = {"cnnviz.serve.web": True}``; :func:`configure
<cnnviz.serve.settings.configure>` does it) serves the same page at ``{base_url}course``, its
links pointing at that server's Voila (``{base_url}voila/render/notebooks/…``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tornado.web

from cnnviz.serve.landing import landing_html
from cnnviz.serve.settings import theme_from_query

COURSE_PATH = "course"  # where the extension mounts the page under a server's base_url


class LandingHandler(tornado.web.RequestHandler):
    """``GET``: the landing page for ``folder`` (``?theme=dark|light`` honoured, nothing else)."""

    def initialize(self, folder: Path, render_url: str, seed: int | None = None) -> None:
        self.folder, self.render_url, self.seed = folder, render_url, seed

    def get(self) -> None:
        theme = theme_from_query(self.get_query_argument("theme", None))
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        self.finish(landing_html(self.folder, self.render_url, theme=theme, seed=self.seed))


def served_folder(root_dir: Path | str) -> Path:
    """The folder holding the course's notebooks under a server's root: ``notebooks/`` when the
    server is rooted at the repository, the root itself otherwise."""
    root = Path(root_dir)
    return root / "notebooks" if (root / "notebooks" / "explorer.ipynb").exists() else root


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "cnnviz.serve.web"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Mount the landing page at ``{base_url}course`` of a Jupyter server running Voila."""
    base_url = server_app.web_app.settings["base_url"]
    root = Path(server_app.root_dir)
    folder = served_folder(root)
    inside = folder.relative_to(root).as_posix()
    render_url = f"{base_url}voila/render/" + ("" if inside == "." else f"{inside}/")
    server_app.web_app.add_handlers(".*$", [(
        f"{base_url}{COURSE_PATH}/?", LandingHandler,
        {"folder": folder, "render_url": render_url},
    )])  # fmt: skip
