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


def test_the_official_cut_row_follows_sl002s_decision_across_views():
    """docs/DISCLOSURE.md "SL002 on the official cut": the official figure is hidden where the
    view's grids hide SL002 (metrics.partitions), as the scorecard hides the latest figure."""
    from types import SimpleNamespace

    from metrics.official import _shown

    inp = SimpleNamespace(minimum_rate_denominator=10, suppression_threshold=5)
    official = SimpleNamespace(numerator=30, denominator=40)  # 75.0%: nothing small on its own
    assert _shown(official, inp) == {"value": "75.0%", "numerator": "30", "denominator": "40"}
    # Numerator hidden across views: the count and the rate (rate × 40 gives it back).
    assert _shown(official, inp, (True, False)) == {
        "value": "not shown (small numbers)", "numerator": "[c]", "denominator": "40"}
    # Denominator hidden across views: it takes the numerator and the rate with it.
    assert _shown(official, inp, (False, True)) == {
        "value": "not shown (small numbers)", "numerator": "[c]", "denominator": "[c]"}
    # 0 of a hidden 40: the 0 stays (nothing to give back), the rate does not.
    assert _shown(SimpleNamespace(numerator=0, denominator=40), inp, (False, True)) == {
        "value": "not shown (small numbers)", "numerator": "0", "denominator": "[c]"}
