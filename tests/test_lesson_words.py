"""The lessons' words: one meaning per symbol, claims shown from functions, and the way through.

* A scan of lesson notebooks 00–07 (markdown, and the strings in their code), the lesson
  modules and the handout's drawn text for a retired meaning: ``k`` as the kernel size
  (``k − 1``, ``k × k``), ``D`` as the depth outside the reader's quoted question, ``p`` as a
  pixel row, a page number inside array brackets, "full convolution … with rot180" (the kernel
  turned twice), the crop's wrong reason, "a visible cell" (Voila hides code), "that is the series".
* Each geometric claim of lessons 02–05 and 07 is displayed from its function (or asserted),
  never typed in markdown.
* Navigation comes from the one list of lessons, and each lesson links the next.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from cnnviz.lessons import course
from cnnviz.lessons.formulas import depth_answer_markdown

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("0[0-8]_*.ipynb"))
MODULES = sorted(p for p in (ROOT / "cnnviz" / "lessons").glob("*.py")
                 if p.name != "exercise_widgets.py")  # fmt: skip

RETIRED = {
    "k as the kernel size (k − 1)": re.compile(r"(?<![\w{\\])k\s*[−-]\s*1(?!\d)"),
    "k as the kernel size (k × k)": re.compile(r"(?<![\w{])k\s*(×|\\times)\s*k(?![\w}])"),
    "D as the depth": re.compile(r"\$D\$|\bD\b(?=[ -](input|channels?|slices|deep)\b)"
                                 r"|depth \$?D\b"),
    "p as a pixel row": re.compile(r"\b[xw]_\{p\s*[,-]|\b[xw]\[p\s*[,−-]|\(p,\s*q\)"),
    "a page number inside array brackets": re.compile(r"\w\[\d+\]\[\d+,\s*\d+\]"),
    "turned twice (full convolution with rot180)": re.compile(
        r"full convolution[^.⋆]*?\bwith\s*\$?\\?(mathrm\{)?rot180"),
    "the crop's wrong reason": re.compile(r"row and column no window read"),
    "code a Voila page hides": re.compile(r"visible\s+cell|below\s+the\s+imports"
                                          r"|the\s+cell\s+after"),
    "the series ends at lesson 5": re.compile(r"[Tt]hat is the series"),
}


def _strings(source: str) -> list[str]:
    """Every string constant in Python source (docstrings, messages, f-string parts)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a notebook cell with IPython syntax: scan it whole
        return [source]
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]  # fmt: skip


def _cells(path: Path, kind: str) -> list[str]:
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == kind]


def _notebook_texts(path: Path) -> list[str]:
    return _cells(path, "markdown") + [s for code in _cells(path, "code") for s in _strings(code)]


@pytest.fixture(scope="module")
def pages():
    from cnnviz.lessons.handout import handout_pages

    return handout_pages()


def _handout_texts(pages) -> list[str]:
    from cnnviz.core.formulas import FORMULAS

    # the formula notes are the core's words (its own tests scan them), printed as they are
    notes = {" ".join(entry.note.split()) for entry in FORMULAS.values()}
    texts = [text.get_text() for page in pages
             for text in [*page.texts, *(t for ax in page.axes for t in ax.texts)]]  # fmt: skip
    return [text for text in texts if " ".join(text.split()) not in notes]


def _retired(texts: list[str]) -> list[str]:
    found = []
    for text in texts:
        # the reader's question, quoted: the only place D may mean the depth
        text = re.sub(r"\*how does a delta flow back through a [^*]*\*", "", text)
        for name, pattern in RETIRED.items():
            found += [f"{name}: …{text[max(m.start() - 30, 0):m.end() + 30]}…"
                      for m in pattern.finditer(text)]  # fmt: skip
    return found


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_no_lesson_notebook_uses_a_retired_meaning(path):
    assert not _retired(_notebook_texts(path))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_lesson_module_uses_a_retired_meaning(path):
    assert not _retired(_strings(path.read_text(encoding="utf-8")))


def test_the_handout_uses_no_retired_meaning(pages):
    assert not _retired(_handout_texts(pages))


def test_the_scan_catches_the_retired_lines():
    old = [
        "over $\\delta$ (padded with $k-1 = 2$ zeros all round, a *full* convolution), the",
        "With $D$ input channels, every filter is $D$ deep",
        "input pixel $x_{p,q}$ reaches the loss through the weight $w_{p-i,\\,q-j}$",
        "δbelow[2][1, 3] = dx ⊙ σ'(z)",
        "The check: a plain stride-1 full convolution of the *dilated* delta (3×3) with\n"
        "$\\mathrm{rot180}(w)$ gives a 5×5 map",
        "(they are the input row and column no window read)",
        "is checked against the `cnnviz` core in a visible cell",
        "the map formulas, from their one definition, are below\nthe imports",
        "That is the series. Back to [the start](00_start_here.ipynb)",
        "entry still sends $\\delta_{i,j} \\cdot w$ through all $k \\times k$ taps of its",
        "Full: every overlap counts (pad k − 1).",
        "Each δ[i, j] reaches x[p, q] through w[p − 2i, q − 2j]",
    ]
    assert all(_retired([line]) for line in old)
    fine = ["padded with $k_h - 1 = 2$ zeros", "e = d(kh − 1) + 1", "filter k of K, channel c "
            "of C", "*how does a delta flow back through a 10-deep filter?*", "x[r, q]",
            "a full correlation ⋆ with rot180(w), the same as a full convolution ∗ with w"]
    assert not _retired(fine)


# ------------------------------------------------------------- claims shown from their functions


def _code(number: str) -> str:
    return "\n".join(_cells(next(NOTEBOOKS.glob(f"{number}_*.ipynb")), "code"))


def _markdown(number: str) -> str:
    return " ".join(" ".join(_cells(next(NOTEBOOKS.glob(f"{number}_*.ipynb")), "markdown")).split())


def test_lesson_02_shows_the_depth_answer_under_its_star_and_ast():
    assert "show_depth_answer(" in _code("02")
    text = depth_answer_markdown()
    star, ast_, answer = text.index("\\star"), text.index("\\ast"), text.index("**The answer.**")
    assert star < ast_ < answer  # the answer right under the two definitions
    assert "rot180" in text[answer:]


def test_the_handout_prints_the_depth_answer_under_its_conventions(pages):
    from cnnviz.lessons.handout_depth import depth_lines

    texts = [t.get_text() for t in pages[0].texts]
    flat = [" ".join(t.split()) for t in texts]
    conventions = next(i for i, t in enumerate(flat) if t.startswith("⋆ cross-correlation"))
    answer, *example = depth_lines()
    assert flat[conventions + 1] == " ".join(answer.split())
    assert flat[conventions + 2] == " ".join(" ".join(example).split())


def test_lesson_03_states_its_routes_from_functions_and_checks_outside_cnnviz():
    code, markdown = _code("03"), _markdown("03")
    assert "S.stride_route_sentence(g)" in code and "S.same_stride_sentence(g)" in code
    assert "I.transposed_reference(" in code and "I.forward_reference(" in code
    assert "full convolution" not in markdown
    assert "ConvTranspose2d" in markdown and "scipy" in markdown


def test_lesson_04_states_the_crop_from_its_predicate():
    code, markdown = _code("04"), _markdown("04")
    assert "S.dw_crop_rule()" in code and "S.dw_crop_sentence(g6)" in code
    assert "multiple of" not in markdown and "no window read" not in markdown


def test_lesson_05_states_the_even_rule_from_its_predicate():
    code, markdown = _code("05"), _markdown("05")
    assert "S.even_interior_rule()" in code and "S.interior_is_even(" in code
    assert "multiple of the stride" not in markdown


def test_lesson_07_asserts_the_batch_sums_at_every_layer():
    code = _code("07")
    assert "errors = batch_sum_errors(batch)" in code
    assert re.search(r"assert all\(gap < [\d.e-]+ for gap in errors\.values\(\)\)", code)
    assert "sorted(errors) == sorted(" in code  # a dW and a db entry for every layer


def test_lesson_00_defines_the_operations_before_they_are_used():
    cells = nbformat.read(NOTEBOOKS / "00_start_here.ipynb", as_version=4).cells
    code = [(i, c.source) for i, c in enumerate(cells) if c.cell_type == "code"]
    first = {name: next(i for i, source in code if name in source)
             for name in ("show_notation()", "show_conventions()", "show_formula(")}  # fmt: skip
    assert first["show_notation()"] < first["show_conventions()"] < first["show_formula("]


# ---------------------------------------------------------------------------------- navigation


def test_lesson_00_lists_every_lesson_from_the_one_list():
    assert "course.lesson_table()" in _code("00")
    table = course.lesson_table()
    for lesson in course.available():
        if lesson.number != "00":
            assert f"]({lesson.file})" in table
    assert not re.search(r"\|\s*\d\s*\|\s*\[", _markdown("00"))  # no typed table left


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_lesson_shows_its_generated_navigation(path):
    number = path.name[:2]
    code = _cells(path, "code")
    assert f'show_navigation("{number}")' in code[-1]
    if number != "00":
        assert f'show_navigation("{number}")' in code[0]
    assert not any("[lesson" in m and "→](" in m for m in _cells(path, "markdown"))


def test_each_lesson_links_the_next_and_a_missing_notebook_is_left_out(tmp_path):
    files = [lesson.file for lesson in course.LESSONS]
    assert course.available(tmp_path) == list(course.LESSONS)  # not the lessons' folder
    assert files == sorted(files) and files[-1] == "08_your_model.ipynb"
    for name in files[:-1]:
        (tmp_path / name).write_text("{}")
    assert "08_your_model" not in course.navigation("07", tmp_path)
    assert "08_your_model" not in course.lesson_table(tmp_path)
    for before, after in zip(files[:-2], files[1:-1], strict=True):
        assert f"]({after})" in course.navigation(before[:2], tmp_path)
    assert "07_whole_network.ipynb" in course.navigation("06", tmp_path)
    (tmp_path / files[-1]).write_text("{}")
    assert "[lesson 8 →](08_your_model.ipynb)" in course.navigation("07", tmp_path)
    assert "](08_your_model.ipynb)" in course.lesson_table(tmp_path)
    with pytest.raises(ValueError, match="number"):
        course.navigation("09", tmp_path)
    with pytest.raises(TypeError, match="notebooks"):
        course.available(3)
