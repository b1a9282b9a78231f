"""A provider uploads only its own rows: enforced in data_access, on SQLite and PostgreSQL.

Setting: the R&M fixture imported by an administrator holds GM0000001 and GM0000002 for
ORG-NWP (contract GMIRS-WSS-LOT1) and GM0000003 for ORG-NEW (GMIRS-WSS-LOT9).
"""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select, text

from data_access.batches import import_history
from data_access.cli_import import run_import
from data_access.db import session_scope
from data_access.importers.case_extract import import_case_extract
from data_access.importers.ownership import (
    HELD_FOR_ANOTHER, NOT_YOUR_CONTRACT, NOT_YOUR_REFERRAL, REFERENCE_OF_ANOTHER,
)
from data_access.importers.ram import import_ram_performance
from data_access.models import Provider, User
from data_access.scoping import AccessScope, analyst_scope
from tests.integration.test_import_case_epop import EPOP_TEMPLATE, RAM_FIXTURE, table_counts, template_rows, to_csv

NEW_ID = "7d3c1f52-6a4e-4b51-9c57-1a2b3c4d5e09"


@pytest.fixture()
def held(reference_engine):
    """The fixture imported; provider accounts for ORG-NWP ("nwp", "nwp2") and ORG-NEW ("new")."""
    assert import_ram_performance(reference_engine, RAM_FIXTURE, user="admin").written
    with session_scope(reference_engine) as session:
        ids = dict(session.execute(select(Provider.organisation_code, Provider.id)).all())
        for name, code in (("nwp", "ORG-NWP"), ("nwp2", "ORG-NWP"), ("new", "ORG-NEW")):
            session.add(User(username=name, display_name=name, password_hash="x", role="provider",
                             provider_id=ids[code]))
    return reference_engine, ids


def provider(ids, code="ORG-NWP", name="nwp") -> AccessScope:
    return AccessScope(username=name, role="provider", provider_id=ids[code])


def ram_rows() -> list[dict]:
    with open(RAM_FIXTURE, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def ram_csv(rows) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def referral_state(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT referral_ref, referral_id, provider_id, contract_id, count_of_sessions_attended "
                                 "FROM referrals ORDER BY id")).all()


def problems(result):
    return [(p.line, p.column, p.value, p.reason) for p in result.problems.sorted()]


# --- case extract --------------------------------------------------------------------------


def test_a_provider_imports_a_case_extract_for_its_own_referral(held):
    engine, ids = held
    result = run_import("case-extract", engine, to_csv(template_rows()), user="nwp", scope=provider(ids),
                        file_name="mine.csv")
    assert result.written, problems(result)
    assert table_counts(engine)["appointments"] == 2


@pytest.mark.parametrize("ref", ["GM0000003", "GM9999999"])  # another provider's; not held at all
def test_one_row_for_a_referral_not_the_providers_refuses_the_whole_case_extract(held, ref):
    engine, ids = held
    rows = template_rows()
    rows.append({**rows[3], "referral_ref": ref})  # an appointment, on spreadsheet row len(rows) + 1
    before = table_counts(engine)
    for write in (False, True):
        result = run_import("case-extract", engine, to_csv(rows), user="nwp", scope=provider(ids), write=write,
                            file_name="mixed.csv")
        assert not result.written and not result.ok
        # The same reason whether the reference is held for someone else or not at all.
        assert problems(result) == [(len(rows) + 1, "referral_ref", ref, NOT_YOUR_REFERRAL)]
    assert table_counts(engine) == before  # nothing written, not even a placeholder referral


def test_a_commissioner_may_still_name_any_referral_and_create_placeholders(held):
    engine, _ = held
    rows = template_rows() + [{**template_rows()[0], "referral_ref": "GM9999999"}]
    result = run_import("case-extract", engine, to_csv(rows), user="boss",
                        scope=AccessScope(username="boss", role="commissioner"), file_name="all.csv")
    assert result.written, problems(result)


# --- Refer and Monitor report ---------------------------------------------------------------


def test_a_provider_imports_its_own_refer_and_monitor_rows(held):
    engine, ids = held
    rows = ram_rows()[:2]
    rows[0]["count_of_sessions_attended"] = "9"  # an update of its own referral
    rows.append({**rows[1], "referral_ref": "GM0000009", "referral_id": NEW_ID, "service_user_crn": "X999999"})
    result = run_import("ram-performance", engine, ram_csv(rows), user="nwp", scope=provider(ids), file_name="mine.csv")
    assert result.written, problems(result)
    state = {ref: rest for ref, *rest in referral_state(engine)}
    assert state["GM0000001"][3] == 9 and state["GM0000009"][1] == ids["ORG-NWP"]


@pytest.mark.parametrize("irregular", [False, True])  # Arrow's fast path, and the reference (pandas) path
def test_one_row_for_another_organisation_refuses_the_whole_report(held, irregular):
    engine, ids = held
    rows = ram_rows()
    rows[0]["count_of_sessions_attended"] = "9"
    if irregular:
        rows[1]["date_referral_received"] = "31/03/2024 23:30"  # not ISO: read by the reference path
    # Row 5: ORG-NWP's organisation and contract, but a referral id held for ORG-NEW.
    rows.append({**rows[0], "referral_ref": "GM0000008", "referral_id": rows[2]["referral_id"]})
    before = referral_state(engine)
    result = run_import("ram-performance", engine, ram_csv(rows), user="nwp", scope=provider(ids), file_name="mixed.csv")
    assert not result.written
    found = [p for p in problems(result) if p[1] != "date_referral_received"]
    assert irregular == any(p[1] == "date_referral_received" for p in problems(result))
    assert found == [
        (4, "contract_ref", "GMIRS-WSS-LOT9", NOT_YOUR_CONTRACT),
        (4, "organisation_id", "ORG-NEW", "is not your organisation (ORG-NWP): a provider may upload only its own referrals"),
        (4, "referral_id", rows[2]["referral_id"], HELD_FOR_ANOTHER),
        (4, "referral_ref", "GM0000003", REFERENCE_OF_ANOTHER),
        (5, "referral_id", rows[2]["referral_id"], "appears more than once in the file (first on row 4)"),
        (5, "referral_id", rows[2]["referral_id"], HELD_FOR_ANOTHER),
    ]
    assert referral_state(engine) == before  # GM0000001's change was not written either


def test_a_provider_cannot_take_another_organisations_referral_reference(held):
    """A second referral GM0000003 would make ORG-NEW's case extracts for it ambiguous."""
    engine, ids = held
    row = {**ram_rows()[0], "referral_ref": "GM0000003", "referral_id": NEW_ID}
    result = run_import("ram-performance", engine, ram_csv([row]), user="nwp", scope=provider(ids), file_name="x.csv")
    assert problems(result) == [(2, "referral_ref", "GM0000003", REFERENCE_OF_ANOTHER)]


def test_a_provider_completes_a_placeholder_a_commissioners_case_extract_created(held):
    engine, ids = held
    extract = [{**template_rows()[0], "referral_ref": "GM0000009"}]
    assert run_import("case-extract", engine, to_csv(extract), user="boss",
                      scope=AccessScope(username="boss", role="commissioner")).written
    row = {**ram_rows()[0], "referral_ref": "GM0000009", "referral_id": NEW_ID}
    result = run_import("ram-performance", engine, ram_csv([row]), user="nwp", scope=provider(ids), file_name="x.csv")
    assert result.written, problems(result)
    state = {ref: rest for ref, *rest in referral_state(engine)}
    assert state["GM0000009"][:2] == [NEW_ID, ids["ORG-NWP"]]


def test_a_provider_cannot_register_a_new_contract_or_organisation(held):
    engine, ids = held
    row = {**ram_rows()[0], "referral_ref": "GM0000009", "referral_id": NEW_ID, "contract_ref": "GMIRS-WSS-LOT7"}
    result = run_import("ram-performance", engine, ram_csv([row]), user="nwp", scope=provider(ids), file_name="x.csv")
    assert problems(result) == [(2, "contract_ref", "GMIRS-WSS-LOT7", NOT_YOUR_CONTRACT)]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM contracts WHERE reference = 'GMIRS-WSS-LOT7'")).scalar() == 0


# --- deny by default ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind, scope", [
    ("epop-plan", AccessScope(username="nwp", role="provider", provider_id=1)),
    ("case-extract", AccessScope(username="p", role="provider", provider_id=None)),
    ("ram-performance", AccessScope(username="s", role="epop_spoc", region_code="J")),
    ("case-extract", AccessScope(username="x", role="none")),
])
def test_a_role_that_may_not_upload_a_kind_has_the_file_refused(held, kind, scope):
    engine, _ = held
    source = {"epop-plan": EPOP_TEMPLATE, "case-extract": to_csv(template_rows()), "ram-performance": RAM_FIXTURE}[kind]
    before = table_counts(engine)
    result = run_import(kind, engine, source, user=scope.username, scope=scope, file_name="f")
    assert not result.written and [p.reason for p in result.problems.sorted()] == [
        "your account may not upload this kind of file, so nothing was checked or written"]
    assert table_counts(engine) == before


def test_run_import_needs_a_scope(held):
    engine, _ = held
    with pytest.raises(ValueError, match="scope"):
        run_import("case-extract", engine, to_csv(template_rows()), user="x", scope=None)


def test_a_provider_sees_only_its_organisations_batches_in_the_import_history(held):
    engine, ids = held
    for name in ("nwp", "nwp2"):
        rows = template_rows()
        rows[0]["complexity"] = "HIGH" if name == "nwp" else "LOW"  # a different file each time
        assert run_import("case-extract", engine, to_csv(rows), user=name, scope=provider(ids, name=name)).written
    assert import_case_extract(engine, to_csv(template_rows()), user="boss").written
    by = {name: [b.imported_by for b in import_history(engine, scope=scope)] for name, scope in (
        ("nwp", provider(ids)), ("new", provider(ids, "ORG-NEW", "new")), ("commissioner", AccessScope("c", "commissioner")),
        ("spoc", AccessScope("s", "epop_spoc", region_code="J")))}
    assert by["nwp"] == ["nwp2", "nwp"]  # its organisation's accounts, newest first
    assert by["new"] == [] and by["spoc"] == []
    assert by["commissioner"] == ["boss", "nwp2", "nwp", "admin"]
    assert analyst_scope().role == "admin"
