"""Reporting periods: months, financial quarters and contract years (April to March).

The GMIRS contract's funding runs April to March (specification §1.11), so quarters are
financial quarters (Q1 = April–June) and a contract year is a financial year; the first
contract year starts at service commencement, 4 September 2023.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

PeriodKind = Literal["month", "quarter", "contract_year", "custom"]


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: dt.date
    end: dt.date  # inclusive
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def key(self) -> str:
        return self.start.isoformat() if self.kind != "custom" else f"{self.start}_{self.end}"


def _month_end(day: dt.date) -> dt.date:
    next_month = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return next_month - dt.timedelta(days=1)


def month(day: dt.date) -> Period:
    start = day.replace(day=1)
    return Period("month", start, _month_end(start), f"{start:%B %Y}")


def financial_year_start(day: dt.date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def quarter(day: dt.date) -> Period:
    fy = financial_year_start(day)
    index = ((day.month - 4) % 12) // 3  # 0..3
    start_month = 4 + 3 * index
    start = dt.date(fy + (start_month - 1) // 12, (start_month - 1) % 12 + 1, 1)
    end = _month_end(dt.date(start.year + (start.month + 1) // 12, (start.month + 1) % 12 + 1, 1))
    label = f"{fy}/{str(fy + 1)[2:]} Q{index + 1} ({start:%b}–{end:%b %Y})"
    return Period("quarter", start, end, label)


def contract_year(day: dt.date, service_start: dt.date | None = None) -> Period:
    fy = financial_year_start(day)
    start = dt.date(fy, 4, 1)
    if service_start is not None and service_start > start:
        start = service_start
    end = dt.date(fy + 1, 3, 31)
    return Period("contract_year", start, end, f"Contract year {fy}/{str(fy + 1)[2:]} ({start:%d %b %Y}–{end:%d %b %Y})")


class PartMonthPeriod(ValueError):
    """A custom period that does not start on the 1st of a month or end on a month's last day."""


WHOLE_MONTHS_RULE = (
    "Custom periods are whole calendar months (from the 1st of a month to the last day of a month), "
    "so that two custom periods cannot be set against each other to reveal small numbers")


def custom(start: dt.date, end: dt.date) -> Period:
    """A custom period: whole calendar months only (docs/DISCLOSURE.md "Custom periods"). Every
    custom period is then a union of the disclosure grid's months (``metrics.partitions``), and
    its figures are shown only where each of its months' figures is."""
    if end < start:
        raise ValueError(f"The period ends ({end}) before it starts ({start}).")
    if start.day != 1 or end != _month_end(end):
        snapped_start, snapped_end = start.replace(day=1), _month_end(end)
        raise PartMonthPeriod(
            f"{WHOLE_MONTHS_RULE}: {start:%d %b %Y} – {end:%d %b %Y} is not. The nearest is "
            f"{snapped_start:%d %b %Y} – {snapped_end:%d %b %Y}.")
    return Period("custom", start, end, f"{start:%d %b %Y} – {end:%d %b %Y}")


def whole_months(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """``start``–``end`` widened to whole calendar months (the 1st of the first, the last day of
    the last)."""
    return start.replace(day=1), _month_end(end)


def snapped(start: dt.date, end: dt.date, service_start: dt.date | None = None) -> tuple[Period, str | None]:
    """The period for ``start``–``end`` (see :func:`period_for`), widened to whole months when it
    is not, with the sentence saying so (``None`` when nothing changed)."""
    try:
        return period_for(start, end, service_start), None
    except PartMonthPeriod:
        first, last = whole_months(start, end)
        period = period_for(first, last, service_start)
        return period, (f"{WHOLE_MONTHS_RULE}: {start:%d %b %Y} – {end:%d %b %Y} is shown as "
                        f"{first:%d %b %Y} – {last:%d %b %Y}.")


def period_for(start: dt.date, end: dt.date, service_start: dt.date | None = None) -> Period:
    """The calendar month, financial quarter or contract year ``start``–``end`` is, else a custom
    period (whole months only: :class:`PartMonthPeriod` otherwise)."""
    for make in (month, quarter, lambda d: contract_year(d, service_start)):
        period = make(start)
        if (period.start, period.end) == (start, end):
            return period
    return custom(start, end)


def periods_between(first: dt.date, last: dt.date, kind: PeriodKind, service_start: dt.date | None = None) -> list[Period]:
    """Every period of ``kind`` that overlaps ``first``..``last``, oldest first."""
    make = {"month": month, "quarter": quarter}.get(kind)
    if kind == "contract_year":
        make = lambda d: contract_year(d, service_start)  # noqa: E731
    if make is None:
        raise ValueError(f"periods_between does not list {kind!r} periods")
    result: list[Period] = []
    day = first
    while day <= last:
        period = make(day)
        result.append(period)
        day = period.end + dt.timedelta(days=1)
    return result


def previous(period: Period, service_start: dt.date | None = None) -> Period | None:
    """The period of the same kind just before ``period`` (None for custom periods)."""
    before = period.start - dt.timedelta(days=1)
    if period.kind == "month":
        return month(before)
    if period.kind == "quarter":
        return quarter(before)
    if period.kind == "contract_year":
        return contract_year(before, service_start)
    return None
