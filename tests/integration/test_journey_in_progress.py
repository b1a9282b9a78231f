"""Audit finding 6: the drop-out headline read open referrals as drop-outs ("0% have reached
exit" for the current quarter). A referral still in progress has not dropped out."""

import datetime as dt

from data_access.db import session_scope
from data_access.models import Referral
from data_access.scoping import analyst_scope, referrals_select
from data_access.settings import Settings
from metrics import panels, periods

D = dt.date


def _journey(engine, as_of):
    scope = analyst_scope()
    with engine.connect() as db:
        inputs = panels.inputs_for(db, scope, panels.ReferralFilters(), referrals_select(scope),
                                   periods.quarter(D(2024, 4, 1)), as_of, Settings.from_env())
        return panels.journey(db, inputs)


def _referral(session, i, **dates):
    session.add(Referral(referral_id=f"j{i}", referral_ref=f"J{i}", source="test", received_on=D(2024, 4, 2), **dates))


def test_open_referrals_are_in_progress_not_dropped_out(reference_engine):
    with session_scope(reference_engine) as session:
        for i in range(12):
            _referral(session, i, saa_first_attended_on=D(2024, 4, 10))
    result = _journey(reference_engine, D(2024, 6, 30))
    assert result.title == "None of the 12 referrals received in this period has ended yet: all are still in progress"
    assert "0%" not in result.title and result.data.empty


def test_the_journey_is_read_from_the_referrals_that_ended(reference_engine):
    with session_scope(reference_engine) as session:
        # 10 ended after every step (exit), 10 ended after assessment only, 7 still open.
        for i in range(10):
            _referral(session, i, saa_first_arranged_at=dt.datetime(2024, 4, 3, 9), saa_first_attended_on=D(2024, 4, 10),
                      action_plan_approved_on=D(2024, 4, 15), first_session_on=D(2024, 4, 22), outcomes_achieved=1.0,
                      concluded_on=D(2024, 6, 1))
        for i in range(10, 20):
            _referral(session, i, saa_first_arranged_at=dt.datetime(2024, 4, 3, 9), saa_first_attended_on=D(2024, 4, 10),
                      concluded_on=D(2024, 5, 1))
        for i in range(20, 27):
            _referral(session, i, saa_first_arranged_at=dt.datetime(2024, 4, 3, 9))
    result = _journey(reference_engine, D(2024, 6, 30))
    assert result.title == ("Of 20 referred in the period whose referral has ended, 50% went through every step "
                            "to exit; most left between 'assessed' and 'action plan' (10); 7 still in progress")
