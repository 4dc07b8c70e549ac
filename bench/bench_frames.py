"""What one animation step costs the network, and how many pictures Play shows per second.

Starts Voila as ``make app`` does, opens the explorer (course-demo preset) in headless
Chromium, and for each walk:

* steps back ``--steps`` times with the "◀ step" button, waiting for each new picture, and
  sums the bytes the page's kernel websocket received per step (Playwright's
  ``page.on("websocket")`` frames): median and largest, against the target of 30 KB;
* sets "steps/s" to its top speed, turns repeat on, presses Play for ``--seconds`` and counts
  the distinct pictures the figure showed per second, against the target of 24.

    python bench/bench_frames.py [--steps 12] [--seconds 6]

Prints the load average next to the figures (other work on the machine skews them).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "browser"))
from servers import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    picture_of,
    pictures_seen,
    start_voila,
    stop_voila,
    wait_for_new_picture,
    wait_for_picture,
    watch_pictures,
)

TARGET_KB, TARGET_FPS = 30, 24


def _received(page) -> list[int]:
    sizes: list[int] = []

    def on_socket(socket) -> None:
        if "/channels" in socket.url:
            socket.on("framereceived", lambda payload: sizes.append(len(payload)))

    page.on("websocket", on_socket)
    return sizes


def bytes_per_step(page, sizes: list[int], steps: int) -> list[int]:
    """Bytes received for each of ``steps`` presses of "◀ step"."""
    per_step = []
    back = page.get_by_role("button", name="◀ step").first
    for _ in range(steps):
        old = picture_of(page)
        page.wait_for_timeout(300)  # let the last step's messages arrive
        before = sum(sizes)
        back.click()
        wait_for_new_picture(page, old)
        page.wait_for_timeout(300)
        per_step.append(sum(sizes) - before)
    return per_step


def pictures_per_second(page, seconds: float) -> float:
    """Distinct pictures per second while Play runs at the top speed with repeat on."""
    speed = page.locator(".widget-slider", has=page.get_by_text("steps/s", exact=True))
    speed.locator(".noUi-handle").focus()
    page.keyboard.press("End")
    page.wait_for_timeout(500)
    play = page.locator(".widget-play")
    play.locator("button").nth(2).click()  # repeat
    watch_pictures(page)  # one observer: a second one had counted the gather walk twice
    play.locator("button").nth(0).click()  # play
    started = time.monotonic()
    page.wait_for_timeout(seconds * 1000)
    shown = len(pictures_seen(page))
    rate = shown / (time.monotonic() - started)
    play.locator("button").nth(0).click()  # pause
    play.locator("button").nth(2).click()  # repeat off
    page.wait_for_timeout(500)
    return rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    log = Path(tempfile.mkdtemp()) / "voila.log"
    process, base = start_voila(log)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            sizes = _received(page)
            page.goto(f"{base}/voila/render/explorer.ipynb", wait_until="domcontentloaded")
            wait_for_picture(page)
            page.wait_for_timeout(2000)
            for walk in ("scatter", "gather"):
                if walk == "gather":
                    old = picture_of(page)
                    page.get_by_text("gather (per input pixel)").click()
                    wait_for_new_picture(page, old)
                load = os.getloadavg()[0]
                steps = bytes_per_step(page, sizes, args.steps)
                fps = pictures_per_second(page, args.seconds)
                print(
                    f"{walk:8s} bytes per step: median {statistics.median(steps) / 1024:.1f} KB,"
                    f" largest {max(steps) / 1024:.1f} KB (target <= {TARGET_KB} KB);"
                    f" Play: {fps:.1f} pictures/s (target >= {TARGET_FPS});"
                    f" load average {load:.1f}",
                    flush=True,
                )
            browser.close()
    finally:
        stop_voila(process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
