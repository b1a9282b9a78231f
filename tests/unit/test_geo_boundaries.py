"""The committed boundaries: counts, validity, areas (assets/geo/, built by ``python -m geo build``)."""

from __future__ import annotations

import pandas as pd
import pytest

from geo import paths
from geo.boundaries import (
    load_authorities,
    load_gm_boroughs,
    load_gm_demand_units,
    load_pdus,
    load_regions,
)

#: ONS Standard Area Measurements for the ten GM boroughs, km² (land area; recalled from the
#: ONS SAM for local authority districts, not checked against the file offline: see
#: assets/geo/README.md). Their sum, 1,276.1 km², agrees with GM's published 1,276 km².
ONS_STANDARD_AREA_KM2 = {
    "E08000001": 139.8,  # Bolton
    "E08000002": 99.5,  # Bury
    "E08000003": 115.6,  # Manchester
    "E08000004": 142.4,  # Oldham
    "E08000005": 158.1,  # Rochdale
    "E08000006": 97.2,  # Salford
    "E08000007": 126.1,  # Stockport
    "E08000008": 103.2,  # Tameside
    "E08000009": 106.0,  # Trafford
    "E08000010": 188.2,  # Wigan
}


def _area_km2(frame):
    return frame.to_crs("EPSG:27700").area / 1e6


def test_318_authorities_of_2025_england_296_wales_22():
    authorities = load_authorities()
    assert len(authorities) == authorities["gss_code"].nunique() == 318
    prefixes = authorities["gss_code"].str[0].value_counts()
    assert prefixes.to_dict() == {"E": 296, "W": 22}


def test_108_pdus_and_12_regions():
    pdus, regions = load_pdus(), load_regions()
    assert sorted(pdus["pdu_number"]) == list(range(1, 109))
    assert sorted(regions["region_code"]) == list("ABCDEFGHIJKL")


def test_approximated_pdus_are_the_ones_annex_c_divides_below_district():
    pdus = load_pdus().set_index("pdu_number")
    flagged = set(pdus.index[pdus["approximated"]])
    assert flagged == {33, 34, 46, 47, 51, 52, 70, 71}
    assert (pdus.loc[sorted(flagged), "approximation"].str.startswith("approximated")).all()


@pytest.mark.parametrize(
    "loader", [load_authorities, load_pdus, load_regions, load_gm_boroughs, load_gm_demand_units]
)
def test_geometries_valid_polygonal_and_in_england_and_wales(loader):
    frame = loader()
    assert frame.is_valid.all()
    assert set(frame.geom_type) <= {"Polygon", "MultiPolygon"}
    west, south, east, north = frame.total_bounds
    assert -6.5 <= west and east <= 1.8 and 49.8 <= south and north <= 55.9


def test_levels_tile_the_same_land():
    total = {name: _area_km2(loader()).sum() for name, loader in
             [("authorities", load_authorities), ("pdus", load_pdus), ("regions", load_regions)]}
    assert total["pdus"] == pytest.approx(total["authorities"], rel=1e-3)
    assert total["regions"] == pytest.approx(total["authorities"], rel=1e-3)
    assert total["authorities"] == pytest.approx(151_000, rel=0.02)  # E&W ≈ 151,000 km²


@pytest.mark.parametrize("gss_code, expected", sorted(ONS_STANDARD_AREA_KM2.items()))
def test_gm_borough_area_within_2_percent_of_ons_standard_area(gss_code, expected):
    boroughs = load_gm_boroughs().set_index("gss_code")
    area = _area_km2(boroughs.loc[[gss_code]]).iloc[0]
    assert area == pytest.approx(expected, rel=0.02)


def test_greater_manchester_total_about_1276_km2():
    assert _area_km2(load_gm_boroughs()).sum() == pytest.approx(1276, rel=0.01)
    units = load_gm_demand_units()
    assert len(units) == 11
    assert _area_km2(units).sum() == pytest.approx(_area_km2(load_gm_boroughs()).sum(), rel=1e-3)


def test_demand_units_match_the_published_demand_table():
    demand = pd.read_csv(paths.REFERENCE_ASSETS / "gm_anticipated_demand_2023.csv")
    assert set(load_gm_demand_units()["name"]) == set(demand["pdu_row"])


def test_committed_geometry_is_small():
    files = [paths.AUTHORITIES_FILE, paths.PDUS_FILE, paths.REGIONS_FILE,
             paths.GM_BOROUGHS_FILE, paths.GM_DEMAND_UNITS_FILE, paths.GM_POSTCODES_FILE]
    assert sum(f.stat().st_size for f in files) <= 5_000_000


def test_attribution_is_beside_the_files():
    readme = (paths.GEO_ASSETS / "README.md").read_text(encoding="utf-8")
    assert paths.ATTRIBUTION in readme.replace("**", "").replace("\n", " ")
