"""The shared sidebar filters, kept in the URL so a link reproduces the view.

Each filter goes through ``ui.url_state.choice`` just before its widget: values read from the
URL are checked against the options the signed-in user may choose from (anything else is
ignored, and the data layer applies the user's scope regardless), and the values shown are
written back to the URL.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from data_access.lookups import contract_options, geography_options, hub_options
from data_access.scoping import AccessScope, ReferralFilters
from metrics import periods
from metrics.periods import Period
from ui import state, url_state

ALL = "All"
PERIOD_KINDS = {"month": "Month", "quarter": "Quarter", "contract_year": "Contract year", "custom": "Custom"}
COMPLEXITIES = ("LOW", "MEDIUM", "HIGH")
SERVICE_START = dt.date(2023, 9, 4)


@st.cache_data(ttl=600, show_spinner=False)
def _geography(_engine: Engine, key: str):
    return geography_options(_engine), hub_options(_engine)


@st.cache_data(ttl=600, show_spinner=False)
def _contracts(_engine: Engine, key: str, _scope: AccessScope):
    return contract_options(_engine, _scope)


DEFAULT_PERIOD_KIND = "quarter"


def default_period(as_of: dt.date) -> Period:
    """The period a new session shows: the latest quarter (of the service) up to ``as_of``."""
    return periods.periods_between(SERVICE_START, as_of, DEFAULT_PERIOD_KIND, SERVICE_START)[-1]


def _pdu_labels(geography) -> dict[str, str]:
    """PDU names with the dates they are in force, where bounded (DOMAIN.md Decision 8): a
    referral is counted in the PDU in force on its referral date."""
    labels = {ALL: ALL}
    for row in geography.drop_duplicates("pdu_name").itertuples(index=False):
        start, end = row.in_force_from, row.in_force_to
        if start is not None and not pd.isna(start):
            labels[row.pdu_name] = f"{row.pdu_name} (from {start:%d/%m/%Y})"
        elif end is not None and not pd.isna(end):
            labels[row.pdu_name] = f"{row.pdu_name} (until {end - dt.timedelta(days=1):%d/%m/%Y})"
        else:
            labels[row.pdu_name] = row.pdu_name
    return labels


@st.cache_data(ttl=600, show_spinner=False)
def _pdu_label_map(_engine: Engine, key: str) -> dict[str, str]:
    """:func:`_pdu_labels` of the geography, worked out once per database (the same ten minutes
    as the geography itself), not on every rerun of every page (~50 ms a run)."""
    return _pdu_labels(_geography(_engine, key)[0])


CUSTOM_SNAPPED = "filter_custom_snapped"  # session state: the sentence for a link's part-month period


def _custom_period(sidebar, pick, months: list[Period], as_of: dt.date) -> Period:
    """From and To as whole calendar months (docs/DISCLOSURE.md "Custom periods": every custom
    period is a union of the grid's months). A link's part-month dates are widened to the months
    they fall in, and the sidebar says so; dates outside the service's months are ignored."""
    starts = [m.start for m in months]
    ends = [m.end for m in months]
    link_dates: dict[str, tuple[dt.date, dt.date]] = {}

    def snapped(which: str, to_month):
        def parse(raw):
            day = url_state.parse_date(raw, starts[0], ends[-1])
            if day is None:
                return None
            link_dates[which] = (day, to_month(day))
            return to_month(day)
        return parse

    default_start = periods.month(as_of - dt.timedelta(days=62)).start
    pick(state.FILTER_CUSTOM_FROM, starts, max(default_start, starts[0]),
         from_text=snapped("from", lambda d: d.replace(day=1)))
    start = sidebar.selectbox("From", starts, format_func=lambda d: f"{d:%B %Y}", key=state.FILTER_CUSTOM_FROM,
                              help="Custom periods are whole calendar months.")
    pick(state.FILTER_CUSTOM_TO, ends, ends[-1], from_text=snapped("to", lambda d: periods.month(d).end))
    end = sidebar.selectbox("To (end of)", ends, format_func=lambda d: f"{d:%B %Y}", key=state.FILTER_CUSTOM_TO)
    if any(asked != shown for asked, shown in link_dates.values()):
        asked_start = link_dates.get("from", (start, start))[0]
        asked_end = link_dates.get("to", (end, end))[0]
        st.session_state[CUSTOM_SNAPPED] = (
            (start, end), f"{periods.WHOLE_MONTHS_RULE}: the link's {asked_start:%d %b %Y} – {asked_end:%d %b %Y} "
                          f"is shown as {start:%d %b %Y} – {end:%d %b %Y}.")
    note = st.session_state.get(CUSTOM_SNAPPED)
    if note is not None and note[0] == (start, end):
        sidebar.warning(note[1])
    if end < start:
        sidebar.error(f"The period ends ({end:%B %Y}) before it starts ({start:%B %Y}): showing {end:%B %Y}.")
        start = end.replace(day=1)
    return periods.custom(start, end)  # a calendar quarter chosen this way is its grid column too


def sidebar_filters(engine: Engine, scope: AccessScope, as_of: dt.date | None, url_key: str) -> tuple[ReferralFilters, Period]:
    """Render the shared filters; return the chosen filters and period."""
    as_of = as_of or dt.date.today()
    geography, hubs = _geography(engine, url_key)
    # The contracts a user may pick depend on the role and provider, not on who it is.
    contracts = _contracts(engine, f"{url_key}:{scope.role}:{scope.provider_id}:{scope.region_code}", scope)
    period_lists = {
        kind: periods.periods_between(SERVICE_START, as_of, kind, SERVICE_START)
        for kind in ("month", "quarter", "contract_year")
    }
    params = state.QUERY_PARAMS

    def pick(key, options, default, **kw):
        # The address's value (checked against what this user may choose) before the widget.
        return url_state.choice(key, params[key], options, default, **kw)

    sidebar = st.sidebar
    sidebar.header("Filters")
    pick(state.FILTER_PERIOD_KIND, list(PERIOD_KINDS), DEFAULT_PERIOD_KIND)
    kind = sidebar.selectbox("Period", list(PERIOD_KINDS), format_func=PERIOD_KINDS.get, key=state.FILTER_PERIOD_KIND)
    if kind == "custom":
        url_state.forget(params[state.FILTER_PERIOD_VALUE])
        period = _custom_period(sidebar, pick, period_lists["month"], as_of)
    else:
        url_state.forget(params[state.FILTER_CUSTOM_FROM], params[state.FILTER_CUSTOM_TO])
        choices = {p.key(): p for p in reversed(period_lists[kind])}
        pick(state.FILTER_PERIOD_VALUE, list(choices), next(iter(choices)))
        period_value = sidebar.selectbox(
            "Which", list(choices), format_func=lambda k: choices[k].label, key=state.FILTER_PERIOD_VALUE
        )
        period = choices[period_value]

    region_names = sorted(geography["region_name"].unique())
    pick(state.FILTER_REGION, [ALL, *region_names], ALL, omit=(ALL,))
    region = sidebar.selectbox("Region", [ALL, *region_names], key=state.FILTER_REGION)
    in_region = geography if region == ALL else geography[geography["region_name"] == region]
    pdu_choices = [ALL, *sorted(in_region["pdu_name"].unique())]
    pick(state.FILTER_PDU, pdu_choices, ALL, omit=(ALL,))
    pdu = sidebar.selectbox("PDU", pdu_choices, key=state.FILTER_PDU, format_func=_pdu_label_map(engine, url_key).get)
    in_pdu = in_region if pdu == ALL else in_region[in_region["pdu_name"] == pdu]
    borough_choices = [ALL, *sorted(in_pdu["borough_name"].unique())]
    pick(state.FILTER_BOROUGH, borough_choices, ALL, omit=(ALL,))
    borough = sidebar.selectbox("Borough", borough_choices, key=state.FILTER_BOROUGH)
    borough_ids = in_pdu.loc[in_pdu["borough_name"] == borough, "borough_id"].unique()
    hub_rows = hubs[hubs["borough_id"].isin(borough_ids)] if borough != ALL else hubs[hubs["borough_id"].isin(in_pdu["borough_id"])]
    hub_choices = [ALL, *hub_rows["hub_name"]]
    pick(state.FILTER_HUB, hub_choices, ALL, omit=(ALL,))
    hub = sidebar.selectbox("Hub", hub_choices, key=state.FILTER_HUB)
    contract_choices = [ALL, *contracts["reference"]]
    pick(state.FILTER_CONTRACT, contract_choices, ALL, omit=(ALL,))
    contract = sidebar.selectbox("Contract", contract_choices, key=state.FILTER_CONTRACT)
    pick(state.FILTER_COMPLEXITY, [ALL, *COMPLEXITIES], ALL, omit=(ALL,))
    complexity = sidebar.selectbox(
        "Complexity", [ALL, *COMPLEXITIES], key=state.FILTER_COMPLEXITY, format_func=lambda c: c.title()
    )

    def _one(frame, column, match_column, value):
        if value == ALL:
            return None
        found = frame.loc[frame[match_column] == value, column]
        if found.empty:
            return None
        # Region codes are text (object column: a Python str, which has no .item()); the
        # numeric ids are numpy scalars, turned into Python ints for the query parameters.
        first = found.iloc[0]
        return first.item() if hasattr(first, "item") else first

    filters = ReferralFilters(
        region_code=_one(geography, "region_code", "region_name", region),
        pdu_number=_one(geography, "pdu_number", "pdu_name", pdu),
        borough_id=_one(geography, "borough_id", "borough_name", borough),
        hub_id=_one(hubs, "hub_id", "hub_name", hub),
        contract_id=_one(contracts, "contract_id", "reference", contract),
        complexity=None if complexity == ALL else complexity,
        extra={"Region": region, "PDU": pdu, "Borough": borough, "Hub": hub, "Contract": contract,
               "Complexity": complexity.title() if complexity != ALL else ALL},
    )
    return filters, period


def filter_labels(filters: ReferralFilters, period: Period) -> dict[str, str]:
    """Human-readable description of the view, for captions and exports."""
    labels = {"Period": period.label}
    labels.update({name: str(value) for name, value in filters.extra.items() if value != ALL})
    return labels


def area_labels(filters: ReferralFilters, period: Period) -> dict[str, str]:
    """The view's filters other than its period (for views the period does not apply to)."""
    return {name: value for name, value in filter_labels(filters, period).items() if name != "Period"}
