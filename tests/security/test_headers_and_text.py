"""Security headers, no built-in table export, and imported text shown as text (issue 14, part 6)."""

from __future__ import annotations

import tomllib

from data_access.settings import PROJECT_ROOT
from tests.security.conftest import run_coroutine
from ui.security_headers import SecurityHeaders
from ui.text import plain


def _call(scope_extra: dict | None = None, route_headers: list | None = None) -> dict[bytes, bytes]:
    sent = []

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": list(route_headers or [])})
        await send({"type": "http.response.body", "body": b"ok"})

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "scheme": "http", "headers": [], **(scope_extra or {})}
    run_coroutine(SecurityHeaders(app)(scope, None, send))
    return dict(sent[0]["headers"])


def test_every_response_gets_the_security_headers():
    headers = _call()
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert headers[b"x-frame-options"] == b"SAMEORIGIN"
    assert b"frame-ancestors 'self'" in headers[b"content-security-policy"]
    assert headers[b"referrer-policy"] == b"same-origin"
    assert b"strict-transport-security" not in headers  # plain HTTP


def test_hsts_only_over_https_and_a_routes_own_header_is_kept():
    assert b"strict-transport-security" in _call({"headers": [(b"x-forwarded-proto", b"https")]})
    assert b"strict-transport-security" in _call({"scheme": "https"})
    own = _call(route_headers=[(b"referrer-policy", b"no-referrer")])
    assert own[b"referrer-policy"] == b"no-referrer"


def test_streamlits_own_table_download_is_off():
    """Its "Download as CSV" does not neutralise formulas; the app's own downloads do."""
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True
    assert 'config.set_option("client.disableDataExport", True)' in (PROJECT_ROOT / "serve.py").read_text()


def test_imported_text_is_escaped_for_markdown():
    for hostile in ("![i](http://x/y.png)", "[click me](javascript:alert(1))", "**bold** :red[x] $x$",
                    "<img src=x onerror=alert(1)>", "# heading"):
        escaped = plain(hostile)
        assert not any(f"{c}" in escaped.replace(f"\\{c}", "") for c in "[]()*:$<>!#")
    assert plain("EPOP plan  for\nGreater Manchester") == "EPOP plan  for Greater Manchester".replace("  ", " ")
