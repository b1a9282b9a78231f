"""Run the dashboard as a replica behind a load balancer: ``streamlit run serve.py``.

The same dashboard as ``streamlit run app.py`` (every page, sign-in and filter is app.py's), with
two additions for a server that people reach through a load balancer:

- as it starts, the replica warms itself in the background (ui.warm): it imports the pages'
  libraries, opens the database (creating and seeding it on a first run) and computes each
  active access scope's first views into the shared cache;
- ``GET /api/ready`` answers 503 until that is done and 200 after (JSON with the warm-up's
  state, seconds, scopes and panels). Point the load balancer's readiness check at it; the
  liveness check stays ``GET /_stcore/health``;
- ``POST``/``DELETE /api/session`` set and remove the HttpOnly sign-in cookie (ui/session_cookie.py);
- security headers on every response (ui/security_headers.py) and no built-in table export.
"""

from __future__ import annotations

import contextlib

import streamlit as st
from starlette.middleware import Middleware
from starlette.routing import Route
from streamlit import config

from ui import session_cookie, warm
from ui.security_headers import SecurityHeaders

# Streamlit's own "Download as CSV" (and copy) on every table would hand out cells a spreadsheet
# runs as formulas; the app's own downloads neutralise them (domain.export), so the built-in
# export is off (also in .streamlit/config.toml, for ``streamlit run app.py``).
config.set_option("client.disableDataExport", True)


@contextlib.asynccontextmanager
async def lifespan(_app):
    warm.start_in_background()
    yield


app = st.App("app.py", lifespan=lifespan, middleware=[Middleware(SecurityHeaders)], routes=[
    Route("/api/ready", warm.ready_endpoint),
    Route("/api/session", session_cookie.session_endpoint, methods=["POST", "DELETE"]),
])
