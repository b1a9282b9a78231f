"""pydeck layer builders and map figures: the JSON a browser gets."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from geo import layers, paths
from geo.maps import gm_map, regions_map
from geo.reach import reach_by_borough

HUBS = pd.DataFrame({
    "name": ["Central", "Wigan"], "borough": ["Manchester", "Wigan"],
    "latitude": [53.4808, 53.5450], "longitude": [-2.2426, -2.6320], "referrals": [120, 0],
})


def _units() -> pd.DataFrame:
    demand = pd.read_csv(paths.REFERENCE_ASSETS / "gm_anticipated_demand_2023.csv")
    return pd.DataFrame({
        "name": demand["pdu_row"], "referrals": demand["predicted_low_40pct"] // 4,
        "base_count": demand["people_in_community_2023_01_16"],
        "predicted_low": demand["predicted_low_40pct"],
        "predicted_high": demand["predicted_high_60pct"], "period_days": 365,
    })


@pytest.mark.parametrize("measure", ["forecast", "rate"])
def test_gm_map_json(measure):
    figure = gm_map(_units(), HUBS, measure=measure, start=dt.date(2024, 1, 1),
                    end=dt.date(2024, 3, 31), as_of=dt.date(2024, 3, 31))
    deck = json.loads(figure.deck.to_json())
    assert deck["mapStyle"] == "__MAP_STYLE__" and deck.get("mapProvider") is None  # no basemap
    assert figure.deck._tooltip == {"text": "{tooltip}"}  # Streamlit sends it beside the spec
    kinds = [layer["@@type"] for layer in deck["layers"]]
    assert kinds == ["GeoJsonLayer", "ScatterplotLayer", "ScatterplotLayer"]
    units = deck["layers"][0]["data"]["features"]
    assert len(units) == 11
    for feature in units:
        assert "as of 31 Mar 2024" in feature["properties"]["tooltip"]
        assert "referrals" in feature["properties"]["tooltip"]
        assert len(feature["properties"]["fill"]) == 4
    manchester = [f for f in units if "Manchester" in f["properties"]["tooltip"]]
    assert all("approximated" in f["properties"]["tooltip"] for f in manchester)
    for layer in deck["layers"][1:]:
        for row in layer["data"]:
            assert 53.3 < row["lat"] < 53.7 and -2.75 < row["lon"] < -1.9
            assert row["tooltip"]
    assert len(figure.table) == 11 and "Boundary approximated" in figure.table
    assert paths.ATTRIBUTION in figure.notes
    assert {"symbol", "band"} <= set(figure.legend.columns)


def test_forecast_bands_have_words_and_symbols_not_just_colour():
    for band in layers.FORECAST_BANDS.bands + layers.REACH_BANDS.bands:
        assert band.label and band.symbol
    assert layers.forecast_band(10, 20, 30) == "below"
    assert layers.forecast_band(20, 20, 30) == "within"
    assert layers.forecast_band(31, 20, 30) == "above"
    assert layers.forecast_band(None, 20, 30) == "no data"


def test_basemap_is_opt_in():
    deck = json.loads(layers.build_deck([], layers.GM_VIEW, basemap="light").to_json())
    assert deck["mapProvider"] == "carto" and "cartocdn" in deck["mapStyle"]


def test_regions_map_json_and_pdu_detail():
    values = pd.DataFrame({"region_code": list("ABCDEFGHIJKL"), "value": range(0, 120, 10)})
    figure = regions_map(values, title="Due actions complete (%)", as_of=dt.date(2025, 1, 31))
    deck = json.loads(figure.deck.to_json())
    assert [layer["@@type"] for layer in deck["layers"]] == ["GeoJsonLayer", "GeoJsonLayer"]
    assert len(deck["layers"][0]["data"]["features"]) == 12
    assert len(deck["layers"][1]["data"]["features"]) == 108
    west, south, east, north = _bounds(deck["layers"][0]["data"])
    assert -6.5 <= west and east <= 1.8 and 49.8 <= south and north <= 55.9
    detail = regions_map(values, title="x", as_of=None, selected_region="J")
    assert len(detail.table) == 9
    assert set(detail.table.loc[detail.table["Boundary approximated"] == "yes", "PDU"]) == {33, 34}


def _bounds(collection):
    xs, ys = [], []

    def walk(c):
        if isinstance(c[0], (int, float)):
            xs.append(c[0]); ys.append(c[1])
        else:
            for item in c:
                walk(item)

    for feature in collection["features"]:
        walk(feature["geometry"]["coordinates"])
    return min(xs), min(ys), max(xs), max(ys)


def test_reach_shares_rise_with_distance():
    reach = reach_by_borough(HUBS)
    assert len(reach) == 10
    assert (reach["pct_within_2km"] <= reach["pct_within_5km"]).all()
    assert (reach["pct_within_5km"] <= reach["pct_within_10km"]).all()
    assert reach.set_index("borough").loc["Manchester", "pct_within_2km"] > 0


def test_the_deck_json_is_pydecks_own_without_whitespace():
    import pydeck as pdk

    figure = gm_map(_units(), HUBS, measure="forecast", start=dt.date(2024, 1, 1), end=dt.date(2024, 3, 31),
                    as_of=dt.date(2024, 3, 31))
    compact = figure.deck.to_json()
    indented = pdk.Deck.to_json(figure.deck)  # pydeck's own serialisation, indented
    assert json.loads(compact) == json.loads(indented)
    assert "\n" not in compact and len(compact) < len(indented) / 2


def test_a_prebuilt_deck_sends_the_same_json_and_has_no_layers_to_convert():
    figure = gm_map(_units(), HUBS, measure="forecast", start=dt.date(2024, 1, 1),
                    end=dt.date(2024, 3, 31), as_of=dt.date(2024, 3, 31), show_reach=False)
    prebuilt = figure.deck.prebuilt()
    assert prebuilt.to_json() == figure.deck.to_json()
    assert prebuilt.layers == [] and len(figure.deck.layers) == 2  # the original is untouched
    assert prebuilt._tooltip == figure.deck._tooltip  # Streamlit reads it beside the JSON
    # A deck changed after it was prebuilt does not carry the stored JSON.
    figure.deck.layers.pop()
    assert figure.deck.to_json() != prebuilt.to_json()
