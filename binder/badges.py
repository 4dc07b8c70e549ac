"""Write the README's Binder badges for one repository: the one place a fork changes.

    python binder/badges.py OWNER/REPO          # branch main
    python binder/badges.py OWNER/REPO@BRANCH

rewrites the lines between ``<!-- binder-badges -->`` and ``<!-- /binder-badges -->`` in
README.md. ``python binder/badges.py --check`` exits 1 when the block is not what this script
would write for the repository already named in it (the test suite runs that check).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import quote

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- binder-badges -->", "<!-- /binder-badges -->"
BADGE_IMAGE = "https://mybinder.org/badge_logo.svg"
# (label, path inside the repository, interface): every badge opens one of these.
TARGETS = (
    ("Open the explorer", "notebooks/explorer.ipynb", "voila/render"),
    ("Open in JupyterLab", "notebooks/00_start_here.ipynb", "lab/tree"),
)
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(@[A-Za-z0-9_./-]+)?")


def binder_url(repository: str, path: str, interface: str) -> str:
    """The mybinder.org address that opens ``path`` of ``repository`` in ``interface``.

    ``repository`` is ``OWNER/REPO`` or ``OWNER/REPO@BRANCH``; ``urlpath`` is percent-encoded
    with no leading slash, as mybinder.org expects.
    """
    if not _REPOSITORY.fullmatch(repository):
        raise ValueError(f"repository must look like OWNER/REPO[@BRANCH]; got {repository!r}")
    name, _, branch = repository.partition("@")
    urlpath = quote(f"{interface}/{path}", safe="")
    return f"https://mybinder.org/v2/gh/{name}/{branch or 'main'}?urlpath={urlpath}"


def badge_block(repository: str) -> str:
    """The README lines between the markers, markers included."""
    lines = [START]
    for label, path, interface in TARGETS:
        url = binder_url(repository, path, interface)
        lines.append(f"[![{label}]({BADGE_IMAGE})]({url})")
    lines.append(END)
    return "\n".join(lines)


def repository_in(text: str) -> str:
    """The ``OWNER/REPO[@BRANCH]`` the README's badge block names."""
    match = re.search(r"mybinder\.org/v2/gh/([^/\s]+/[^/\s]+)/([^?\s]+)\?", _block(text))
    if match is None:
        raise ValueError("README's badge block names no repository")
    name, branch = match.groups()
    return name if branch == "main" else f"{name}@{branch}"


def _block(text: str) -> str:
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README.md has no {START} ... {END} block")
    return text[start : end + len(END)]


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    if argv == ["--check"]:
        expected = badge_block(repository_in(text))
        if _block(text) != expected:
            print("README's Binder badges differ from binder/badges.py's:\n" + expected)
            return 1
        return 0
    if len(argv) != 1:
        print(__doc__)
        return 2
    README.write_text(text.replace(_block(text), badge_block(argv[0])), encoding="utf-8")
    print(f"README.md: Binder badges now open {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
