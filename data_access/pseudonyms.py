"""Keyed pseudonyms for staff identifiers.

Refer and Monitor's ``caseworker_id`` is the assigned caseworker's user name or e-mail
(``PerformanceReportData.currentAssigneeEmail``): personal data about staff, which the
dashboard does not need in clear. It stores ``HMAC-SHA-256(key, value)`` instead, so the
same caseworker always has the same pseudonym (caseload per worker can still be counted)
while nobody without the key can test a guessed name against it.

The key is the environment variable ``DASHBOARD_PSEUDONYM_KEY``. Without one, a random key is
made the first time and kept in ``dataset_meta``: pseudonyms stay stable across imports, but
anyone who can read the database can then test guesses, so production sets the variable.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, insert, select

from data_access.models import DatasetMeta
from data_access.settings import Settings

#: ``dataset_meta`` key of the fallback pseudonym key.
KEY_META = "caseworker_pseudonym_key"
PREFIX = "cw-"
#: Hex digits kept (80 bits): collisions among a provider's staff are negligible.
DIGITS = 20


def pseudonym_key(connection: Connection, configured: str | None = None) -> bytes:
    """The configured key, else the database's own (made once, inside the caller's transaction)."""
    configured = configured if configured is not None else Settings.from_env().pseudonym_key
    if configured:
        return configured.encode()
    meta = DatasetMeta.__table__
    held = connection.execute(select(meta.c.value).where(meta.c.key == KEY_META)).scalar()
    if held is None:
        held = secrets.token_hex(32)
        connection.execute(insert(meta).values(key=KEY_META, value=held))
    return held.encode()


def pseudonym(key: bytes, value: str) -> str:
    return PREFIX + hmac.new(key, value.strip().lower().encode(), hashlib.sha256).hexdigest()[:DIGITS]


def pseudonymise(key: bytes, values: pa.Array) -> pa.Array:
    """Each value's pseudonym (nulls stay null); one HMAC per distinct value. Case is ignored
    (an e-mail address is the same person whatever its capitals)."""
    distinct = pc.unique(values.drop_null())
    if len(distinct) == 0:
        return pa.nulls(len(values), pa.string())
    hashed = pa.array([pseudonym(key, v) for v in distinct.to_pylist()], pa.string())
    return pc.take(hashed, pc.index_in(values, value_set=distinct))


def is_pseudonym(value: str | None) -> bool:
    return value is not None and value.startswith(PREFIX) and len(value) == len(PREFIX) + DIGITS
