"""The printable handout: ``python -m cnnviz handout --out h.pdf``.

The PDF's text is read back with ``pdftotext`` (Debian ``poppler-utils``; the test skips when it
is missing, and .ci/run installs it). Page counting reads the PDF itself, so it always runs.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest
import reference as ref
from matplotlib import rc_context
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from cnnviz.cli import main as cli_main
from cnnviz.core.conventions import INDEX_CONVENTION
from cnnviz.lessons.formulas import FORMULAS
from cnnviz.lessons.handout import (
    RC,
    download_link_html,
    handout_pages,
    handout_pdf,
    worked_example,
)
from cnnviz.lessons.handout_layout import LEFT, RIGHT


@pytest.fixture(scope="module")
def pdf_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("handout") / "h.pdf"
    assert cli_main(["handout", "--out", str(path)]) == 0
    return path


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def test_the_command_writes_one_or_two_a4_pages(pdf_path):
    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert 1 <= _pages(pdf) <= 2
    assert re.search(rb"/MediaBox\s*\[\s*0 0 595\.\d+ 841\.\d+\s*\]", pdf)  # A4, in points


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")
def test_the_pdf_text_holds_every_formula_and_the_shapes(pdf_path):
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf_path), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")
    squeezed = _squeeze(text)
    for name, formula in FORMULAS.items():
        assert _squeeze(formula.text) in squeezed, f"{name}: {formula.text!r} not in the PDF"
        title = formula.title[:1].upper() + formula.title[1:]
        assert title in " ".join(text.split()), f"{name}: title {title!r} not in the PDF"
    for shape in ("3×20×20", "5×3×3×3", "5×18×18", "5×3×20×20"):
        assert shape in text
    assert "⋆" in text and "∗" in text
    assert worked_example()["entry"].replace(" ", "") in squeezed


def test_the_worked_example_is_the_loop_oracle_s():
    example = worked_example()
    dx = ref.conv2d_backward(
        example["delta"][None, None], np.zeros((1, 1, 5, 5)), example["w"][None, None], stride=2
    )[0]
    np.testing.assert_allclose(example["dx"], dx[0, 0])
    assert example["entry"].endswith(f"= {dx[0, 0, 2, 2]:g}")
    assert example["dilated"].shape == (3, 3) and example["padded"].shape == (7, 7)


@pytest.mark.parametrize(
    ("out", "says"),
    [
        ("{tmp}", "is a folder"),
        ("{tmp}/no/such/folder/h.pdf", "does not exist"),
        ("{tmp}/h.png", "must end in .pdf"),
        ("{tmp}/h", "must end in .pdf"),
    ],
)
def test_a_bad_out_gets_one_error_line_and_exit_code_2(tmp_path, capsys, out, says):
    code = cli_main(["handout", "--out", out.format(tmp=tmp_path)])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0]
    assert "Traceback" not in captured.err and captured.out == ""


def test_the_download_link_carries_the_pdf():
    pdf = handout_pdf()
    link = download_link_html(pdf)
    assert link.startswith('<a download="cnnviz-handout.pdf" href="data:application/pdf;base64,')
    with pytest.raises(TypeError, match="pdf"):
        download_link_html(b"not a pdf")


# --------------------------------------------------------------------------- the layout


@pytest.fixture(scope="module")
def drawn_pages():
    """The handout's figures drawn (Agg, with the handout's unhinted text: PDF widths)."""
    with rc_context(RC):
        pages = handout_pages()
        for page in pages:
            page.canvas.draw()
    return pages


def _drawn_texts(page) -> list[Text]:
    """Every non-empty text the page draws: its own, the axes' titles and texts, the table
    cells' (tick labels only of axes that show their axis)."""
    texts = list(page.texts)
    for ax in page.axes:
        texts += [ax.title, ax._left_title, ax._right_title, *ax.texts]
        for table in ax.tables:
            texts += [cell.get_text() for cell in table.get_celld().values()]
        if ax.axison:
            texts += ax.get_xticklabels() + ax.get_yticklabels()
    return [t for t in texts if t.get_visible() and t.get_text().strip()]


def _inside(inner, outer, slack: float = 0.5) -> bool:
    return (inner.x0 >= outer.x0 - slack and inner.x1 <= outer.x1 + slack
            and inner.y0 >= outer.y0 - slack and inner.y1 <= outer.y1 + slack)  # fmt: skip


def test_every_text_of_the_handout_lies_on_its_page(drawn_pages):
    assert len(drawn_pages) <= 2
    for number, page in enumerate(drawn_pages, start=1):
        renderer = page.canvas.get_renderer()
        texts = _drawn_texts(page)
        assert len(texts) > 20
        for text in texts:
            box = text.get_window_extent(renderer)
            assert _inside(box, page.bbox), (
                f"page {number}: {text.get_text()[:50]!r} at {box.extents} is off the page"
            )
        margins = Bbox.from_extents(LEFT * page.bbox.width, 0, RIGHT * page.bbox.width,
                                    page.bbox.height)  # fmt: skip
        for text in page.texts:  # the page's own texts keep to its side margins too
            assert _inside(text.get_window_extent(renderer), margins), (
                f"page {number}: {text.get_text()[:50]!r} runs into the margin"
            )


def test_no_two_blocks_of_the_handout_overlap(drawn_pages):
    """The page's own texts and the axes (maps with their titles, the table) never overlap."""
    for number, page in enumerate(drawn_pages, start=1):
        renderer = page.canvas.get_renderer()
        blocks = [(t.get_text()[:40], t.get_window_extent(renderer)) for t in page.texts]
        blocks += [(f"axes {ax.get_title() or 'table'}", ax.get_tightbbox(renderer))
                   for ax in page.axes]  # fmt: skip
        for i, (name, box) in enumerate(blocks):
            for other, other_box in blocks[i + 1:]:
                common = Bbox.intersection(box, other_box)
                overlap = common is not None and common.width > 1 and common.height > 1
                assert not overlap, f"page {number}: {name!r} overlaps {other!r}"


def test_every_table_cell_holds_its_text(drawn_pages):
    renderer = drawn_pages[-1].canvas.get_renderer()
    tables = [table for page in drawn_pages for ax in page.axes for table in ax.tables]
    assert len(tables) == 1
    cells = tables[0].get_celld()
    symbols = [cell.get_text().get_text() for (_, col), cell in cells.items() if col == 1]
    assert f"${FORMULAS['contribution'].forms[0].mathtext()}$" in symbols  # from the formula
    for (row, col), cell in cells.items():
        text = cell.get_text()
        assert _inside(text.get_window_extent(renderer), cell.get_window_extent(renderer)), (
            f"table cell ({row}, {col}) {text.get_text()!r} overflows its cell"
        )
        assert text.get_fontsize() >= 7  # shrunk to fit, but still readable


def test_the_numbering_rule_is_the_project_s_one(drawn_pages):
    page_text = "\n".join(t.get_text() for t in drawn_pages[0].texts)
    assert _squeeze(INDEX_CONVENTION) in _squeeze(page_text)
    assert "indices count from 0" not in page_text


def test_the_blog_s_case_holds_just_the_one_channel_formulas():
    from cnnviz.lessons.handout import _group

    groups = {name: _group(name) for name in FORMULAS}
    assert {n for n, g in groups.items() if g == "one channel"} == {"dx_1ch", "delta_below_1ch"}
    assert {n for n, g in groups.items() if g == "sizes"} == {
        "output_size", "dilated_size", "output_padding", "transposed_size"}  # fmt: skip
