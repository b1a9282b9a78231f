"""Run-time readers for the committed boundaries and crosswalk (``assets/geo/``).

Each reader parses its file once per process and hands out a copy, so a caller may add
columns freely. Nothing here needs the build packages.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import paths


@lru_cache(maxsize=None)
def _read_geojson(path: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(path, engine="pyogrio")


def load_authorities() -> gpd.GeoDataFrame:
    """The 318 local authority districts of 2025 (``gss_code``, ``name``, ``region_code``,
    ``pdu_numbers`` as "33;34" where an authority is divided)."""
    return _read_geojson(paths.AUTHORITIES_FILE).copy()


def load_pdus() -> gpd.GeoDataFrame:
    """The 108 PDUs (``pdu_number``, ``pdu_name``, ``region_code``, ``approximated``,
    ``approximation``)."""
    return _read_geojson(paths.PDUS_FILE).copy()


def load_regions() -> gpd.GeoDataFrame:
    """The 12 probation regions (``region_code`` A–L, ``region_name``)."""
    return _read_geojson(paths.REGIONS_FILE).copy()


def load_gm_boroughs() -> gpd.GeoDataFrame:
    """The ten Greater Manchester boroughs (``gss_code``, ``name``, ``area_km2``)."""
    return _read_geojson(paths.GM_BOROUGHS_FILE).copy()


def load_gm_demand_units() -> gpd.GeoDataFrame:
    """The 11 GMIRS demand units (``name`` as in the demand table, ``borough``,
    ``borough_gss``, ``pdu_number``, ``approximated``)."""
    return _read_geojson(paths.GM_DEMAND_UNITS_FILE).copy()


@lru_cache(maxsize=1)
def _read_crosswalk() -> pd.DataFrame:
    return pd.read_csv(
        paths.CROSSWALK_FILE,
        dtype={"gss_code": str, "county": str, "split_rule": str, "region_code": str},
        keep_default_na=False,
    )


def load_crosswalk() -> pd.DataFrame:
    """Authority → PDU → region, one row per (authority, PDU); ``is_part`` where divided."""
    return _read_crosswalk().copy()
