"""Load test: N concurrent browser sessions (default 20) against a real server on loopback.

Each session is its own headless Chromium context (own cookies, own Streamlit session). It
signs in through the form as a demo user, then until the time is up moves through its role's
pages and changes the complexity filter, timing each interaction from the click until
Streamlit reports the rerun finished and nothing on the page is stale. Prints requests,
errors, p50/p95 per kind of interaction and the server's peak memory (the server process and
its children, sampled every 0.25 s). Bounded: at most --sessions sessions, each stops at the
deadline, any interaction gives up after --interaction-timeout seconds; the server is stopped
at the end.

    python benchmarks/load_test.py [--sessions 20] [--seconds 120] [--referrals 12500]
    python benchmarks/load_test.py --url http://127.0.0.1:8501   # an already running server

Needs Chromium at /usr/bin/chromium and the playwright package (requirements.txt).

On a small machine the Chromiums, not the server, use most of the CPU, so this shows what
real browsers go through rather than what the server can take: for the server's latency
under N users use ``benchmarks/load_ws.py``, which speaks Streamlit's websocket protocol
without browsers.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402

from tests.browser import streamlit_page as sp  # noqa: E402
from tests.browser.server import make_demo_database, start_server  # noqa: E402
from ui.navigation import pages_for  # noqa: E402

APP = sp.APP
# A board meeting: mostly commissioners, some providers, the EPOP leads and one admin.
ROLE_MIX = ["commissioner"] * 8 + ["provider"] * 6 + ["epop_spoc"] * 3 + ["epop_national"] * 2 + ["admin"]
SEES_REFERRALS = {"commissioner", "provider", "admin"}
COMPLEXITIES = ["High", "Low", "Medium", "All"]


class Stats:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.requests = 0
        self.ws_messages = 0

    def record(self, kind: str, seconds: float) -> None:
        self.latencies[kind].append(seconds)


async def wait_for_run(page, timeout_s: float) -> None:
    try:
        await page.wait_for_selector(f'{APP}[data-test-script-state="running"]', timeout=1500)
    except Exception:  # noqa: BLE001 - the rerun was instant or is already over
        pass
    await page.wait_for_selector(f'{APP}[data-test-script-state="notRunning"]', timeout=timeout_s * 1000)
    await page.wait_for_function("() => document.querySelectorAll('[data-stale=\"true\"]').length === 0",
                                 timeout=timeout_s * 1000)


async def errors_on(page) -> list[str]:
    found = []
    for selector in sp.ERROR_SELECTORS:
        found += [text[:200] for text in await page.locator(selector).all_inner_texts()]
    return found


async def timed(stats: Stats, kind: str, page, action, timeout_s: float) -> None:
    started = time.perf_counter()
    try:
        await action()
        await wait_for_run(page, timeout_s)
        stats.record(kind, time.perf_counter() - started)
        for message in await errors_on(page):
            stats.errors.append(f"{kind}: error box: {message}")
    except Exception as exc:  # noqa: BLE001 - counted and reported, the session carries on
        stats.errors.append(f"{kind}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")


async def session(n: int, role: str, browser, base_url: str, deadline: float, stats: Stats, timeout_s: float) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(timeout_s * 1000)
    page = await context.new_page()
    page.on("request", lambda _request: setattr(stats, "requests", stats.requests + 1))
    page.on("websocket", lambda ws: ws.on("framesent", lambda _p: setattr(stats, "ws_messages", stats.ws_messages + 1)))
    try:
        started = time.perf_counter()
        await page.goto(base_url)
        await wait_for_run(page, timeout_s)
        stats.record("open sign-in page", time.perf_counter() - started)
        await page.get_by_role("textbox", name="Username").fill(sp.DEMO_USERS[role])
        await page.get_by_role("textbox", name="Password").fill(sp.DEMO_PASSWORD)
        await timed(stats, "sign in", page, lambda: page.get_by_role("button", name="Sign in").click(), timeout_s)
        titles = [s.title for specs in pages_for(role).values() for s in specs]
        pages = itertools.cycle(titles[n % len(titles):] + titles[: n % len(titles)])
        complexities = itertools.cycle(COMPLEXITIES)
        while time.monotonic() < deadline:
            title = next(pages)
            link = page.locator(sp.MENU_LINKS).filter(has=page.get_by_text(title, exact=True)).first
            await timed(stats, "open page", page, link.click, timeout_s)
            if role in SEES_REFERRALS and time.monotonic() < deadline:
                choice = next(complexities)

                async def change_filter(choice=choice):
                    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
                        has=page.get_by_text("Complexity", exact=True)).first
                    await box.locator('[role="combobox"]').click()
                    await page.keyboard.type(choice)  # the selectbox is searchable: the option comes into view
                    await page.get_by_role("option", name=choice, exact=True).first.click()

                await timed(stats, "change filter", page, change_filter, timeout_s)
    except Exception as exc:  # noqa: BLE001
        stats.errors.append(f"session {n} ({role}): {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
    finally:
        await context.close()


def sample_memory(pid: int, stop: threading.Event, peak: list[float]) -> None:
    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    while not stop.is_set():
        try:
            rss = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
            peak[0] = max(peak[0], rss / 2**20)
        except psutil.Error:
            pass
        stop.wait(0.25)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


async def run(base_url: str, sessions: int, seconds: float, timeout_s: float, stagger_s: float) -> Stats:
    stats = Stats()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(sp.CHROMIUM), args=sp.CHROMIUM_ARGS)
        deadline = time.monotonic() + seconds
        tasks = []
        for n in range(sessions):
            role = ROLE_MIX[n % len(ROLE_MIX)]
            tasks.append(asyncio.create_task(session(n, role, browser, base_url, deadline, stats, timeout_s)))
            await asyncio.sleep(stagger_s)  # twenty people do not click at the same millisecond
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 4 * timeout_s)
        await browser.close()
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120.0, help="how long each session keeps going")
    parser.add_argument("--referrals", type=int, default=12_500, help="demo database size (own server only)")
    parser.add_argument("--interaction-timeout", type=float, default=60.0)
    parser.add_argument("--stagger", type=float, default=0.5, help="seconds between session starts")
    parser.add_argument("--url", help="use this running server instead of starting one")
    args = parser.parse_args()
    if not 1 <= args.sessions <= 50 or not 1 <= args.seconds <= 1800:
        parser.error("keep it bounded: 1-50 sessions, 1-1800 seconds")

    server = None
    peak = [0.0]
    stop = threading.Event()
    with tempfile.TemporaryDirectory(prefix="load_test_") as tmp:
        if args.url:
            base_url = args.url
        else:
            print(f"building a demo database of {args.referrals:,} referrals…", flush=True)
            url = make_demo_database(Path(tmp) / "demo.db", args.referrals)
            server = start_server(url, Path(tmp) / "server.log")
            base_url = server.base_url
            threading.Thread(target=sample_memory, args=(server.pid, stop, peak), daemon=True).start()
        try:
            print(f"{args.sessions} sessions for {args.seconds:.0f} s against {base_url}", flush=True)
            wall = time.perf_counter()
            stats = asyncio.run(run(base_url, args.sessions, args.seconds, args.interaction_timeout, args.stagger))
            wall = time.perf_counter() - wall
        finally:
            stop.set()
            tracebacks = 0
            if server is not None:
                server.stop()
                tracebacks = server.log_path.read_text(errors="replace").count("Traceback")

    interactions = sum(len(v) for v in stats.latencies.values())
    print()
    print(f"sessions {args.sessions} · wall time {wall:.0f} s · interactions {interactions} · "
          f"HTTP requests {stats.requests} · websocket messages sent {stats.ws_messages}")
    print(f"errors {len(stats.errors)} · server tracebacks in log {tracebacks}")
    print(f"server peak memory (RSS, process and children) {peak[0]:,.0f} MiB" if server else
          "server peak memory: not measured (--url)")
    print()
    print(f"{'interaction':<20}{'count':>7}{'p50 s':>9}{'p95 s':>9}{'max s':>9}")
    for kind, values in stats.latencies.items():
        print(f"{kind:<20}{len(values):>7}{percentile(values, 50):>9.2f}{percentile(values, 95):>9.2f}{max(values):>9.2f}")
    for error in stats.errors[:20]:
        print("  error:", error)
    return 0 if not stats.errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
