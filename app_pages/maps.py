"""Maps: Greater Manchester demand units, hubs, PDUs and reach; England and Wales regions."""

import dataclasses
import datetime as dt

import streamlit as st

from data_access.map_data import demand_unit_figures, gm_pdus_in_force, hub_figures
from geo.boundaries import load_regions
from metrics.epop_views import region_action_plan_progress
from geo.maps import GM_MEASURES, gm_map, regions_map
from metrics.panels import suppressed_column
from ui import state, url_state
from ui.context import page_context
from ui.view import heading
from ui.map_view import clicked, show_map
from ui.panel_data import shared_scope

BASEMAPS = {"None (works offline)": None, "Light": "light", "Dark": "dark"}
REGIONS = dict(load_regions()[["region_code", "region_name"]].itertuples(index=False))


# Keyed on the database, its data version and the access scope without the username, so
# colleagues with the same access share the figures and an import shows at once. Counts of
# 1–4 referrals are hidden (DOMAIN.md) before anything is drawn, tooltips included.
@st.cache_data(ttl=3600, show_spinner=False)
def _gm_figures(_engine, url, version, scope, filters, start, end, threshold, today):
    units = demand_unit_figures(_engine, scope, filters, start, end)
    hubs = hub_figures(_engine, scope, filters, start, end)
    for frame in (units, hubs):
        shown, numbers, _note = suppressed_column(frame["referrals"], threshold, "referrals")
        frame["referrals"], frame["referrals_shown"] = numbers, shown
    return units, hubs, gm_pdus_in_force(_engine, today)


@st.cache_data(ttl=3600, show_spinner=False)
def _region_progress(_engine, url, version, _user, role, region_code, as_of):
    return region_action_plan_progress(_engine, _user, as_of)


# The built maps (layers, tooltips and the deck's JSON) are shared by every session with the
# same view; the same JSON on a rerun that changes nothing is not sent to the browser again
# (Streamlit sends a reference to a message the browser already holds).
@st.cache_resource(ttl=3600, max_entries=64, show_spinner=False)
def _gm_map(_units, _hubs, _pdus, key: str, **options):
    figure = gm_map(_units, _hubs, pdus=_pdus, **options)
    return dataclasses.replace(figure, deck=figure.deck.prebuilt())


@st.cache_resource(ttl=3600, max_entries=64, show_spinner=False)
def _regions_map(_progress, key: str, **options):
    figure = regions_map(_progress, title="EPOP action plan: % of due actions complete", unit="%", **options)
    return dataclasses.replace(figure, deck=figure.deck.prebuilt())


def _borough_clicked() -> None:
    """A click on a demand unit or hub selects its borough (and hub) in the sidebar filters."""
    unit, hub = clicked("map_gm", "gm_units"), clicked("map_gm", "hubs")
    if unit or hub:
        st.session_state[state.FILTER_PDU] = "All"
        st.session_state[state.FILTER_BOROUGH] = (unit or hub)["borough"]
        st.session_state[state.FILTER_HUB] = hub["name"] if hub else "All"


def _region_clicked() -> None:
    region = clicked("map_regions", "regions")
    if region:
        st.session_state["maps_region"] = region["region_code"]


ctx = page_context()
heading(ctx, "Maps")
url_state.choice("maps_basemap", "basemap", list(BASEMAPS), next(iter(BASEMAPS)), text=lambda b: b.split()[0].lower())
basemap = BASEMAPS[st.selectbox("Basemap", list(BASEMAPS), key="maps_basemap",
                                help="A basemap needs internet access; boundaries draw without one.")]

# One map at a time: each deck is its own WebGL context, which a browser without a GPU
# compiles and draws in software; the map in the other tab is drawn when it is opened.
TABS = ["Greater Manchester", "England and Wales"]  # ?map=gm|national
url_state.choice("maps_tab", "map", TABS, TABS[0], omit=(TABS[0],),
                 text=lambda t: "national" if t == TABS[1] else "gm")
gm_tab, national_tab = st.tabs(TABS, key="maps_tab", on_change="rerun") if ctx.scope.sees_referrals else (
    None, st.container())
if gm_tab is not None:
    gm_tab.subheader("Greater Manchester: referrals, hubs, PDUs and reach")
    url_state.choice("maps_gm_measure", "shade", list(GM_MEASURES), next(iter(GM_MEASURES)), label="Shading")
    measure = gm_tab.radio("Shade demand units by", list(GM_MEASURES), format_func=GM_MEASURES.get,
                       horizontal=True, key="maps_gm_measure")
    # Reach is worked out when hubs are saved; the toggle only adds its (light) layer.
    url_state.choice("maps_reach", "reach", (False, True), False, omit=(False,))
    show_reach = gm_tab.toggle("Show reach (straight-line distance to the nearest hub)", key="maps_reach")
    # The map shows every demand unit: the geography filters pick the one described beside it.
    every_area = dataclasses.replace(ctx.filters, region_code=None, pdu_number=None, borough_id=None, hub_id=None)
    today = dt.date.today()
    view = (ctx.settings.database_url, ctx.data_version, shared_scope(ctx.scope), every_area.describe(), today)
    units, hubs, pdus = _gm_figures(ctx.engine, ctx.settings.database_url, ctx.data_version, shared_scope(ctx.scope),
                                    every_area, ctx.period.start, ctx.period.end, ctx.settings.suppression_threshold,
                                    today)
    borough = ctx.filters.extra.get("Borough")
    borough = None if borough in (None, "All") else borough
    figure = _gm_map(units, hubs, pdus, repr((view, borough)), measure=measure, start=ctx.period.start,
                     end=ctx.period.end, as_of=ctx.as_of, show_reach=show_reach, basemap=basemap,
                     selected_borough=borough)
    with gm_tab:
        show_map(figure, "map_gm", on_click=_borough_clicked, selected=borough)

national_tab.subheader("England and Wales: the 12 probation regions")
progress = _region_progress(ctx.engine, ctx.settings.database_url, ctx.data_version, ctx.user, ctx.user.role,
                            ctx.user.region_code, ctx.as_of)
url_state.choice("maps_region", "show_region", ["All", *REGIONS], "All", omit=("All",))
region = national_tab.selectbox("Show PDUs of region", ["All", *REGIONS], key="maps_region",
                                format_func=lambda c: c if c == "All" else f"{c} {REGIONS[c]}")
selected_region = None if region == "All" else region
with national_tab:
    show_map(_regions_map(progress, repr((ctx.settings.database_url, ctx.data_version, ctx.user.role,
                                          ctx.user.region_code)),
                          as_of=ctx.as_of, selected_region=selected_region, basemap=basemap,
                          own_region=ctx.user.region_code if ctx.user.role == "epop_spoc" else None),
             "map_regions", on_click=_region_clicked, selected=selected_region)
