"""What view a page shows, said in words: under the page's title, in download file names, and as
a link to the same view (the address holds every filter and page choice, ``ui.url_state``).

Pages call :func:`heading` instead of ``st.title``; ``app.py`` draws :func:`link_box` in the
sidebar.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import streamlit as st

from data_access.scoping import ReferralFilters
from metrics.periods import Period
from ui import url_state
from ui.context import PageContext

ALL = "All"
#: The geography filters, most specific last; each named as chosen.
GEOGRAPHY = ("Region", "PDU", "Borough", "Hub")


def statement(filters: ReferralFilters | None, period: Period | None, *, sees_referrals: bool = True,
              choices: dict[str, str] | None = None, everywhere: str = "All areas") -> str:
    """The view in one line: "2025/26 Q4 (Jan–Mar 2026) · Salford · High complexity".

    Geography names as chosen (all of them, broadest first), or "All areas" for a role that
    sees referrals and chose none (``everywhere``); the contract; the complexity; then any page choices as
    "label: value"."""
    parts: list[str] = []
    if sees_referrals and period is not None:
        parts.append(period.label)
        extra = filters.extra if filters is not None else {}
        places = [str(extra[name]) for name in GEOGRAPHY if extra.get(name) not in (None, ALL)]
        parts.append(" · ".join(places) if places else everywhere)
        if extra.get("Contract") not in (None, ALL):
            parts.append(f"Contract {extra['Contract']}")
        if extra.get("Complexity") not in (None, ALL):
            parts.append(f"{extra['Complexity']} complexity")
    for label, shown in (choices or {}).items():
        parts.append(f"{label}: {shown}")
    return " · ".join(parts)


def current_statement(ctx: PageContext | None = None, *, with_choices: bool = True) -> str:
    """:func:`statement` for the page being drawn (with the page choices made so far)."""
    from ui.context import current_context

    ctx = ctx or current_context()
    if ctx is None:
        return ""
    # A provider sees its own contract's referrals only: "All areas" would overstate the view.
    everywhere = "All areas of your contract" if ctx.scope.role == "provider" else "All areas"
    return statement(ctx.filters, ctx.period, sees_referrals=ctx.scope.sees_referrals,
                     choices=url_state.recorded() if with_choices else None, everywhere=everywhere)


def file_name(stem: str, view: str, suffix: str = ".csv", *, limit: int = 150) -> str:
    """``stem`` and the view as a safe file name: "kpis_scorecard - 2025-26 Q4 (Jan-Mar 2026) - Salford.csv"."""
    text = view.replace("/", "-").replace("–", "-").replace("·", "-")
    text = re.sub(r"[^\w\s().,&+-]", "", text)
    text = re.sub(r"\s+", " ", text).strip(" -.")
    name = f"{stem} - {text}" if text else stem
    return name[:limit].rstrip(" -.") + suffix


def heading(ctx: PageContext, title: str) -> None:
    """The page's title, and under it the view it shows (period, areas, complexity)."""
    st.title(title)
    words = current_statement(ctx, with_choices=False)
    if words:
        st.caption(f"Showing: {words}", help="Every filter and choice on this page is kept in the address: "
                   "use 'Link to this view' in the sidebar to share it.")


def view_link(base_url: str | None, url_path: str, params: dict[str, list[str]]) -> str:
    """The address of this view: ``base_url`` (DASHBOARD_BASE_URL) if set, else a relative link."""
    query = urlencode([(name, value) for name, values in params.items() for value in values])
    path = "/" + url_path.strip("/")
    root = (base_url or "").rstrip("/")
    return f"{root}{path}" + (f"?{query}" if query else "")


def link_box(where, base_url: str | None, url_path: str) -> None:
    """'Link to this view' in ``where`` (an ``st.empty`` in the sidebar): the address with every
    filter and choice, with Streamlit's copy button."""
    params = {name: st.query_params.get_all(name) for name in st.query_params}
    with where.container():
        st.markdown("**Link to this view**", help="Copy this link to share exactly what you see: the page, its "
                    "filters and its choices. Whoever opens it signs in and sees the same view, within what "
                    "their role may see.")
        st.code(view_link(base_url, url_path, params), language=None, wrap_lines=True)
