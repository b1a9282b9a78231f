"""Import history and undo.

Every import is one row of ``import_batches``; what it changed is in ``import_changes``:
``insert`` rows name the primary key it added, ``update`` rows hold the row's previous
values as JSON, and one ``bulk`` row (``row_pk`` ``*``) says the batch inserted every row of
that table whose ``import_batch_id`` is the batch, other than rows it updated (a
million-row report is undone without a million ``insert`` rows). Undoing a batch deletes what it inserted and puts updated rows back, in one
transaction. A batch cannot be undone while a later, still-live batch has changed the same
rows (undo that one first), so history is always unwound in order.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import Engine, Integer, and_, cast, false, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from data_access.kpi_incremental import SummaryTracker
from data_access.models import AuditLog, ImportBatch, ImportChange, RecordEvent, Referral, User
from data_access.scoping import AccessScope

#: Children first: the order in which inserted rows are deleted.
UNDO_ORDER: tuple[str, ...] = (
    "unrecorded_first_sessions", "epop_action_updates", "epop_action_outcomes", "epop_actions", "inspection_recommendations", "epop_plans",
    "referral_needs", "appointments", "need_scores", "record_events", "referral_outcomes",
    "onward_referrals", "referrals", "contracts", "providers",
)


#: Tables an import writes only to support a measure (not data a user imported): undone with
#: their batch but not counted in what undo reports.
SUPPORTING_TABLES = frozenset({"unrecorded_first_sessions"})


#: How ``import_changes.row_pk`` is formed for each table (``id`` unless the key is composite).
ROW_KEY_SQL = {"referral_needs": "CAST(referral_pk AS VARCHAR(20)) || ':' || need_code",
               "epop_action_outcomes": "CAST(action_id AS VARCHAR(20)) || ':' || outcome_key"}


#: ``import_changes.operation`` of a batch's one record of the rows it inserted in bulk.
BULK_INSERT = "bulk"


class UndoRefused(Exception):
    """The batch cannot be undone as things stand; the message says why in plain words."""


@dataclass(frozen=True)
class BatchRow:
    id: int
    kind: str
    file_name: str
    sha256: str
    imported_by: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    rows_read: int
    rows_inserted: int
    rows_updated: int
    rows_rejected: int
    undone_at: dt.datetime | None


def import_history(engine: Engine, *, scope: AccessScope, limit: int = 200, kind: str | None = None) -> list[BatchRow]:
    """The most recent import batches ``scope`` may see, newest first (upload and admin pages).

    Commissioners and admins see every batch; a provider sees only the batches imported by its
    own organisation's accounts; anyone else none (deny by default).
    """
    batches = ImportBatch.__table__
    query = select(*[batches.c[f] for f in BatchRow.__dataclass_fields__]).order_by(batches.c.id.desc()).limit(limit)
    if kind:
        query = query.where(batches.c.kind == kind)
    if scope.role == "provider" and scope.provider_id is not None:
        own = select(User.username).where(User.provider_id == scope.provider_id)
        query = query.where(batches.c.imported_by.in_(own))
    elif scope.role not in ("commissioner", "admin"):
        query = query.where(false())
    with engine.connect() as connection:
        return [BatchRow(*row) for row in connection.execute(query)]


def undo_batch(engine: Engine, batch_id: int, *, user: str) -> dict[str, int]:
    """Undo an import batch; returns rows deleted and restored per table.

    Raises
    ------
    UndoRefused
        The batch does not exist, is not complete, was already undone, or a later batch
        changed the same rows or added rows that depend on this batch's rows.
    """
    batches, changes = ImportBatch.__table__, ImportChange.__table__
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        batch = connection.execute(select(batches).where(batches.c.id == batch_id)).mappings().first()
        if batch is None:
            raise UndoRefused(f"there is no import batch {batch_id}")
        if batch["status"] == "undone":
            raise UndoRefused(f"batch {batch_id} was already undone on {batch['undone_at']:%d %B %Y %H:%M}")
        if batch["status"] != "done":
            raise UndoRefused(f"batch {batch_id} did not complete (status {batch['status']}), so there is nothing to undo")
        later = changes.alias("later")
        later_batches = batches.alias("later_batches")
        clash = connection.execute(
            select(later.c.batch_id)
            .join(later_batches, later_batches.c.id == later.c.batch_id)
            .join(changes, and_(changes.c.table_name == later.c.table_name, changes.c.row_pk == later.c.row_pk))
            .where(changes.c.batch_id == batch_id, later.c.batch_id > batch_id, later_batches.c.status == "done")
            # Two batches' bulk records share the row_pk "*" but name different rows.
            .where(changes.c.operation != BULK_INSERT)
            .limit(1)
        ).scalar()
        bulk_tables = connection.execute(
            select(changes.c.table_name).where(changes.c.batch_id == batch_id, changes.c.operation == BULK_INSERT)
        ).scalars().all()
        for table_name in bulk_tables:
            if clash is None:
                clash = _later_change_to_bulk_rows(connection, batch_id, table_name)
        if clash is not None:
            raise UndoRefused(
                f"a later import (batch {clash}) changed rows that batch {batch_id} wrote; undo batch {clash} first"
            )
        # The KPI summary follows the referrals this undo changes or removes (and those whose
        # record events it changes or removes), in this transaction (data_access.kpi_incremental).
        summary = SummaryTracker(connection)
        for table_name, column in (("referrals", "id"), ("record_events", "referral_pk")):
            table = Referral.__table__ if table_name == "referrals" else RecordEvent.__table__
            named = select(cast(changes.c.row_pk, Integer)).where(
                changes.c.batch_id == batch_id, changes.c.table_name == table_name,
                changes.c.operation.in_(("insert", "update")))
            summary.before_change(select(table.c[column]).where(table.c.id.in_(named)))
            if table_name in bulk_tables and "import_batch_id" in table.c:
                summary.before_change(select(table.c[column]).where(table.c.import_batch_id == batch_id))
        # Restore updated rows to their previous values.
        updates = connection.execute(
            select(changes.c.table_name, changes.c.row_pk, changes.c.before)
            .where(changes.c.batch_id == batch_id, changes.c.operation == "update")
            .order_by(changes.c.id.desc())
        ).all()
        # Consecutive changes to the same table and columns are restored together, newest first.
        runs: list[tuple[str, tuple[str, ...], list[dict]]] = []
        for table_name, row_pk, before in updates:
            values = json.loads(before)
            shape = (table_name, tuple(values))
            if not runs or runs[-1][:2] != shape:
                runs.append((table_name, tuple(values), []))
            runs[-1][2].append({**values, "_pk": int(row_pk)})
        for table_name, columns, rows in runs:
            assignments = ", ".join(f'"{c}" = :{c}' for c in columns)
            connection.execute(text(f'UPDATE "{table_name}" SET {assignments} WHERE id = :_pk'), rows)
            counts[f"{table_name} restored"] = counts.get(f"{table_name} restored", 0) + len(rows)
        # Delete inserted rows, children before parents.
        inserted_tables = set(
            connection.execute(
                select(changes.c.table_name)
                .where(changes.c.batch_id == batch_id, changes.c.operation.in_(("insert", BULK_INSERT)))
                .distinct()
            ).scalars()
        )
        unknown = inserted_tables - set(UNDO_ORDER)
        for table_name in [t for t in UNDO_ORDER if t in inserted_tables] + sorted(unknown):
            try:
                with connection.begin_nested():
                    deleted = connection.execute(
                        text(
                            f'DELETE FROM "{table_name}" WHERE {ROW_KEY_SQL.get(table_name, "CAST(id AS VARCHAR(60))")} IN '
                            "(SELECT row_pk FROM import_changes WHERE batch_id = :b AND table_name = :t AND operation = 'insert')"
                        ),
                        {"b": batch_id, "t": table_name},
                    ).rowcount
                    if table_name in bulk_tables:
                        # Updated rows were restored above, so the batch's id is left only on
                        # rows it inserted; the NOT IN keeps it so whatever the restore did.
                        deleted += connection.execute(
                            text(
                                f'DELETE FROM "{table_name}" WHERE import_batch_id = :b AND CAST(id AS VARCHAR(60)) '
                                "NOT IN (SELECT row_pk FROM import_changes WHERE batch_id = :b AND table_name = :t "
                                "AND operation = 'update')"
                            ),
                            {"b": batch_id, "t": table_name},
                        ).rowcount
            except IntegrityError as exc:
                raise UndoRefused(
                    f"rows this batch added to {table_name} are now used by other data (for example a later case "
                    "extract); undo the later import first"
                ) from exc
            if table_name not in SUPPORTING_TABLES:
                counts[f"{table_name} deleted"] = deleted
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        connection.execute(update(batches).where(batches.c.id == batch_id).values(status="undone", undone_at=now))
        summary.finish()
        connection.execute(
            insert(AuditLog.__table__).values(
                at=now, actor=user[:60], action="undo import", entity="import_batches", entity_id=str(batch_id),
                detail=json.dumps(counts),
            )
        )
    return counts


def _later_change_to_bulk_rows(connection, batch_id: int, table_name: str) -> int | None:
    """A later, still-live batch that changed a row ``batch_id`` inserted in bulk, if any.

    Such a row either still carries ``batch_id`` (a later import changed other columns) or
    was updated by a later import of the same kind, whose before-image then holds ``batch_id``.
    """
    if connection.dialect.name == "postgresql":
        before_batch = "CAST(CAST(later.before AS json) ->> 'import_batch_id' AS INTEGER)"
    else:
        before_batch = "json_extract(later.before, '$.import_batch_id')"
    return connection.execute(
        text(
            "SELECT later.batch_id FROM import_changes later "
            "JOIN import_batches b ON b.id = later.batch_id AND b.status = 'done' "
            "WHERE later.batch_id > :b AND later.table_name = :t AND ("
            f'  later.row_pk IN (SELECT CAST(id AS VARCHAR(60)) FROM "{table_name}" WHERE import_batch_id = :b)'
            f"  OR (later.operation = 'update' AND {before_batch} = :b)"
            ") LIMIT 1"
        ),
        {"b": batch_id, "t": table_name},
    ).scalar()
