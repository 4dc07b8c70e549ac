"""Write the course's Voila settings into a Jupyter server config (what Binder runs).

    python tools/voila_server_config.py [TARGET]

Standalone Voila (``make app``, ``make class``) runs ``deploy/voila.py``, which takes every
setting from ``cnnviz/serve/settings.py``. On Binder, Voila runs inside ``jupyter server`` as
an extension: it reads a ``voila.py`` from the Jupyter config folders, but only for its
``VoilaConfiguration`` (the theme hook); the executor (``VoilaExecutor.iopub_timeout``:
without it a class arriving together gets blank pages), kernel culling and the kernels'
transport (``ipc``) are configured on the server. This script writes
:func:`cnnviz.serve.settings.server_config` (every section, the page's ``VoilaConfiguration``
too, so link overrides stay off even where ``voila.py`` is not found) into ``TARGET``
(default: ``jupyter_server_config.json`` in the user's Jupyter config folder, ``~/.jupyter``),
keeping whatever else that file holds, and copies ``deploy/voila.py`` beside it.
binder/postBuild runs it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VOILA_PY = ROOT / "deploy" / "voila.py"
if str(ROOT) not in sys.path:  # run as a script from a checkout: import this checkout's cnnviz
    sys.path.insert(0, str(ROOT))

from cnnviz.serve.settings import server_config  # noqa: E402 - after the path above


def write(target: Path) -> dict:
    """Merge :func:`server_config` into the JSON file ``target`` and put ``voila.py`` beside it;
    returns what it wrote into ``target``."""
    existing = json.loads(target.read_text(encoding="utf-8")) if target.exists() else {}
    _merge(existing, server_config())
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(existing, indent=2) + "\n", encoding="utf-8")
    # Voila's extension reads voila.py from the config folders: the theme hook (a function,
    # which JSON cannot hold).
    (target.parent / "voila.py").write_text(VOILA_PY.read_text(encoding="utf-8"), "utf-8")
    return existing


def _merge(into: dict, new: dict) -> None:
    """Write ``new`` into ``into``, keeping the keys of nested sections ``new`` does not name
    (a user's other server extensions stay enabled)."""
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def main(argv: list[str]) -> int:
    if len(argv) > 1 or argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 2
    if argv:
        target = Path(argv[0])
    else:
        from jupyter_core.paths import jupyter_config_dir

        target = Path(jupyter_config_dir()) / "jupyter_server_config.json"
    written = write(target)
    print(f"{target}: {', '.join(sorted(written))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
