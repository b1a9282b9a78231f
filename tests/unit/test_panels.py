"""metrics.panels: the helpers every panel relies on, and two panels on hand-made referrals."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from data_access.db import session_scope
from data_access.models import Borough, Referral
from data_access.scoping import AccessScope, ReferralFilters, referrals_select
from data_access.settings import Settings
from metrics import panels, periods
from domain.dates import working_day_deadline


@pytest.mark.parametrize(("value", "text"), [(None, "no data"), (float("nan"), "no data"), (0.0, "0.0%"), (95.25, "95.2%")])
def test_a_number_that_cannot_be_computed_reads_no_data_never_zero(value, text):
    assert panels.pct(value) == text


def test_small_counts_are_hidden_with_secondary_suppression():
    shown, numbers, note = panels.suppressed_column(pd.Series([3, 20, 30]), threshold=5)
    assert shown.iloc[0] == "[c]" and numbers.isna().sum() == 2  # the total would give a lone [c] away
    assert shown.iloc[2] == "30" and numbers.iloc[2] == 30 and "[c]" in note


def test_no_suppression_note_when_nothing_is_hidden():
    shown, numbers, note = panels.suppressed_column(pd.Series([0, 20, 30]), threshold=5)
    assert list(shown) == ["0", "20", "30"] and note is None and not numbers.isna().any()


def test_shown_columns_replace_numbers_by_their_suppressed_twins():
    from ui.panel_data import _shown_columns

    frame = pd.DataFrame({"unit": ["a", "b"], "referrals": [np.nan, 40.0], "referrals_shown": ["[c]", "40"]})
    out = _shown_columns(frame)
    assert list(out.columns) == ["unit", "referrals"] and list(out["referrals"]) == ["[c]", "40"]


def _referral(ref, borough_id, provider_id=None, **dates):
    return Referral(referral_ref=ref, borough_id=borough_id, provider_id=provider_id, source="test", **dates)


@pytest.fixture()
def cases(reference_engine):
    with session_scope(reference_engine) as session:
        bolton = session.scalar(select(Borough.id).where(Borough.name == "Bolton"))
        session.add_all([
            _referral("R-DS2-SOON", bolton, received_on=dt.date(2026, 3, 17)),
            _referral("R-DS2-LATER", bolton, received_on=dt.date(2026, 3, 30)),
            _referral("R-DS3", bolton, received_on=dt.date(2026, 3, 20), saa_first_attended_on=dt.date(2026, 3, 27)),
            _referral("R-MITIGATED", bolton, received_on=dt.date(2026, 3, 17), saa_first_not_attended_on=dt.date(2026, 3, 20)),
            _referral("R-DONE", bolton, received_on=dt.date(2026, 3, 17), saa_first_attended_on=dt.date(2026, 3, 18),
                      action_plan_submitted_on=dt.date(2026, 3, 19)),
        ])
    return reference_engine


def _inputs(session, scope, as_of):
    filters = ReferralFilters()
    return panels.inputs_for(session, scope, filters, referrals_select(scope, filters), periods.quarter(as_of), as_of,
                             Settings())


def test_cases_at_risk_lists_open_deadlines_soonest_first(cases):
    as_of = dt.date(2026, 3, 30)
    with session_scope(cases) as session:
        result = panels.cases_at_risk(session, _inputs(session, AccessScope("c", "commissioner"), as_of), horizon=5)
    assert list(result.data["referral_ref"]) == ["R-DS2-SOON", "R-DS3"]
    expected = working_day_deadline(["2026-03-17"], 10)[0]
    assert result.data["deadline"].iloc[0] == pd.Timestamp(expected).date()  # 31 March 2026
    assert result.data["measure"].tolist() == ["DS2 assessment", "DS3 action plan"]
    assert "2 open referrals" in result.title


def test_a_provider_scope_sees_none_of_another_providers_cases(cases):
    with session_scope(cases) as session:
        result = panels.cases_at_risk(session, _inputs(session, AccessScope("p", "provider", provider_id=999),
                                                       dt.date(2026, 3, 30)))
    assert result.data.empty and result.title.startswith("No open referral")


def test_forecast_band_title_names_the_boroughs_below(cases):
    with session_scope(cases) as session:
        result = panels.forecast_bands(session, _inputs(session, AccessScope("c", "commissioner"), dt.date(2026, 3, 31)))
    assert "below their forecast band" in result.title and "Bolton" in result.title
    bolton = result.data[result.data["borough"] == "Bolton"]
    assert bolton["referrals_shown"].iloc[0] == "5" and bolton["status"].iloc[0] == "▼ below band"


def test_every_panel_copes_with_referrals_missing_their_geography_and_dates(cases):
    """Hand-made referrals with no demand unit, hub, complexity or end: no panel fails, none shows 0 for 'no data'."""
    with session_scope(cases) as session:
        inputs = _inputs(session, AccessScope("c", "commissioner"), dt.date(2026, 3, 31))
        for compute, options in [(panels.forecast_bands, {"by": "pdu"}), (panels.forecast_bands, {"by": "hub"}),
                                 (panels.monthly_against_expectation, {}), (panels.referral_sources, {}),
                                 (panels.complexity_mix, {}), (panels.complexity_by_borough, {}),
                                 (panels.complexity_over_time, {}), (panels.distance_travelled, {}),
                                 (panels.distance_travelled, {"by": "hub"}),
                                 (panels.journey, {}), (panels.equality_rates, {"strand": "sex"}),
                                 (panels.field_completeness, {}), (panels.headline, {}), (panels.import_freshness, {}),
                                 (panels.spend_against_funding, {})]:
            result = compute(session, inputs, **options)
            assert result.title, compute.__name__
