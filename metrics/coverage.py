"""Which referral dates the Refer and Monitor downloads cover, and which SL002 months they may
leave short (issue 13 part 6).

R&M lets a provider download at most about six months of referrals at a time, chosen by the
date a referral was sent (DOMAIN.md "Refer and Monitor"). Each import batch records the first
and last London date of ``date_referral_received`` among its rows (``import_batches``), which
is all the file shows of the window asked for. SL002's cohort is the referrals that *ended* in
a month, whenever they were received, so a month's figure is complete only if every date a
referral ending that month could have been received on lies in some imported window: from the
service's start (or the first window, if earlier) to the end of the month.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select

from data_access.models import ImportBatch
from metrics import periods

RAM_KIND = "ram-performance"

Range = tuple[dt.date, dt.date]
ONE_DAY = dt.timedelta(days=1)


def download_windows(db, *, imported_by: str | None = None) -> pd.DataFrame:
    """One row per completed R&M import that recorded its window, oldest first."""
    b = ImportBatch.__table__.c
    stmt = (select(b.id.label("batch"), b.file_name, b.imported_by, b.finished_at.label("imported_at"),
                   b.received_from, b.received_to, b.data_as_at.label("latest_event"), b.rows_read.label("rows"))
            .where(b.kind == RAM_KIND, b.status == "done", b.received_from.is_not(None)).order_by(b.id))
    if imported_by is not None:
        stmt = stmt.where(b.imported_by == imported_by)
    result = db.execute(stmt)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def covered_ranges(windows: pd.DataFrame) -> list[Range]:
    """The windows merged: overlapping or adjoining windows make one range."""
    ranges: list[Range] = []
    for first, last in sorted(zip(_dates(windows["received_from"]), _dates(windows["received_to"]))):
        if ranges and first <= ranges[-1][1] + ONE_DAY:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], last))
        else:
            ranges.append((first, last))
    return ranges


def uncovered(ranges: list[Range], first: dt.date, last: dt.date) -> list[Range]:
    """The runs of dates from ``first`` to ``last`` that no range covers."""
    gaps: list[Range] = []
    day = first
    for start, end in sorted(ranges):
        if end < day:
            continue
        if start > last:
            break
        if start > day:
            gaps.append((day, min(start - ONE_DAY, last)))
        day = max(day, end + ONE_DAY)
    if day <= last:
        gaps.append((day, last))
    return gaps


def sl002_receipt_gaps(ranges: list[Range], months: list[dt.date], *, service_start: dt.date) -> pd.DataFrame:
    """Per month (its first day): the receipt dates a referral ending that month could have and
    no imported window covers.

    Checked from ``service_start`` (or the first window, if it starts earlier) to the month's end,
    but not past the last covered date: a download ends where its window ended, so receipts after
    the last one are not a gap until a later month's cohort needs them. A month that starts after
    the last covered date is reported as uncovered from that date on.
    """
    rows = []
    if not ranges:
        return pd.DataFrame(columns=["month", "uncovered", "gaps"])
    earliest = min(service_start, ranges[0][0])
    last_covered = max(end for _, end in ranges)
    for month in months:
        end = periods.month(month).end
        checked_to = min(end, last_covered) if month <= last_covered else end
        gaps = uncovered(ranges, earliest, checked_to)
        rows.append({"month": month, "uncovered": describe(gaps), "gaps": gaps})
    return pd.DataFrame(rows, columns=["month", "uncovered", "gaps"])


def describe(gaps: list[Range]) -> str:
    return "; ".join(_day(a) if a == b else f"{_day(a)} to {_day(b)}" for a, b in gaps)


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _dates(values) -> list[dt.date]:
    return [v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)[:10]) for v in values]


# --------------------------------------------------------------------------------------------
# Panels (exposed through metrics.panels for ui.panel_data)
# --------------------------------------------------------------------------------------------


def ram_download_windows(db, inp, *, imported_by: str | None = None):
    """Data quality: the referral dates each R&M import covers, and the ranges they make."""
    from metrics.panels import Panel

    windows = download_windows(db, imported_by=imported_by)
    if windows.empty:
        return Panel("No Refer and Monitor import records which referral dates it holds", windows)
    ranges = covered_ranges(windows)
    title = ("The Refer and Monitor imports cover referrals received "
             + ", ".join(f"{_day(a)} to {_day(b)}" for a, b in ranges))
    return Panel(title, windows, "referrals received (London dates)", (
        "Refer and Monitor gives at most about six months of referrals a download, by the date a referral was "
        "sent; each import's window is the first and last date a referral it holds was received.",
        "Overlapping downloads are merged: of two versions of a referral, the one holding the later event "
        "is kept, whichever was imported first.",
    ), extra={"ranges": ranges})


def sl002_coverage(db, inp, *, imported_by: str | None = None, service_start: dt.date | None = None):
    """Data quality: months of the period whose SL002 cohort (referrals that ended that month) may
    include referrals received outside every imported R&M window."""
    from metrics.panels import SERVICE_START, Panel

    service_start = service_start or SERVICE_START
    ranges = covered_ranges(download_windows(db, imported_by=imported_by))
    months = [p.start for p in periods.periods_between(inp.start, inp.end, "month")]
    gaps = sl002_receipt_gaps(ranges, months, service_start=service_start)
    short = gaps[gaps["uncovered"] != ""]
    data = short[["month", "uncovered"]].assign(month=[f"{m:%b %Y}" for m in short["month"]])
    notes = (f"A referral that ended in a month may have been received at any time since the service began "
             f"({_day(service_start)}); receipts after the last imported date are checked only for later months.",)
    if not ranges:
        return Panel("Which referral dates SL002's cohorts need cannot be checked: no Refer and Monitor import "
                     "records its window", data, None, notes)
    if short.empty:
        return Panel("Every month's SL002 cohort lies within the imported Refer and Monitor windows", data, None, notes)
    return Panel(f"SL002 may be incomplete for {len(short)} month{'s' if len(short) != 1 else ''} of the period: "
                 "referrals that ended then may have been received outside every imported window",
                 data, None, notes, extra={"months": data["month"].tolist()})
