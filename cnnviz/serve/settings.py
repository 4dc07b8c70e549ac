"""The course server's settings, written once: every way of serving reads them from here.

* ``make app`` / ``make network`` / ``make class`` start standalone Voila with
  ``--Voila.config_file_paths=['<repository>']``: Voila runs the repository's ``voila.py``,
  which calls :func:`configure`.
* Binder runs Voila inside ``jupyter server``: ``binder/postBuild`` writes
  :func:`server_config` into the user's ``jupyter_server_config.json``
  (``tools/voila_server_config.py``), and Voila's extension runs ``voila.py`` from the start
  folder (the repository) for the theme hook.
* The hub (``deploy/``) calls :func:`configure` on each user server's config.

Why the theme is handled here: Voila 0.5.13 writes the ``theme`` query value unescaped into
the page (``<body data-jp-theme-name="…">`` in the lab template), so a link such as
``?theme="><img src=x onerror=alert(1)>`` runs script when theme override is allowed (its
default, ``YES``). Override from the link is therefore off (``NOTEBOOK``: Voila takes the
theme only from the notebook's metadata, never from the query), and :func:`prelaunch_hook`
reads ``?theme=`` itself, keeps it only when it is one of :data:`THEMES`, and writes it into
the metadata of that request's copy of the notebook. A ``?template=`` link is ignored
(``allow_template_override = NO``): ``?template=../../..`` used to answer a blank HTTP 500.
"""

from __future__ import annotations

import copy
import json
from typing import Any

THEMES = ("light", "dark")
DEFAULT_THEME = "light"

# VoilaConfiguration: the page's own settings (both standalone and as a server extension).
VOILA_CONFIGURATION: dict[str, Any] = {
    "theme": DEFAULT_THEME,
    # Not YES: with YES Voila writes the raw ?theme= value into the page (see module doc).
    # NOTEBOOK: the theme comes from the notebook's metadata, which only prelaunch_hook writes.
    "allow_theme_override": "NOTEBOOK",
    # Not YES: ?template=../../.. made Voila look for templates outside its folders (HTTP 500).
    "allow_template_override": "NO",
    # Students see a one-line message, never a traceback.
    "show_tracebacks": False,
    # Measured: preheated kernels made a class arriving together slower (bench/README.md).
    "preheat_kernel": False,
    "default_pool_size": 0,
}

# What a Jupyter server holds itself (on Binder and the hub Voila's extension does not read
# these from voila.py): the executor's patience, kernel culling and the kernels' transport.
SERVER_SECTIONS: dict[str, dict[str, Any]] = {
    # Voila's default of 4 s dropped busy kernels' last outputs when a class arrived together:
    # 8 of 12 pages stayed blank; with 60 s, 12 of 12 showed the figure.
    "VoilaExecutor": {"iopub_timeout": 60},
    # A kernel idle for 10 minutes whose page is gone is stopped; an open tab keeps its kernel.
    "MappingKernelManager": {
        "cull_idle_timeout": 600,
        "cull_interval": 60,
        "cull_connected": False,
    },
    # Local sockets: with TCP, 60 kernels starting at once raced for ports.
    "KernelManager": {"transport": "ipc"},
    # Inside a Jupyter server (Binder, the hub) the landing page at {base_url}course.
    "ServerApp": {"jpserver_extensions": {"cnnviz.serve.web": True}},
}


def theme_from_query(value: object) -> str | None:
    """The theme a link asks for, if it is one this project serves; otherwise None.

    Parameters
    ----------
    value : object
        The ``theme`` query value as the server decoded it (a str), or anything else.

    Returns
    -------
    str or None
        ``"light"`` or ``"dark"`` (case and surrounding spaces ignored); None for anything
        else, so a crafted value never reaches the page.
    """
    if not isinstance(value, str) or len(value) > 16:
        return None
    theme = value.strip().lower()
    return theme if theme in THEMES else None


def prelaunch_hook(handler: Any, notebook: Any, cwd: str) -> Any:
    """Voila's ``prelaunch_hook``: honour ``?theme=dark|light`` through the notebook's metadata.

    Parameters
    ----------
    handler : tornado.web.RequestHandler
        The request (only its ``theme`` query argument is read).
    notebook : nbformat.NotebookNode
        The notebook Voila is about to render; not modified.
    cwd : str
        The notebook's folder (unused).

    Returns
    -------
    nbformat.NotebookNode or None
        A copy of ``notebook`` whose ``metadata.voila.theme`` is the requested theme, or None
        (Voila keeps its own notebook) when the link names no valid theme.
    """
    theme = theme_from_query(handler.get_query_argument("theme", None))
    if theme is None:
        return None
    themed = copy.deepcopy(notebook)
    voila = dict(themed.metadata.get("voila", {}))
    voila["theme"] = theme
    themed.metadata["voila"] = voila
    return themed


def server_config() -> dict[str, dict[str, Any]]:
    """Every section as plain JSON values (the hook excluded): what a Jupyter server's JSON
    config holds for Voila as its extension (Binder, the hub), a fresh copy each call."""
    return {"VoilaConfiguration": dict(VOILA_CONFIGURATION), **copy.deepcopy(SERVER_SECTIONS)}


def configure(config: Any) -> Any:
    """Write every setting, the theme hook included, into a traitlets ``Config``.

    Parameters
    ----------
    config : traitlets.config.Config
        ``c`` in a ``voila.py`` or ``jupyter_server_config.py``; changed in place.

    Returns
    -------
    traitlets.config.Config
        ``config`` itself.

    Raises
    ------
    TypeError
        If ``config`` is not a traitlets ``Config``.
    """
    from traitlets.config import Config

    if not isinstance(config, Config):
        raise TypeError(f"config must be a traitlets Config; got {type(config).__name__}")
    for section, values in server_config().items():
        config[section].update(values)
    config["VoilaConfiguration"]["prelaunch_hook"] = prelaunch_hook
    return config


def main() -> None:
    """Print the JSON sections (``python -m cnnviz.serve.settings``), for a reader or a tool."""
    print(json.dumps(server_config(), indent=2))


if __name__ == "__main__":
    main()
