"""``POST /api/session`` and ``DELETE /api/session`` (serve.py): the HttpOnly sign-in cookie.

Streamlit cannot set a cookie from a script run, and a cookie written by page JavaScript cannot
be HttpOnly. So after a sign-in the page posts the one-minute ticket it was given (ui/auth.py) here,
and this answers with ``Set-Cookie``: HttpOnly (no page script can read it), SameSite=Strict,
Path=/, and Secure when the request came over HTTPS (directly, or per the proxy's
``X-Forwarded-Proto``; DASHBOARD_COOKIE_SECURE forces it either way). The ticket is checked
like the cookie itself: signed with the cookie key, unexpired, for this purpose, and issued for
the user's current token version (so a ticket from before a sign-out mints nothing).
"""

from __future__ import annotations

import datetime as dt
import functools
import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from data_access import accounts
from data_access.db import make_engine
from data_access.settings import Settings
from ui import auth

MAX_BODY_BYTES = 4096
NO_STORE = {"Cache-Control": "no-store"}


@functools.lru_cache(maxsize=4)
def server_engine(url: str):
    """An engine for the server's own routes (they run outside any script run, without its caches)."""
    return make_engine(url)


def secure_request(request: Request, settings: Settings) -> bool:
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    forwarded = (request.headers.get("x-forwarded-proto") or "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def _mint(settings: Settings, ticket: str | None) -> str | None:
    engine = server_engine(settings.database_url)
    demo = auth.is_demo(engine)
    key = auth.cookie_key(settings, demo=demo)
    found = accounts.user_for_token(engine, ticket, key, purpose=accounts.COOKIE_TICKET, demo_database=demo)
    if found is None:
        return None
    return accounts.issue_token(*found, key, purpose=accounts.SESSION,
                                lifetime=dt.timedelta(days=settings.cookie_expiry_days))


async def session_endpoint(request: Request) -> Response:
    settings = Settings.from_env()
    secure = secure_request(request, settings)
    if request.method == "DELETE":
        response = Response(status_code=204, headers=NO_STORE)
        response.delete_cookie(auth.COOKIE_NAME, path="/", httponly=True, samesite="strict", secure=secure)
        return response
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return JSONResponse({"ok": False}, status_code=413, headers=NO_STORE)
    try:
        ticket = json.loads(body or b"{}").get("ticket")
    except (ValueError, AttributeError):
        ticket = None
    try:
        token = await run_in_threadpool(_mint, settings, ticket if isinstance(ticket, str) else None)
    except auth.InsecureConfiguration:
        token = None
    if token is None:
        return JSONResponse({"ok": False}, status_code=403, headers=NO_STORE)
    response = JSONResponse({"ok": True}, headers=NO_STORE)
    response.set_cookie(auth.COOKIE_NAME, token, max_age=int(settings.cookie_expiry_days * 86_400), path="/",
                        httponly=True, secure=secure, samesite="strict")
    return response
