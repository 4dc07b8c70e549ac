"""Lesson 8 (your own model) as a Voila page in a real Chromium: the torch model trains, its
first conv layer's picture paints in the explorer, the network page shows every layer's δ, and
the comparison with lesson 7 arrives, with no error on the page.

Screenshot: ``test-artifacts/lesson-08_your_model.png``.
"""

from __future__ import annotations

import importlib.util

import pytest
from servers import EXPLORER_FIGURE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                       reason="PyTorch is not installed: lesson 8 trains a torch model"),
]

FIRST_PAINT = 240_000  # ms: the page trains a model (about 30 s) on a loaded 2-core machine
STAGE_PICTURE = ".cnnviz-stage img.widget-image"


def test_lesson_08_opens_your_model_in_both_pages(open_page, voila_base_url, artifacts):
    page = open_page(f"{voila_base_url}/voila/render/08_your_model.ipynb", width=1366,
                     height=900, timeout=FIRST_PAINT)  # fmt: skip
    page.wait_for_selector(EXPLORER_FIGURE, timeout=FIRST_PAINT)
    page.wait_for_selector(STAGE_PICTURE, timeout=FIRST_PAINT)
    page.wait_for_function("document.body.innerText.includes('lesson 8: your torch model')",
                           timeout=FIRST_PAINT)  # fmt: skip
    text = page.inner_text("body")
    assert "Traceback" not in text and "could not be" not in text
    assert "PyTorch is installed" in text and "not supported: nothing" in text
    assert page.locator(STAGE_PICTURE).count() == 8  # one δ picture per layer of the model
    assert page.cnnviz_errors == []
    page.set_viewport_size({"width": 1366, "height": 4000})
    page.screenshot(path=str(artifacts / "lesson-08_your_model.png"))
