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
    assert periods.previous(periods.custom(dt.date(2024, 1, 1), dt.date(2024, 1, 5))) is None


def test_custom_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="ends"):
        periods.custom(dt.date(2024, 2, 1), dt.date(2024, 1, 1))


@pytest.mark.parametrize("text", ["=SUM(A1)", "+1", "-cmd", "@x", "\tx"])
def test_formula_like_text_is_neutralised(text):
    assert neutralise_cell(text) == "'" + text


def test_numbers_and_plain_text_are_untouched_and_csv_has_a_bom():
    assert neutralise_cell(-5) == -5 and neutralise_cell("Bolton") == "Bolton"
    data = safe_csv_bytes(pd.DataFrame({"name": ["=HYPERLINK(1)", "£5 café"], "n": [-1, 2]}))
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text and "£5 café" in text and "-1" in text
