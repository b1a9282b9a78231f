"""Offline postcode resolution and hub checks."""

from __future__ import annotations

import pandas as pd
import pytest

from geo import paths
from geo.postcodes import (
    HubLocationError,
    PostcodeError,
    hub_location_issues,
    load_gm_postcodes,
    resolve_postcode,
    validate_hub_location,
)

BOROUGH_GSS = pd.read_csv(paths.GM_BOROUGH_REFERENCE_FILE).set_index("borough")["lad_code"]


@pytest.mark.parametrize("raw", ["M1 1AE", "m11ae", " m1  1ae "])
def test_resolve_postcode_normalises(raw):
    resolved = resolve_postcode(raw)
    assert resolved.postcode == "M1 1AE"
    assert resolved.borough_gss == "E08000003"
    assert 53.47 < resolved.latitude < 53.50 and -2.25 < resolved.longitude < -2.21


@pytest.mark.parametrize("raw", ["", "NOT A POSTCODE", "SW1A 1AA"])
def test_resolve_postcode_rejects_malformed_or_outside_gm(raw):
    with pytest.raises(PostcodeError):
        resolve_postcode(raw)


def test_gm_postcode_lookup_covers_the_ten_boroughs():
    lookup = load_gm_postcodes()
    assert set(lookup["borough_gss"]) == set(BOROUGH_GSS)
    assert lookup["postcode"].is_unique and len(lookup) > 100_000


def test_hub_in_its_borough_passes_and_outside_is_rejected_clearly():
    validate_hub_location("E08000003", 53.4808, -2.2426)  # Manchester city centre
    with pytest.raises(HubLocationError, match="in Salford"):
        validate_hub_location("E08000003", 53.4875, -2.2901)  # Salford Precinct
    with pytest.raises(HubLocationError, match="outside Greater Manchester"):
        validate_hub_location("E08000001", 51.5074, -0.1278)  # London
    assert "not one of the ten" in hub_location_issues("E09000001", 51.5, -0.1)[0]
    assert "no position" in hub_location_issues("E08000001", None, None)[0]


def test_every_demo_hub_is_inside_its_borough():
    demo = pytest.importorskip("data_access.demo")
    for name, borough, _address, _postcode, lat, lon in demo.DEMO_HUBS:
        assert hub_location_issues(BOROUGH_GSS[borough], lat, lon, tolerance_m=0) == [], name
