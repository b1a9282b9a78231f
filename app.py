"""Entry point: sign-in, role-filtered navigation and the shared filters. Nothing else.

Run with ``streamlit run app.py``. On first run against an empty database it creates the
schema, loads the reference data and (unless DASHBOARD_SEED_DEMO=0) the demo data.
"""

from __future__ import annotations

import streamlit as st

from data_access.settings import ASSETS_DIR, Settings
from ui import auth, menu, navigation, styles, url_state, view
from ui.text import plain
from ui.context import PageContext, data_as_of, data_version, engine_for, load_user, set_context
from ui.filters import sidebar_filters
from metrics.periods import quarter

# The favicon is a local file (served by this server): a Material icon made every browser fetch it from the internet.
st.set_page_config(page_title="GM probation commissioning dashboard", page_icon=str(ASSETS_DIR / "favicon.png"),
                   layout="wide")
styles.inject_styles()  # print styles and screen accessibility fixes
settings = Settings.from_env()
engine = engine_for(settings)
set_context(None)


def _sign_in_page() -> None:
    try:
        if auth.signed_in_username(engine, settings):
            st.rerun()  # signed in (form or cookie): build this user's navigation
    except auth.InsecureConfiguration as exc:
        st.error(str(exc))


username = st.session_state.get("username") if st.session_state.get("authentication_status") else None
if username is not None and not auth.check_session(engine, settings):
    username = None  # signed out elsewhere, password changed, account disabled, or idle too long
if username is None:
    # Always route through st.navigation so no page file is reachable before sign-in. The form
    # answers at every page's address too, so a shared link opened before signing in lands on
    # that page once signed in (if the role may use it) rather than on "Page not found".
    addresses = ["sign-in", *navigation.url_paths()]
    url_state.stash()  # a shared link's filters and choices, kept until signed in (ui/url_state.py)
    st.navigation([st.Page(_sign_in_page, title="Sign in", url_path=a) for a in addresses], position="hidden").run()
    st.stop()

loaded = load_user(engine, username)
if loaded is None:  # deactivated or removed since signing in
    auth.sign_out(engine, settings)
    st.rerun()
user, scope = loaded
auth.keep_sign_in_cookie(engine, settings)
url_state.unstash()  # the link's query string, if signing in lost it, before any widget is drawn
page = menu.navigate(user.role)  # registers only the role's pages; draws the sidebar menu

with st.sidebar:
    st.markdown(f"**{plain(user.display_name)}**  \nRole: {user.role.replace('_', ' ')}")
    if st.button("Sign out", key="sign_out"):
        auth.sign_out(engine, settings)
        st.rerun()

version = data_version(engine, settings.database_url)
as_of = data_as_of(engine, settings.database_url, version)
if scope.sees_referrals:
    filters, period = sidebar_filters(engine, scope, as_of, settings.database_url)
else:
    from data_access.scoping import ReferralFilters
    import datetime as dt

    filters, period = ReferralFilters(), quarter(as_of or dt.date.today())
view_link = st.sidebar.empty()  # "Link to this view", under the filters (filled below)

set_context(PageContext(engine=engine, settings=settings, user=user, scope=scope, filters=filters,
                        period=period, as_of=as_of, data_version=version))
# The link box is drawn before the page (so it shows even if the page stops early) and again after it,
# with the page's own choices in the address. The default page's url_path is "": link its own address.
landing = navigation.landing_page(user.role)
page_path = page.url_path or (landing.url_path if landing else "")
view.link_box(view_link, settings.base_url, page_path)
page.run()
view.link_box(view_link, settings.base_url, page_path)
