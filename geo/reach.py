"""Reach: straight-line distance from every GM postcode to its nearest hub.

Straight-line ("as the crow flies") distance in British National Grid metres. It is not
travel time: the map and table say so. (No road or public-transport network for Greater
Manchester is available offline from a package registry here, so travel time is not offered.)

The reach of a set of hubs depends only on where the open hubs are, so it is worked out once
per set of positions (:func:`reach_for`) and kept: saving or importing hubs calls
:func:`precompute_reach`, and the Maps page then only reads it, whether or not the reach
layer is switched on.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from geo.boundaries import load_gm_boroughs
from geo.postcodes import _transformer, load_gm_postcodes

REACH_BANDS_KM: tuple[float, ...] = (2.0, 5.0, 10.0)


@lru_cache(maxsize=1)
def _postcode_grid() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    postcodes = load_gm_postcodes()
    x, y = _transformer().transform(postcodes["longitude"].to_numpy(),
                                    postcodes["latitude"].to_numpy())
    return np.asarray(x), np.asarray(y), postcodes["borough_gss"].to_numpy()


def nearest_hub_km(hubs: pd.DataFrame) -> np.ndarray:
    """Distance (km) from each GM postcode (in ``load_gm_postcodes()`` order) to the nearest
    hub in ``hubs`` (``latitude``, ``longitude``); ``inf`` when there is no hub."""
    x, y, _ = _postcode_grid()
    located = hubs.dropna(subset=["latitude", "longitude"])
    if located.empty:
        return np.full(len(x), np.inf)
    hx, hy = _transformer().transform(located["longitude"].to_numpy(dtype=float),
                                      located["latitude"].to_numpy(dtype=float))
    best = np.full(len(x), np.inf)
    for one_x, one_y in zip(np.atleast_1d(hx), np.atleast_1d(hy)):
        best = np.minimum(best, np.hypot(x - one_x, y - one_y))
    return best / 1000.0


def reach_by_borough(hubs: pd.DataFrame, bands_km: tuple[float, ...] = REACH_BANDS_KM
                     ) -> pd.DataFrame:
    """Per borough: postcodes, % within each band of the nearest hub (any borough's hub),
    and the median and maximum distance in km.

    Columns: ``borough_gss``, ``borough``, ``postcodes``, ``pct_within_{b}km`` for each band,
    ``median_km``, ``max_km``.
    """
    _, _, borough = _postcode_grid()
    frame = pd.DataFrame({"borough_gss": borough, "km": nearest_hub_km(hubs)})
    grouped = frame.groupby("borough_gss")["km"]
    out = pd.DataFrame({"postcodes": grouped.size()})
    for band in bands_km:
        out[f"pct_within_{band:g}km"] = grouped.apply(lambda s, b=band: (s <= b).mean() * 100)
    out["median_km"] = grouped.median()
    out["max_km"] = grouped.max()
    names = load_gm_boroughs().set_index("gss_code")["name"]
    out = out.reset_index()
    out.insert(1, "borough", out["borough_gss"].map(names))
    return out.round({c: 1 for c in out.columns if c.startswith("pct_") or c.endswith("_km")})


def reach_cells(hubs: pd.DataFrame, cell_m: float = 1000.0) -> pd.DataFrame:
    """Postcodes binned into square cells (for a light map layer): cell centre
    ``latitude``/``longitude``, ``postcodes``, ``median_km`` to the nearest hub."""
    x, y, _ = _postcode_grid()
    km = nearest_hub_km(hubs)
    cx = np.floor(x / cell_m).astype(np.int64)
    cy = np.floor(y / cell_m).astype(np.int64)
    frame = pd.DataFrame({"cx": cx, "cy": cy, "km": km})
    cells = frame.groupby(["cx", "cy"])["km"].agg(postcodes="size", median_km="median")
    cells = cells.reset_index()
    centre_x = (cells["cx"].to_numpy() + 0.5) * cell_m
    centre_y = (cells["cy"].to_numpy() + 0.5) * cell_m
    from pyproj import Transformer

    lon, lat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform(
        centre_x, centre_y)
    return pd.DataFrame({"latitude": np.round(lat, 5), "longitude": np.round(lon, 5),
                         "postcodes": cells["postcodes"].to_numpy(),
                         "median_km": cells["median_km"].round(2).to_numpy()})


@dataclass(frozen=True)
class Reach:
    """Reach of one set of hub positions: per borough (:func:`reach_by_borough`) and per
    1 km cell (:func:`reach_cells`)."""

    by_borough: pd.DataFrame
    cells: pd.DataFrame


def _positions(hubs: pd.DataFrame) -> tuple[tuple[float, float], ...]:
    located = hubs.dropna(subset=["latitude", "longitude"])
    return tuple(sorted({(round(float(lat), 6), round(float(lon), 6))
                         for lat, lon in zip(located["latitude"], located["longitude"])}))


@lru_cache(maxsize=16)
def _reach_at(positions: tuple[tuple[float, float], ...]) -> Reach:
    hubs = pd.DataFrame(positions, columns=["latitude", "longitude"])
    return Reach(reach_by_borough(hubs), reach_cells(hubs))


def reach_for(hubs: pd.DataFrame) -> Reach:
    """The reach of ``hubs`` (``latitude``, ``longitude``), computed once per set of
    positions in this process (names, counts and order do not change it)."""
    return _reach_at(_positions(hubs))


def precompute_reach(hubs: pd.DataFrame) -> Reach:
    """Work out the reach of a new set of hubs now (called when hubs are saved or imported),
    so the first person to open the Maps page after it does not wait for it."""
    return reach_for(hubs)
