"""The exported standalone HTML plays in a real browser with no server and no network."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.explorer.export import frames_to_html


def _frames(count: int, shape=(20, 30)) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (*shape, 3), dtype=np.uint8) for _ in range(count)]


def test_html_player_plays_offline_in_chromium(chromium, tmp_path):
    page_path = tmp_path / "player.html"
    page_path.write_text(frames_to_html(_frames(5), title="t", fps=20), encoding="utf-8")
    context = chromium.new_context(offline=True)
    try:
        page = context.new_page()
        requests, errors = [], []
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_path.as_uri())
        assert page.inner_text("#counter") == "1 / 5"
        page.click("#forward")
        assert page.inner_text("#counter") == "2 / 5"
        page.click("#back")
        page.click("#back")
        assert page.inner_text("#counter") == "5 / 5"  # wraps round
        page.fill("#slider", "2")
        assert page.inner_text("#counter") == "3 / 5"
        page.click("#play")
        page.wait_for_function("window.cnnvizPlayer.step() !== 2", timeout=5000)
        page.click("#play")
    finally:
        context.close()
    assert errors == []
    assert [url for url in requests if not url.startswith(("file:", "data:"))] == []


def _inside(box: dict, width: int, height: int) -> bool:
    return (box is not None and box["x"] >= 0 and box["y"] >= 0
            and box["x"] + box["width"] <= width and box["y"] + box["height"] <= height)


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1024, 768)])
def test_player_buttons_and_whole_picture_fit_a_768_px_screen(chromium, tmp_path, width, height):
    """A real export (the course demo with captions: 800+ px tall frames) on a laptop or a
    projector: the buttons, the slider, the caption and the whole picture are on screen."""
    from cnnviz.explorer.export import export_figure, fan_out_figure
    from cnnviz.explorer.presets import PRESETS

    page_path = tmp_path / "demo.html"
    with open(page_path, "wb") as stream:
        export_figure(fan_out_figure(PRESETS["course-demo"].settings), stream, "html",
                      max_frames=3, caption=True)  # fmt: skip
    page = chromium.new_page(viewport={"width": width, "height": height})
    try:
        page.goto(page_path.as_uri())
        page.wait_for_function("document.getElementById('frame').naturalHeight > 0")
        assert page.evaluate("document.getElementById('frame').naturalHeight") > height
        for selector in ("#back", "#play", "#forward", "#slider", "#counter", "#caption"):
            box = page.locator(selector).bounding_box()
            assert _inside(box, width, height), (selector, box)
        picture = page.locator("#frame").bounding_box()
        assert _inside(picture, width, height) and picture["height"] > height / 2, picture
        page.click("#forward")
        assert page.inner_text("#counter") == "2 / 3"
    finally:
        page.close()
