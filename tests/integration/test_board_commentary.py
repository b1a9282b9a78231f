"""Board commentary: stored dated and signed, for one period and view; who may write; what an
early warning needs (issue 16). SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from data_access.commentary import add_commentary, commentary_for, entry_line
from data_access.db import session_scope

Q3 = (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
GM = "Scope: All Greater Manchester (GMIRS)"


def _add(session, **overrides):
    values = {"author": "commissioner", "role": "commissioner", "period_start": Q3[0], "period_end": Q3[1],
                  "scope_label": GM, "kind": "learning", "text": "Evening sessions doubled attendance in Wigan."}
    values.update(overrides)
    return add_commentary(session, **values)


def test_entries_are_kept_per_period_and_view_oldest_first_and_signed(engine):
    with session_scope(engine) as session:
        _add(session)
        _add(session, kind="early_warning", text="Oldham referrals falling.", action="Meet the PDU head",
             owner="GMCA commissioner", due_on=dt.date(2026, 1, 31), author="provider", role="provider")
        _add(session, scope_label="Borough: Bolton", text="Bolton only.")
        _add(session, period_start=dt.date(2025, 7, 1), period_end=dt.date(2025, 9, 30), text="Last quarter.")
    with session_scope(engine) as session:
        rows = commentary_for(session, *Q3, GM)
    assert list(rows["text"]) == ["Evening sessions doubled attendance in Wigan.", "Oldham referrals falling."]
    warning = entry_line(next(rows[rows["kind"] == "early_warning"].itertuples(index=False)))
    assert "Action: Meet the PDU head; owner: GMCA commissioner; by 31 Jan 2026 (provider, " in warning


@pytest.mark.parametrize(("overrides", "error"), [
    ({"role": "epop_spoc"}, PermissionError),
    ({"kind": "rumour"}, ValueError),
    ({"text": "   "}, ValueError),
    ({"kind": "early_warning", "action": "Act", "owner": ""}, ValueError),  # no owner
    ({"kind": "early_warning", "action": "Act", "owner": "Someone"}, ValueError),  # no date
])
def test_what_is_refused(engine, overrides, error):
    with session_scope(engine) as session, pytest.raises(error):
        _add(session, **overrides)
