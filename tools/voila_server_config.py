"""Copy voila.json's server settings into a Jupyter server config (what Binder runs).

    python tools/voila_server_config.py [TARGET]

Standalone Voila (``make app``) reads the repository's voila.json whole, through
``--Voila.config_file_paths``. On Binder, Voila runs inside ``jupyter server`` as an extension:
it still reads voila.json from the start folder, but only its ``VoilaConfiguration`` section;
the executor (``VoilaExecutor.iopub_timeout``: without it a class arriving together gets blank
pages), kernel culling and the kernels' transport (``ipc``: local sockets, so sixty kernels
starting at once cannot race for the same TCP port) are configured on the server. This script
writes those sections of voila.json into ``TARGET`` (default: ``jupyter_server_config.json`` in
the user's Jupyter config folder, ``~/.jupyter``), keeping whatever else that file holds.
binder/postBuild runs it, so voila.json stays the one place these settings live.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER_SECTIONS = ("VoilaExecutor", "MappingKernelManager", "KernelManager")


def server_config(voila_json: Path = ROOT / "voila.json") -> dict:
    """The sections of ``voila_json`` that a Jupyter server must hold itself."""
    config = json.loads(voila_json.read_text(encoding="utf-8"))
    return {name: config[name] for name in SERVER_SECTIONS if name in config}


def write(target: Path, voila_json: Path = ROOT / "voila.json") -> dict:
    """Merge :func:`server_config` into the JSON file ``target``; returns what it wrote."""
    existing = json.loads(target.read_text(encoding="utf-8")) if target.exists() else {}
    for name, section in server_config(voila_json).items():
        existing[name] = {**existing.get(name, {}), **section}
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(existing, indent=2) + "\n", encoding="utf-8")
    return existing


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
