"""The exported standalone HTML plays in a real browser with no server and no network."""

from __future__ import annotations

import numpy as np

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
