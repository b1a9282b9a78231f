"""Maps: Greater Manchester boroughs, hubs and reach; England and Wales regions."""

import dataclasses

import streamlit as st

from data_access.map_data import demand_unit_figures, hub_figures
from metrics.epop_views import region_action_plan_progress
from geo.maps import GM_MEASURES, gm_map, regions_map
from ui.context import page_context
from ui.panel_data import shared_scope

BASEMAPS = {"None (works offline)": None, "Light": "light", "Dark": "dark"}


# Keyed on the database, its data version and the access scope without the username, so
# colleagues with the same access share the figures and an import shows at once.
@st.cache_data(ttl=3600, show_spinner=False)
def _gm_figures(_engine, url, version, scope, filters, start, end):
    return (demand_unit_figures(_engine, scope, filters, start, end),
            hub_figures(_engine, scope, filters, start, end))


@st.cache_data(ttl=3600, show_spinner=False)
def _region_progress(_engine, url, version, _user, role, region_code, as_of):
    return region_action_plan_progress(_engine, _user, as_of)


# The built maps (layers, tooltips and the deck's JSON) are shared by every session with the
# same view: building and serialising them on each rerun was most of this page's time.
@st.cache_resource(ttl=3600, max_entries=64, show_spinner=False)
def _gm_map(_units, _hubs, key: str, *, measure, start, end, as_of, show_reach, basemap):
    figure = gm_map(_units, _hubs, measure=measure, start=start, end=end, as_of=as_of, show_reach=show_reach,
                    basemap=basemap)
    return dataclasses.replace(figure, deck=figure.deck.prebuilt())


@st.cache_resource(ttl=3600, max_entries=64, show_spinner=False)
def _regions_map(_progress, key: str, *, as_of, selected_region, basemap):
    figure = regions_map(_progress, title="EPOP action plan: % of due actions complete", as_of=as_of,
                         selected_region=selected_region, unit="%", basemap=basemap)
    return dataclasses.replace(figure, deck=figure.deck.prebuilt())


def _show(figure, key: str) -> None:
    left, right = st.columns([3, 2])
    with left:
        st.pydeck_chart(figure.deck, key=f"map_{key}", height=520)
    with right:
        st.dataframe(figure.table, hide_index=True, key=f"tbl_{key}")
        st.caption("Legend (symbol, band):")
        st.dataframe(figure.legend[["symbol", "band"]], hide_index=True, key=f"leg_{key}")
    for note in figure.notes:
        st.caption(note)


ctx = page_context()
st.title("Maps")
basemap = BASEMAPS[st.selectbox("Basemap", list(BASEMAPS), key="maps_basemap",
                                help="A basemap needs internet access; boundaries draw without one.")]

if ctx.scope.sees_referrals:
    st.subheader("Greater Manchester: referrals, hubs and reach")
    measure = st.radio("Shade boroughs by", list(GM_MEASURES), format_func=GM_MEASURES.get,
                       horizontal=True, key="maps_gm_measure")
    # Off by default: the reach layer draws a point per postcode cell, which is slow to
    # render without a GPU; the reach figures are always in the table beside the map.
    show_reach = st.toggle("Show reach (distance to nearest hub)", value=False, key="maps_reach")
    view = (ctx.settings.database_url, ctx.data_version, shared_scope(ctx.scope), ctx.filters.describe())
    units, hubs = _gm_figures(ctx.engine, ctx.settings.database_url, ctx.data_version, shared_scope(ctx.scope),
                              ctx.filters, ctx.period.start, ctx.period.end)
    _show(_gm_map(units, hubs, repr(view), measure=measure, start=ctx.period.start, end=ctx.period.end,
                  as_of=ctx.as_of, show_reach=show_reach, basemap=basemap), "gm")

st.subheader("England and Wales: the 12 probation regions")
progress = _region_progress(ctx.engine, ctx.settings.database_url, ctx.data_version, ctx.user, ctx.user.role,
                            ctx.user.region_code, ctx.as_of)
region = st.selectbox("Show PDUs of region", ["All"] + list("ABCDEFGHIJKL"), key="maps_region")
_show(_regions_map(progress, repr((ctx.settings.database_url, ctx.data_version, ctx.user.role, ctx.user.region_code)),
                   as_of=ctx.as_of, selected_region=None if region == "All" else region, basemap=basemap),
      "regions")
