"""Board commentary: what commissioners and providers enter for a period and scope (issue 16).

Three kinds, as the GMIRS quarterly report asks (specification §3.2): ``commentary`` (what the
figures mean), ``learning`` (new learning) and ``early_warning`` (a risk, with the action, its
owner and a date). Each entry is dated and signed; nothing is edited in place (a correction is a
new entry), so the board sees who said what when. The Board summary page adds and lists them;
the packs for the same period and scope print them.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import AuditLog, BoardCommentary

KINDS = {"commentary": "Commentary", "learning": "New learning", "early_warning": "Early warning"}
#: Roles that may enter commentary: the commissioner, an admin, and a provider (for its own view).
WRITERS = ("commissioner", "admin", "provider")


def add_commentary(session: Session, *, author: str, role: str, period_start: dt.date, period_end: dt.date,
                   scope_label: str, kind: str, text: str, action: str | None = None, owner: str | None = None,
                   due_on: dt.date | None = None) -> BoardCommentary:
    """Store one entry (and an audit line). An early warning needs its action, owner and date."""
    if role not in WRITERS:
        raise PermissionError(f"Role {role!r} may not enter board commentary.")
    if kind not in KINDS:
        raise ValueError(f"Unknown kind {kind!r}; choose one of {', '.join(KINDS)}.")
    text = (text or "").strip()
    if not text:
        raise ValueError("Write the commentary first.")
    if kind == "early_warning" and not ((action or "").strip() and (owner or "").strip() and due_on):
        raise ValueError("An early warning needs the action, who owns it and the date it is due.")
    entry = BoardCommentary(period_start=period_start, period_end=period_end, scope_label=scope_label[:300],
                            kind=kind, text=text, action=(action or "").strip() or None,
                            owner=(owner or "").strip() or None, due_on=due_on, author=author)
    session.add(entry)
    session.flush()
    session.add(AuditLog(actor=author, action="add", entity="board_commentary", entity_id=str(entry.id)))
    return entry


def commentary_for(session: Session, period_start: dt.date, period_end: dt.date, scope_label: str) -> pd.DataFrame:
    """Entries for exactly this period and scope, oldest first."""
    c = BoardCommentary
    rows = session.execute(
        select(c.kind, c.text, c.action, c.owner, c.due_on, c.author, c.entered_at)
        .where(c.period_start == period_start, c.period_end == period_end, c.scope_label == scope_label)
        .order_by(c.entered_at, c.id)
    ).all()
    return pd.DataFrame(rows, columns=["kind", "text", "action", "owner", "due_on", "author", "entered_at"])


def entry_line(row) -> str:
    """One entry in words, with its author and date (and for an early warning its action)."""
    signed = f"({row.author}, {pd.Timestamp(row.entered_at):%d %b %Y})"
    if row.kind == "early_warning":
        return (f"{row.text} Action: {row.action}; owner: {row.owner}; by {pd.Timestamp(row.due_on):%d %b %Y} "
                f"{signed}")
    return f"{row.text} {signed}"
