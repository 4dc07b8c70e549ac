"""Lesson 8 (your own model): its functions with and without PyTorch.

The notebook itself runs in tests/test_notebooks.py (skipped there, with the reason, when
PyTorch is absent); here the lesson's functions are checked quickly.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys

import pytest

from cnnviz.lessons import your_model as L
from cnnviz.nn.capture import NEEDS_TORCH

MISSING = importlib.util.find_spec("torch") is None
if MISSING and os.environ.get("CNNVIZ_REQUIRE_TORCH") == "1":  # make test: never skip
    pytest.fail("CNNVIZ_REQUIRE_TORCH=1 but PyTorch is not installed", pytrace=False)
needs_torch = pytest.mark.skipif(MISSING, reason="PyTorch is not installed: lesson 8 trains a "
                                 "torch model")


def test_without_torch_every_step_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # what an environment without torch does
    sentence = L.missing_torch()
    assert sentence.startswith("This lesson shows nothing here: cnnviz.capture needs PyTorch")
    assert sentence.endswith(NEEDS_TORCH[1:])
    assert L.train() is None and L.capture_batch(None) is None
    explorer, network = L.pages(None)
    assert "pip install torch" in explorer.value and network is explorer
    assert L.comparison(None, None) == sentence


@needs_torch
def test_the_comparison_puts_the_rules_beside_lesson_7():
    from cnnviz.nn import capture as torch_side

    torch_side._torch().set_num_threads(1)
    untrained = L.Trained(torch_side.gesture_model(seed=1), 0.0, 0.125)
    captured = L.capture_batch(untrained)
    assert captured.names == ("0", "3") and captured.notes == ()
    assert L.captured_summary(captured) == (
        "conv layers: 0, 3\nnot supported: nothing: the whole model opens")
    table = L.comparison(untrained, captured)
    rows = {line.split(" | ")[0].strip("| "): line for line in table.splitlines()[2:]}
    assert "0.125" in rows["held-out accuracy (200 images)"]
    assert f"mean loss on lesson 7's batch of {L.BATCH}" in rows
    numbers = lambda row: [float(v) for v in re.findall(r"\| ([-\d.e+]+)", rows[row])]  # noqa: E731
    rule = numbers(f"batch rule at conv 1, sample 1: largest gap, δ in the batch vs δ alone / "
                   f"{L.BATCH}")
    check = numbers("whole-network check: largest gap, analytic vs numeric gradient")
    assert len(rule) == len(check) == 2
    assert max(rule) < 1e-6 and max(check) < 1e-6


def test_the_summaries_say_what_is_missing_or_what_opened(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    assert L.trained_summary(None) == L.captured_summary(None) == L.missing_torch()
