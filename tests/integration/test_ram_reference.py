"""Refer and Monitor reference data: its region letters are translated, never compared with the
TOM's, and the GM wellbeing contracts it holds are mapped before a provider's first import."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select

from data_access.db import session_scope
from data_access.importers.ram import import_ram_performance
from data_access.models import (
    Borough,
    Contract,
    ContractBorough,
    Provider,
    RamRegion,
    Referral,
    Region,
)
from data_access.reference import ram_region_code
from data_access.settings import PROJECT_ROOT

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "imports" / "ram_valid.csv"


def test_ram_region_letters_translate_to_the_toms(reference_engine):
    with session_scope(reference_engine) as session:
        assert ram_region_code(session, "L") == "J"  # R&M's Greater Manchester
        assert ram_region_code(session, "j") == "L"  # R&M's London
        assert ram_region_code(session, "Z") is None
        # The same letter names different regions in the two systems: L is London in the TOM.
        assert session.get(Region, "L").name == "London"
        rows = session.execute(select(RamRegion.ram_code, RamRegion.ram_name, Region.name)
                               .join(Region, Region.code == RamRegion.region_code)).all()
    assert len(rows) == 12
    # Every translation is checked by name (both systems name the twelve regions alike); only
    # A (North East) and G (South West) share a letter.
    assert all(ram_name == tom_name for _, ram_name, tom_name in rows)
    with session_scope(reference_engine) as session:
        differ = session.scalar(select(func.count()).select_from(RamRegion).where(RamRegion.ram_code != RamRegion.region_code))
    assert differ == 10


def test_no_code_reads_an_ram_region_letter_except_through_the_translation():
    """R&M's letters (``nps_region_code``) are read in one place, and only to translate them."""
    readers = []
    for path in PROJECT_ROOT.glob("*/**/*.py"):
        if "tests" in path.parts or ".venv" in path.parts:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if "nps_region_code" in line and not line.lstrip().startswith("#"):
                readers.append((path.relative_to(PROJECT_ROOT).as_posix(), line.strip()))
    assert readers and all(
        path == "data_access/reference.py" and re.search(r"ram_region_code\(session, r\[\"nps_region_code\"\]\)", line)
        for path, line in readers
    ), readers


def test_the_twenty_gm_wellbeing_contracts_are_mapped_to_borough_and_service(reference_engine):
    with session_scope(reference_engine) as session:
        rows = session.execute(
            select(Contract.reference, Contract.service, Contract.region_code, Contract.needs_mapping,
                   Contract.source, Provider.organisation_code, Borough.name)
            .join(Provider, Provider.id == Contract.provider_id)
            .join(ContractBorough, ContractBorough.contract_id == Contract.id)
            .join(Borough, Borough.id == ContractBorough.borough_id)
            .where(Contract.reference.like("DN671065_%"))
        ).all()
    assert len(rows) == 20 and len({r.reference for r in rows}) == 20
    for r in rows:
        borough, kind = re.fullmatch(r"DN671065_([A-Z]+)_(PWB|FBD)", r.reference).groups()
        assert r.name.upper() == borough
        assert r.service == {"PWB": "Personal Wellbeing", "FBD": "Finance, Benefit and Debt"}[kind]
        assert (r.region_code, r.needs_mapping, r.organisation_code) == ("J", False, "BIG_LIFE_GROUP")
        assert r.source.startswith("inferred from the R&M contract file")
    assert {r.name for r in rows} == {"Bolton", "Bury", "Manchester", "Oldham", "Rochdale", "Salford", "Stockport",
                                      "Tameside", "Trafford", "Wigan"}


def test_first_import_needs_no_mapping_for_a_known_contract_and_flags_an_unknown_one(reference_engine):
    report = (FIXTURE.read_text(encoding="utf-8")
              .replace("GMIRS-WSS-LOT1,ORG-NWP", "DN671065_BOLTON_PWB,BIG_LIFE_GROUP")
              .replace("GMIRS-WSS-LOT9,ORG-NEW", "DN671065_ELSEWHERE_PWB,BIG_LIFE_GROUP"))
    result = import_ram_performance(reference_engine, report.encode("utf-8"), file_name="report.csv")
    assert result.ok
    assert not any("DN671065_BOLTON_PWB" in n for n in result.notices)
    assert any("DN671065_ELSEWHERE_PWB" in n and "map" in n for n in result.notices)
    assert not any("BIG_LIFE_GROUP" in n for n in result.notices)  # the provider is known too
    with session_scope(reference_engine) as session:
        unknown = session.scalar(select(Contract).where(Contract.reference == "DN671065_ELSEWHERE_PWB"))
        assert unknown.needs_mapping
        bolton = session.scalar(select(Contract.id).where(Contract.reference == "DN671065_BOLTON_PWB"))
        linked = session.scalars(select(Referral.referral_ref).where(Referral.contract_id == bolton)).all()
    assert sorted(linked) == ["GM0000001", "GM0000002"]


def test_a_contract_an_import_registered_before_the_reference_data_is_mapped_by_init(engine):
    """A database that imported DN671065_WIGAN_FBD before this reference data existed: the
    next ``init`` maps it (it was waiting for an admin), and leaves admin-mapped ones alone."""
    from data_access.reference import load_reference_data

    with session_scope(engine) as session:
        provider = Provider(organisation_code="BIG_LIFE_GROUP", name="BIG_LIFE_GROUP", needs_review=True)
        session.add(provider)
        session.flush()
        session.add(Contract(reference="DN671065_WIGAN_FBD", service="to be mapped", provider_id=provider.id,
                             needs_mapping=True))
        session.add(Contract(reference="DN671065_WIGAN_PWB", service="Mapped by an admin", provider_id=provider.id,
                             needs_mapping=False))
    with session_scope(engine) as session:
        load_reference_data(session)
    with session_scope(engine) as session:
        fbd = session.scalar(select(Contract).where(Contract.reference == "DN671065_WIGAN_FBD"))
        pwb = session.scalar(select(Contract).where(Contract.reference == "DN671065_WIGAN_PWB"))
        assert (fbd.needs_mapping, fbd.service, fbd.region_code) == (False, "Finance, Benefit and Debt", "J")
        assert pwb.service == "Mapped by an admin"
        assert session.scalar(select(func.count()).select_from(Provider)) == 1
