"""Issue 17 finding 4: periods before the service's SPC window (September 2023) and dates before
the working-day calendar (2015) give an empty result or a clear message, never a traceback."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy.orm import Session

from data_access.importers.ram import import_ram_performance
from data_access.scoping import ReferralFilters, analyst_scope, referrals_select
from data_access.settings import Settings
from metrics import panels, periods
from metrics.__main__ import main
from metrics.queries import monthly_series, scorecard
from reports.pack_data import PackRequest, board_pack_data, contract_pack_data
from tests.integration.test_import_ram_downloads import (
    to_csv,
    with_reference_and_calendar,
)
from tests.integration.test_sl002_official_cut import row

# One referral from 2014 (the importer accepts it) and one from summer 2023.
ROWS = [row("OLD", "2014-06-02", approved="2014-06-10", session="2014-06-20", ended="2014-07-01"),
        row("SUMMER", "2023-07-03", approved="2023-07-12", session="2023-07-20", ended="2023-08-15")]
SUMMER_2023 = periods.custom(dt.date(2023, 7, 1), dt.date(2023, 8, 31))


@pytest.fixture()
def early(engine):
    with_reference_and_calendar(engine)
    assert import_ram_performance(engine, to_csv(ROWS), file_name="early.csv").ok
    return engine


def test_monthly_series_of_a_range_ending_before_it_starts_is_empty(early):
    with early.connect() as db:
        assert monthly_series(db, referrals_select(analyst_scope()), start=dt.date(2023, 9, 1),
                              end=dt.date(2023, 8, 31)) == {}


def test_spc_panels_for_a_period_ending_before_september_2023_are_empty(early):
    scope, filters = analyst_scope(), ReferralFilters()
    with early.connect() as db:
        inputs = panels.inputs_for(db, scope, filters, referrals_select(scope, filters), SUMMER_2023, None,
                                   Settings.from_env())
        charts = panels.spc_charts(db, inputs)
        assert charts == {}
        assert panels.spc_summary(charts).data.empty


@pytest.mark.parametrize("build", [board_pack_data, contract_pack_data])
def test_packs_for_a_period_ending_before_september_2023_build(early, build):
    with Session(early) as db:
        pack = build(db, PackRequest(period=SUMMER_2023, scope=analyst_scope()), Settings.from_env())
    assert pack.tables


def test_a_period_before_2015_has_no_case_measures_and_says_why(early):
    with early.connect() as db:
        card = scorecard(db, referrals_select(analyst_scope()), start=dt.date(2014, 1, 1), end=dt.date(2014, 12, 31))
        assert {k.code for k in card.kpis} <= {"DS1"}
        assert any("only from 01 January 2015" in a for a in card.assumptions)
        # A period reaching back before 2015 measures the part from 2015 on.
        wide = scorecard(db, referrals_select(analyst_scope()), start=dt.date(2014, 6, 1), end=dt.date(2023, 8, 31))
        assert wide.kpi("SL002").extra["b"] == 1  # SUMMER; OLD (ended July 2014) is not measured


def test_scorecard_cli_before_2015_prints_a_result(early, monkeypatch):
    if early.dialect.name != "sqlite":
        pytest.skip("the CLI's wording is the same on both backends")
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", early.url.render_as_string(hide_password=False))
    out = io.StringIO()
    assert main(["scorecard", "--from", "2014-01-01", "--to", "2014-12-31", "--format", "table"], out=out) == 0
    assert "count only from 01 January 2015" in out.getvalue()
