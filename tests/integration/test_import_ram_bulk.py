"""Refer and Monitor import at scale: the bulk-load paths, forced on with small files.

A large first import drops ``referrals``' plain indexes and rebuilds them before committing;
inserted rows are recorded once per batch (``import_batch_id`` plus one ``bulk`` change row)
instead of one ``import_changes`` row each; changed rows are staged and updated in one
statement. These tests show each keeps the importer's promises: all or nothing, undo, no-op.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from data_access import bulk
from data_access.batches import BULK_INSERT, UndoRefused, undo_batch
from data_access.importers import ram
from data_access.importers.ram import import_ram_performance
from data_access.models import ImportChange, Referral
from tests.integration.test_import_ram import counts, fixture_rows, injected, problems, to_csv


def index_names(engine) -> set[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            query = "SELECT indexname FROM pg_indexes WHERE tablename = 'referrals'"
        else:
            query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'referrals'"
        return set(conn.execute(text(query)).scalars())


def many_rows(count: int, *, prefix: str = "A") -> list[dict]:
    base = fixture_rows()[0]
    return [{**base, "referral_ref": f"{prefix}{i:07d}", "referral_id": f"{prefix}-id-{i:07d}"} for i in range(count)]


@pytest.fixture()
def rebuild_always(monkeypatch):
    monkeypatch.setattr(ram, "REBUILD_INDEXES_FROM_ROWS", 1)


def test_bulk_load_rebuilds_every_index_and_records_one_change_row(engine, rebuild_always, monkeypatch):
    indexes = index_names(engine)
    dropped: list[list[str]] = []
    real_drop = bulk.drop_secondary_indexes
    monkeypatch.setattr(bulk, "drop_secondary_indexes", lambda c, t: dropped.append(real_drop(c, t)) or dropped[-1])
    result = import_ram_performance(engine, to_csv(many_rows(20)), file_name="big.csv", chunk_rows=7)
    assert result.ok and result.rows_inserted == 20, problems(result)
    assert len(dropped) == 1 and len(dropped[0]) >= 5  # dropped once, for the whole load
    assert index_names(engine) == indexes
    with engine.connect() as conn:
        changes = conn.execute(
            select(ImportChange.table_name, ImportChange.row_pk, ImportChange.operation)
            .where(ImportChange.batch_id == result.batch_id, ImportChange.table_name == "referrals")
        ).all()
        carried = conn.execute(
            select(func.count()).select_from(Referral).where(Referral.import_batch_id == result.batch_id)
        ).scalar()
    assert changes == [("referrals", "*", BULK_INSERT)] and carried == 20


def foreign_keys(engine) -> set[str]:
    if engine.dialect.name != "postgresql":
        return set()
    with engine.connect() as conn:
        return set(conn.execute(text(
            "SELECT conname FROM pg_constraint WHERE conrelid = CAST('referrals' AS regclass) AND contype = 'f'"
        )).scalars())


def test_bulk_load_puts_foreign_keys_back(engine, rebuild_always):
    keys = foreign_keys(engine)
    result = import_ram_performance(engine, to_csv(many_rows(6)), file_name="big.csv", chunk_rows=4)
    assert result.ok and foreign_keys(engine) == keys


def test_failure_during_bulk_load_leaves_rows_and_indexes_as_they_were(engine, rebuild_always, monkeypatch):
    import_ram_performance(engine, to_csv(many_rows(3, prefix="B")), file_name="first.csv")
    before, indexes, keys = counts(engine), index_names(engine), foreign_keys(engine)
    injected(monkeypatch, ("referrals", ram.STAGED_ROWS), 12)  # loaded directly, or staged then merged
    with pytest.raises(RuntimeError, match="row 12"):
        import_ram_performance(engine, to_csv(many_rows(20)), file_name="big.csv", chunk_rows=5)
    assert counts(engine) == before and index_names(engine) == indexes
    assert foreign_keys(engine) == keys


def test_rejected_file_after_bulk_chunks_leaves_indexes(engine, rebuild_always):
    indexes = index_names(engine)
    rows = many_rows(12)
    rows[10]["count_of_sessions_expected"] = "-1"  # a problem in the last chunk, after writing began
    result = import_ram_performance(engine, to_csv(rows), file_name="bad.csv", chunk_rows=5)
    assert problems(result) == [(12, "count_of_sessions_expected", "-1", "is negative: a count cannot be below 0")]
    assert counts(engine)["referrals"] == 0 and index_names(engine) == indexes


def test_bulk_batches_reimport_update_and_undo_in_order(engine, rebuild_always):
    first = import_ram_performance(engine, to_csv(many_rows(10)), file_name="first.csv", chunk_rows=4)
    again = import_ram_performance(engine, to_csv(many_rows(10)), file_name="first.csv", chunk_rows=4)
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 10)
    rows = many_rows(10) + many_rows(2, prefix="C")
    rows[3]["count_of_sessions_attended"] = "9"
    rows[7]["referral_end_state"] = "completed"
    rows[7]["concluded_at"] = "2024-09-01T10:00:00Z"
    later = import_ram_performance(engine, to_csv(rows), file_name="later.csv", chunk_rows=4)
    assert (later.rows_inserted, later.rows_updated, later.rows_unchanged) == (2, 2, 8), problems(later)
    with engine.connect() as conn:
        got = conn.execute(
            select(Referral.count_of_sessions_attended, Referral.import_batch_id).where(Referral.referral_ref == "A0000003")
        ).one()
    assert got == (9, later.batch_id)
    with pytest.raises(UndoRefused, match=f"batch {later.batch_id}"):
        undo_batch(engine, first.batch_id, user="admin")
    assert undo_batch(engine, later.batch_id, user="admin") == {"referrals restored": 2, "referrals deleted": 2}
    with engine.connect() as conn:
        got = conn.execute(
            select(Referral.count_of_sessions_attended, Referral.import_batch_id).where(Referral.referral_ref == "A0000003")
        ).one()
    assert got == (int(fixture_rows()[0]["count_of_sessions_attended"]), first.batch_id)
    assert undo_batch(engine, first.batch_id, user="admin")["referrals deleted"] == 10
    assert counts(engine)["referrals"] == 0 and counts(engine)["contracts"] == 0


def test_undo_refused_while_a_case_extract_changed_a_bulk_inserted_referral(engine, rebuild_always):
    first = import_ram_performance(engine, to_csv(many_rows(5)), file_name="first.csv")
    with engine.begin() as conn:  # as a later case extract does: update a column, record the change
        conn.execute(text(
            "INSERT INTO import_batches (kind, file_name, sha256, imported_by, started_at, status, rows_read, "
            "rows_inserted, rows_updated, rows_rejected) VALUES ('case-extract', 'c.csv', 'x', 't', "
            "CURRENT_TIMESTAMP, 'done', 1, 0, 1, 0)"
        ))
        later_id = conn.execute(text("SELECT MAX(id) FROM import_batches")).scalar()
        pk = conn.execute(select(Referral.id).where(Referral.referral_ref == "A0000002")).scalar()
        conn.execute(text("UPDATE referrals SET complexity = 'HIGH' WHERE id = :pk"), {"pk": pk})
        conn.execute(text(
            "INSERT INTO import_changes (batch_id, table_name, row_pk, operation, before) "
            "VALUES (:b, 'referrals', :pk, 'update', '{\"complexity\": null}')"
        ), {"b": later_id, "pk": str(pk)})
    with pytest.raises(UndoRefused, match=f"batch {later_id}"):
        undo_batch(engine, first.batch_id, user="admin")


def test_undo_allowed_when_a_later_batch_only_added_other_referrals(engine):
    import_ram_performance(engine, to_csv(many_rows(1, prefix="Z")), file_name="registers-the-contract.csv")
    first = import_ram_performance(engine, to_csv(many_rows(4)), file_name="first.csv")
    later = import_ram_performance(engine, to_csv(many_rows(4) + many_rows(3, prefix="D")), file_name="later.csv")
    assert (later.rows_inserted, later.rows_updated, later.rows_unchanged) == (3, 0, 4)
    assert undo_batch(engine, first.batch_id, user="admin")["referrals deleted"] == 4
    with engine.connect() as conn:
        refs = sorted(conn.execute(select(Referral.referral_ref)).scalars())
    assert refs == ["D0000000", "D0000001", "D0000002", "Z0000000"]
    assert undo_batch(engine, later.batch_id, user="admin")["referrals deleted"] == 3
