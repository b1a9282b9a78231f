"""The sign-in cookie's endpoint (ui/session_cookie.py): HttpOnly, SameSite=Strict, Secure over
HTTPS, minted only from a fresh ticket of the user's current token version; and a cookie replayed
after sign-out is refused."""

from __future__ import annotations

import datetime as dt
import json as _json

import pytest
from starlette.requests import Request

from data_access import accounts
from data_access.db import make_engine
from data_access.settings import DEMO_COOKIE_KEY
from tests.app.conftest import app_env, demo_db_url  # noqa: F401 - fixtures
from tests.security.conftest import run_coroutine
from ui import auth, session_cookie


class _Client:
    """Calls the endpoint with a real starlette Request (no HTTP client library needed)."""

    def _call(self, method: str, body: bytes = b"", headers: dict | None = None):
        raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        scope = {"type": "http", "method": method, "path": "/api/session", "headers": raw, "query_string": b"",
                 "scheme": "http", "server": ("dashboard.test", 80), "client": ("10.0.0.5", 5000)}

        async def receive():
            return {"type": "http.request", "body": body, "more_body": False}

        return run_coroutine(session_cookie.session_endpoint(Request(scope, receive)))

    def post(self, path, *, json=None, content=b"", headers=None):
        return self._call("POST", _json.dumps(json).encode() if json is not None else content, headers)

    def delete(self, path):
        return self._call("DELETE")


@pytest.fixture()
def client(app_env):
    return _Client()


def _ticket(engine, username="national"):
    version = accounts.current_version(engine, username)
    return accounts.issue_token(username, version, DEMO_COOKIE_KEY, purpose=accounts.COOKIE_TICKET,
                                lifetime=dt.timedelta(seconds=60))


def _set_cookie(response) -> str:
    return response.headers.get("set-cookie", "")


def test_a_ticket_is_exchanged_for_an_httponly_strict_cookie(client, app_env):
    engine = make_engine(app_env)
    response = client.post("/api/session", json={"ticket": _ticket(engine)})
    assert response.status_code == 200
    header = _set_cookie(response)
    assert header.startswith(f"{auth.COOKIE_NAME}=")
    assert "HttpOnly" in header and "SameSite=strict" in header and "Path=/" in header
    assert "Secure" not in header  # plain HTTP: a Secure cookie would never come back
    cookie = header.split(";")[0].split("=", 1)[1]
    assert accounts.user_for_token(engine, cookie, DEMO_COOKIE_KEY)[0] == "national"
    # Behind a proxy that terminates TLS, the cookie is Secure.
    behind_tls = client.post("/api/session", json={"ticket": _ticket(engine)}, headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in _set_cookie(behind_tls)


def test_a_replayed_cookie_after_sign_out_is_refused_and_its_ticket_mints_nothing(client, app_env):
    engine = make_engine(app_env)
    ticket = _ticket(engine)
    cookie = _set_cookie(client.post("/api/session", json={"ticket": ticket})).split(";")[0].split("=", 1)[1]
    accounts.sign_out(engine, "national")
    assert accounts.user_for_token(engine, cookie, DEMO_COOKIE_KEY) is None
    assert client.post("/api/session", json={"ticket": ticket}).status_code == 403
    removed = client.delete("/api/session")
    assert removed.status_code == 204 and "Max-Age=0" in _set_cookie(removed)


@pytest.mark.parametrize("body", [b"", b"not json", b'{"ticket": 5}', b'{"ticket": "a.b.c"}', b"x" * 10_000])
def test_anything_but_a_valid_ticket_is_refused(client, body):
    response = client.post("/api/session", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code in (403, 413) and not _set_cookie(response)


def test_a_session_cookie_is_not_a_ticket(client, app_env):
    engine = make_engine(app_env)
    session = accounts.issue_token("national", accounts.current_version(engine, "national"), DEMO_COOKIE_KEY,
                                   purpose=accounts.SESSION, lifetime=dt.timedelta(days=1))
    assert client.post("/api/session", json={"ticket": session}).status_code == 403
