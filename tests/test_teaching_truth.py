"""The explorer's words held to the numbers: gather equation, overlap sentence, conventions box.

Each test reads what the page prints and recomputes it independently (NumPy by hand, no core
routine), so a sentence that disagrees with the figure fails here.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
import reference

from cnnviz.core.conventions import INDEX_CONVENTION, backward_side_by_side
from cnnviz.core.formulas import FORMULAS
from cnnviz.explorer.layer import snapshot_from_settings
from cnnviz.explorer.presets import PRESETS
from cnnviz.explorer.render.text import conventions_html, equation_html, zero_zone_html
from cnnviz.explorer.settings import Settings
from cnnviz.explorer.trace import Walk, gather_window_products


def _plain(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def _printed_gather_value(text: str, layer, c: int, r: int, q: int) -> float:
    """Compute dx[c][r, q] the way the printed equation says, from the layer's arrays."""
    dilated = re.search(r"rot180\(dilate(\d+)\(Wk,c\)\)", text)
    d = int(dilated.group(1)) if dilated else 1
    top, left = (int(v) for v in re.search(
        rf"Fk\[{r} \+ (\d+) \+ u, {q} \+ (\d+) \+ v\]", text).groups())
    last_u, last_v = (int(v) for v in re.search(r"u = 0…(\d+), v = 0…(\d+)", text).groups())
    s = int(re.search(r"Fk = dilate(\d+)\(δk\)", text).group(1))
    offset = int(re.search(r"with (\d+) zero row", text).group(1))
    total = 0.0
    for k in range(layer.filters):
        slice_ = np.zeros(((layer.w.shape[2] - 1) * d + 1, (layer.w.shape[3] - 1) * d + 1))
        slice_[::d, ::d] = layer.w[k, c]
        turned = slice_[::-1, ::-1]
        spread = np.zeros(((layer.delta.shape[1] - 1) * s + 1, (layer.delta.shape[2] - 1) * s + 1))
        spread[::s, ::s] = layer.delta[k]
        for u in range(last_u + 1):
            for v in range(last_v + 1):
                row, col = r + top + u - offset, q + left + v - offset
                if 0 <= row < spread.shape[0] and 0 <= col < spread.shape[1]:
                    total += turned[u, v] * spread[row, col]
    return total


@pytest.mark.parametrize("dilation, stride, padding", [(2, 1, 0), (1, 2, 1), (2, 2, 1)])
def test_gather_equation_matches_the_value_shown_at_every_pixel(dilation, stride, padding):
    settings = Settings(depth=2, filters=2, input_height=7, input_width=7, kernel_height=3,
                        kernel_width=3, stride=stride, padding=padding, dilation=dilation)
    layer = snapshot_from_settings(settings)
    walk = Walk(layer, "gather")
    for index in range(len(walk)):
        step = walk.step(index)
        r, q = step.pixel
        for c in range(layer.depth):
            text = _plain(equation_html(walk, step, channel=c))
            shown = float(re.search(r"= (−?\d+\.\d\d)(?: —|$|\s*Layer|\s*No act)",
                                    text.split("filter(s):")[1]).group(1).replace("−", "-"))
            assert abs(_printed_gather_value(text, layer, c, r, q) - shown) <= 0.006, (r, q, c)
            assert np.isclose(gather_window_products(walk, step, 0, c).sum(),
                              step.pixel_values[0, c])
            assert np.isclose(step.dx[c, r, q], layer.dx[c, r, q])


def test_the_old_gather_recipe_would_have_failed():
    """rot180 of the *undilated* kernel (the old text) disagrees with dx: the test can fail."""
    layer = snapshot_from_settings(Settings(depth=1, filters=1, input_height=7, input_width=7,
                                            kernel_height=3, kernel_width=3, stride=1,
                                            padding=0, dilation=2))
    walk = Walk(layer, "gather")
    wrong = 0
    for index in range(len(walk)):
        step = walk.step(index)
        r, q = step.pixel
        text = _plain(equation_html(walk, step)).replace("rot180(dilate2(Wk,c))", "rot180(Wk,c)")
        text = text.replace("u = 0…4, v = 0…4", "u = 0…2, v = 0…2")
        wrong += not np.isclose(_printed_gather_value(text, layer, 0, r, q), layer.dx[0, r, q])
    assert wrong > 40


def _sentence(**geometry) -> str:
    settings = Settings(depth=1, filters=1, **geometry)
    return _plain(zero_zone_html(snapshot_from_settings(settings)))


def test_overlap_sentence_is_computed_from_the_counts():
    checker = _sentence(input_height=7, input_width=7, kernel_height=3, kernel_width=3,
                        stride=1, padding=0, dilation=2)
    assert "1, 1, 2, 1, 2, 1, 1" in checker and "checkerboard" in checker
    assert "near the edge" not in checker and "near the border" not in checker
    border = _sentence(input_height=5, input_width=5, kernel_height=3, kernel_width=3,
                       stride=1, padding=0, dilation=1)
    assert "1, 2, 3, 2, 1" in border and "near the edge" in border
    assert "checkerboard" not in border
    strided = _sentence(input_height=9, input_width=9, kernel_height=3, kernel_width=3,
                        stride=2, padding=0, dilation=1)
    counts = reference.reads(9, 3, stride=2)
    assert ", ".join(str(n) for n in counts[:, 0]) in strided and "checkerboard" in strided


def test_conventions_box_quotes_the_formulas():
    box = _plain(conventions_html())
    assert FORMULAS["dx"].text in box and FORMULAS["z"].text in box
    for _, _, text in backward_side_by_side():
        assert text in box
    assert INDEX_CONVENTION in box
    assert "no sum over depth" in box and "from c" in box and "to k" in box


def test_the_page_shows_the_conventions_box():
    from cnnviz.explorer.app import Explorer

    explorer = Explorer(settings=PRESETS["course-demo"].settings)
    values = [getattr(child, "value", "") for child in explorer.widget.children]
    assert conventions_html() in values


# --------------------------------------------------------------------------- words in the lessons

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("0[0-5]_*.ipynb"))
SOURCES = [*sorted((ROOT / "cnnviz").rglob("*.py")), *sorted((ROOT / "notebooks").glob("*.ipynb")),
           ROOT / "README.md"]
# ∗ (or \ast) applied straight to rot180: the kernel turned twice, the 13 places of issue 10
TWICE = re.compile(r"(∗|\\ast)(_full|_\{\\mathrm\{full\}\})?\s*\$?\s*(\\mathrm\{)?rot180")


def _cells(path: Path, kind: str) -> list[str]:
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == kind]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_nowhere_is_the_kernel_turned_twice(path):
    if path.name == "conventions.py":  # quotes the blog's line, in the blog's own notation
        return
    for number, line in enumerate(path.read_text().splitlines(), 1):
        assert not TWICE.search(line), f"{path.name}:{number}: ∗ with rot180: {line.strip()}"


def test_the_rule_catches_the_old_line():
    assert TWICE.search(r"\delta^{l} = \left(\delta^{l+1} \ast \mathrm{rot180}(w^{l+1})\right)")
    assert TWICE.search("Σ_k δ_k ∗ rot180(w_k,1)") and TWICE.search(r"$\delta_k \ast$ rot180(")
    assert not TWICE.search(FORMULAS["dx"].latex) and not TWICE.search(FORMULAS["dx"].text)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_formulas_come_from_their_definitions(path):
    """No sliding product is typed in markdown: it is displayed with show_formula."""
    for source in _cells(path, "markdown"):
        for math in re.findall(r"\$\$?([^$]+)\$\$?", source):
            assert not re.search(r"\\star|\\ast|⋆|∗", math), f"typed formula in {path.name}: {math}"
    code = "\n".join(_cells(path, "code"))
    assert "show_formula(" in code or "show_conventions(" in code


def test_readme_formulas_are_the_defined_ones():
    text = (ROOT / "README.md").read_text()
    listed = dict(re.findall(r"^- ([^:\n]+): `([^`]+)`$", text, flags=re.MULTILINE))
    by_title = {entry.title: entry.text for entry in FORMULAS.values()}
    shown = {title: formula for title, formula in listed.items() if title in by_title}
    assert len(shown) >= 8
    for title, formula in shown.items():
        assert formula == by_title[title], title


def test_labels_count_from_one_everywhere():
    layer = snapshot_from_settings(PRESETS["course-demo"].settings)
    scatter = Walk(layer, "scatter")
    assert "δ<sub>1</sub>[0, 0]" in equation_html(scatter, scatter.step(0))  # delta[0]
    from cnnviz.lessons.widgets import contribution_picker

    picker = contribution_picker(np.ones((2, 2, 2)), np.ones((2, 3, 2, 2)), (3, 3))
    labels = [w for w in picker.children if hasattr(w, "options")][0].options
    assert labels[0] == "filter 1 → channel 1" and labels[-1] == "filter 2 → channel 3"
    for path in LESSONS:
        text = "\n".join(_cells(path, "markdown") + _cells(path, "code"))
        assert not re.search(r"w_\{0,|\\delta_0|\\delta_\{0\}|filter 0|channel 0\b", text), path


def test_lesson_02_says_what_the_explorer_opens_on():
    from cnnviz.explorer.app import ALL, Explorer

    explorer = Explorer(settings=PRESETS["depth-10"].settings)
    assert explorer.channels_shown.value == ALL and len(explorer.figure.channels) == 10
    text = " ".join(" ".join(_cells(ROOT / "notebooks" / "02_depth.ipynb", "markdown")).split())
    assert "opens showing all ten channels at once" in text
    assert "four channels at a time" not in text


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_ledger_states_the_defined_size_formulas_with_their_numbers(name):
    from cnnviz.explorer.render.text import ledger_html

    layer = snapshot_from_settings(PRESETS[name].settings)
    text = html.unescape(ledger_html(layer))
    assert FORMULAS["output_size"].text in text and FORMULAS["dilated_size"].text in text
    h, top, span, s, ho = (int(v) for v in re.search(
        r"⌊\((\d+) \+ (\d+) − (\d+) − 1\)/(\d+)⌋ \+ 1 = (\d+)", text).groups())
    assert (h + top - span - 1) // s + 1 == ho == layer.geometry.output_size[0]
    g = layer.geometry
    assert ho == FORMULAS["output_size"].evaluate(
        input_size=g.input_size[0], kernel_size=g.kernel_size[0], stride=g.stride[0],
        padding=g.padding[0], dilation=g.dilation[0])
