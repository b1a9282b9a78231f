import datetime as dt

import pandas as pd
import pytest

from metrics import periods
from domain.export import neutralise_cell, safe_csv_bytes


@pytest.mark.parametrize(
    ("day", "start", "end", "label"),
    [
        (dt.date(2024, 4, 1), dt.date(2024, 4, 1), dt.date(2024, 6, 30), "2024/25 Q1 (Apr–Jun 2024)"),
        (dt.date(2024, 3, 31), dt.date(2024, 1, 1), dt.date(2024, 3, 31), "2023/24 Q4 (Jan–Mar 2024)"),
        (dt.date(2024, 12, 25), dt.date(2024, 10, 1), dt.date(2024, 12, 31), "2024/25 Q3 (Oct–Dec 2024)"),
    ],
)
def test_financial_quarters(day, start, end, label):
    q = periods.quarter(day)
    assert (q.start, q.end, q.label) == (start, end, label)


def test_first_contract_year_starts_at_service_commencement():
    first = periods.contract_year(dt.date(2023, 10, 1), dt.date(2023, 9, 4))
    assert (first.start, first.end) == (dt.date(2023, 9, 4), dt.date(2024, 3, 31))
    assert first.days == 210


def test_month_of_a_leap_february_and_previous():
    feb = periods.month(dt.date(2024, 2, 10))
    assert feb.end == dt.date(2024, 2, 29)
    assert periods.previous(feb).label == "January 2024"
    assert periods.previous(periods.custom(dt.date(2024, 1, 1), dt.date(2024, 2, 29))) is None


def test_custom_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="ends"):
        periods.custom(dt.date(2024, 2, 1), dt.date(2024, 1, 1))


@pytest.mark.parametrize(("start", "end"), [
    (dt.date(2024, 1, 2), dt.date(2024, 1, 31)),   # a day short at the start
    (dt.date(2024, 1, 1), dt.date(2024, 2, 28)),   # a day short at the end (2024 is a leap year)
    (dt.date(2024, 1, 1), dt.date(2024, 1, 5)),
])
def test_a_custom_period_of_part_months_is_refused_with_the_nearest_whole_months(start, end):
    with pytest.raises(periods.PartMonthPeriod, match="whole calendar months") as caught:
        periods.custom(start, end)
    first, last = periods.whole_months(start, end)
    assert f"{first:%d %b %Y} – {last:%d %b %Y}" in str(caught.value)


def test_custom_periods_of_whole_months_and_the_named_periods():
    assert periods.custom(dt.date(2024, 1, 1), dt.date(2024, 2, 29)).kind == "custom"
    assert periods.period_for(dt.date(2024, 1, 1), dt.date(2024, 3, 31)).kind == "quarter"
    first_year = periods.period_for(dt.date(2023, 9, 4), dt.date(2024, 3, 31), dt.date(2023, 9, 4))
    assert first_year.kind == "contract_year"
    # From 1 September (before the service began on the 4th): whole months, a custom period.
    assert periods.period_for(dt.date(2023, 9, 1), dt.date(2024, 3, 31), dt.date(2023, 9, 4)).kind == "custom"


def test_a_part_month_is_snapped_outwards_with_a_sentence():
    period, message = periods.snapped(dt.date(2025, 1, 5), dt.date(2025, 2, 7))
    assert (period.start, period.end, period.kind) == (dt.date(2025, 1, 1), dt.date(2025, 2, 28), "custom")
    assert "05 Jan 2025 – 07 Feb 2025 is shown as 01 Jan 2025 – 28 Feb 2025" in message
    period, message = periods.snapped(dt.date(2025, 2, 3), dt.date(2025, 2, 3))
    assert (period.kind, period.start, message is not None) == ("month", dt.date(2025, 2, 1), True)
    assert periods.snapped(dt.date(2025, 1, 1), dt.date(2025, 2, 28)) == (
        periods.custom(dt.date(2025, 1, 1), dt.date(2025, 2, 28)), None)


@pytest.mark.parametrize("text", ["=SUM(A1)", "+1", "-cmd", "@x", "\tx"])
def test_formula_like_text_is_neutralised(text):
    assert neutralise_cell(text) == "'" + text


def test_numbers_and_plain_text_are_untouched_and_csv_has_a_bom():
    assert neutralise_cell(-5) == -5 and neutralise_cell("Bolton") == "Bolton"
    data = safe_csv_bytes(pd.DataFrame({"name": ["=HYPERLINK(1)", "£5 café"], "n": [-1, 2]}))
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text and "£5 café" in text and "-1" in text
