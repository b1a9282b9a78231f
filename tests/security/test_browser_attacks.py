"""Attacks that need a real browser: forged and expired sign-in cookies, a page outside the
role opened by its URL, no sign-in, and hostile free text rendered on every page."""

from __future__ import annotations

import datetime as dt
import re

import jwt
import pytest

from data_access import accounts
from data_access.settings import DEMO_COOKIE_KEY
from tests.browser import streamlit_page as sp
from ui.navigation import PAGES, pages_for

pytestmark = pytest.mark.usefixtures("playwright_browser")


def _cookie(username: str, *, key: str = DEMO_COOKIE_KEY, expires_in: dt.timedelta = dt.timedelta(hours=1),
            version: int = 0) -> str:
    """A sign-in cookie in the app's format (data_access.accounts: HS256 JWT with the token version)."""
    return accounts.issue_token(username, version, key, purpose=accounts.SESSION, lifetime=expires_in)


def _page_with_cookie(new_context, server, value: str | None, path: str = "/"):
    context = new_context()
    if value is not None:
        context.add_cookies([{"name": sp.COOKIE_NAME, "value": value, "url": server.base_url}])
    page = context.new_page()
    sp.open_app(page, server.base_url, path)
    # The cookie is checked on the sign-in page's run, which then reruns into the app: wait
    # until one of the two outcomes is on screen, then for any rerun it started.
    page.get_by_role("button", name=re.compile(r"^Sign (in|out)$")).first.wait_for()
    page.wait_for_timeout(1000)
    sp.wait_for_run(page)
    return page


def test_a_correctly_signed_cookie_signs_in(attack_server, new_context):
    """Control for the two tests below: the cookie format is right, so refusals mean something."""
    page = _page_with_cookie(new_context, attack_server, _cookie("provider"))
    page.get_by_role("button", name="Sign out").wait_for()
    assert sp.is_signed_in(page)


def test_a_cookie_signed_with_another_key_is_refused(attack_server, new_context):
    forged = _cookie("admin", key="an-attackers-own-key-of-at-least-32-characters!")
    page = _page_with_cookie(new_context, attack_server, forged)
    assert not sp.is_signed_in(page)
    page.get_by_role("button", name="Sign in").wait_for()


def test_an_unsigned_or_garbled_cookie_is_refused(attack_server, new_context):
    header_payload = _cookie("admin").rsplit(".", 1)[0]
    for value in (header_payload + ".", header_payload + ".c2lnbmF0dXJl", "admin"):
        page = _page_with_cookie(new_context, attack_server, value)
        assert not sp.is_signed_in(page), value
        page.get_by_role("button", name="Sign in").wait_for()
        page.context.close()


def test_an_alg_none_cookie_is_refused_and_the_form_still_shows(attack_server, new_context):
    none_alg = jwt.encode({"sub": "admin", "ver": 0, "pur": "session", "exp": 4102444800}, None, algorithm="none")
    context = new_context()
    context.add_cookies([{"name": sp.COOKIE_NAME, "value": none_alg, "url": attack_server.base_url}])
    page = context.new_page()
    sp.open_app(page, attack_server.base_url)
    assert not sp.is_signed_in(page)
    assert sp.error_messages(page) == []
    page.get_by_role("button", name="Sign in").wait_for(timeout=15_000)


def test_an_expired_cookie_is_refused(attack_server, new_context):
    page = _page_with_cookie(new_context, attack_server, _cookie("admin", expires_in=-dt.timedelta(minutes=1)))
    assert not sp.is_signed_in(page)


def test_without_signing_in_a_page_url_shows_only_the_sign_in_form(attack_server, new_context):
    for spec in PAGES:
        if spec.url_path is None:
            continue
        page = _page_with_cookie(new_context, attack_server, None, f"/{spec.url_path}")
        assert not sp.is_signed_in(page), spec.url_path
        page.get_by_role("button", name="Sign in").wait_for()
        main = page.locator('[data-testid="stMain"]').inner_text()
        assert spec.title not in main.replace("Sign in", ""), spec.url_path
        page.context.close()


def test_a_provider_opening_the_admin_url_does_not_get_the_admin_page(attack_server, new_context):
    allowed = {s.url_path for specs in pages_for("provider").values() for s in specs}
    for spec in PAGES:
        if spec.url_path in allowed or spec.url_path is None:
            continue
        page = _page_with_cookie(new_context, attack_server, _cookie("provider"), f"/{spec.url_path}")
        page.get_by_role("button", name="Sign out").wait_for()
        headings = page.locator('[data-testid="stMain"] h1').all_inner_texts()
        assert spec.title not in headings, f"provider reached {spec.url_path}"
        assert not any(spec.title in h for h in headings if spec.title == "Admin")
        page.context.close()


@pytest.mark.parametrize("role", ["commissioner", "admin"])
def test_hostile_free_text_is_shown_as_text_on_every_page(attack_server, new_context, role):
    page = new_context().new_page()
    sp.sign_in(page, attack_server.base_url, sp.DEMO_USERS[role])
    for specs in pages_for(role).values():
        for spec in specs:
            sp.go_to(page, spec.title)
            interpreted = page.evaluate(
                """() => ({
                    pwned: typeof window.__pwned !== 'undefined',
                    img: document.querySelectorAll('[data-testid="stMain"] img[src="x"]').length,
                    js_links: document.querySelectorAll('a[href^="javascript:"]').length,
                    scripts: Array.from(document.querySelectorAll('[data-testid="stMain"] script'))
                                  .filter(s => s.textContent.includes('__pwned')).length,
                })"""
            )
            assert interpreted == {"pwned": False, "img": 0, "js_links": 0, "scripts": 0}, spec.title


def test_a_cookie_replayed_after_sign_out_is_refused(attack_server, new_context):
    """Issue 14: a copied cookie kept working for 24 hours after sign-out."""
    context = new_context()
    page = context.new_page()
    sp.sign_in(page, attack_server.base_url, "commissioner")
    copied = sp.wait_for_sign_in_cookie(context)
    assert copied["httpOnly"]
    page.get_by_role("button", name="Sign out").click()
    sp.wait_for_run(page)
    page.get_by_role("button", name="Sign in").wait_for()
    replay = _page_with_cookie(new_context, attack_server, copied["value"])
    assert not sp.is_signed_in(replay)
    replay.get_by_role("button", name="Sign in").wait_for()


def test_the_server_sends_security_headers_and_a_bare_readiness_answer(attack_server):
    import json
    import urllib.request

    with urllib.request.urlopen(attack_server.base_url + "/") as response:
        headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
    with urllib.request.urlopen(attack_server.base_url + "/api/ready") as response:
        assert json.load(response) == {"ready": True, "state": "ready"}
        assert response.headers["Referrer-Policy"] == "same-origin"
