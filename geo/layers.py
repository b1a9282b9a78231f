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
import shapely
from pydeck.bindings.json_tools import default_serialize

GM_VIEW = pdk.ViewState(latitude=53.51, longitude=-2.32, zoom=9.2)
ENGLAND_WALES_VIEW = pdk.ViewState(latitude=52.7, longitude=-2.6, zoom=5.4)
OUTLINE_RGBA = [60, 60, 60, 255]
LABEL_RGBA = [11, 12, 12, 255]  # GOV.UK text colour
HUB_FILL_RGBA = [255, 255, 255, 255]
HUB_RING_RGBA = [11, 12, 12, 255]
HUB_MIN_PX, HUB_MAX_PX = 6.0, 13.0
SELECTED_EDGE_PX = 4
#: Reach is drawn in 1 km squares of postcodes: ~1,300 discs for Greater Manchester, light
#: enough for a browser without a GPU (500 m gave ~4,100 and a 0.7 MB deck).
REACH_CELL_M = 1000.0


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
#: (The lightest is kept well off white, so the lowest class is not mistaken for the page.)
SEQUENTIAL_COLOURS = ("#C6DBEF", "#9ECAE1", "#6BAED6", "#3182BD", "#08519C")
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


#: Simplification tolerance (degrees) for each view: about a third of a screen pixel there,
#: so the outline drawn is the same and the browser gets a fraction of the vertices.
#: (GM at zoom ~10: ~75 m a pixel; England and Wales at zoom ~5.4: ~2 km; a region at 7.2: ~550 m.)
TOLERANCE_GM = 0.0003
TOLERANCE_NATIONAL = 0.01
TOLERANCE_REGION = 0.002


def simplified(areas: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """``areas`` with geometry simplified to ``tolerance`` degrees and coordinates rounded to
    a tenth of it: the deck's size is mostly vertices, each printed in full."""
    out = areas.copy()
    decimals = math.ceil(-math.log10(tolerance)) + 1
    geometry = shapely.simplify(out.geometry.values, tolerance, preserve_topology=True)
    out["geometry"] = shapely.transform(geometry, lambda xy: np.round(xy, decimals))
    return out


def _layer(kind: str, data, *, layer_id: str, accessors: dict[str, object] | None = None,
           **options) -> pdk.Layer:
    """A pydeck layer whose ``accessors`` are read per object and whose ``options`` reach
    deck.gl exactly as given.

    pydeck turns every string keyword into a deck.gl expression ("@@=…"): right for an
    accessor naming a field (``get_radius="radius"``), wrong for a literal option
    (``radius_units="meters"`` became the expression ``meters``, undefined for every hub, so
    each circle covered the whole view: issue 18). Options are therefore set on the layer
    after pydeck has built it, where its serialiser writes them as they are.
    """
    layer = pdk.Layer(kind, data=data, id=layer_id, **(accessors or {}))
    for name, value in options.items():
        setattr(layer, name, value)
    return layer


def choropleth_layer(areas: gpd.GeoDataFrame, band_keys: pd.Series, scheme: BandScheme,
                     tooltips: pd.Series, *, layer_id: str, opacity: int = 230,
                     selected: pd.Series | None = None, extra: dict[str, pd.Series] | None = None
                     ) -> pdk.Layer:
    """GeoJsonLayer shading ``areas`` by band, each feature with a plain-text ``tooltip``.

    ``selected`` (booleans) draws those areas with a thick dark edge; ``extra`` adds
    properties (e.g. the area's name) that a click hands back to the page.
    """
    frame = areas[["geometry"]].copy()
    frame["fill"] = [hex_to_rgba(scheme.band(k).colour, opacity) for k in band_keys]
    frame["tooltip"] = tooltips.to_numpy()
    chosen = selected.to_numpy() if selected is not None else np.zeros(len(frame), bool)
    frame["edge"] = [SELECTED_EDGE_PX if s else 1 for s in chosen]
    for name, values in (extra or {}).items():
        frame[name] = values.to_numpy()
    return _layer(
        "GeoJsonLayer", _features(frame, ["fill", "tooltip", "edge", *(extra or {})]),
        layer_id=layer_id,
        accessors={"get_fill_color": "properties.fill", "get_line_width": "properties.edge"},
        pickable=True, stroked=True, filled=True, auto_highlight=True,
        highlight_color=[255, 255, 255, 90],
        get_line_color=OUTLINE_RGBA, line_width_units="pixels", line_width_min_pixels=1,
    )


def outline_layer(areas: gpd.GeoDataFrame, tooltips: pd.Series, *, layer_id: str,
                  width_pixels: float = 1.5, pickable: bool = True,
                  colour: list[int] | None = None, dashed: bool = False) -> pdk.Layer:
    """Unfilled boundaries (e.g. PDUs over regions or boroughs) with a tooltip each."""
    frame = areas[["geometry"]].copy()
    frame["tooltip"] = tooltips.to_numpy()
    return _layer(
        "GeoJsonLayer", _features(frame, ["tooltip"]), layer_id=layer_id,
        pickable=pickable, stroked=True, filled=False,
        get_line_color=colour or [20, 20, 20, 230], line_width_units="pixels",
        get_line_width=width_pixels, line_width_min_pixels=width_pixels,
    )


#: Text is drawn from a signed-distance-field font atlas, so a label gets a white halo (its
#: outline) in the same shader as its letters. A white box behind each label was a second
#: shader program (deck.gl's TextBackgroundLayer), and compiling a program is most of what a
#: browser without a GPU spends drawing a map (issue 18: a Chrome trace of the Maps page).
#: Atlas pixels: an outline of ``LABEL_HALO`` at font size ``SDF_FONT_PX`` is about
#: LABEL_HALO × size / SDF_FONT_PX screen pixels (about 2 px round 12-pixel text).
SDF_FONT_PX = 32
SDF_FONT = {"sdf": True, "fontSize": SDF_FONT_PX, "buffer": 6, "radius": 10}
LABEL_HALO = 6


def label_layer(points: pd.DataFrame, *, layer_id: str, size_px: int = 13,
                offset_px: tuple[int, int] = (0, 0), anchor: str = "middle",
                bold: bool = True) -> pdk.Layer:
    """Text labels (``lon``, ``lat``, ``text``; optional ``dx``, ``dy`` screen-pixel nudges
    for labels that would collide), dark with a white halo so they read over any fill.

    Not pickable: the area or hub under a label gives the tooltip and takes the click.
    """
    data = pd.DataFrame({"lon": points["lon"].astype(float).round(5).to_numpy(),
                         "lat": points["lat"].astype(float).round(5).to_numpy(),
                         "text": points["text"].astype(str).to_numpy()})
    accessors: dict[str, object] = {"get_position": ["lon", "lat"], "get_text": "text"}
    options: dict[str, object] = {"get_pixel_offset": list(offset_px)}
    if "dx" in points:
        data["dx"], data["dy"] = points["dx"].to_numpy(), points["dy"].to_numpy()
        accessors, options = {**accessors, "get_pixel_offset": ["dx", "dy"]}, {}
    return _layer(
        "TextLayer", data, layer_id=layer_id, accessors=accessors, **options,
        pickable=False, get_size=size_px, size_units="pixels", get_color=LABEL_RGBA,
        get_text_anchor=anchor, get_alignment_baseline="center",
        font_settings=SDF_FONT, outline_width=LABEL_HALO, outline_color=[255, 255, 255, 255],
        font_family="Arial, Helvetica, sans-serif", font_weight="bold" if bold else "normal",
        character_set="auto",
    )


def label_points(areas: gpd.GeoDataFrame, names: pd.Series, *, avoid: list[tuple[float, float]] = (),
                 clearance: float = 0.02) -> pd.DataFrame:
    """One label point inside each area, as far from its edges as can be (the pole of
    inaccessibility of its largest part) and at least ``clearance`` degrees from each point in
    ``avoid`` (e.g. hubs, so a marker does not hide the name) where the area leaves room."""
    from shapely.ops import polylabel

    keep_clear = shapely.union_all([shapely.Point(lon, lat).buffer(clearance) for lat, lon in avoid]) \
        if avoid else None
    points = []
    for shape in areas.geometry:
        room = shape.difference(keep_clear) if keep_clear is not None else shape
        room = room if not room.is_empty else shape
        parts = getattr(room, "geoms", [room])
        largest = max(parts, key=lambda part: part.area)
        points.append(polylabel(largest, tolerance=0.002))
    return pd.DataFrame({"lon": [p.x for p in points], "lat": [p.y for p in points],
                         "text": names.to_numpy()})


#: A hub is the disc character drawn white with a black outline (the SDF halo) in the labels'
#: shader: a ring of ``HUB_RING`` atlas pixels. The disc fills about ``DISC_EM`` of the font size.
HUB_GLYPH = "\u25cf"
HUB_RING = 5
DISC_EM = 0.62


def hub_layer(hubs: pd.DataFrame, tooltips: pd.Series, *, layer_id: str = "hubs") -> pdk.Layer:
    """Hubs as places: a white disc in a thick black ring (a station on a transit map), in
    screen pixels so it reads at every zoom; its area grows with ``referrals``.

    Drawn as text (a disc character) so the map needs no shader program of its own for hubs
    (see :data:`SDF_FONT`); a click on it hands back the hub's ``name`` and ``borough``."""
    referrals = hubs["referrals"].fillna(0).astype(float).clip(lower=0)
    radius = np.minimum(HUB_MAX_PX, HUB_MIN_PX + np.sqrt(referrals) / 3)
    data = pd.DataFrame(
        {
            "lon": hubs["longitude"].astype(float).round(5).to_numpy(),
            "lat": hubs["latitude"].astype(float).round(5).to_numpy(),
            "size": (2 * radius / DISC_EM).round(1).to_numpy(),
            "text": HUB_GLYPH,
            "tooltip": tooltips.to_numpy(),
            "name": hubs["name"].to_numpy(),
            "borough": hubs["borough"].to_numpy(),
        }
    )
    return _layer(
        "TextLayer", data, layer_id=layer_id,
        accessors={"get_position": ["lon", "lat"], "get_size": "size", "get_text": "text"},
        pickable=True, size_units="pixels", get_color=HUB_FILL_RGBA, get_text_anchor="middle",
        get_alignment_baseline="center", font_settings=SDF_FONT, outline_width=HUB_RING,
        outline_color=HUB_RING_RGBA, font_family="Arial, Helvetica, sans-serif",
        character_set=[HUB_GLYPH],
    )


def reach_layer(cells: pd.DataFrame, cell_m: float = REACH_CELL_M, *, layer_id: str = "reach"
                ) -> pdk.Layer:
    """Postcode cells coloured by straight-line distance band to the nearest hub: the cell's
    square on the ground (four corners), drawn by the areas' own fill shader, so switching
    reach on compiles no new program. Plain rows, not GeoJSON: half the JSON per cell."""
    keys = cells["median_km"].map(reach_band)
    lat = cells["latitude"].to_numpy(float)
    lon = cells["longitude"].to_numpy(float)
    half_lat = cell_m / 2 / 111_320.0
    half_lon = half_lat / np.cos(np.radians(lat))
    west, east = np.round(lon - half_lon, 4), np.round(lon + half_lon, 4)
    south, north = np.round(lat - half_lat, 4), np.round(lat + half_lat, 4)
    data = pd.DataFrame({
        "square": [[[w, s], [e, s], [e, n], [w, n]] for w, e, s, n in
                   zip(west.tolist(), east.tolist(), south.tolist(), north.tolist())],
        "fill": [hex_to_rgba(REACH_BANDS.band(k).colour, 170) for k in keys],
        "tooltip": [
            f"{n} postcodes, median {km:.1f} km to a hub (straight line): {REACH_BANDS.band(k).label}"
            for n, km, k in zip(cells["postcodes"], cells["median_km"], keys)
        ],
    })
    return _layer(
        "SolidPolygonLayer", data, layer_id=layer_id,
        accessors={"get_polygon": "square", "get_fill_color": "fill"},
        pickable=True, filled=True, extruded=False,
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
