"""Issue 17 finding 3 on the equalities page: when every group is at 100% no group is "lower than
the overall 100.0%" (the Wilson upper limit at n/n is exactly 1)."""

from __future__ import annotations

import datetime as dt

from data_access.importers.ram import import_ram_performance
from data_access.scoping import ReferralFilters, analyst_scope, referrals_select
from data_access.settings import Settings
from metrics import panels, periods
from tests.integration.test_import_ram_downloads import (
    HISTORIES,
    as_downloaded,
    to_csv,
    with_reference_and_calendar,
)


def test_every_group_at_100_percent_is_similar_to_the_overall(engine):
    with_reference_and_calendar(engine)
    # Ten referrals, all with a first session: for n = 10 the formula's upper limit was 0.99999…
    rows = [as_downloaded(h, dt.datetime(2025, 1, 1)) for h in HISTORIES[:10]]
    assert import_ram_performance(engine, to_csv(rows), file_name="ten.csv").ok
    scope, filters = analyst_scope(), ReferralFilters()
    year = periods.custom(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    with engine.connect() as db:
        inputs = panels.inputs_for(db, scope, filters, referrals_select(scope, filters), year, None, Settings.from_env())
        panel = panels.equality_rates(db, inputs, strand="age_band")
    assert panel.extra["overall"] == 100.0
    assert panel.data["compared_with_all"].tolist() == ["similar"]
    assert "lower" not in panel.title and "no group differs from the overall 100.0%" in panel.title
