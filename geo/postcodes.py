"""Offline postcode look-up and hub location checks for Greater Manchester."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
import shapely

from geo import paths
from geo.boundaries import load_gm_boroughs

#: A hub may sit this close outside its borough's drawn edge: the boundaries are
#: generalised (2011 LSOA edges, simplified), so a real address on the border can fall
#: a little outside. ~150 m is the order of the source generalisation.
BOUNDARY_TOLERANCE_M = 150.0
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")


class PostcodeError(ValueError):
    """A postcode that is malformed or not in the Greater Manchester lookup."""


class HubLocationError(ValueError):
    """A hub position that does not lie in the borough it is said to be in."""


@dataclass(frozen=True)
class ResolvedPostcode:
    postcode: str
    latitude: float
    longitude: float
    borough_gss: str


def normalise_postcode(postcode: str) -> str:
    """Upper case, no spaces: "m1 1ae " → "M11AE" (raises PostcodeError if not a postcode)."""
    compact = re.sub(r"\s+", "", str(postcode or "")).upper()
    if not _POSTCODE.match(compact):
        raise PostcodeError(f"{postcode!r} is not a UK postcode (for example M1 1AE).")
    return compact


def format_postcode(postcode: str) -> str:
    """"M11AE" → "M1 1AE"."""
    compact = normalise_postcode(postcode)
    return f"{compact[:-3]} {compact[-3:]}"


@lru_cache(maxsize=1)
def _gm_postcodes() -> pd.DataFrame:
    return pd.read_csv(
        paths.GM_POSTCODES_FILE,
        dtype={"postcode": str, "latitude": float, "longitude": float, "borough_gss": str},
    ).set_index("postcode")


def load_gm_postcodes() -> pd.DataFrame:
    """All postcodes in the ten GM boroughs: ``postcode``, ``latitude``, ``longitude``,
    ``borough_gss`` (terminated postcodes included: the source does not mark them)."""
    return _gm_postcodes().reset_index()


def resolve_postcode(postcode: str) -> ResolvedPostcode:
    """Position and borough of a Greater Manchester postcode, offline.

    Raises PostcodeError, with a message fit to show an admin, if the postcode is malformed
    or is not in one of the ten GM boroughs.
    """
    compact = normalise_postcode(postcode)
    table = _gm_postcodes()
    if compact not in table.index:
        raise PostcodeError(
            f"{format_postcode(compact)} is not a postcode in the ten Greater Manchester "
            "boroughs (ONS Postcode Directory, November 2025). Check it, or enter the "
            "position by hand."
        )
    row = table.loc[compact]
    return ResolvedPostcode(
        postcode=format_postcode(compact),
        latitude=float(row["latitude"]),
        longitude=float(row["longitude"]),
        borough_gss=str(row["borough_gss"]),
    )


@lru_cache(maxsize=1)
def _boroughs_bng():
    boroughs = load_gm_boroughs().to_crs("EPSG:27700")
    return boroughs.set_index("gss_code")


def borough_at(latitude: float, longitude: float) -> str | None:
    """GSS code of the GM borough containing a point, or None outside Greater Manchester."""
    boroughs = _boroughs_bng()
    point = _to_bng(latitude, longitude)
    hits = boroughs.index[boroughs.contains(point)]
    return str(hits[0]) if len(hits) else None


def _to_bng(latitude: float, longitude: float) -> shapely.Point:
    x, y = _transformer().transform(longitude, latitude)
    return shapely.Point(x, y)


@lru_cache(maxsize=1)
def _transformer():
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def hub_location_issues(borough_gss: str, latitude: float | None, longitude: float | None,
                        *, tolerance_m: float = BOUNDARY_TOLERANCE_M) -> list[str]:
    """Every reason a hub position does not fit its stated borough (empty list: it fits)."""
    boroughs = _boroughs_bng()
    if borough_gss not in boroughs.index:
        return [f"{borough_gss!r} is not one of the ten Greater Manchester boroughs."]
    name = boroughs.loc[borough_gss, "name"]
    if latitude is None or longitude is None:
        return [f"The hub in {name} has no position: enter a postcode or a latitude/longitude."]
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return [f"({latitude}, {longitude}) is not a latitude/longitude."]
    point = _to_bng(latitude, longitude)
    distance = boroughs.loc[borough_gss, "geometry"].distance(point)
    if distance <= tolerance_m:
        return []
    actual = borough_at(latitude, longitude)
    where = (
        f"in {boroughs.loc[actual, 'name']}" if actual else "outside Greater Manchester"
    )
    return [
        f"The position ({latitude:.5f}, {longitude:.5f}) is {where}, "
        f"{distance / 1000:.1f} km from {name}: a hub must be inside the borough it serves "
        "(GMIRS specification §2.1)."
    ]


def validate_hub_location(borough_gss: str, latitude: float | None, longitude: float | None,
                          *, tolerance_m: float = BOUNDARY_TOLERANCE_M) -> None:
    """Raise HubLocationError with a clear message if the hub is outside its borough."""
    issues = hub_location_issues(borough_gss, latitude, longitude, tolerance_m=tolerance_m)
    if issues:
        raise HubLocationError(" ".join(issues))
