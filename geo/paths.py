"""Where the committed geography files live (shared by the build step and the run-time API)."""

from __future__ import annotations

from pathlib import Path

GEO_ASSETS = Path(__file__).resolve().parent.parent / "assets" / "geo"
REFERENCE_ASSETS = GEO_ASSETS.parent / "reference"

AUTHORITIES_FILE = GEO_ASSETS / "authorities.geojson"
PDUS_FILE = GEO_ASSETS / "pdus.geojson"
REGIONS_FILE = GEO_ASSETS / "regions.geojson"
GM_BOROUGHS_FILE = GEO_ASSETS / "gm_boroughs.geojson"
GM_DEMAND_UNITS_FILE = GEO_ASSETS / "gm_demand_units.geojson"
GM_POSTCODES_FILE = GEO_ASSETS / "gm_postcodes.csv.gz"
CROSSWALK_FILE = GEO_ASSETS / "authority_crosswalk.csv"
MANIFEST_FILE = GEO_ASSETS / "build_manifest.json"

PDU_REFERENCE_FILE = REFERENCE_ASSETS / "probation_delivery_units.csv"
REGION_REFERENCE_FILE = REFERENCE_ASSETS / "probation_regions.csv"
GM_BOROUGH_REFERENCE_FILE = REFERENCE_ASSETS / "gm_boroughs.csv"
PDU_CHANGES_FILE = REFERENCE_ASSETS / "pdu_changes.csv"

#: Required wherever these boundaries or postcode positions are shown (OGL v3.0).
ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right."
)
