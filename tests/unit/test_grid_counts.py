"""A grid's rows from monthly series: months as they are, quarters and the year as sums of their
months, a month missing from the series as 0 (``metrics.partitions._grid_counts``), checked by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from metrics import partitions


def test_quarters_and_the_year_are_sums_of_the_months_and_a_missing_month_is_zero():
    columns = partitions.columns_of(partitions.year_of(dt.date(2025, 6, 1)))
    months = [m for kind, m in columns if kind == "month"]
    frame = pd.DataFrame({"month": pd.to_datetime(months[:5]), "numerator": [1, 2, 3, 4, 5],
                          "denominator": [10, 20, 30, 40, 50]})
    n, d = partitions._grid_counts({"DS2": frame}, columns)["DS2"]
    value = dict(zip(columns, n))
    assert [value[("month", m)] for m in months] == [1, 2, 3, 4, 5] + [0] * (len(months) - 5)
    quarters = [key for key in columns if key[0] == "quarter"]
    assert [value[q] for q in quarters] == [6, 9, 0, 0]  # months 1–3, then 4–5
    assert value[next(key for key in columns if key[0] == "year")] == 15
    assert np.array_equal(d, n * 10)
