"""HTTP security headers on every response of the server (serve.py adds this middleware).

Streamlit sets none of these itself. What can be set without breaking the app:

- ``X-Content-Type-Options: nosniff``; ``Referrer-Policy: same-origin``;
- ``X-Frame-Options: SAMEORIGIN`` and CSP ``frame-ancestors 'self'``: no other site can frame the
  dashboard (clickjacking), while Streamlit's own component iframes still load;
- CSP ``object-src 'none'; base-uri 'self'; form-action 'self'``. A CSP that restricts scripts
  and styles is not possible: Streamlit's front end uses inline styles and components use inline
  scripts, so ``script-src``/``style-src`` are left to the front end;
- ``Permissions-Policy`` turning off camera, microphone, geolocation and payment;
- ``Strict-Transport-Security`` only when the request came over HTTPS (directly or per the
  proxy's ``X-Forwarded-Proto``), never on plain HTTP where it would be ignored or misleading.

A header a route set itself is left as it is. WebSocket traffic has no response headers.
"""

from __future__ import annotations

HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"SAMEORIGIN",
    b"referrer-policy": b"same-origin",
    b"content-security-policy": b"frame-ancestors 'self'; object-src 'none'; base-uri 'self'; form-action 'self'",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = (b"strict-transport-security", b"max-age=31536000")


def _is_https(scope) -> bool:
    if scope.get("scheme") == "https":
        return True
    for name, value in scope.get("headers", ()):
        if name == b"x-forwarded-proto":
            return value.split(b",")[0].strip().lower() == b"https"
    return False


class SecurityHeaders:
    """Pure ASGI middleware (so streamed responses are not buffered)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = dict(HEADERS)
        if _is_https(scope):
            extra[HSTS[0]] = HSTS[1]

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra.items() if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
