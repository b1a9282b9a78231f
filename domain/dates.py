"""Calendar rules every measure shares: Europe/London dates and England & Wales working days.

DOMAIN.md "Exact rules":

* **Dates** are calendar dates in Europe/London. A timestamp with an offset is converted to
  London time before its date is taken (``2024-06-30T23:30:00Z`` is 1 July).
* **Working days** exclude Saturdays, Sundays and England and Wales bank holidays, from a
  maintained calendar (the ``holidays`` package; England and Wales share bank holidays, so
  ``holidays.UK(subdiv="ENG")`` is the calendar). "Within N working days of D" means on or
  before ``numpy.busday_offset(D, N, roll="backward", holidays=...)``: D is day 0 and a D
  that is not a working day counts from the working day before it.

Everything here is pure and vectorised; importers use :func:`london_date` and
:func:`london_dates` at the boundary so stored ``*_on`` columns follow the same rule.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import pandas as pd

LONDON = ZoneInfo("Europe/London")

#: Years the working-day calendar covers. Wide enough for any contract; a date outside it
#: raises rather than silently ignoring bank holidays.
CALENDAR_FIRST_YEAR = 2015
CALENDAR_LAST_YEAR = 2040

DateLike = dt.date | dt.datetime | str | np.datetime64 | pd.Timestamp


def _parse_timestamp(value: str | dt.datetime | pd.Timestamp) -> dt.datetime:
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    return dt.datetime.fromisoformat(text)


def london_date(value: str | dt.datetime | pd.Timestamp | None) -> dt.date | None:
    """The Europe/London calendar date of a timestamp.

    Parameters
    ----------
    value : str, datetime or None
        An ISO-8601 timestamp (``"2024-06-30T23:30:00Z"``, ``"...+01:00"``) or a datetime.
        A timestamp with an offset is converted to London time first. A naive timestamp is
        taken to be UTC, which is how the database stores ``*_at`` columns.

    Returns
    -------
    datetime.date or None
        The London date; ``None`` for ``None`` or an empty string.

    Examples
    --------
    >>> london_date("2024-03-30T23:30:00Z")  # GMT: still 30 March in London
    datetime.date(2024, 3, 30)
    >>> london_date("2024-03-31T23:30:00Z")  # BST from 01:00 UTC that day: 00:30 on 1 April
    datetime.date(2024, 4, 1)
    >>> london_date("2024-06-30T23:30:00Z")  # BST: 00:30 on 1 July in London
    datetime.date(2024, 7, 1)
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if value is pd.NaT:
        return None
    stamp = _parse_timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(LONDON).date()


def london_dates(values: pd.Series) -> pd.Series:
    """Vectorised :func:`london_date` for a Series of ISO strings or datetimes.

    Parameters
    ----------
    values : pandas.Series
        Timestamps with offsets (mixed offsets allowed), or naive timestamps taken as UTC.

    Returns
    -------
    pandas.Series
        ``datetime.date`` objects (``None`` where the input is missing), same index.
    """
    if len(values) == 0:
        return pd.Series([], index=values.index, dtype=object)
    cleaned = values.replace("", None) if values.dtype == object else values
    stamps = pd.to_datetime(cleaned, utc=True, format="ISO8601")
    local = stamps.dt.tz_convert(LONDON)
    out = pd.Series(local.dt.date, index=values.index, dtype=object)
    return out.where(local.notna(), None)


def utc_naive(value: str | dt.datetime | None) -> dt.datetime | None:
    """A timestamp as naive UTC, the form the database stores (``*_at`` columns)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    stamp = _parse_timestamp(value)
    if stamp.tzinfo is None:
        return stamp
    return stamp.astimezone(dt.UTC).replace(tzinfo=None)


# --------------------------------------------------------------------------------------------
# Working days
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def bank_holidays() -> np.ndarray:
    """England and Wales bank holidays, ``CALENDAR_FIRST_YEAR``–``CALENDAR_LAST_YEAR``.

    From the maintained ``holidays`` package (DOMAIN.md: "a maintained calendar library, not a
    hand-typed list"); includes one-off days such as the 2022 State Funeral.
    """
    calendar = holidays.UK(
        subdiv="ENG", years=range(CALENDAR_FIRST_YEAR, CALENDAR_LAST_YEAR + 1)
    )
    return np.array(sorted(calendar.keys()), dtype="datetime64[D]")


@lru_cache(maxsize=1)
def working_day_calendar() -> np.busdaycalendar:
    """The numpy business-day calendar: Monday–Friday less England and Wales bank holidays."""
    return np.busdaycalendar(weekmask="1111100", holidays=bank_holidays())


def as_day_array(values: Any) -> np.ndarray:
    """Any date-like column (dates, datetimes, strings, None) as ``datetime64[D]`` (NaT = missing)."""
    if isinstance(values, np.ndarray) and values.dtype == "datetime64[D]":
        return values
    series = pd.Series(values) if not isinstance(values, pd.Series) else values
    if series.dtype == object:
        series = pd.to_datetime(series, errors="raise")
    elif not pd.api.types.is_datetime64_any_dtype(series):
        series = pd.to_datetime(series)
    if getattr(series.dt, "tz", None) is not None:
        # A tz-aware column: take its London date (DOMAIN.md "Dates").
        series = series.dt.tz_convert(LONDON).dt.tz_localize(None)
    return series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")


def _check_calendar_range(days: np.ndarray) -> None:
    present = days[~np.isnat(days)]
    if present.size == 0:
        return
    first, last = present.min(), present.max()
    if first < np.datetime64(f"{CALENDAR_FIRST_YEAR}-01-01") or last > np.datetime64(
        f"{CALENDAR_LAST_YEAR - 1}-12-01"
    ):
        raise ValueError(
            f"dates {first}–{last} fall outside the bank-holiday calendar "
            f"({CALENDAR_FIRST_YEAR}–{CALENDAR_LAST_YEAR}); extend domain.dates"
        )


def working_day_deadline(start: Any, working_days: int) -> np.ndarray:
    """The last date that is still "within ``working_days`` working days of" each start date.

    Parameters
    ----------
    start : array-like of dates
        The clock-start dates (D). Missing values give NaT.
    working_days : int
        N, e.g. 10 for DS2.

    Returns
    -------
    numpy.ndarray of datetime64[D]
        ``busday_offset(D, N, roll="backward")`` with England and Wales bank holidays
        (DOMAIN.md "Working days"): D is day 0; a Saturday, Sunday or bank-holiday D counts
        from the working day before it.

    Examples
    --------
    >>> str(working_day_deadline(["2024-03-28"], 10)[0])  # Thursday before Good Friday 2024
    '2024-04-15'
    """
    days = as_day_array(start)
    _check_calendar_range(days)
    return np.busday_offset(days, working_days, roll="backward", busdaycal=working_day_calendar())


def is_working_day(values: Any) -> np.ndarray:
    """True where a date is a working day in England and Wales."""
    days = as_day_array(values)
    out = np.zeros(days.shape, dtype=bool)
    present = ~np.isnat(days)
    out[present] = np.is_busday(days[present], busdaycal=working_day_calendar())
    return out


def working_days_between(start: Any, end: Any) -> np.ndarray:
    """Working days from ``start`` (exclusive) to ``end`` (inclusive); NaN where either is missing."""
    a = as_day_array(start)
    b = as_day_array(end)
    out = np.full(a.shape, np.nan)
    present = ~(np.isnat(a) | np.isnat(b))
    out[present] = np.busday_count(
        a[present] + np.timedelta64(1, "D"), b[present] + np.timedelta64(1, "D"),
        busdaycal=working_day_calendar(),
    )
    return out


def days_in_period(start: dt.date, end: dt.date) -> int:
    """Calendar days from ``start`` to ``end`` inclusive."""
    return (end - start).days + 1


# --------------------------------------------------------------------------------------------
# SL002's official cut
# --------------------------------------------------------------------------------------------

#: CRS SL002 technical note (001): the data is extracted "on the 16th working day of the
#: following month" (DOMAIN.md Decision 10).
SL002_CUT_WORKING_DAY = 16


def sl002_official_cut(month: dt.date) -> dt.date:
    """The day SL002 for ``month`` (any day in it) is officially extracted: the 16th working day
    (England and Wales) of the following month.

    Examples
    --------
    >>> sl002_official_cut(dt.date(2024, 3, 1))  # April 2024 opens with Easter Monday
    datetime.date(2024, 4, 23)
    """
    following = (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    day = np.busday_offset(np.datetime64(following, "D"), SL002_CUT_WORKING_DAY - 1, roll="forward",
                           busdaycal=working_day_calendar())
    return day.astype(dt.date)
