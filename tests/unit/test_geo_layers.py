"""pydeck layer builders and map figures: the JSON a browser gets."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from geo import layers, paths
from geo.maps import PduSet, gm_map, regions_map
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


PDUS = PduSet(dt.date(2026, 12, 1), pd.DataFrame({
    "demand_unit": ["Salford", "Trafford", "Stockport", "Tameside"], "pdu_number": [41, 41, 42, 42],
    "pdu_name": ["Salford and Trafford", "Salford and Trafford", "Stockport and Tameside",
                 "Stockport and Tameside"]}))


def _gm(measure="forecast", **options):
    return gm_map(_units(), HUBS, measure=measure, start=dt.date(2024, 1, 1), end=dt.date(2024, 3, 31),
                  as_of=dt.date(2024, 3, 31), **options)


def _layers(figure) -> dict[str, dict]:
    return {layer["id"]: layer for layer in json.loads(figure.deck.to_json())["layers"]}


def _rows(layer) -> list[dict]:
    data = layer["data"]
    return [f["properties"] for f in data["features"]] if isinstance(data, dict) else data


SDF = {"buffer": 6, "fontSize": 32, "radius": 10, "sdf": True}
#: No background box (a shader program of its own): a white halo drawn by the text's shader.
LABEL_OPTIONS = {"characterSet": "auto", "fontFamily": "Arial, Helvetica, sans-serif", "fontSettings": SDF,
                 "getAlignmentBaseline": "center", "getColor": [11, 12, 12, 255],
                 "getPixelOffset": [0, 0], "getPosition": "@@=[lon, lat]", "getText": "@@=text",
                 "getTextAnchor": "middle", "outlineColor": [255, 255, 255, 255], "outlineWidth": 6,
                 "pickable": False, "sizeUnits": "pixels"}
AREA_OPTIONS = {"autoHighlight": True, "filled": True, "getFillColor": "@@=properties.fill",
                "getLineColor": [60, 60, 60, 255], "getLineWidth": "@@=properties.edge",
                "highlightColor": [255, 255, 255, 90], "lineWidthMinPixels": 1, "lineWidthUnits": "pixels",
                "pickable": True, "stroked": True}
#: Every option of every layer, exactly as deck.gl receives it (issue 18: ``radius_units``
#: reached it as the expression "@@=meters", and each hub covered the whole map).
EXPECTED = {
    "gm_units": {"@@type": "GeoJsonLayer", **AREA_OPTIONS},
    "reach": {"@@type": "SolidPolygonLayer", "extruded": False, "filled": True, "getFillColor": "@@=fill",
              "getPolygon": "@@=square", "pickable": True},
    "gm_pdus": {"@@type": "GeoJsonLayer", "filled": False, "getLineColor": [11, 12, 12, 255], "getLineWidth": 3,
                "lineWidthMinPixels": 3, "lineWidthUnits": "pixels", "pickable": False, "stroked": True},
    "hubs": {"@@type": "TextLayer", "characterSet": ["\u25cf"], "fontFamily": "Arial, Helvetica, sans-serif",
             "fontSettings": SDF, "getAlignmentBaseline": "center", "getColor": [255, 255, 255, 255],
             "getPosition": "@@=[lon, lat]", "getSize": "@@=size", "getText": "@@=text", "getTextAnchor": "middle",
             "outlineColor": [11, 12, 12, 255], "outlineWidth": 5, "pickable": True, "sizeUnits": "pixels"},
    "gm_unit_labels": {"@@type": "TextLayer", **LABEL_OPTIONS, "fontWeight": "bold", "getSize": 12},
    "regions": {"@@type": "GeoJsonLayer", **AREA_OPTIONS},
    "pdus": {"@@type": "GeoJsonLayer", "filled": False, "getLineColor": [60, 60, 60, 220], "getLineWidth": 1.5,
             "lineWidthMinPixels": 1.5, "lineWidthUnits": "pixels", "pickable": True, "stroked": True},
    "region_labels": {"@@type": "TextLayer", **LABEL_OPTIONS, "fontWeight": "bold", "getSize": 11,
                      "getPixelOffset": "@@=[dx, dy]"},
    "pdu_labels": {"@@type": "TextLayer", **LABEL_OPTIONS, "fontWeight": "normal", "getSize": 10},
}


def _all_layers() -> dict[str, dict]:
    values = pd.DataFrame({"region_code": list("ABCDEFGHIJKL"), "value": range(0, 120, 10)})
    return {**_layers(_gm(show_reach=True, pdus=PDUS)),
            **_layers(regions_map(values, title="x", as_of=None, selected_region="J"))}


def test_every_layer_option_reaches_deck_gl_as_the_literal_it_is():
    found = _all_layers()
    assert set(found) == set(EXPECTED)
    for layer_id, layer in found.items():
        options = {k: v for k, v in layer.items() if k not in {"data", "id"}}
        assert options == EXPECTED[layer_id], layer_id


def test_only_accessors_are_expressions_and_they_name_fields_every_row_has():
    """A "@@=" string is evaluated per object by deck.gl: only ``get…`` accessors may be one,
    and each must name fields present in every row (the old ``radiusUnits: "@@=meters"`` did
    neither)."""
    for layer_id, layer in _all_layers().items():
        rows = _rows(layer)
        assert rows, layer_id
        for name, value in layer.items():
            if not (isinstance(value, str) and value.startswith("@@=")):
                continue
            assert name.startswith("get"), (layer_id, name, value)
            fields = value[3:].strip("[]").replace("properties.", "").split(", ")
            assert all(field in row for row in rows for field in fields), (layer_id, name, value)


def test_units_are_words_deck_gl_knows():
    for layer_id, layer in _all_layers().items():
        for name in ("radiusUnits", "lineWidthUnits", "sizeUnits"):
            if name in layer:
                assert layer[name] in {"pixels", "meters", "common"}, (layer_id, name, layer[name])


@pytest.mark.parametrize("measure", ["forecast", "rate"])
def test_gm_map_json(measure):
    figure = _gm(measure, show_reach=True)
    deck = json.loads(figure.deck.to_json())
    assert deck["mapStyle"] == "__MAP_STYLE__" and deck.get("mapProvider") is None  # no basemap
    assert figure.deck._tooltip == {"text": "{tooltip}"}  # Streamlit sends it beside the spec
    kinds = [layer["@@type"] for layer in deck["layers"]]
    # Two layer types, so three shader programs (areas' fill and edges, text): each program is
    # compiled in software by a browser without a GPU, most of the time it takes to draw.
    assert kinds == ["GeoJsonLayer", "SolidPolygonLayer", "TextLayer", "TextLayer"]
    units = deck["layers"][0]["data"]["features"]
    assert len(units) == 11
    for feature in units:
        assert "as of 31 Mar 2024" in feature["properties"]["tooltip"]
        assert "referrals" in feature["properties"]["tooltip"]
        assert "straight line" in feature["properties"]["tooltip"]
        assert len(feature["properties"]["fill"]) == 4
    manchester = [f for f in units if "Manchester" in f["properties"]["tooltip"]]
    assert all("approximated" in f["properties"]["tooltip"] for f in manchester)
    for layer in deck["layers"][2:]:
        for row in layer["data"]:
            assert 53.3 < row["lat"] < 53.7 and -2.75 < row["lon"] < -1.9
    for cell in deck["layers"][1]["data"]:  # reach: 1 km squares
        ring = cell["square"]
        lons, lats = [p[0] for p in ring], [p[1] for p in ring]
        assert 53.2 < min(lats) and max(lats) < 53.8 and -2.85 < min(lons) and max(lons) < -1.8
        assert abs((max(lats) - min(lats)) * 111.32 - 1.0) < 0.01, "a 1 km cell"
    hub_tips = [row["tooltip"] for row in deck["layers"][2]["data"]]
    assert hub_tips[0].startswith("Hub: Central (Manchester)") and "as of 31 Mar 2024" in hub_tips[0]
    labels = sorted(row["text"] for row in deck["layers"][3]["data"])
    assert labels == sorted(_units()["name"])
    assert len(figure.table) == 11 and "Boundary approximated" in figure.details
    assert len(figure.table.columns) <= 4, "the table beside the map must fit beside it"
    assert figure.table.set_index("Unit").loc["Wigan", "Hub; ≤ 5 km"] == "yes (1); 47%"
    assert paths.ATTRIBUTION in figure.notes
    assert any("straight-line distance" in note for note in figure.notes)
    assert {"layer", "symbol", "band", "colour"} <= set(figure.legend.columns)
    assert figure.legend["colour"].str.match(r"^#[0-9A-F]{6}$").all()
    # The legend gives every band that is drawn: the measure's, the places and the reach bands.
    assert set(layers.REACH_BANDS.legend()["band"]) <= set(figure.legend["band"])


def test_labels_are_inside_their_area_and_clear_of_hubs():
    import shapely

    from geo.boundaries import load_gm_demand_units

    shapes = load_gm_demand_units().set_index("name")
    labels = {row["text"]: row for row in _layers(_gm())["gm_unit_labels"]["data"]}
    for name, row in labels.items():
        point = shapely.Point(row["lon"], row["lat"])
        assert shapes.loc[name, "geometry"].contains(point), name
        for lat, lon in zip(HUBS["latitude"], HUBS["longitude"]):
            assert point.distance(shapely.Point(lon, lat)) > 0.015, (name, "label under a hub")


def test_pdus_in_force_are_drawn_with_their_date():
    figure = _gm(pdus=PDUS)
    pdus = _layers(figure)["gm_pdus"]["data"]["features"]
    assert sorted(f["properties"]["tooltip"] for f in pdus) == [
        "PDU 41 Salford and Trafford (in force on 01 Dec 2026)",
        "PDU 42 Stockport and Tameside (in force on 01 Dec 2026)"]
    assert any("PDUs in force on 01 Dec 2026: 2 in Greater Manchester" in n for n in figure.notes)
    assert "PDU boundary (thick black line)" in set(figure.legend["band"])
    assert "gm_pdus" not in _layers(_gm())  # no PDU set given, none drawn


def test_a_clicked_borough_is_drawn_with_a_thick_edge_and_its_name_comes_back():
    features = _layers(_gm(selected_borough="Manchester"))["gm_units"]["data"]["features"]
    edges = {f["properties"]["name"]: f["properties"]["edge"] for f in features}
    assert edges["Manchester N"] == edges["Manchester S"] == layers.SELECTED_EDGE_PX
    assert edges["Wigan"] == 1
    assert {f["properties"]["borough"] for f in features} >= {"Manchester", "Wigan"}


def test_gm_view_fits_greater_manchester_in_the_map():
    view = json.loads(_gm().deck.to_json())["initialViewState"]
    assert 53.45 < view["latitude"] < 53.56 and -2.4 < view["longitude"] < -2.25
    assert 8.4 < view["zoom"] < 9.2


def test_suppressed_counts_are_shown_as_given_and_not_as_numbers():
    units = _units()
    units.loc[0, "referrals"] = float("nan")
    units["referrals_shown"] = units["referrals"].map(lambda v: "[c]" if pd.isna(v) else f"{v:.0f}")
    figure = gm_map(units, HUBS, measure="rate", start=dt.date(2024, 1, 1), end=dt.date(2024, 3, 31),
                    as_of=None)
    first = figure.details.iloc[0]
    assert first["Referrals"] == "[c]" and pd.isna(first["Per 100 in community"])
    tip = _layers(figure)["gm_units"]["data"]["features"][0]["properties"]["tooltip"]
    assert tip.startswith(f"{first['Demand unit']}: [c] referrals") and "no data per 100" in tip


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
    figure = regions_map(values, title="Due actions complete (%)", as_of=dt.date(2025, 1, 31), unit="%")
    deck = json.loads(figure.deck.to_json())
    assert [layer["id"] for layer in deck["layers"]] == ["regions", "region_labels"]
    assert len(deck["layers"][0]["data"]["features"]) == 12
    assert {row["text"] for row in deck["layers"][1]["data"]} >= {"London\n110%", "North East\n0%"}
    west, south, east, north = _bounds(deck["layers"][0]["data"])
    assert -6.5 <= west and east <= 1.8 and 49.8 <= south and north <= 55.9
    assert len(figure.deck.to_json()) < 150_000, "the national deck stays small"
    detail = regions_map(values, title="x", as_of=None, selected_region="J")
    assert len(detail.table) == 9
    assert set(detail.table.loc[detail.table["Boundary approximated"] == "yes", "PDU"]) == {33, 34}
    assert len(_layers(detail)["pdus"]["data"]["features"]) == 9
    assert sorted(detail.details["Code"]) == list("ABCDEFGHIJKL")


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


def test_reach_is_worked_out_once_per_set_of_hub_positions():
    from geo.reach import precompute_reach, reach_for

    first = precompute_reach(HUBS)
    renamed = HUBS.assign(name=["A", "B"], referrals=[1, 2]).iloc[::-1]
    assert reach_for(renamed) is first  # names, counts and order do not change reach
    assert reach_for(HUBS.iloc[:1]) is not first


def test_borough_reach_answers_the_contracts_question():
    from geo.maps import borough_reach

    hubs = HUBS.assign(opening_pattern=["Mon–Fri 09:00–17:00", None])
    table = borough_reach(hubs).set_index("Borough")
    assert len(table) == 10
    assert table.loc["Manchester", "Open hub in the borough"] == "yes (1)"
    assert table.loc["Bolton", "Open hub in the borough"] == "✕ no"
    assert table.loc["Manchester", "Opening pattern"] == "Central: Mon–Fri 09:00–17:00"
    assert table.loc["Wigan", "Opening pattern"] == "Wigan: not recorded"
    assert table.loc["Bolton", "Opening pattern"] == "no open hub"
    assert table.loc["Wigan", "% postcodes ≤ 10 km (straight line)"] >= table.loc[
        "Wigan", "% postcodes ≤ 2 km (straight line)"] > 0


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
    assert prebuilt.layers == [] and len(figure.deck.layers) == 3  # the original is untouched
    assert prebuilt._tooltip == figure.deck._tooltip  # Streamlit reads it beside the JSON
    # A deck changed after it was prebuilt does not carry the stored JSON.
    figure.deck.layers.pop()
    assert figure.deck.to_json() != prebuilt.to_json()


def test_the_viewers_own_region_is_starred_in_words_not_colour():
    values = pd.DataFrame({"region_code": list("ABCDEFGHIJKL"), "value": range(0, 120, 10)})
    figure = regions_map(values, title="x", as_of=None, own_region="J")
    labels = [row["text"] for row in _layers(figure)["region_labels"]["data"]]
    assert [t for t in labels if t.startswith("★")] == ["★ Greater Manchester\n90"]
    tips = [f["properties"]["tooltip"] for f in _layers(figure)["regions"]["data"]["features"]]
    assert [t for t in tips if "your region" in t] == ["★ Region J Greater Manchester (your region): 90 · "
                                                        "█ 88–110 · no data loaded"]
    assert list(figure.table["Region"]).count("★ J Greater Manchester (your region)") == 1
    plain = regions_map(values, title="x", as_of=None)
    assert not any("★" in row["text"] for row in _layers(plain)["region_labels"]["data"])
