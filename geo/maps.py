"""Map figures for the Maps page: each returns the Deck *and* the table of the same figures.

Pure: frames in, :class:`MapFigure` out (no Streamlit, no database).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import pydeck as pdk

from geo import layers
from geo.boundaries import load_gm_demand_units, load_pdus, load_regions
from geo.paths import ATTRIBUTION
from geo.reach import reach_by_borough, reach_cells

GM_MEASURES = {
    "forecast": "Referrals against the 40–60% forecast band",
    "rate": "Referrals per 100 people in the community caseload",
}


@dataclass(frozen=True)
class MapFigure:
    deck: pdk.Deck
    table: pd.DataFrame
    legend: pd.DataFrame
    notes: tuple[str, ...]


def _pro_rate(bound: pd.Series, start: dt.date, end: dt.date, forecast_days: pd.Series) -> pd.Series:
    # Decision 1 (DOMAIN.md): the published range is annual, pro-rated by days to the period.
    days = (end - start).days + 1
    return bound.astype(float) * days / forecast_days.astype(float)


def gm_map(units: pd.DataFrame, hubs: pd.DataFrame, *, measure: str, start: dt.date,
           end: dt.date, as_of: dt.date | None, show_reach: bool = True,
           basemap: str | None = None) -> MapFigure:
    """Greater Manchester: demand units shaded by ``measure``, hubs, optional reach layer.

    ``units``: ``name`` (demand unit as in the demand table), ``referrals``, ``base_count``,
    ``predicted_low``, ``predicted_high``, ``period_days``.
    ``hubs``: ``name``, ``borough``, ``latitude``, ``longitude``, ``referrals``.
    """
    shapes = load_gm_demand_units()
    frame = shapes.merge(units, on="name", how="left")
    frame["forecast_low"] = _pro_rate(frame["predicted_low"], start, end, frame["period_days"])
    frame["forecast_high"] = _pro_rate(frame["predicted_high"], start, end, frame["period_days"])
    frame["rate_per_100"] = frame["referrals"] / frame["base_count"] * 100
    frame["forecast_key"] = [
        layers.forecast_band(r, lo, hi)
        for r, lo, hi in zip(frame["referrals"], frame["forecast_low"], frame["forecast_high"])
    ]
    if measure == "forecast":
        scheme, keys = layers.FORECAST_BANDS, frame["forecast_key"]
    else:
        scheme, keys = layers.sequential_bands(frame["rate_per_100"], GM_MEASURES["rate"])
    when = layers.as_of_text(as_of)
    frame["band"] = [scheme.band(k).text for k in keys]
    frame["approx"] = frame["approximated"].map({True: " (boundary approximated)", False: ""})
    tooltips = pd.Series([
        f"{r['name']}{r['approx']}: {r['referrals']:.0f} referrals, forecast "
        f"{r['forecast_low']:.0f}–{r['forecast_high']:.0f}, {r['rate_per_100']:.1f} per 100 "
        f"in community · {r['band']} · {when}"
        for _, r in frame.iterrows()
    ])
    deck_layers = [layers.choropleth_layer(frame, keys, scheme, tooltips, layer_id="gm_units")]

    reach = reach_by_borough(hubs)
    if show_reach:
        deck_layers.append(layers.reach_layer(reach_cells(hubs)))
    hub_keys = hubs["borough"].map(
        frame.drop_duplicates("borough").set_index("borough")["forecast_key"]
    ).fillna(layers.NO_DATA.key)
    hub_tips = pd.Series([
        f"{h['name']} ({h['borough']}): {h['referrals']:.0f} referrals · borough "
        f"{layers.FORECAST_BANDS.band(k).text} · {when}"
        for (_, h), k in zip(hubs.iterrows(), hub_keys)
    ])
    deck_layers.append(layers.hub_layer(hubs, hub_keys, layers.FORECAST_BANDS, hub_tips))

    table = pd.DataFrame({
        "Demand unit": frame["name"],
        "Borough": frame["borough"],
        "PDU": frame["pdu_number"],
        "Referrals": frame["referrals"],
        "Forecast low": frame["forecast_low"].round(0),
        "Forecast high": frame["forecast_high"].round(0),
        "Per 100 in community": frame["rate_per_100"].round(1),
        scheme.title: frame["band"],
        "Boundary approximated": frame["approximated"].map({True: "yes", False: "no"}),
    })
    reach_cols = reach.rename(columns={
        "borough": "Borough", "pct_within_2km": "% postcodes ≤ 2 km from a hub",
        "pct_within_5km": "% ≤ 5 km", "pct_within_10km": "% ≤ 10 km",
        "median_km": "Median km to nearest hub",
    })[["Borough", "% postcodes ≤ 2 km from a hub", "% ≤ 5 km", "% ≤ 10 km",
        "Median km to nearest hub"]]
    table = table.merge(reach_cols, on="Borough", how="left")
    notes = (
        f"Figures {when}; forecast pro-rated from the annual published range to "
        f"{start:%d %b %Y}–{end:%d %b %Y} (assumption, DOMAIN.md decision 1).",
        "Hubs: circle area grows with referrals; colour and tooltip give the borough's band.",
        "Reach is straight-line distance from every postcode (including terminated ones) to "
        "the nearest hub in any borough, not travel time.",
        "Manchester North/South are approximated: Annex C divides by ward, which the ONS "
        "data used here does not carry (see assets/geo/README.md).",
        ATTRIBUTION,
    )
    return MapFigure(layers.build_deck(deck_layers, layers.GM_VIEW, basemap=basemap), table,
                     pd.concat([scheme.legend(), layers.REACH_BANDS.legend()] if show_reach
                               else [scheme.legend()], ignore_index=True), notes)


def regions_map(values: pd.DataFrame, *, title: str, as_of: dt.date | None,
                selected_region: str | None = None, number_format: str = "{:.0f}",
                unit: str = "", basemap: str | None = None) -> MapFigure:
    """England and Wales: 12 regions shaded by ``values`` (``region_code``, ``value``), with
    PDU boundaries (all, or only the selected region's, with their tooltips)."""
    regions = load_regions().merge(values, on="region_code", how="left")
    scheme, keys = layers.sequential_bands(regions["value"], title, number_format=number_format)
    when = layers.as_of_text(as_of)
    regions["band"] = [scheme.band(k).text for k in keys]
    shown = regions["value"].map(
        lambda v: "no data" if pd.isna(v) else number_format.format(v) + unit)
    tips = pd.Series([f"{r['region_code']} {r['region_name']}: {s} · {r['band']} · {when}"
                      for (_, r), s in zip(regions.iterrows(), shown)])
    deck_layers = [layers.choropleth_layer(regions, keys, scheme, tips, layer_id="regions")]

    pdus = load_pdus()
    if selected_region:
        pdus = pdus[pdus["region_code"] == selected_region]
    pdu_tips = pd.Series([
        f"PDU {p['pdu_number']} {p['pdu_name']} (region {p['region_code']})"
        + (" · boundary approximated" if p["approximated"] else "")
        for _, p in pdus.iterrows()
    ])
    deck_layers.append(layers.outline_layer(pdus, pdu_tips, layer_id="pdus",
                                            width_pixels=1.5 if selected_region else 0.5))
    view = layers.ENGLAND_WALES_VIEW
    if selected_region:
        shape = regions.loc[regions["region_code"] == selected_region, "geometry"]
        if not shape.empty:
            centre = shape.iloc[0].representative_point()
            view = pdk.ViewState(latitude=centre.y, longitude=centre.x, zoom=7.2)

    table = pd.DataFrame({
        "Region": regions["region_code"] + " " + regions["region_name"],
        title: regions["value"],
        "Band": regions["band"],
    })
    if selected_region:
        table = pd.DataFrame({
            "PDU": pdus["pdu_number"].to_numpy(),
            "Name": pdus["pdu_name"].to_numpy(),
            "Boundary approximated": pdus["approximated"].map({True: "yes", False: "no"}).to_numpy(),
        })
    notes = (
        f"Figures {when}.",
        "PDUs 33/34 (Manchester), 46/47 (Liverpool), 51/52 (Ribble Valley) and 70/71 "
        "(Birmingham) are approximated from LSOAs (see assets/geo/README.md).",
        ATTRIBUTION,
    )
    return MapFigure(layers.build_deck(deck_layers, view, basemap=basemap), table,
                     scheme.legend(), notes)
