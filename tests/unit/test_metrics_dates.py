"""Europe/London dates and England & Wales working days (DOMAIN.md "Exact rules")."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from domain.dates import (
    bank_holidays,
    is_working_day,
    london_date,
    london_dates,
    utc_naive,
    working_day_deadline,
    working_days_between,
)


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        # GMT (winter): UTC = London. 23:30Z on 15 Jan is 23:30 on 15 Jan.
        ("2024-01-15T23:30:00Z", dt.date(2024, 1, 15)),
        # GMT, just after midnight: 00:30Z on 16 Jan is 00:30 on 16 Jan.
        ("2024-01-16T00:30:00Z", dt.date(2024, 1, 16)),
        # BST (summer): 23:30Z on 30 June is 00:30 BST on 1 July (DOMAIN.md's example).
        ("2024-06-30T23:30:00Z", dt.date(2024, 7, 1)),
        # BST, the other side of midnight: 22:59Z is 23:59 BST, still 30 June.
        ("2024-06-30T22:59:00Z", dt.date(2024, 6, 30)),
        # Offsets written by Refer and Monitor: +01:00 is already London summer time.
        ("2024-06-30T23:30:00+01:00", dt.date(2024, 6, 30)),
        # Clocks went forward at 01:00 UTC on 31 March 2024, so 23:30Z that evening is
        # 00:30 BST on 1 April. (DOMAIN.md's example says "31 March": that example is wrong;
        # the rule it illustrates - convert to London time, then take the date - gives 1 April.)
        ("2024-03-31T23:30:00Z", dt.date(2024, 4, 1)),
        # The evening before the change is still GMT: 23:30Z on 30 March is 30 March.
        ("2024-03-30T23:30:00Z", dt.date(2024, 3, 30)),
        # Clocks went back at 01:00 UTC on 27 October 2024: 23:30Z on 26 Oct is 00:30 BST 27 Oct.
        ("2024-10-26T23:30:00Z", dt.date(2024, 10, 27)),
        ("2024-10-27T23:30:00Z", dt.date(2024, 10, 27)),  # GMT again: same day
        ("", None),
        (None, None),
    ],
)
def test_london_date(stamp, expected):
    assert london_date(stamp) == expected


def test_london_date_naive_is_utc():
    # Naive timestamps are taken as UTC (how the database stores *_at columns).
    assert london_date(dt.datetime(2024, 6, 30, 23, 30)) == dt.date(2024, 7, 1)


def test_london_dates_vectorised_matches_scalar():
    stamps = pd.Series(
        ["2024-01-15T23:30:00Z", "2024-06-30T23:30:00Z", "2024-06-30T23:30:00+01:00", None, ""]
    )
    got = london_dates(stamps)
    assert list(got) == [london_date(s) for s in stamps]


def test_utc_naive():
    assert utc_naive("2024-06-30T23:30:00+01:00") == dt.datetime(2024, 6, 30, 22, 30)
    assert utc_naive(None) is None


def test_bank_holidays_include_easter_and_one_offs():
    days = set(bank_holidays().astype(str))
    assert {"2024-03-29", "2024-04-01", "2024-12-25", "2024-12-26"} <= days
    assert "2022-09-19" in days  # State Funeral of Queen Elizabeth II
    assert "2023-05-08" in days  # Coronation of King Charles III
    assert "2024-03-17" not in days  # St Patrick's Day is Northern Ireland only


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # Thursday 28 March 2024, the day before Good Friday. Working days after it skip Fri 29
        # (Good Friday), Sat 30, Sun 31, Mon 1 April (Easter Monday): 2,3,4,5 Apr = 1..4,
        # 8..12 Apr = 5..9, Mon 15 Apr = 10.
        ("2024-03-28", 10, "2024-04-15"),
        # Saturday 30 March rolls back to the working day before it: Thu 28 (Fri 29 is a bank
        # holiday), so the same deadline.
        ("2024-03-30", 10, "2024-04-15"),
        # Good Friday itself also rolls back to Thursday 28.
        ("2024-03-29", 10, "2024-04-15"),
        # Friday, Saturday and Sunday referrals share a deadline: Fri 1 Mar 2024 + 10 = Fri 15.
        ("2024-03-01", 10, "2024-03-15"),
        ("2024-03-02", 10, "2024-03-15"),
        ("2024-03-03", 10, "2024-03-15"),
        # 1 working day after a Friday is the Monday.
        ("2024-03-08", 1, "2024-03-11"),
        # 5 working days after Mon 4 Mar 2024 is Mon 11 Mar.
        ("2024-03-04", 5, "2024-03-11"),
        # Christmas: Mon 23 Dec 2024 + 1 = Tue 24; + 2 = Fri 27 (25, 26 bank holidays).
        ("2024-12-23", 1, "2024-12-24"),
        ("2024-12-23", 2, "2024-12-27"),
    ],
)
def test_working_day_deadline(start, n, expected):
    assert str(working_day_deadline([start], n)[0]) == expected


def test_deadline_missing_date_is_nat():
    assert np.isnat(working_day_deadline([None], 10)[0])


def test_deadline_outside_calendar_raises():
    with pytest.raises(ValueError, match="calendar"):
        working_day_deadline(["1999-01-04"], 1)


def test_is_working_day_and_between():
    assert list(is_working_day(["2024-03-28", "2024-03-29", "2024-03-30", None])) == [
        True, False, False, False,
    ]
    # From Thu 28 Mar (exclusive) to Mon 15 Apr (inclusive): 10 working days, as above.
    assert working_days_between(["2024-03-28"], ["2024-04-15"])[0] == 10
