"""The page's first picture comes first; the kernel watch hears when a page shows it."""

from __future__ import annotations

from cnnviz.explorer.app import Explorer, explorer_page
from cnnviz.explorer.kernel_watch import GONE_SENTENCE, ROOT_CLASS, KernelWatch


def _shown(watch: KernelWatch) -> None:
    """What the browser side sends when it renders (see kernel_watch._ESM)."""
    watch._handle_custom_msg({"event": "shown"}, [])


def test_the_page_draws_its_details_once_the_picture_is_shown():
    explorer = Explorer(defer_details=True)
    assert bytes(explorer.image.value).startswith(b"\x89PNG")  # the first picture is there
    assert explorer.check.value == "" and explorer.ledger.value == ""
    assert bytes(explorer.gradients.value) == b""
    _shown(explorer.watch)
    assert "✓" in explorer.check.value and "same dx" in explorer.agreement.value
    assert "(2, 3, 3, 3)" in explorer.ledger.value
    assert bytes(explorer.gradients.value).startswith(b"\x89PNG")


def test_a_setting_changed_before_the_page_shows_is_described_then():
    explorer = Explorer(defer_details=True)
    explorer.sliders["filters"].value = 3
    assert explorer.ledger.value == ""
    _shown(explorer.watch)
    assert "(3, 3, 3, 3)" in explorer.ledger.value
    explorer.sliders["filters"].value = 1  # after that, every change is described at once
    assert "(1, 3, 3, 3)" in explorer.ledger.value


def test_other_messages_are_ignored_and_direct_use_is_not_deferred():
    explorer = Explorer()
    assert "✓" in explorer.check.value
    deferred = Explorer(defer_details=True)
    deferred.watch._handle_custom_msg({"event": "something else"}, [])
    deferred.watch._handle_custom_msg("shown", [])
    assert deferred.check.value == ""


def test_the_page_watches_its_kernel_and_names_its_controls():
    page = explorer_page("")
    assert ROOT_CLASS in page._dom_classes
    watch = page.children[0]
    assert isinstance(watch, KernelWatch) and watch.sentence == GONE_SENTENCE
    names = {type(control).__name__ for control in watch.controls}
    assert {"Play", "IntSlider", "Dropdown", "ToggleButtons", "Button"} <= names
