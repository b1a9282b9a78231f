"""Issue 17 finding 2: with only a Refer and Monitor report loaded, DS4, KP5 and KP1–KP4 cannot be
measured. They show "no data: needs the case extract", count neither as met nor as missed, and
the Overview says so; once a case extract is loaded they are computed again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from data_access.importers.case_extract import import_case_extract
from data_access.importers.ram import import_ram_performance
from data_access.scoping import ReferralFilters, analyst_scope, referrals_select
from data_access.settings import Settings
from metrics import panels, periods
from metrics.queries import scorecard
from tests.integration.test_import_ram_downloads import (
    HISTORIES,
    as_downloaded,
    to_csv,
    with_reference_and_calendar,
)

CASE_EXTRACT_ONLY = ("DS4", "KP1", "KP2", "KP3", "KP4", "KP5")
YEAR = periods.custom(dt.date(2024, 1, 1), dt.date(2024, 12, 31))


@pytest.fixture()
def ram_only(engine):
    with_reference_and_calendar(engine)
    rows = [as_downloaded(h, dt.datetime(2025, 1, 1)) for h in HISTORIES]
    assert import_ram_performance(engine, to_csv(rows), file_name="ram.csv").ok
    return engine


def views(engine):
    scope, filters = analyst_scope(), ReferralFilters()
    with engine.connect() as db:
        inputs = panels.inputs_for(db, scope, filters, referrals_select(scope, filters), YEAR, None, Settings.from_env())
        card = scorecard(db, referrals_select(scope, filters), start=YEAR.start, end=YEAR.end)
        return card, panels.scorecard_panel(db, inputs), panels.headline(db, inputs), panels.spc_charts(db, inputs)


def test_measures_the_report_cannot_support_are_no_data_not_zero(ram_only):
    card, table, headline, spc = views(ram_only)
    for code in CASE_EXTRACT_ONLY:
        result = card.kpi(code)
        assert result is not None, f"{code} silently left out"
        assert (result.value, result.status, result.extra.get("needs")) == (None, "no data", "the case extract")
    # DS4's cohort exists (assessments attended in 2024): before the fix it showed 0.0% below target.
    shown = table.data.set_index("code")
    assert shown.loc["DS4", "value"] == "no data: needs the case extract"
    assert shown.loc["KP5", "status"].endswith("no data")
    below = [r.code for r in card.kpis if r.status in ("below target", "below trigger")]
    assert not set(below) & set(CASE_EXTRACT_ONLY)
    measured = len(card.kpis) - sum(r.status == "no data" for r in card.kpis)
    assert f"of {measured} measures" in table.title or table.title.startswith(f"All {measured} measures")
    assert "not measurable from the data loaded: DS4, KP1, KP2, KP3, KP4, KP5 (need the case extract)" in headline.title
    assert not set(spc) & set(CASE_EXTRACT_ONLY)


def test_a_case_extract_makes_them_measurable_again(ram_only, tmp_path):
    ref = HISTORIES[0]["referral_ref"]
    assessed = HISTORIES[0]["date_saa_first_attended"].date()
    extract = tmp_path / "case.csv"
    header = Path("assets/templates/case_extract.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    values = {"record_type": "distance_tool", "referral_ref": ref, "date": (assessed + dt.timedelta(days=2)).isoformat()}
    extract.write_text(",".join(header) + "\n" + ",".join(values.get(c, "") for c in header) + "\n", encoding="utf-8")
    result = import_case_extract(ram_only, extract)
    assert result.ok, [(p.line, p.column, p.reason) for p in result.problems.sorted()]
    card, _, headline, _ = views(ram_only)
    assert card.kpi("DS4").extra.get("needs") is None and card.kpi("DS4").numerator == 1
    assert "not measurable" not in headline.title
