"""The reviewed authority → PDU → region crosswalk (assets/geo/authority_crosswalk.csv)."""

from __future__ import annotations

import pandas as pd

from geo import paths
from geo.boundaries import load_authorities, load_crosswalk
from geo.crosswalk_draft import COUNTY_DISTRICTS


def test_every_authority_in_exactly_one_region():
    crosswalk = load_crosswalk()
    regions_per_authority = crosswalk.groupby("gss_code")["region_code"].nunique()
    assert (regions_per_authority == 1).all()
    assert set(crosswalk["gss_code"]) == set(load_authorities()["gss_code"])


def test_every_pdu_has_at_least_one_authority_and_matches_annex_c_region():
    crosswalk = load_crosswalk()
    annex_c = pd.read_csv(paths.PDU_REFERENCE_FILE).set_index("pdu_number")
    assert set(crosswalk["pdu_number"]) == set(annex_c.index)
    regions = crosswalk.drop_duplicates("pdu_number").set_index("pdu_number")["region_code"]
    assert (regions == annex_c.loc[regions.index, "region_code"]).all()


def test_an_authority_is_only_in_several_pdus_when_marked_part():
    crosswalk = load_crosswalk()
    rows = crosswalk.groupby("gss_code").size()
    divided = set(rows[rows > 1].index)
    assert divided == set(crosswalk.loc[crosswalk["is_part"], "gss_code"])
    names = set(crosswalk.loc[crosswalk["gss_code"].isin(divided), "name"])
    assert names == {"Manchester", "Liverpool", "Birmingham", "Ribble Valley"}


def test_every_annex_c_authority_is_covered():
    crosswalk = load_crosswalk()
    annex_c = pd.read_csv(paths.PDU_REFERENCE_FILE)
    named = {a.strip().removesuffix(" (part)") for cell in annex_c["local_authorities"]
             for a in cell.split(";")}
    assert named == set(crosswalk["annex_c_authority"])


def test_county_lists_are_the_164_districts_of_2025():
    crosswalk = load_crosswalk()
    districts = crosswalk[crosswalk["gss_code"].str.startswith("E07")].drop_duplicates("gss_code")
    assert len(districts) == 164 == sum(len(v) for v in COUNTY_DISTRICTS.values())
    assert (districts["county"] != "").all()


def test_gm_rows_agree_with_domain():
    """DOMAIN.md: GM is region J, 10 boroughs, 9 PDUs; Bury+Rochdale and Stockport+Trafford
    combined; Manchester split North/South."""
    crosswalk = load_crosswalk()
    gm = crosswalk[crosswalk["region_code"] == "J"]
    boroughs = pd.read_csv(paths.GM_BOROUGH_REFERENCE_FILE)
    assert set(gm["gss_code"]) == set(boroughs["lad_code"])
    assert gm["pdu_number"].nunique() == 9
    for borough in boroughs.itertuples():
        expected = set(borough.probation_pdu_2021.split(";"))
        assert set(gm.loc[gm["gss_code"] == borough.lad_code, "pdu_name"]) == expected
    assert gm.loc[gm["name"] == "Manchester", "is_part"].all()
