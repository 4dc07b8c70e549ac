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

from cnnviz.cli import main as cli_main
from cnnviz.lessons.formulas import FORMULAS
from cnnviz.lessons.handout import download_link_html, handout_pdf, worked_example


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
        assert formula.title[:1].upper() + formula.title[1:] in text
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
