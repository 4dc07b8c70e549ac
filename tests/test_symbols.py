"""Issue 19: one symbol table, and no retired meaning left in the page's or the core's words.

k is only the filter index (the kernel is kh × kw), C only the depth (D only inside a quoted
question), and "full" pads by the (dilated) kernel's size − 1, not by "k − 1".
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from cnnviz.core.notation import _MAPS
from cnnviz.core.symbols import (
    GROUPS,
    SYMBOL_TABLE,
    symbol_table,
    symbol_table_markdown,
    symbol_table_text,
)
from cnnviz.explorer.render.text import symbol_table_html

ROOT = Path(__file__).resolve().parents[1] / "cnnviz"
SCANNED = sorted([*(ROOT / "core").rglob("*.py"), *(ROOT / "explorer").rglob("*.py")])
# k as the kernel size: "k − 1", "k-1", "pad k − 1" (kh − 1, d(kh − 1) are fine)
KERNEL_K = re.compile(r"(?<![\w(])k\s*[−-]\s*1\b")
# D as the depth: a lone capital D (not 2-D, not in a word)
DEPTH_D = re.compile(r"(?<![\w\-.'\"`])D(?![\w\-'\"`])")
QUOTED_QUESTION = re.compile(r"“[^”]*”")  # the reader's own question may say D


def _strings(path: Path) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """``(shown, docstrings)``: the file's string literals, docstrings apart."""
    tree = ast.parse(path.read_text())
    docs = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docs.add(id(body[0].value))
    shown, docstrings = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            (docstrings if id(node) in docs else shown).append((node.lineno, node.value))
    return shown, docstrings


def retired(text: str, *, shown: bool) -> list[str]:
    """The retired meanings in one string (D as depth only counts in shown text)."""
    found = [m.group(0) for m in KERNEL_K.finditer(text)]
    if shown:
        found += [m.group(0) for m in DEPTH_D.finditer(QUOTED_QUESTION.sub("", text))]
    return found


@pytest.mark.parametrize("path", SCANNED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_retired_meaning_in_the_page_and_core_strings(path):
    shown, docs = _strings(path)
    bad = [(line, text[:80]) for line, text in shown if retired(text, shown=True)]
    bad += [(line, text[:80]) for line, text in docs if retired(text, shown=False)]
    assert not bad, f"{path.name}: retired symbol meaning in {bad}"


def test_the_scan_catches_the_old_words():
    assert retired("pad a with k − 1 zeros on every side", shown=True)
    assert retired("input depth D", shown=True) and retired("the D-deep filter", shown=False) == []
    assert not retired("pad d(kh − 1) rows; a 2-D map; (K, C, kh, kw)", shown=True)
    assert not retired("the reader asks “can δ be convolved with the D-deep W?”", shown=True)


def test_the_table_gives_each_letter_one_meaning_and_defines_every_operation():
    texts = [row.text for row in SYMBOL_TABLE]
    assert len(texts) == len(set(texts))
    for letter in ("K", "C", "p", "s", "d"):
        assert texts.count(letter) == 1
    assert "D" not in texts and "k" not in texts  # k appears only as "k, c": indices
    positions = " ".join(row.text for row in symbol_table("positions"))
    assert "k, c" in positions and "p" not in positions.split()
    defined = " ".join(texts)
    for op in [*_MAPS, "crop", "⋆", "∗", "full"]:
        assert op in defined, op
    crop = next(row for row in SYMBOL_TABLE if row.text.startswith("crop"))
    assert "0" in crop.meaning and "zero fill" in crop.meaning
    numbering = " ".join(row.meaning for row in symbol_table("numbering"))
    assert "from 0" in numbering and "from 1" in numbering
    assert {row.group for row in SYMBOL_TABLE} == set(GROUPS)


def test_the_table_renders_every_row():
    assert symbol_table_markdown().count("\n") == len(SYMBOL_TABLE) + 1
    assert symbol_table_text().count("\n") == len(SYMBOL_TABLE) - 1
    assert symbol_table_html().count("<tr>") == len(SYMBOL_TABLE)
    with pytest.raises(ValueError, match="group"):
        symbol_table("letters")
