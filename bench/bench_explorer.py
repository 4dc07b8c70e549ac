"""How fast the explorer answers: server-side work per frame and per control change, memory
over 2,000 updates, and, in a real Chromium against Voila on loopback, frames per second while
playing and the time from a key press on a control to the new picture on the page.

Targets (issue 3): control change -> new picture in the browser <= 300 ms (target 150 ms);
Play >= 15 frames/s (target 24); server-side work per frame <= 30 ms; memory flat over 2,000
updates.

Run: ``make bench`` or ``.venv/bin/python bench/bench_explorer.py [--no-browser]``.
"""

from __future__ import annotations

import os

# One BLAS thread, set before numpy loads its BLAS: two stall small matrix products (README.md).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import psutil  # noqa: E402

from cnnviz.explorer.app import Explorer  # noqa: E402
from cnnviz.explorer.layer import snapshot_from_settings  # noqa: E402
from cnnviz.explorer.presets import DEFAULT_PRESET, PRESETS  # noqa: E402
from cnnviz.explorer.render.fanout import FanOutFigure  # noqa: E402
from cnnviz.explorer.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LARGEST = Settings(depth=10, filters=4, input_height=16, input_width=16, kernel_height=7,
                   kernel_width=7, stride=1, padding=3)


def _summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {statistics.median(ordered):6.1f} ms, p95 {p95:6.1f} ms, n={len(ordered)}"


def frame_costs() -> None:
    """Server side: one step (frame + PNG encode + equation), as the Play callback does it."""
    print("Server-side work per frame (Explorer.show_step: paint + PNG + equation text)")
    for name, settings in [(DEFAULT_PRESET, PRESETS[DEFAULT_PRESET].settings),
                           ("depth-10", PRESETS["depth-10"].settings),
                           ("largest (K=4, D=10, 16x16, 7x7)", LARGEST)]:
        explorer = Explorer(settings=settings)
        for walk in ("scatter", "gather"):
            explorer.walk.value = walk
            count = explorer.step.max  # the slider counts steps from 1 to max
            samples = []
            for index in range(min(count, 200)):
                started = time.perf_counter()
                explorer.show_step(index)
                samples.append((time.perf_counter() - started) * 1000)
            size = len(bytes(explorer.image.value)) // 1024
            print(f"  {name:34s} {walk:7s}: {_summary(samples)}  ({size} kB PNG)")


def control_costs() -> None:
    """Server side: a control change until the image is set, and the whole callback."""
    print("Server-side control change (new layer, layout, first frame; then text, dW, check)")
    explorer = Explorer()
    for label, settings_of in [
        ("stride 2 <-> 1 at the default preset", lambda i: {"stride": 1 + i % 2}),
        ("seed changes at the default preset", lambda i: {"seed": i % 50}),
    ]:
        to_image, whole = [], []
        for i in range(30):
            started = time.perf_counter()
            for name, value in settings_of(i).items():
                explorer.sliders[name].value = value
            whole.append((time.perf_counter() - started) * 1000)
            to_image.append(explorer.timings["control_to_image_ms"])
        print(f"  {label:40s} to image: {_summary(to_image)}")
        print(f"  {'':40s} whole callback: {_summary(whole)}")
        explorer.preset.value = DEFAULT_PRESET
    for name in PRESETS:
        started = time.perf_counter()
        explorer.preset.value = name
        whole = (time.perf_counter() - started) * 1000
        print(f"  preset {name:32s} to image {explorer.timings['control_to_image_ms']:6.1f} ms, "
              f"whole callback {whole:6.1f} ms")


def memory_over_updates(updates: int = 2000) -> None:
    """RSS before and after many updates: steps, walks and control changes, interleaved."""
    process = psutil.Process()
    explorer = Explorer()
    for i in range(100):  # warm caches (glyphs, colour tables) before the first reading
        explorer.show_step(i % 32)
    gc.collect()
    start = process.memory_info().rss / 2**20
    readings = []
    for i in range(updates):
        if i % 50 == 0:
            explorer.sliders["stride"].value = 1 + (i // 50) % 2
        elif i % 50 == 25:
            explorer.walk.value = "gather" if explorer.walk.value == "scatter" else "scatter"
        else:
            explorer.step.value = 1 + i % explorer.step.max
        if i % 500 == 499:
            gc.collect()
            readings.append(process.memory_info().rss / 2**20)
    print(f"Memory over {updates} updates (steps, walk switches, stride changes): RSS "
          f"{start:.0f} MB at start, then {', '.join(f'{r:.0f}' for r in readings)} MB "
          f"every 500 updates (growth {readings[-1] - start:+.1f} MB)")
    layer = snapshot_from_settings(PRESETS[DEFAULT_PRESET].settings)
    gc.collect()
    before = process.memory_info().rss / 2**20
    for _ in range(300):
        FanOutFigure(layer).png(0)
    gc.collect()
    print(f"  300 new figures (a layout per control change): RSS {before:.0f} -> "
          f"{process.memory_info().rss / 2**20:.0f} MB")


def _browser_fixtures():
    """The browser tests' helpers (free port, server wait, Chromium flags)."""
    sys.path.insert(0, str(ROOT / "tests" / "browser"))
    import servers

    return servers


def browser_measurements(repeats: int = 12, seconds: float = 6.0) -> None:
    """fps while playing, and key press -> new picture, in Chromium against Voila."""
    from playwright.sync_api import sync_playwright

    fixtures = _browser_fixtures()
    port = fixtures._free_port()
    log = Path("/tmp") / f"bench-voila-{port}.log"
    command = [sys.executable, "-m", "voila", str(ROOT / "notebooks"), "--no-browser",
               f"--port={port}", "--Voila.ip=127.0.0.1",
               f"--Voila.config_file_paths=['{ROOT / 'deploy'}']"]
    with open(log, "w") as out:
        server = subprocess.Popen(command, cwd=ROOT / "notebooks", stdout=out,
                                  stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        fixtures._wait_until_up(f"{base}/voila/tree", server, log)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=fixtures.CHROMIUM,
                                                 args=fixtures.CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            started = time.perf_counter()
            page.goto(f"{base}/voila/render/explorer.ipynb")
            fixtures.wait_for_picture(page)
            print(f"Browser (Chromium, Voila on loopback): first picture "
                  f"{time.perf_counter() - started:.1f} s after opening the page")
            _key_to_picture(page, fixtures, repeats)
            _play_fps(page, fixtures, seconds)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=15)


def _key_to_picture(page, servers, repeats: int) -> None:
    servers.watch_pictures(page)
    slider = page.locator(".widget-slider", has=page.get_by_text("stride s", exact=True))
    handle = slider.locator(".noUi-handle")
    samples = []
    for i in range(repeats):
        handle.focus()
        count = len(servers.pictures_seen(page))
        pressed = page.evaluate("performance.now()")
        page.keyboard.press("ArrowLeft" if i % 2 == 0 else "ArrowRight")
        page.wait_for_function(f"window.cnnvizPictures.length > {count}", timeout=30_000)
        samples.append(servers.pictures_seen(page)[count][0] - pressed)
        page.wait_for_timeout(400)  # let the rest of the callback (text, dW, check) finish
    print(f"  stride key press -> new picture painted: {_summary(samples)}")


def _play_fps(page, servers, seconds: float) -> None:
    page.get_by_text("gather (per input pixel)").click()
    page.wait_for_timeout(800)
    speed = page.locator(".widget-slider", has=page.get_by_text("steps/s", exact=True))
    speed.locator(".noUi-handle").focus()
    page.keyboard.press("End")  # the fastest speed, 30 steps/s
    page.wait_for_timeout(500)
    buttons = page.locator(".widget-play button")
    buttons.nth(2).click()  # repeat, so a short walk keeps playing
    servers.watch_pictures(page)
    buttons.nth(0).click()
    page.wait_for_timeout(1000)
    first = len(servers.pictures_seen(page))
    page.wait_for_timeout(seconds * 1000)
    frames = len(servers.pictures_seen(page)) - first
    buttons.nth(0).click()
    print(f"  Play at 30 steps/s asked (gather walk, default preset): {frames / seconds:.1f} "
          f"new pictures per second over {seconds:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-browser", action="store_true", help="server-side numbers only")
    args = parser.parse_args()
    print("load average at start: {:.1f} {:.1f} {:.1f} (2 cores; other jobs slow every figure)"
          .format(*os.getloadavg()))
    frame_costs()
    control_costs()
    memory_over_updates()
    if not args.no_browser:
        browser_measurements()
    print("load average at end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
