"""The Maps page as a person sees it: headless Chromium with no GPU, against the real server.

``python benchmarks/bench_maps_browser.py [--referrals N] [--runs N] [--shots DIR]``

Seeds a throw-away demo database, starts ``serve.py`` (waits for its warm-up, as a load
balancer would), signs in as the commissioner and, in a fresh browser context each run:

- **first visit**: click "Maps" in the sidebar → the rerun has finished *and* a screenshot of
  the map's canvas has been taken (the browser gives one only once the canvas is drawn);
- **reach toggle**: switch "Show reach" on → the same two conditions;
- the England and Wales tab: opened → its map drawn (reported, not part of the summary).

With ``--shots DIR`` it also saves screenshots of the Greater Manchester map (with and
without reach) and of the England and Wales map, for a person to look at.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser import streamlit_page as sp  # noqa: E402
from tests.browser.server import make_demo_database, start_server  # noqa: E402

#: Resolves once the browser has painted twice after the call: the page has drawn.
TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"


def _settle(page, started: float, chart: int = 0) -> tuple[float, float]:
    """Seconds from ``started`` until the rerun was over, and until the map was on screen.

    On screen means a screenshot of the map's canvas has been taken: the browser hands one
    over only once the canvas has been drawn and composited. (Two animation frames are not
    enough: without a GPU, deck.gl's shaders compile and draw in software after them.)
    """
    sp.wait_for_run(page, timeout_s=600)
    run = time.perf_counter() - started
    page.evaluate(TWO_FRAMES)
    canvas = page.locator('[data-testid="stDeckGlJsonChart"]').nth(chart).locator("canvas").first
    canvas.screenshot(timeout=600_000)
    return run, time.perf_counter() - started


def one_run(browser, base_url: str, shots: Path | None) -> tuple[float, float]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(600_000)
    try:
        page = context.new_page()
        sp.sign_in(page, base_url, "commissioner")
        started = time.perf_counter()
        sp.sidebar_link(page, "Maps").first.click()
        run, first_visit = _settle(page, started)
        print(f"  first visit: rerun over after {run:.1f} s, drawn after {first_visit:.1f} s", flush=True)
        charts = page.locator('[data-testid="stDeckGlJsonChart"]')
        if shots:
            page.wait_for_timeout(1000)
            charts.nth(0).scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "gm-map.png"))
        toggle = page.get_by_text("Show reach", exact=False).first
        started = time.perf_counter()
        toggle.click()
        run, reach = _settle(page, started)
        print(f"  reach toggle: rerun over after {run:.1f} s, drawn after {reach:.1f} s", flush=True)
        if shots:
            page.wait_for_timeout(1000)
            charts.nth(0).scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "gm-map-reach.png"))
        started = time.perf_counter()
        page.get_by_role("tab", name="England and Wales").click()
        _run, national = _settle(page, started, chart=1)
        print(f"  England and Wales tab: drawn after {national:.1f} s", flush=True)
        if shots:
            charts.nth(1).scroll_into_view_if_needed()
            page.wait_for_timeout(1000)
            page.screenshot(path=str(shots / "regions-map.png"))
        return first_visit, reach
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--referrals", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--shots", type=Path, default=None)
    args = parser.parse_args()
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        url = make_demo_database(Path(folder) / "demo.db", args.referrals)
        server = start_server(url, Path(folder) / "server.log", timeout_s=300)
        try:
            browser = sp.shared_browser()
            firsts, reaches = [], []
            for n in range(args.runs):
                first, reach = one_run(browser, server.base_url, args.shots if n == 0 else None)
                firsts.append(first)
                reaches.append(reach)
                print(f"run {n + 1}: Maps first visit {first:.1f} s, reach toggle {reach:.1f} s", flush=True)
        finally:
            sp.close_shared_browser()
            server.stop()
    print(f"Maps first visit: median {statistics.median(firsts):.1f} s (max {max(firsts):.1f}); "
          f"reach toggle: median {statistics.median(reaches):.1f} s (max {max(reaches):.1f}); "
          f"{args.runs} runs, headless Chromium --disable-gpu")


if __name__ == "__main__":
    main()
