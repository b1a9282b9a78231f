"""Driving the dashboard in a real browser: sign in, move between pages, wait for Streamlit
to finish a rerun, find error boxes, run axe-core. Shared by the browser tests, the security
tests that need a browser, and ``benchmarks/load_test.py``.

Streamlit marks its root element with the state of the script run
(``data-test-script-state``: ``running`` while a rerun is under way, ``notRunning`` after it)
and marks elements left over from the previous run with ``data-stale="true"`` until the new
run replaces them. Waiting on those two attributes is what makes these tests deterministic
without fixed sleeps.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ui import auth

CHROMIUM = Path(os.environ.get("DASHBOARD_TEST_CHROMIUM", "/usr/bin/chromium"))
# Flags that work headless as root in a container with no GPU and no outside network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
AXE_SCRIPT = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
COOKIE_NAME = auth.COOKIE_NAME
DEMO_PASSWORD = "demo"
#: Demo username for each role (``data_access.demo.create_demo_users``).
DEMO_USERS = {
    "commissioner": "commissioner",
    "provider": "provider",
    "epop_spoc": "spoc",
    "epop_national": "national",
    "admin": "admin",
}

APP = '[data-testid="stApp"]'
ERROR_SELECTORS = ('[data-testid="stException"]', '[data-testid="stAlertContentError"]')


def launch_browser(playwright, **options):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, **options)


_shared: dict = {}


def shared_browser():
    """One Playwright and one Chromium per test process, whichever test directory asks first
    (two sync Playwright instances cannot run in one thread)."""
    if "browser" not in _shared:
        from playwright.sync_api import sync_playwright

        _shared["playwright"] = sync_playwright().start()
        _shared["browser"] = launch_browser(_shared["playwright"])
    return _shared["browser"]


def close_shared_browser() -> None:
    browser, playwright = _shared.pop("browser", None), _shared.pop("playwright", None)
    if browser is not None:
        browser.close()
    if playwright is not None:
        playwright.stop()


def wait_for_run(page, *, timeout_s: float = 90.0, started_within_s: float = 1.5) -> float:
    """Wait for the rerun that the last action started to finish; return the seconds waited.

    A rerun may not have started yet when this is called (the click's message is still on its
    way) or may already be over (a fast rerun), so: give it ``started_within_s`` to show as
    running, then wait until it is not running and nothing on the page is stale.
    """
    started = time.perf_counter()
    try:
        page.wait_for_selector(f'{APP}[data-test-script-state="running"]', timeout=started_within_s * 1000)
    except Exception:  # noqa: BLE001 - playwright's TimeoutError: the run was instant or already over
        pass
    page.wait_for_selector(f'{APP}[data-test-script-state="notRunning"]', timeout=timeout_s * 1000)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-stale=\"true\"]').length === 0", timeout=timeout_s * 1000
    )
    return time.perf_counter() - started


def open_app(page, base_url: str, path: str = "/") -> None:
    page.goto(base_url.rstrip("/") + path)
    page.wait_for_selector(f'{APP}[data-test-connection-state="CONNECTED"]', timeout=60_000)
    wait_for_run(page)


def sign_in(page, base_url: str, username: str, password: str = DEMO_PASSWORD, *, path: str = "/") -> None:
    """Sign in through the form, as a person would; wait for the signed-in app."""
    open_app(page, base_url, path)
    fill_sign_in_form(page, username, password)
    page.get_by_role("button", name="Sign out").wait_for(timeout=60_000)
    wait_for_run(page)


def wait_for_sign_in_cookie(context, *, present: bool = True, timeout_s: float = 15.0) -> dict | None:
    """The sign-in cookie once the browser holds it (or None once it is gone, ``present=False``).

    It is HttpOnly, so it is read from the browser context, not document.cookie."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = next((c for c in context.cookies() if c["name"] == COOKIE_NAME), None)
        if (found is not None) == present:
            return found
        time.sleep(0.2)
    raise AssertionError(f"the sign-in cookie was {'never stored' if present else 'never removed'}")


def fill_sign_in_form(page, username: str, password: str) -> None:
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    wait_for_run(page)


def is_signed_in(page) -> bool:
    return page.get_by_role("button", name="Sign out").count() > 0


#: The sidebar menu's links (ui/menu.py): one per page the role may use, all of them shown.
MENU_LINKS = '.st-key-site_menu a[data-testid="stPageLink-NavLink"]'


def menu_titles(page) -> list[str]:
    """The titles of the pages the sidebar menu offers, in menu order."""
    return page.locator(f"{MENU_LINKS} [data-testid=\"stMarkdownContainer\"]").all_inner_texts()


def sidebar_link(page, title: str):
    """The sidebar menu's link to a page."""
    return page.locator(MENU_LINKS).filter(has=page.get_by_text(title, exact=True))


def go_to(page, title: str) -> float:
    """Open a page from the sidebar (a client-side switch in the same session); seconds taken."""
    started = time.perf_counter()
    sidebar_link(page, title).first.click()
    wait_for_run(page)
    return time.perf_counter() - started


def error_messages(page) -> list[str]:
    """Text of every exception box and every error alert on the page."""
    found: list[str] = []
    for selector in ERROR_SELECTORS:
        boxes = page.locator(selector)
        found += [boxes.nth(i).inner_text()[:500] for i in range(boxes.count())]
    return found


def choose(page, label: str, option: str, *, where: str = '[data-testid="stSidebar"]') -> None:
    """Pick ``option`` in the selectbox labelled ``label`` (by clicking, as a mouse user would)."""
    box = page.locator(where).locator('[data-testid="stSelectbox"]').filter(
        has=page.get_by_text(label, exact=True)
    ).first
    box.locator('[role="combobox"]').click()
    # Streamlit's selectbox is searchable; typing narrows the list so the option is on screen.
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).first.click()
    wait_for_run(page)


def selectbox_value(page, label: str, *, where: str = '[data-testid="stSidebar"]') -> str:
    box = page.locator(where).locator('[data-testid="stSelectbox"]').filter(
        has=page.get_by_text(label, exact=True)
    ).first
    return box.locator('[role="combobox"]').input_value() or box.inner_text().splitlines()[-1]


def run_axe(page, *, tags: tuple[str, ...] = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")) -> list[dict]:
    """Inject axe-core (from the pinned npm package) and return its violations on this page."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_SCRIPT.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 300),
                                           summary: (n.failureSummary || '').slice(0, 300)}))}));
        }""",
        list(tags),
    )
    return json.loads(json.dumps(result))


def open_pages(*, last: int = 3) -> list:
    """The most recently opened pages still open in the shared browser (for failure reports)."""
    browser = _shared.get("browser")
    if browser is None:
        return []
    pages = [p for context in browser.contexts for p in context.pages if not p.is_closed()]
    return pages[-last:]


def describe_page(page, stem: Path, *, limit: int = 2000) -> str:
    """Save a screenshot and the text of ``page`` at ``stem``.png/.txt; return the text (cut)."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    try:
        state = page.evaluate(
            "() => { const a = document.querySelector('[data-testid=\"stApp\"]');"
            " return a ? [a.getAttribute('data-test-script-state'), a.getAttribute('data-test-connection-state')] : []; }"
        )
        text = page.inner_text("body", timeout=5_000)
        page.screenshot(path=str(stem.with_suffix(".png")), full_page=True, timeout=10_000)
    except Exception as exc:  # noqa: BLE001 - the page may be gone; say so rather than hide the failure
        return f"{page.url}: could not be read ({exc.__class__.__name__}: {exc})"
    stem.with_suffix(".txt").write_text(text, encoding="utf-8")
    return f"{page.url} (script {state[:1]}, connection {state[1:]})\n{text[:limit]}"
