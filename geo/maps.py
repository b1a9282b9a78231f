"""Map figures for the Maps page: each returns the Deck *and* the tables of the same figures.

Pure: frames in, :class:`MapFigure` out (no Streamlit, no database).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
import pydeck as pdk

from geo import layers
from geo.boundaries import load_gm_demand_units, load_pdus, load_regions
from geo.paths import ATTRIBUTION
from geo.reach import REACH_BANDS_KM, reach_for

GM_MEASURES = {
    "forecast": "Referrals against the 40–60% forecast band",
    "rate": "Referrals per 100 people in the community caseload",
}
STRAIGHT_LINE = ("Reach is straight-line distance (as the crow flies) from every GM postcode, "
                 "terminated ones included, to the nearest open hub in any borough: not travel "
                 "time by road or public transport.")


@dataclass(frozen=True)
class PduSet:
    """The PDUs in force on a date: which PDU each GM demand unit belongs to.

    ``members``: ``demand_unit`` (as in the demand table), ``pdu_number``, ``pdu_name``.
    """

    in_force_on: dt.date | None
    members: pd.DataFrame


@dataclass(frozen=True)
class MapFigure:
    deck: pdk.Deck
    table: pd.DataFrame  # compact: fits beside the map
    legend: pd.DataFrame  # layer, symbol, band, colour (hex, for the swatch)
    notes: tuple[str, ...]
    details: pd.DataFrame = field(default_factory=pd.DataFrame)  # every figure, full width
    area_column: str = ""  # the column of ``details`` that names the clickable areas
    alt: str = ""  # a short description of the map for screen readers


def _pro_rate(bound: pd.Series, start: dt.date, end: dt.date, forecast_days: pd.Series) -> pd.Series:
    # Decision 1 (DOMAIN.md): the published range is annual, pro-rated by days to the period.
    days = (end - start).days + 1
    return bound.astype(float) * days / forecast_days.astype(float)


def _shown(values: pd.Series, fmt: str = "{:.0f}") -> pd.Series:
    return values.map(lambda v: "no data" if v is None or (isinstance(v, float) and math.isnan(v))
                      else fmt.format(v))


def fit_view(bounds: tuple[float, float, float, float], *, width_px: int, height_px: int,
             padding: float = 0.06) -> pdk.ViewState:
    """A Web Mercator view (deck.gl's 512-pixel world) showing ``bounds`` (west, south,
    east, north) in a canvas of about ``width_px`` × ``height_px``."""
    west, south, east, north = bounds

    def mercator_y(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    span_x = (east - west) / 360.0
    span_y = (mercator_y(north) - mercator_y(south)) / (2 * math.pi)
    zoom = math.log2(min(width_px / span_x, height_px / span_y) * (1 - 2 * padding) / 512.0)
    centre_y = (mercator_y(north) + mercator_y(south)) / 2
    latitude = math.degrees(2 * math.atan(math.exp(centre_y)) - math.pi / 2)
    return pdk.ViewState(latitude=round(latitude, 4), longitude=round((west + east) / 2, 4),
                         zoom=round(zoom, 2))


#: The Maps page draws each map about this size (the left of two columns at a laptop width).
MAP_WIDTH_PX, MAP_HEIGHT_PX = 560, 520


def legend_frame(*schemes: tuple[str, layers.BandScheme]) -> pd.DataFrame:
    rows = [{"layer": name, "symbol": b.symbol, "band": b.label, "colour": b.colour}
            for name, scheme in schemes for b in scheme.bands]
    return pd.DataFrame(rows, columns=["layer", "symbol", "band", "colour"])


def _places_legend(with_pdus: bool) -> layers.BandScheme:
    bands = [layers.Band("hub", "open hub (disc grows with referrals)", "◉", "#FFFFFF")]
    if with_pdus:
        bands.append(layers.Band("pdu", "PDU boundary (thick black line)", "▬", "#0B0C0C"))
    return layers.BandScheme("Places", tuple(bands))


def _pdu_layers(shapes: gpd.GeoDataFrame, pdus: PduSet | None) -> tuple[list[pdk.Layer], str | None]:
    """PDU boundaries (demand units dissolved by PDU) and labels, for the PDUs in force."""
    if pdus is None or pdus.members.empty:
        return [], None
    members = shapes.merge(pdus.members, left_on="name", right_on="demand_unit", how="inner",
                           suffixes=("_drawn", ""))
    dissolved = members.dissolve(by=["pdu_number", "pdu_name"], as_index=False)
    when = f"{pdus.in_force_on:%d %b %Y}" if pdus.in_force_on else "today"
    tips = pd.Series([f"PDU {n} {name} (in force on {when})"
                      for n, name in zip(dissolved["pdu_number"], dissolved["pdu_name"])])
    outline = layers.outline_layer(dissolved, tips, layer_id="gm_pdus", width_pixels=3,
                                   pickable=False, colour=[11, 12, 12, 255])
    note = (f"PDUs in force on {when}: {len(dissolved)} in Greater Manchester "
            f"({'; '.join(sorted(dissolved['pdu_name']))}), drawn as thick black boundaries.")
    return [outline], note


def _hub_table(hubs: pd.DataFrame) -> pd.DataFrame:
    """Per borough: open hubs (names) and their opening patterns."""
    if hubs.empty:
        return pd.DataFrame(columns=["borough", "open_hubs", "hub_names", "opening_pattern"])
    pattern = hubs.get("opening_pattern", pd.Series(None, index=hubs.index, dtype=object)).fillna("not recorded")
    frame = hubs.assign(pattern=[f"{n}: {p}" for n, p in zip(hubs["name"], pattern)])
    grouped = frame.groupby("borough")
    return pd.DataFrame({
        "open_hubs": grouped.size(),
        "hub_names": grouped["name"].agg(", ".join),
        "opening_pattern": grouped["pattern"].agg("; ".join),
    }).reset_index()


def borough_reach(hubs: pd.DataFrame) -> pd.DataFrame:
    """The contract's question per borough (001 §2.1: a hub in each of the ten): has it an
    open hub, which, open when, and the share of its postcodes within 2, 5 and 10 km
    (straight line) of the nearest open hub in any borough."""
    reach = reach_for(hubs).by_borough.copy()
    table = reach.merge(_hub_table(hubs), on="borough", how="left")
    table["open_hubs"] = table["open_hubs"].fillna(0).astype(int)
    return pd.DataFrame({
        "Borough": table["borough"],
        "Open hub in the borough": table["open_hubs"].map(lambda n: f"yes ({n})" if n else "✕ no"),
        "Hubs": table["hub_names"].fillna("none"),
        "Opening pattern": table["opening_pattern"].fillna("no open hub"),
        **{f"% postcodes ≤ {b:g} km (straight line)": table[f"pct_within_{b:g}km"]
           for b in REACH_BANDS_KM},
        "Median km to nearest hub (straight line)": table["median_km"],
    })


def gm_map(units: pd.DataFrame, hubs: pd.DataFrame, *, measure: str, start: dt.date,
           end: dt.date, as_of: dt.date | None, show_reach: bool = True,
           basemap: str | None = None, selected_borough: str | None = None,
           pdus: PduSet | None = None) -> MapFigure:
    """Greater Manchester: demand units shaded by ``measure``, labelled, with hubs, the PDUs in
    force (``pdus``) and, optionally, the reach layer.

    ``units``: ``name`` (demand unit as in the demand table), ``referrals`` (NaN where a count
    may not be shown), ``base_count``, ``predicted_low``, ``predicted_high``, ``period_days``;
    optional ``referrals_shown`` (the display text, e.g. "[c]" for a suppressed count).
    ``hubs``: open hubs: ``name``, ``borough``, ``latitude``, ``longitude``, ``referrals``;
    optional ``referrals_shown``, ``opening_pattern``.
    """
    shapes = load_gm_demand_units()
    frame = shapes.merge(units, on="name", how="left")
    if "referrals_shown" not in frame:
        frame["referrals_shown"] = _shown(frame["referrals"])
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
    reach = borough_reach(hubs)
    hub_word = reach.set_index("Borough")["Open hub in the borough"]
    within5 = reach.set_index("Borough")["% postcodes ≤ 5 km (straight line)"]
    tooltips = pd.Series([
        f"{r['name']}{r['approx']}: {r['referrals_shown']} referrals, forecast "
        f"{r['forecast_low']:.0f}–{r['forecast_high']:.0f}, "
        f"{_shown(pd.Series([r['rate_per_100']]), '{:.1f}').iloc[0]} per 100 in community · "
        f"{r['band']} · open hub: {hub_word.get(r['borough'], 'no data')} · "
        f"{within5.get(r['borough'], float('nan')):.0f}% of postcodes ≤ 5 km (straight line) "
        f"of a hub · {when}"
        for _, r in frame.iterrows()
    ])
    drawn = layers.simplified(frame, layers.TOLERANCE_GM)
    deck_layers = [layers.choropleth_layer(
        drawn, keys, scheme, tooltips, layer_id="gm_units",
        selected=frame["borough"] == selected_borough if selected_borough else None,
        extra={"borough": frame["borough"], "name": frame["name"]})]
    if show_reach:
        deck_layers.append(layers.reach_layer(reach_for(hubs).cells))
    pdu_layers, pdu_note = _pdu_layers(drawn, pdus)
    deck_layers += pdu_layers
    hubs = hubs.reset_index(drop=True)
    hub_points = list(zip(hubs["latitude"].astype(float), hubs["longitude"].astype(float)))
    labels = layers.label_layer(layers.label_points(shapes, shapes["name"], avoid=hub_points),
                                layer_id="gm_unit_labels", size_px=12)
    hub_shown = hubs["referrals_shown"] if "referrals_shown" in hubs else _shown(hubs["referrals"])
    hub_tips = pd.Series([
        f"Hub: {h['name']} ({h['borough']}) · opening: "
        f"{h.get('opening_pattern') or 'not recorded'} · {shown} referrals · {when}"
        for (_, h), shown in zip(hubs.iterrows(), hub_shown)
    ])
    deck_layers += [layers.hub_layer(hubs, hub_tips), labels]  # names drawn over everything

    # Beside the map: four short columns that fit its width (every figure is in ``details``).
    table = pd.DataFrame({
        "Unit": frame["name"],
        "Referrals": frame["referrals_shown"],
        "Band": frame["band"],
        "Hub; ≤ 5 km": [f"{hub_word.get(b, 'no data')}; {within5.get(b, float('nan')):.0f}%"
                        for b in frame["borough"]],
    })
    details = pd.DataFrame({
        "Demand unit": frame["name"],
        "Borough": frame["borough"],
        "PDU": frame["pdu_number"],
        "Referrals": frame["referrals_shown"],
        "Forecast low": frame["forecast_low"].round(0),
        "Forecast high": frame["forecast_high"].round(0),
        "Per 100 in community": frame["rate_per_100"].round(1),
        scheme.title: frame["band"],
        "Boundary approximated": frame["approximated"].map({True: "yes", False: "no"}),
    }).merge(reach, on="Borough", how="left")
    notes = (
        f"Figures {when}; forecast pro-rated from the annual published range to "
        f"{start:%d %b %Y}–{end:%d %b %Y} (assumption, DOMAIN.md decision 1).",
        *([pdu_note] if pdu_note else []),
        "Hubs are white discs in a black ring; the disc grows with the hub's referrals.",
        STRAIGHT_LINE,
        "Manchester North/South are approximated: Annex C divides by ward, which the ONS "
        "data used here does not carry (see assets/geo/README.md).",
        ATTRIBUTION,
    )
    legend = [(scheme.title, scheme), ("Places", _places_legend(bool(pdu_note)))]
    if show_reach:
        legend.append((layers.REACH_BANDS.title, layers.REACH_BANDS))
    view = fit_view(tuple(shapes.total_bounds), width_px=MAP_WIDTH_PX, height_px=MAP_HEIGHT_PX)
    alt = (f"Map of Greater Manchester's {len(frame)} demand units shaded by "
           f"{scheme.title.lower()}, with {len(hubs)} hubs; the same figures are in the table.")
    return MapFigure(layers.build_deck(deck_layers, view, basemap=basemap), table,
                     legend_frame(*legend), notes, details, "Borough", alt)


#: Screen-pixel nudges for region labels that would otherwise overlap on the national map
#: (London's sits on South Central's: looked at in headless Chromium, issue 18).
REGION_LABEL_NUDGES = {"F": (-28, 0), "L": (22, -6)}


def regions_map(values: pd.DataFrame, *, title: str, as_of: dt.date | None,
                selected_region: str | None = None, number_format: str = "{:.0f}",
                unit: str = "", basemap: str | None = None, own_region: str | None = None) -> MapFigure:
    """England and Wales: 12 regions shaded by ``values`` (``region_code``, ``value``),
    labelled, with PDU boundaries (all, or only the selected region's, with their tooltips).
    The viewer's ``own_region`` is starred in its label, tooltip and table row ("★ … (your
    region)"), so it is marked by a symbol and words, not by colour."""
    regions = load_regions().merge(values, on="region_code", how="left")
    own = regions["region_code"].eq(own_region) if own_region else pd.Series(False, index=regions.index)
    star = own.map({True: "★ ", False: ""})
    scheme, keys = layers.sequential_bands(regions["value"], title, number_format=number_format)
    when = layers.as_of_text(as_of)
    regions["band"] = [scheme.band(k).text for k in keys]
    shown = regions["value"].map(
        lambda v: "no data" if pd.isna(v) else number_format.format(v) + unit)
    tips = pd.Series([f"{mark}Region {r['region_code']} {r['region_name']}{' (your region)' if mark else ''}: "
                      f"{s} · {r['band']} · {when}"
                      for (_, r), s, mark in zip(regions.iterrows(), shown, star)])
    tolerance = layers.TOLERANCE_REGION if selected_region else layers.TOLERANCE_NATIONAL
    deck_layers = [layers.choropleth_layer(
        layers.simplified(regions, tolerance), keys, scheme, tips, layer_id="regions",
        selected=regions["region_code"] == selected_region if selected_region else None,
        extra={"region_code": regions["region_code"]})]

    # The 108 PDU boundaries are drawn for the chosen region only: across England and Wales
    # they were two thirds of the deck and too fine to read at that scale.
    pdus = load_pdus()
    pdus = pdus[pdus["region_code"] == selected_region].reset_index(drop=True)
    if not pdus.empty:
        pdu_tips = pd.Series([
            f"PDU {p['pdu_number']} {p['pdu_name']} (region {p['region_code']})"
            + (" · boundary approximated" if p["approximated"] else "")
            for _, p in pdus.iterrows()
        ])
        deck_layers.append(layers.outline_layer(layers.simplified(pdus, tolerance), pdu_tips,
                                                layer_id="pdus", width_pixels=1.5,
                                                colour=[60, 60, 60, 220]))
    label_names = star + regions["region_name"] + "\n" + shown
    nudges = regions["region_code"].map(REGION_LABEL_NUDGES)
    label_at = layers.label_points(regions, label_names).assign(
        dx=[n[0] if isinstance(n, tuple) else 0 for n in nudges],
        dy=[n[1] if isinstance(n, tuple) else 0 for n in nudges])
    deck_layers.append(layers.label_layer(label_at, layer_id="region_labels", size_px=11))
    if not pdus.empty:
        deck_layers.append(layers.label_layer(
            layers.label_points(pdus, pdus["pdu_name"]), layer_id="pdu_labels", size_px=10,
            bold=False))
        view = fit_view(tuple(pdus.total_bounds), width_px=MAP_WIDTH_PX, height_px=MAP_HEIGHT_PX)
    else:
        view = fit_view(tuple(regions.total_bounds), width_px=MAP_WIDTH_PX,
                        height_px=MAP_HEIGHT_PX, padding=0.02)

    table = pd.DataFrame({
        "Region": star + regions["region_code"] + " " + regions["region_name"]
        + own.map({True: " (your region)", False: ""}),
        "Value": shown,
        "Band": regions["band"],
    })
    details = pd.DataFrame({"Region": star + regions["region_name"], "Code": regions["region_code"],
                            title: shown, "Band": regions["band"]})
    if selected_region:
        table = pd.DataFrame({
            "PDU": pdus["pdu_number"].to_numpy(),
            "Name": pdus["pdu_name"].to_numpy(),
            "Boundary approximated": pdus["approximated"].map({True: "yes", False: "no"}).to_numpy(),
        })
    notes = (
        f"Value: {title}. Figures {when}.",
        "PDUs 33/34 (Manchester), 46/47 (Liverpool), 51/52 (Ribble Valley) and 70/71 "
        "(Birmingham) are approximated from LSOAs (see assets/geo/README.md).",
        ATTRIBUTION,
    )
    alt = (f"Map of the 12 probation regions of England and Wales shaded by {title.lower()}, "
           "labelled with each region's value; the same figures are in the table.")
    return MapFigure(layers.build_deck(deck_layers, view, basemap=basemap), table,
                     legend_frame((title, scheme)), notes, details, "Code", alt)
