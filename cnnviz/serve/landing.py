"""The class's landing page: one address with the explorer, the network page, every lesson and
the scenario links.

Everything on it is built from one list each: the lessons are the notebooks named
``NN_*.ipynb`` in the served folder (so a new ``08_….ipynb`` appears as soon as it exists),
titled by their first heading; the scenarios are :data:`cnnviz.explorer.presets.PRESETS`. The
page is plain HTML with no script and needs no kernel: ``make class`` (cnnviz.serve.course)
serves it at ``/``; the hub can mount :func:`landing_html` wherever it likes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import quote, urlencode

from cnnviz.explorer.presets import PRESETS
from cnnviz.lessons.exercises import MAX_SEED  # one range: the exercises'
from cnnviz.serve.settings import theme_from_query

LESSON_NAME = re.compile(r"(\d\d)_[A-Za-z0-9_]+\.ipynb")
EXPLORER, NETWORK = "explorer.ipynb", "network.ipynb"
# A class seed must be a plain whole number the exercises accept.


@dataclass(frozen=True)
class Lesson:
    """One lesson notebook: its number (``"03"``), file name and title (its first heading)."""

    number: str
    notebook: str
    title: str


def lessons_in(folder: Path | str) -> list[Lesson]:
    """Every lesson notebook in ``folder`` (``NN_name.ipynb``), in number order.

    Raises
    ------
    ValueError
        If ``folder`` is not an existing folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"folder must be an existing folder; got {str(folder)!r}")
    found = [path for path in folder.iterdir() if LESSON_NAME.fullmatch(path.name)]
    return [
        Lesson(LESSON_NAME.fullmatch(path.name).group(1), path.name, _title(path))
        for path in sorted(found, key=lambda p: p.name)
    ]


def _title(notebook: Path) -> str:
    """The first Markdown heading of ``notebook`` without its ``#``; the file name otherwise."""
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return notebook.stem
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        for line in (source if isinstance(source, str) else "".join(source)).splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip() or notebook.stem
    return notebook.stem


def _link(render_url: str, notebook: str, query: list[tuple[str, str]]) -> str:
    address = render_url + quote(notebook)
    return f"{address}?{urlencode(query)}" if query else address


def _check_seed(seed: object) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int or None; got {type(seed).__name__}")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be between 0 and {MAX_SEED}; got {seed}")
    return seed


def landing_html(
    folder: Path | str,
    render_url: str = "voila/render/",
    *,
    theme: str | None = None,
    seed: int | None = None,
) -> str:
    """The landing page: links to the explorer, the network page, each lesson and each preset.

    Parameters
    ----------
    folder : Path or str
        The folder Voila serves (the lessons are read from it).
    render_url : str
        What goes before a notebook's name in a link: ``"voila/render/"`` (relative to the
        landing page at the server's root, as ``make class`` serves it) or, on a Jupyter server
        rooted at the repository, e.g. ``"/user/ada/voila/render/notebooks/"``.
    theme : str, optional
        ``"light"`` or ``"dark"``: added to every link. Anything else is ignored.
    seed : int, optional
        A class seed (0 to 2**32 − 1, the exercises' range) added to every lesson link as
        ``?seed=``, so that the whole class gets the same exercise numbers.

    Returns
    -------
    str
        A whole HTML document; every text from a file is escaped.

    Raises
    ------
    TypeError, ValueError
        A ``render_url`` that is not a str ending in ``/``, or a bad ``seed``; a missing folder.
    """
    if not isinstance(render_url, str) or not render_url.endswith("/"):
        raise ValueError(f"render_url must be a str ending in '/'; got {render_url!r}")
    seed = _check_seed(seed)
    theme = theme_from_query(theme)
    sections = _sections(lessons_in(folder), render_url, theme, seed)
    return _document(sections, dark=theme == "dark")


def _sections(
    lessons: list[Lesson], render_url: str, theme: str | None, seed: int | None
) -> list[str]:
    """The page's three lists as HTML: the pages, the lessons, the scenarios."""
    theme_query = [("theme", theme)] if theme else []
    lesson_query = theme_query + ([("seed", str(seed))] if seed is not None else [])
    return [
        _section("The pages", [
            (_link(render_url, EXPLORER, theme_query), "The backprop explorer",
             "one convolutional layer, step by step"),
            (_link(render_url, NETWORK, theme_query), "Through the whole network",
             "δ from the loss back to the image, one layer per step"),
        ]),
        _section("The lessons", [
            (_link(render_url, lesson.notebook, lesson_query), lesson.title,
             f"lesson {lesson.number}")
            for lesson in lessons
        ]),
        _section("Scenarios in the explorer", [
            (_link(render_url, EXPLORER, [("preset", name), *theme_query]), preset.title,
             preset.description)
            for name, preset in PRESETS.items()
        ]),
    ]  # fmt: skip


def _section(heading: str, links: list[tuple[str, str, str]]) -> str:
    items = "\n".join(
        f'<li><a href="{escape(url)}">{escape(label)}</a> <span>{escape(note)}</span></li>'
        for url, label, note in links
    )
    return f"<h2>{escape(heading)}</h2>\n<ul>\n{items}\n</ul>"


_STYLE = """body { font: 16px/1.5 system-ui, sans-serif; max-width: 46em; margin: 2em auto;
  padding: 0 1em; color: #1a1a1a; background: #fff; }
body.dark { color: #e8e8e8; background: #1e1e1e; } body.dark a { color: #8cc4ff; }
a { color: #0b57d0; font-weight: 600; text-decoration: underline; }
li { margin: 0.35em 0; } li span { color: inherit; opacity: 0.8; }"""


def _document(sections: list[str], *, dark: bool) -> str:
    body = "\n".join(sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>cnnviz: the course</title>\n<style>\n{_STYLE}\n</style>\n</head>\n"
        f"<body class=\"{'dark' if dark else 'light'}\">\n<h1>cnnviz: the course</h1>\n"
        "<p>How a convolutional layer learns, with real numbers. Each link opens its own "
        "page; what you do there affects no one else.</p>\n"
        f"{body}\n</body>\n</html>\n"
    )
