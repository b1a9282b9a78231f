"""The settings that change figures, read in one place (data_access.figure_settings) from the
database where an admin sets them, by pages (metrics.panels.inputs_for), packs and the CLI."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from sqlalchemy import select

from data_access import admin
from data_access.db import session_scope
from data_access.figure_settings import FigureSettings, figure_settings
from data_access.models import Borough, Referral
from data_access.scoping import AccessScope, ReferralFilters, referrals_select
from data_access.settings import Settings
from metrics import panels, periods

ADMIN = AccessScope("ada", "admin")
APRIL = periods.month(dt.date(2024, 4, 1))


def test_an_admins_settings_override_the_deployments_and_can_be_returned_to_it(reference_engine):
    env = Settings(suppression_threshold=5, minimum_rate_denominator=10, ds1_forecast_bound="low",
                   distance_scale_min=1, distance_scale_max=5)
    with session_scope(reference_engine) as session:
        assert figure_settings(session, env) == FigureSettings(5, 10, "low", 365, (1, 5))
        admin.set_figure_setting(session, ADMIN, "ds1_bound", "High")
        admin.set_figure_setting(session, ADMIN, "suppression_threshold", "10")
        admin.set_figure_setting(session, ADMIN, "distance_scale_max", 7)
        admin.set_forecast_period(session, ADMIN, 730)
    with session_scope(reference_engine) as session:
        assert figure_settings(session, env) == FigureSettings(10, 10, "high", 730, (1, 7))
        assert admin.figure_settings_set(session, ADMIN) == {"ds1_bound": "high", "suppression_threshold": 10,
                                                              "distance_scale_max": 7}
        admin.set_figure_setting(session, ADMIN, "suppression_threshold", None)
    with session_scope(reference_engine) as session:
        assert figure_settings(session, env).suppression_threshold == 5
        audited = admin.recent_audit(session, ADMIN)
        assert (audited["action"] == "figure_setting_set").sum() == 4


@pytest.mark.parametrize(("name", "value"), [("ds1_bound", "lowest"), ("suppression_threshold", 1),
                                             ("suppression_threshold", 2.5), ("minimum_rate_denominator", "ten"),
                                             ("distance_scale_min", 5), ("colour", "red")])
def test_a_figure_setting_out_of_range_is_refused_and_nothing_is_written(reference_engine, name, value):
    with session_scope(reference_engine) as session:
        admin.set_figure_setting(session, ADMIN, "distance_scale_max", 5)
    with pytest.raises(admin.AdminInputError), session_scope(reference_engine) as session:
        admin.set_figure_setting(session, ADMIN, name, value)  # distance_scale_min 5 is not below max 5
    with session_scope(reference_engine) as session:
        assert admin.figure_settings_set(session, ADMIN) == {"distance_scale_max": 5}


def test_only_an_admin_may_change_a_figure_setting(reference_engine):
    with pytest.raises(PermissionError), session_scope(reference_engine) as session:
        admin.set_figure_setting(session, AccessScope("cat", "commissioner"), "ds1_bound", "high")


def _bolton_referrals(session, n: int) -> None:
    bolton = session.scalar(select(Borough.id).where(Borough.name == "Bolton"))
    session.add_all([Referral(referral_ref=f"R{i:03d}", borough_id=bolton, source="test",
                              received_on=dt.date(2024, 4, 2 + i % 20)) for i in range(n)])


def test_pages_and_the_cli_follow_the_ds1_bound_and_threshold_an_admin_sets(reference_engine, monkeypatch):
    """DS1 = referrals received ÷ the month's pro-rated bound (Decisions 1 and 2). GM's
    published band sums to 3,906 (low) and 5,855 (high) a year (gm_anticipated_demand_2023.csv);
    April's 30 days of it: 3,906 × 30 / 365 = 321.04 and 5,855 × 30 / 365 = 481.23, so
    40 referrals are 12.46% (low) and 8.31% (high). With the forecast taken as covering 730
    days, the low target halves to 160.52 and DS1 doubles to 24.92%. (The denominator is
    reported to one decimal place.)"""
    from metrics.__main__ import main

    with session_scope(reference_engine) as session:
        _bolton_referrals(session, 40)
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", reference_engine.url.render_as_string(hide_password=False))

    def page():
        with session_scope(reference_engine) as session:
            scope = AccessScope("cat", "commissioner")
            inputs = panels.inputs_for(session, scope, ReferralFilters(), referrals_select(scope), APRIL,
                                       dt.date(2024, 4, 30), Settings.from_env())
            return inputs, panels.period_scorecard(session, inputs).kpi("DS1")

    def cli():
        out = io.StringIO()
        assert main(["scorecard", "--from", "2024-04-01", "--to", "2024-04-30", "--as-of", "2024-04-30",
                     "--format", "json"], out=out) == 0
        return next(k for k in json.loads(out.getvalue())["kpis"] if k["code"] == "DS1")

    for setting, value, target, ds1 in ((None, None, 321.04, 12.46), ("ds1_bound", "high", 481.23, 8.31),
                                        ("forecast_period", 730, 240.62, 16.62), ("ds1_bound", "low", 160.52, 24.92)):
        if setting == "forecast_period":
            with session_scope(reference_engine) as session:
                admin.set_forecast_period(session, ADMIN, value)
        elif setting:
            with session_scope(reference_engine) as session:
                admin.set_figure_setting(session, ADMIN, setting, value)
        inputs, result = page()
        assert (result.numerator, result.denominator, result.value) == (
            40, pytest.approx(target, abs=0.05), pytest.approx(ds1, abs=0.005)), setting
        row = cli()
        assert (row["denominator"], row["value"]) == (pytest.approx(target, abs=0.05), pytest.approx(ds1, abs=0.005))
    with session_scope(reference_engine) as session:
        admin.set_figure_setting(session, ADMIN, "minimum_rate_denominator", 20)
        admin.set_figure_setting(session, ADMIN, "suppression_threshold", 8)
    inputs, _ = page()
    assert (inputs.minimum_rate_denominator, inputs.suppression_threshold) == (20, 8)
