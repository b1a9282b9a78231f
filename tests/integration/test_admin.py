"""data_access.admin on SQLite (and PostgreSQL when configured): admin only, validated, audited."""

from __future__ import annotations

import json
from pathlib import Path

import bcrypt
import pandas as pd
import pytest
from sqlalchemy import select

from data_access import admin
from data_access.db import session_scope
from data_access.models import AuditLog, Borough, Contract, ContractBorough, Forecast, Hub, Provider, User
from data_access.scoping import AccessScope, analyst_scope
from metrics.queries import kpi_definitions

ADMIN = AccessScope(username="boss", role="admin")
NOT_ADMINS = [AccessScope(username="c", role="commissioner"), AccessScope(username="p", role="provider", provider_id=1),
              AccessScope(username="s", role="epop_spoc", region_code="J"), AccessScope(username="n", role="epop_national")]


@pytest.fixture()
def db(reference_engine):
    with session_scope(reference_engine) as session:
        provider = Provider(organisation_code="ORG-T", name="Test provider")
        session.add(provider)
        session.flush()
        session.add(Contract(reference="T-LOT", service="GMIRS", provider_id=provider.id, needs_mapping=True))
        session.add(User(username="boss", display_name="Boss", role="admin", password_hash=admin.hash_password("x" * 12)))
    return reference_engine


def audit_rows(engine, action):
    with session_scope(engine) as session:
        return [(a.actor, json.loads(a.detail or "{}")) for a in session.scalars(select(AuditLog).where(AuditLog.action == action))]


@pytest.mark.parametrize("actor", NOT_ADMINS, ids=lambda a: a.role)
def test_everyone_but_an_admin_is_refused(db, actor):
    with session_scope(db) as session:
        for call in (lambda: admin.list_users(session, actor),
                     lambda: admin.create_user(session, actor, username="newbie", display_name="N", role="commissioner",
                                               password="a-long-password"),
                     lambda: admin.set_kpi_target(session, actor, "DS2", 50.0),
                     lambda: admin.set_forecast_period(session, actor, 180),
                     lambda: admin.save_hub(session, actor, name="X", borough_id=1, postcode="BL1 1RU"),
                     lambda: admin.set_contract_boroughs(session, actor, 1, [1])):
            with pytest.raises(PermissionError):
                call()


def test_create_user_hashes_with_bcrypt_and_audits_without_the_password(db):
    with session_scope(db) as session:
        provider_id = session.scalar(select(Provider.id))
        admin.create_user(session, ADMIN, username="Pat.Provider", display_name="Pat", role="provider",
                          password="correct horse battery", provider_id=provider_id)
    with session_scope(db) as session:
        user = session.scalar(select(User).where(User.username == "pat.provider"))
        assert bcrypt.checkpw(b"correct horse battery", user.password_hash.encode())
        assert user.provider_id == provider_id and user.region_code is None
    (actor, detail), = audit_rows(db, "user_created")
    assert actor == "boss" and detail["role"] == "provider"
    assert "correct horse" not in json.dumps(detail)


def test_bad_user_input_lists_every_problem_and_writes_nothing(db):
    with session_scope(db) as session, pytest.raises(admin.AdminInputError) as raised:
        admin.create_user(session, ADMIN, username="x", display_name=" ", role="provider", password="short")
    assert len(raised.value.problems) == 4  # username, display name, provider link, password
    with session_scope(db) as session:
        assert session.scalar(select(User).where(User.username == "x")) is None
    assert audit_rows(db, "user_created") == []


def test_an_admin_cannot_remove_their_own_access(db):
    with session_scope(db) as session, pytest.raises(admin.AdminInputError, match="your own administrator"):
        admin.update_user(session, ADMIN, "boss", role="commissioner", active=True)


def test_kpi_target_edit_is_used_by_the_metrics_and_audited(db):
    with session_scope(db) as session:
        admin.set_kpi_target(session, ADMIN, "ds2", 80.0, 70.0)
    with session_scope(db) as session:
        ds2 = next(d for d in kpi_definitions(session) if d.code == "DS2")
        assert (ds2.target, ds2.trigger) == (80.0, 70.0)
    (_, detail), = audit_rows(db, "kpi_target_set")
    assert detail["after"] == {"target": 80.0, "trigger": 70.0}
    with session_scope(db) as session, pytest.raises(admin.AdminInputError) as raised:
        admin.set_kpi_target(session, ADMIN, "DS2", 120.0, 130.0)
    assert len(raised.value.problems) == 3


def test_forecast_edit_and_period_assumption(db):
    with session_scope(db) as session:
        forecast_id = session.scalar(select(Forecast.id))
        with pytest.raises(admin.AdminInputError, match="low bound"):
            admin.update_forecast(session, ADMIN, forecast_id, predicted_low=10, predicted_high=5)
        admin.update_forecast(session, ADMIN, forecast_id, predicted_low=100, predicted_high=150, source_note="revised")
        changed = admin.set_forecast_period(session, ADMIN, 182)
    with session_scope(db) as session:
        row = session.get(Forecast, forecast_id)
        assert (row.predicted_low, row.predicted_high, row.source_note) == (100, 150, "revised")
        assert set(session.scalars(select(Forecast.period_days))) == {182}
    assert changed > 0 and len(audit_rows(db, "forecast_updated")) == 1 and len(audit_rows(db, "forecast_period_set")) == 1


def test_hub_is_placed_by_postcode_and_must_lie_in_its_borough(db):
    with session_scope(db) as session:
        bolton = session.scalar(select(Borough.id).where(Borough.name == "Bolton"))
        wigan = session.scalar(select(Borough.id).where(Borough.name == "Wigan"))
        hub = admin.save_hub(session, ADMIN, name="Bolton test hub", borough_id=bolton, postcode="bl11ru")
        assert hub.postcode == "BL1 1RU" and hub.latitude == pytest.approx(53.578, abs=0.01)
        with pytest.raises(admin.AdminInputError, match="inside the borough"):
            admin.save_hub(session, ADMIN, name="Misplaced hub", borough_id=wigan, postcode="BL1 1RU")
        with pytest.raises(admin.AdminInputError, match="not a UK postcode"):
            admin.save_hub(session, ADMIN, name="Nowhere hub", borough_id=wigan, postcode="NOT A CODE")
    with session_scope(db) as session:
        assert session.scalar(select(Hub.name).where(Hub.name == "Misplaced hub")) is None
    assert len(audit_rows(db, "hub_added")) == 1


def test_contract_geography_is_replaced_and_audited(db):
    with session_scope(db) as session:
        contract_id = session.scalar(select(Contract.id).where(Contract.reference == "T-LOT"))
        ids = list(session.scalars(select(Borough.id).where(Borough.name.in_(["Bolton", "Bury"]))))
        admin.set_contract_boroughs(session, ADMIN, contract_id, ids, "J")
        admin.set_contract_boroughs(session, ADMIN, contract_id, ids[:1])
    with session_scope(db) as session:
        assert list(session.scalars(select(ContractBorough.borough_id).where(ContractBorough.contract_id == contract_id))) == ids[:1]
        contract = session.get(Contract, contract_id)
        assert contract.region_code == "J" and contract.needs_mapping is False
        table = admin.contract_geography(session, ADMIN)
    assert table.loc[table["reference"] == "T-LOT", "boroughs"].iloc[0] in {"Bolton", "Bury"}
    assert [d["after"] for _, d in audit_rows(db, "contract_geography_set")] == [sorted(ids), ids[:1]]


def test_saving_a_hub_works_out_the_reach_of_the_open_hubs_there_and_then(db):
    """Issue 18: reach is worked out when hubs are saved, not when the Maps page asks."""
    from geo import reach

    reach._reach_at.cache_clear()
    with session_scope(db) as session:
        bolton = session.scalar(select(Borough.id).where(Borough.name == "Bolton"))
        admin.save_hub(session, ADMIN, name="Bolton reach hub", borough_id=bolton, postcode="BL1 1RU")
        open_hubs = pd.DataFrame(session.execute(select(Hub.latitude, Hub.longitude).where(Hub.active.is_(True))).all(),
                                 columns=["latitude", "longitude"])
    assert reach._reach_at.cache_info().currsize == 1
    before = reach._reach_at.cache_info().hits
    assert reach.reach_for(open_hubs).by_borough.set_index("borough").loc["Bolton", "pct_within_10km"] > 0
    assert reach._reach_at.cache_info().hits == before + 1  # read, not worked out again


def test_editing_a_hub_without_a_postcode_keeps_its_position(db):
    with session_scope(db) as session:
        bolton = session.scalar(select(Borough.id).where(Borough.name == "Bolton"))
        hub = admin.save_hub(session, ADMIN, name="Bolton hub", borough_id=bolton, postcode="BL1 1RU")
        edited = admin.save_hub(session, ADMIN, hub_id=hub.id, name="Bolton hub (renamed)", borough_id=bolton,
                                opening_pattern="Mon–Fri 9–5")
        assert (edited.latitude, edited.longitude) == (hub.latitude, hub.longitude)
    (_, detail), = audit_rows(db, "hub_updated")
    assert detail["before"]["name"] == "Bolton hub" and detail["after"]["name"] == "Bolton hub (renamed)"


def test_the_data_version_changes_with_an_edit_or_an_import_but_not_with_a_sign_in(db):
    from data_access.info import data_version
    from data_access.models import ImportBatch

    start = data_version(db)
    assert data_version(db) == start
    with session_scope(db) as session:
        session.add(AuditLog(actor="commissioner", action="sign_in", entity="user", entity_id="commissioner"))
        session.add(AuditLog(actor="x", action="sign_in_failed", entity="user", entity_id="x"))
    assert data_version(db) == start, "a sign-in must not empty every cache of figures"
    with session_scope(db) as session:
        admin.set_kpi_target(session, ADMIN, "DS2", 55.0)
    edited = data_version(db)
    assert edited != start
    with session_scope(db) as session:
        session.add(ImportBatch(kind="ram-performance", file_name="r.csv", sha256="0" * 64, imported_by="boss",
                                status="done"))
    imported = data_version(db)
    assert imported != edited
    with session_scope(db) as session:
        batch = session.scalar(select(ImportBatch))
        batch.status, batch.undone_at = "undone", batch.started_at
    assert data_version(db) != imported


RAM_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "imports" / "ram_valid.csv"


@pytest.mark.parametrize("actor", NOT_ADMINS, ids=lambda a: a.role)
def test_only_an_admin_may_list_or_undo_imports(db, actor):
    with pytest.raises(PermissionError):
        admin.imports(db, actor)
    with pytest.raises(PermissionError):
        admin.undo_import(db, actor, 1)


def test_an_admin_undoes_an_import_and_the_stored_kpi_counts_follow(db, monkeypatch):
    from data_access import kpi_summary
    from data_access.batches import UndoRefused
    from data_access.cli_import import run_import
    from data_access.models import ImportBatch, Referral

    rebuilt = []
    real_refresh = kpi_summary.refresh_kpi_summary
    monkeypatch.setattr(kpi_summary, "refresh_kpi_summary", lambda engine: rebuilt.append(engine) or real_refresh(engine))
    before = _count(db, Referral)
    result = run_import("ram-performance", db, RAM_FIXTURE, user="boss", scope=analyst_scope())
    assert result.ok and result.written and _count(db, Referral) > before
    assert len(rebuilt) == 1, "the import rebuilds the stored KPI counts"
    history = admin.imports(db, ADMIN)
    batch_id = int(history["id"].iloc[0])
    assert history["status"].iloc[0] == "done" and "sha256" not in history.columns

    counts, notices = admin.undo_import(db, ADMIN, batch_id)
    assert _count(db, Referral) == before and notices == []
    assert counts["referrals deleted"] == result.rows_inserted
    assert len(rebuilt) == 2, "the undo rebuilds the stored KPI counts"
    with session_scope(db) as session:
        assert session.get(ImportBatch, batch_id).status == "undone"
    assert [actor for actor, _ in audit_rows(db, "undo import")] == ["boss"]
    with pytest.raises(UndoRefused):
        admin.undo_import(db, ADMIN, batch_id)  # already undone


def test_a_failed_rebuild_after_an_undo_is_reported_and_the_undo_stands(db, monkeypatch):
    from data_access import kpi_summary
    from data_access.cli_import import run_import
    from data_access.models import Referral

    before = _count(db, Referral)
    assert run_import("ram-performance", db, RAM_FIXTURE, user="boss", scope=analyst_scope()).written
    batch_id = int(admin.imports(db, ADMIN)["id"].iloc[0])

    def broken(engine):
        raise RuntimeError("disk full")

    monkeypatch.setattr(kpi_summary, "refresh_kpi_summary", broken)
    _, notices = admin.undo_import(db, ADMIN, batch_id)
    assert _count(db, Referral) == before
    assert len(notices) == 1 and "computed live" in notices[0]


def _count(engine, model) -> int:
    from sqlalchemy import func

    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model))
