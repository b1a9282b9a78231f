"""The persistent England and Wales working-day calendar (``calendar_days``).

SQL cannot call :func:`numpy.busday_offset`, so the scorecard's aggregates join to a table
holding, for every day, whether it is a working day and how many working days fall on or
before it (c) and strictly before it (p). DOMAIN.md "Working days" then becomes integer
arithmetic: an event is on or before the N-th working day after D (D rolled back to the
working day before it when D is not one) if and only if p(event) < c(D) + N.

The rows are computed from :func:`domain.dates.bank_holidays` (the maintained ``holidays``
package), never typed in; :func:`refresh_calendar` writes only rows that changed, so an
updated holiday calendar propagates the next time ``data_access.setup.initialise`` runs and a
second run writes nothing.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from data_access.models import CalendarDay
from domain.dates import working_day_calendar

#: Days the table covers: inside domain.dates' bank-holiday years, wide enough for any contract.
CALENDAR_FIRST_DAY = dt.date(2015, 1, 1)
CALENDAR_LAST_DAY = dt.date(2035, 12, 31)


def calendar_rows(
    first: dt.date = CALENDAR_FIRST_DAY, last: dt.date = CALENDAR_LAST_DAY
) -> list[tuple[dt.date, bool, int, int]]:
    """``(day, is_working, working_days_to_date, working_days_before)`` for ``first``–``last``.

    Counts start at ``first``: only differences of counts are ever used, so the origin does
    not matter as long as every row shares it.
    """
    days = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)
    working = np.is_busday(days, busdaycal=working_day_calendar())
    to_date = np.cumsum(working)
    before = to_date - working
    return [
        (day, bool(w), int(c), int(p))
        for day, w, c, p in zip(days.astype(dt.date).tolist(), working, to_date, before)
    ]


def refresh_calendar(session: Session) -> int:
    """Bring ``calendar_days`` in line with the holiday calendar; returns rows written.

    Inserts missing days, updates days whose values changed (a new bank holiday shifts every
    later count) and deletes days outside the covered range. Idempotent: 0 the second time.
    """
    wanted = {row[0]: row[1:] for row in calendar_rows()}
    stored = {
        day: (bool(is_working), int(to_date), int(before))
        for day, is_working, to_date, before in session.execute(
            select(
                CalendarDay.day,
                CalendarDay.is_working,
                CalendarDay.working_days_to_date,
                CalendarDay.working_days_before,
            )
        )
    }
    written = 0
    stale = [day for day in stored if day not in wanted]
    if stale:
        session.execute(delete(CalendarDay).where(CalendarDay.day.in_(stale)))
        written += len(stale)
    inserts, updates = [], []
    for day, values in wanted.items():
        row = {"day": day, "is_working": values[0], "working_days_to_date": values[1],
               "working_days_before": values[2]}
        if day not in stored:
            inserts.append(row)
        elif stored[day] != values:
            updates.append(row)
    if inserts:
        session.execute(CalendarDay.__table__.insert(), inserts)
    if updates:
        # One executemany UPDATE keyed on the day.
        session.execute(
            CalendarDay.__table__.update()
            .where(CalendarDay.__table__.c.day == bindparam("b_day"))
            .values(
                is_working=bindparam("b_is_working"),
                working_days_to_date=bindparam("b_working_days_to_date"),
                working_days_before=bindparam("b_working_days_before"),
            ),
            [{f"b_{k}": v for k, v in row.items()} for row in updates],
        )
    return written + len(inserts) + len(updates)


__all__ = ["CALENDAR_FIRST_DAY", "CALENDAR_LAST_DAY", "calendar_rows", "refresh_calendar"]
