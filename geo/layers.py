"""pydeck layer builders: pure functions from frames to ``pdk.Layer`` / ``pdk.Deck``.

Accessibility (WCAG 2.2 AA, DOMAIN.md): colour is never the only cue. Every band has a
word label and a symbol, carried in the tooltip and in the table beside the map; palettes
are colour-blind safe (Analysis Function categorical colours; a single-hue blue ramp for
ordered classes). Tooltips are plain text (no HTML).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

GM_VIEW = pdk.ViewState(latitude=53.51, longitude=-2.32, zoom=9.2)
ENGLAND_WALES_VIEW = pdk.ViewState(latitude=52.7, longitude=-2.6, zoom=5.4)
OUTLINE_RGBA = [60, 60, 60, 255]


def hex_to_rgba(colour: str, alpha: int = 255) -> list[int]:
    colour = colour.lstrip("#")
    return [int(colour[i:i + 2], 16) for i in (0, 2, 4)] + [alpha]


@dataclass(frozen=True)
class Band:
    key: str
    label: str
    symbol: str
    colour: str

    @property
    def text(self) -> str:
        return f"{self.symbol} {self.label}"


@dataclass(frozen=True)
class BandScheme:
    title: str
    bands: tuple[Band, ...]

    def band(self, key) -> Band:
        for band in self.bands:
            if band.key == key:
                return band
        return self.bands[-1]

    def legend(self) -> pd.DataFrame:
        """The legend as a table: symbol, band, colour (for the page and screen readers)."""
        return pd.DataFrame(
            {"symbol": [b.symbol for b in self.bands], "band": [b.label for b in self.bands],
             "colour": [b.colour for b in self.bands]}
        )


NO_DATA = Band("no data", "no data", "–", "#D9D9D9")

#: Referrals against the published 40–60% forecast range (GMIRS spec §1.12).
FORECAST_BANDS = BandScheme(
    "Referrals against the 40–60% forecast band",
    (
        Band("below", "below band", "▼", "#801650"),
        Band("within", "within band", "●", "#28A197"),
        Band("above", "above band", "▲", "#12436D"),
        NO_DATA,
    ),
)

#: KPI status against target (DOMAIN.md "Status against target").
KPI_STATUS_BANDS = BandScheme(
    "Status against target",
    (
        Band("met", "met", "✔", "#28A197"),
        Band("below target", "below target", "▼", "#F46A25"),
        Band("below trigger", "below trigger", "▼▼", "#801650"),
        NO_DATA,
    ),
)

#: Straight-line distance to the nearest hub.
REACH_BANDS = BandScheme(
    "Straight-line distance to the nearest hub",
    (
        Band("2", "within 2 km", "◆", "#08519C"),
        Band("5", "2–5 km", "◇", "#6BAED6"),
        Band("10", "5–10 km", "○", "#C6DBEF"),
        Band("far", "over 10 km", "✕", "#F46A25"),
    ),
)

#: Ordered classes, light to dark, with bar glyphs so the order reads without colour.
SEQUENTIAL_COLOURS = ("#EFF3FF", "#BDD7E7", "#6BAED6", "#3182BD", "#08519C")
SEQUENTIAL_SYMBOLS = ("▁", "▂", "▄", "▆", "█")


def forecast_band(value: float | None, low: float | None, high: float | None) -> str:
    if value is None or low is None or high is None or any(
        isinstance(v, float) and math.isnan(v) for v in (value, low, high)
    ):
        return NO_DATA.key
    if value < low:
        return "below"
    return "above" if value > high else "within"


def reach_band(km: float) -> str:
    for limit in (2, 5, 10):
        if km <= limit:
            return str(limit)
    return "far"


def sequential_bands(values: pd.Series, title: str, *, classes: int = 5,
                     number_format: str = "{:.1f}") -> tuple[BandScheme, pd.Series]:
    """Equal-interval classes over the observed range; returns the scheme and each value's key."""
    observed = values.dropna().astype(float)
    if observed.empty:
        return BandScheme(title, (NO_DATA,)), pd.Series(NO_DATA.key, index=values.index)
    low, high = float(observed.min()), float(observed.max())
    if high == low:
        high = low + 1.0
    edges = np.linspace(low, high, classes + 1)
    bands = tuple(
        Band(str(i), f"{number_format.format(edges[i])}–{number_format.format(edges[i + 1])}",
             SEQUENTIAL_SYMBOLS[i], SEQUENTIAL_COLOURS[i])
        for i in range(classes)
    ) + (NO_DATA,)
    index = np.clip(np.searchsorted(edges, values.astype(float), side="right") - 1, 0, classes - 1)
    keys = pd.Series([str(i) for i in index], index=values.index).where(values.notna(), NO_DATA.key)
    return BandScheme(title, bands), keys


def _features(frame: gpd.GeoDataFrame, properties: list[str]) -> dict:
    """A compact GeoJSON FeatureCollection holding only ``properties``."""
    keep = frame[properties + ["geometry"]]
    return keep.__geo_interface__


def choropleth_layer(areas: gpd.GeoDataFrame, band_keys: pd.Series, scheme: BandScheme,
                     tooltips: pd.Series, *, layer_id: str, opacity: int = 200) -> pdk.Layer:
    """GeoJsonLayer shading ``areas`` by band, each feature with a plain-text ``tooltip``."""
    frame = areas[["geometry"]].copy()
    frame["fill"] = [hex_to_rgba(scheme.band(k).colour, opacity) for k in band_keys]
    frame["tooltip"] = tooltips.to_numpy()
    return pdk.Layer(
        "GeoJsonLayer",
        data=_features(frame, ["fill", "tooltip"]),
        id=layer_id,
        pickable=True,
        stroked=True,
        filled=True,
        get_fill_color="properties.fill",
        get_line_color=OUTLINE_RGBA,
        line_width_min_pixels=1,
    )


def outline_layer(areas: gpd.GeoDataFrame, tooltips: pd.Series, *, layer_id: str,
                  width_pixels: float = 1.5, pickable: bool = True) -> pdk.Layer:
    """Unfilled boundaries (e.g. PDUs over regions) with a tooltip each."""
    frame = areas[["geometry"]].copy()
    frame["tooltip"] = tooltips.to_numpy()
    return pdk.Layer(
        "GeoJsonLayer",
        data=_features(frame, ["tooltip"]),
        id=layer_id,
        pickable=pickable,
        stroked=True,
        filled=True,
        get_fill_color=[0, 0, 0, 0],
        get_line_color=[20, 20, 20, 220],
        line_width_min_pixels=width_pixels,
    )


def hub_layer(hubs: pd.DataFrame, band_keys: pd.Series, scheme: BandScheme,
              tooltips: pd.Series, *, layer_id: str = "hubs") -> pdk.Layer:
    """Hubs as circles sized by ``referrals`` (area ∝ count) and filled by band, outlined."""
    referrals = hubs["referrals"].fillna(0).astype(float).clip(lower=0)
    data = pd.DataFrame(
        {
            "lon": hubs["longitude"].astype(float).round(5).to_numpy(),
            "lat": hubs["latitude"].astype(float).round(5).to_numpy(),
            "radius": (300 + 40 * np.sqrt(referrals)).round(0).to_numpy(),
            "fill": [hex_to_rgba(scheme.band(k).colour) for k in band_keys],
            "tooltip": tooltips.to_numpy(),
        }
    )
    return pdk.Layer(
        "ScatterplotLayer",
        data=data,
        id=layer_id,
        pickable=True,
        stroked=True,
        filled=True,
        get_position=["lon", "lat"],
        get_radius="radius",
        radius_units="meters",
        get_fill_color="fill",
        get_line_color=[0, 0, 0, 255],
        line_width_min_pixels=2,
    )


def reach_layer(cells: pd.DataFrame, cell_m: float = 500.0, *, layer_id: str = "reach"
                ) -> pdk.Layer:
    """Postcode cells coloured by straight-line distance band to the nearest hub."""
    keys = cells["median_km"].map(reach_band)
    data = pd.DataFrame(
        {
            "lon": cells["longitude"].to_numpy(),
            "lat": cells["latitude"].to_numpy(),
            "fill": [hex_to_rgba(REACH_BANDS.band(k).colour, 150) for k in keys],
            "tooltip": [
                f"{n} postcodes · median {km:.1f} km to nearest hub · {REACH_BANDS.band(k).text}"
                for n, km, k in zip(cells["postcodes"], cells["median_km"], keys)
            ],
        }
    )
    return pdk.Layer(
        "ScatterplotLayer",
        data=data,
        id=layer_id,
        pickable=True,
        get_position=["lon", "lat"],
        get_radius=cell_m * 0.5,
        radius_units="meters",
        get_fill_color="fill",
    )


class CompactDeck(pdk.Deck):
    """A Deck whose JSON (what Streamlit sends to the browser) has no indentation.

    pydeck indents its JSON, which forces Python's pure-Python encoder: for the Greater
    Manchester map that was 4.7 MB and about 0.25 s holding the interpreter on every rerun.
    The same JSON without whitespace is about 0.8 MB from the C encoder in about 0.04 s.
    """

    _prebuilt_json: str | None = None  # set only on the copies ``prebuilt`` returns

    def to_json(self) -> str:
        if self._prebuilt_json is not None:
            return self._prebuilt_json
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))

    def prebuilt(self) -> CompactDeck:
        """A copy carrying this deck's JSON, made once now, and no layers of its own.

        For a deck cached and shared by every session: each rerun sends the stored JSON instead
        of serialising the layers again (for the Greater Manchester map that was most of the
        page's time under load), and Streamlit, which converts a deck's layer data in place
        before serialising it, finds no layers to touch on the shared object.
        """
        text = self.to_json()
        copied = copy.copy(self)
        copied.layers = []
        copied._prebuilt_json = text
        return copied


def build_deck(layers: list[pdk.Layer], view: pdk.ViewState, *, basemap: str | None = None
               ) -> pdk.Deck:
    """A Deck with no basemap by default, so it draws with no network.

    In pydeck + Streamlit, ``map_style=None`` does *not* mean "no basemap": Streamlit then
    fetches a CARTO style. No basemap is ``map_provider=None`` with pydeck's default style
    sentinel, which Streamlit leaves alone. ``basemap`` ("light", "dark", "road") turns a
    CARTO basemap on where the network allows.
    """
    tooltip = {"text": "{tooltip}"}
    if basemap:
        return CompactDeck(layers=layers, initial_view_state=view, map_provider="carto",
                           map_style=basemap, tooltip=tooltip)
    return CompactDeck(layers=layers, initial_view_state=view, map_provider=None, tooltip=tooltip)


def as_of_text(as_of: dt.date | None) -> str:
    return f"as of {as_of:%d %b %Y}" if as_of else "no data loaded"
