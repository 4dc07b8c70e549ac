"""``make class``: the whole course from one address.

    python -m cnnviz.serve.course [--host HOST] [--port PORT] [--theme light|dark] [--seed N]

Standalone Voila serving ``notebooks/`` (every page at ``/voila/render/NAME.ipynb``) with the
same settings as ``make app`` (``deploy/voila.py``, i.e. :mod:`cnnviz.serve.settings`), plus
the landing page of :mod:`cnnviz.serve.landing` at ``/``: plain HTML, no kernel, so a student
who keeps it open costs the server nothing. Once the server listens it prints the address to
give the students: with ``--host 0.0.0.0`` the machine's address on the local network.
"""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

from voila.app import Voila

from cnnviz.serve.landing import MAX_SEED
from cnnviz.serve.settings import THEMES
from cnnviz.serve.web import LandingHandler

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
CONFIG_FOLDER = ROOT / "deploy"  # deploy/voila.py: cnnviz.serve.settings for Voila
ALL_INTERFACES = ("0.0.0.0", "", "::")


def lan_address(host: str) -> str:
    """The address students type for a server listening on ``host``.

    ``host`` itself unless it means every interface (``0.0.0.0``, ``::``, empty); then the
    address of the interface that would carry traffic to the local network (found with an
    unconnected UDP socket: nothing is sent), or ``127.0.0.1`` when there is none.
    """
    if not isinstance(host, str):
        raise TypeError(f"host must be a str; got {type(host).__name__}")
    if host not in ALL_INTERFACES:
        return host
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: routing lookup only, no packet
            return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"


class CourseVoila(Voila):
    """Voila serving a folder, with the landing page at its root and the address announced."""

    class_seed: int | None = None

    def init_handlers(self) -> list:
        landing = (
            self.server_url.rstrip("/") + "/",
            LandingHandler,
            {"folder": Path(self.root_dir), "render_url": "voila/render/",
             "seed": self.class_seed},
        )
        # first: tornado takes the first pattern that matches, and Voila's tree also wants "/"
        return [landing, *super().init_handlers()]

    def start(self) -> None:
        import tornado.ioloop

        tornado.ioloop.IOLoop.current().add_callback(self._announce)
        super().start()

    def _announce(self) -> None:
        address = f"http://{lan_address(self.ip)}:{self.port}{self.server_url}"
        print(f"\nThe course is served. Give the students this address:\n\n    {address}\n",
              flush=True)  # fmt: skip


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m cnnviz.serve.course",
                                     description=__doc__.split("\n\n")[0])  # fmt: skip
    parser.add_argument("--host", default="127.0.0.1",
                        help="0.0.0.0 serves the classroom's network (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8866, help="first port tried (8866)")
    parser.add_argument("--theme", choices=THEMES, help="the pages' default theme")
    parser.add_argument("--seed", type=int, help="class seed: every student's lesson links "
                        f"carry ?seed=N (0 to {MAX_SEED}): the same exercise numbers")
    parser.add_argument("--folder", type=Path, default=NOTEBOOKS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 1 <= args.port <= 65535:
        parser.error(f"--port must be between 1 and 65535, not {args.port}")
    if args.seed is not None and not 0 <= args.seed <= MAX_SEED:
        parser.error(f"--seed must be between 0 and {MAX_SEED}, not {args.seed}")
    return args


def voila_arguments(args: argparse.Namespace) -> list[str]:
    """What Voila is started with: the folder, the address and the settings' folder."""
    return [
        str(args.folder), "--no-browser", f"--port={args.port}", f"--Voila.ip={args.host}",
        f"--Voila.config_file_paths={CONFIG_FOLDER}",
        *([f"--theme={args.theme}"] if args.theme else []),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    args = _arguments(sys.argv[1:] if argv is None else argv)
    CourseVoila.class_seed = args.seed
    CourseVoila.launch_instance(argv=voila_arguments(args))


if __name__ == "__main__":
    main()
