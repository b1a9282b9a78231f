"""SL002's official cut: the 16th working day of the following month (DOMAIN.md Decision 10),
counted by hand on a calendar with England and Wales bank holidays."""

import datetime as dt

import pytest

from domain.dates import sl002_official_cut


@pytest.mark.parametrize(("month", "cut"), [
    # June 2024 starts on a Saturday: 3–7 (1–5), 10–14 (6–10), 17–21 (11–15), Mon 24 June is the 16th.
    (dt.date(2024, 5, 1), dt.date(2024, 6, 24)),
    # April 2024 opens with Easter Monday: Tue 2 April is the 1st working day, Tue 23 April the 16th.
    (dt.date(2024, 3, 31), dt.date(2024, 4, 23)),
    # May 2024 has the early May bank holiday (6th): 1–3 (1–3), 7–10 (4–7), 13–17 (8–12), 20–23 (13–16).
    (dt.date(2024, 4, 15), dt.date(2024, 5, 23)),
    # January 2024: New Year's Day is a bank holiday; Tue 2 Jan is the 1st, Tue 23 Jan the 16th.
    (dt.date(2023, 12, 1), dt.date(2024, 1, 23)),
    # December 2024: Christmas falls after the cut, which is Mon 23 December.
    (dt.date(2024, 11, 30), dt.date(2024, 12, 23)),
    # September 2023, the service's first month: October 2023 has no bank holiday; 1 Oct is a Sunday.
    # 2–6 (1–5), 9–13 (6–10), 16–20 (11–15), Mon 23 October is the 16th.
    (dt.date(2023, 9, 4), dt.date(2023, 10, 23)),
])
def test_cut_is_the_16th_working_day_of_the_following_month(month, cut):
    assert sl002_official_cut(month) == cut
