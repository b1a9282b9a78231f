"""The fields Refer and Monitor added in 2024, in use: the completion deadline in the cases at
risk, the end of sentence on the Data quality page, and the end-reason table an admin edits
and the KPI page states."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from data_access import admin
from data_access.db import session_scope
from data_access.models import AuditLog, Borough, Referral
from data_access.reference import end_reason_classes
from data_access.scoping import AccessScope, ReferralFilters, referrals_select
from data_access.settings import Settings
from metrics import panels, periods

COMMISSIONER = AccessScope("c", "commissioner")
ADMIN = AccessScope(username="boss", role="admin")
D = dt.date


def _inputs(session, as_of):
    filters = ReferralFilters()
    return panels.inputs_for(session, COMMISSIONER, filters, referrals_select(COMMISSIONER, filters),
                             periods.quarter(as_of), as_of, Settings())


def _open_case(ref, bolton, **fields):
    # Old enough, assessed and planned: no DS2 or DS3 deadline is near.
    return Referral(referral_ref=ref, borough_id=bolton, source="test", received_on=D(2026, 1, 5),
                    saa_first_attended_on=D(2026, 1, 7), action_plan_submitted_on=D(2026, 1, 8),
                    action_plan_approved_on=D(2026, 1, 9), **fields)


def test_an_open_referral_near_its_completion_deadline_without_a_session_is_at_risk(reference_engine):
    with session_scope(reference_engine) as session:
        bolton = session.scalar(select(Borough.id).where(Borough.name == "Bolton"))
        session.add_all([
            # 17 April 2026: 12 working days after Monday 30 March (Good Friday and Easter Monday off).
            _open_case("R-NEAR", bolton, intervention_to_be_completed_by=D(2026, 4, 17)),
            _open_case("R-FAR", bolton, intervention_to_be_completed_by=D(2026, 6, 30)),
            _open_case("R-STARTED", bolton, intervention_to_be_completed_by=D(2026, 4, 10),
                       first_session_on=D(2026, 3, 10)),
            _open_case("R-ENDED", bolton, intervention_to_be_completed_by=D(2026, 4, 10), concluded_on=D(2026, 3, 20)),
            _open_case("R-NO-DATE", bolton),  # a report from before May 2024: nothing to say
        ])
    with session_scope(reference_engine) as session:
        result = panels.cases_at_risk(session, _inputs(session, D(2026, 3, 30)))
    assert result.data["referral_ref"].tolist() == ["R-NEAR"]
    assert result.data["measure"].tolist() == ["Completion deadline, no session yet"]
    assert result.data["deadline"].tolist() == [D(2026, 4, 17)]
    assert result.data["working_days_left"].tolist() == [12]
    with session_scope(reference_engine) as session:
        tighter = panels.cases_at_risk(session, _inputs(session, D(2026, 3, 30)), completion_horizon=10)
    assert tighter.data.empty


def _ended(ref, reason, concluded, sentence_end):
    return Referral(referral_ref=ref, source="test", received_on=D(2026, 1, 5), concluded_on=concluded,
                    end_requested_by_pp_reason=reason, referral_end_state="ended", end_of_sentence_date=sentence_end)


def test_data_quality_flags_ends_at_sentence_expiry_by_their_sl002_class(reference_engine):
    march = D(2026, 3, 16)
    with session_scope(reference_engine) as session:
        session.add_all(
            [_ended(f"MOV{i}", "Moved out of service area", march, march) for i in range(6)]
            + [_ended(f"SEE{i}", "Sentence expired", march, march) for i in range(5)]
            + [_ended("LATER", "Moved out of service area", march, D(2026, 9, 1)),  # sentence runs on
               _ended("UNKNOWN", "Moved out of service area", march, None)]  # an older report: not checked
        )
    with session_scope(reference_engine) as session:
        result = panels.sl002_ends_at_sentence_expiry(session, _inputs(session, D(2026, 3, 31)))
    rows = {r["end_reason"]: (r["sl002_class"], r["referrals"]) for r in result.data.to_dict("records")}
    assert rows == {"Moved out of service area": ("neutral", "6"), "Sentence expired": ("negative", "5")}
    assert result.title.startswith("11 referrals ended at or after the end of the sentence; some under a reason")
    assert result.extra["neutral_at_expiry"] == 6


def test_a_handful_of_ends_at_expiry_is_never_counted_out_loud(reference_engine):
    march = D(2026, 3, 16)
    with session_scope(reference_engine) as session:
        session.add_all([_ended(f"SEE{i}", "Sentence expired", march, march) for i in range(3)])
    with session_scope(reference_engine) as session:
        result = panels.sl002_ends_at_sentence_expiry(session, _inputs(session, D(2026, 3, 31)))
    assert result.title.startswith("Fewer than 5 referrals") and "3" not in result.title
    assert result.data["referrals"].tolist() == ["[c]"]


def test_the_kpi_page_states_the_classification_from_the_database(reference_engine):
    with session_scope(reference_engine) as session:
        result = panels.sl002_end_reason_decision(session, _inputs(session, D(2026, 3, 31)))
    assert len(result.data) == 23
    negative = set(result.data.loc[result.data["sl002_class"] == "negative", "code"])
    assert negative == {"DIS", "END", "NOT", "SEE"}
    assert "sign-off" in result.title and "Decision 9" in result.notes[0]


def test_an_admin_changes_a_class_or_adds_a_reason_and_it_is_audited(reference_engine):
    with session_scope(reference_engine) as session:
        admin.save_end_reason(session, ADMIN, vocabulary="2024", code="ear", sl002_class="negative",
                              why="Commissioner's decision, contract meeting of 2 March 2026")
        admin.save_end_reason(session, ADMIN, vocabulary="2024", code="XYZ", sl002_class="neutral",
                              description="A reason R&M added later")
    with session_scope(reference_engine) as session:
        classes = end_reason_classes(session)
        assert classes.sl002_class("Intervention has been completed") == "negative"
        assert classes.code("a reason r&m added LATER") == "XYZ"
        table = admin.end_reasons(session, ADMIN)
        ear = table[(table["vocabulary"] == "2024") & (table["code"] == "EAR")].iloc[0]
        assert (ear["sl002_class"], ear["default_class"], ear["updated_by"]) == ("negative", "neutral", "boss")
        actions = session.scalars(select(AuditLog.action).where(AuditLog.entity == "end_reason")).all()
        assert actions == ["end_reason_class_set", "end_reason_class_set"]


@pytest.mark.parametrize(("change", "problem"), [
    (dict(vocabulary="2024", code="NOT", sl002_class="bad"), "SL002 class"),
    (dict(vocabulary="1999", code="NOT", sl002_class="neutral"), "vocabulary"),
    (dict(vocabulary="2024", code="NEW", sl002_class="neutral"), "give its description"),
])
def test_a_wrong_end_reason_change_is_refused(reference_engine, change, problem):
    with session_scope(reference_engine) as session, pytest.raises(admin.AdminInputError) as refused:
        admin.save_end_reason(session, ADMIN, **change)
    assert any(problem in p for p in refused.value.problems)


def test_only_an_admin_edits_the_end_reason_table(reference_engine):
    with session_scope(reference_engine) as session, pytest.raises(PermissionError):
        admin.save_end_reason(session, COMMISSIONER, vocabulary="2024", code="NOT", sl002_class="neutral")


def test_a_reclassification_outdates_the_stored_kpi_summary(reference_engine):
    from metrics.summary import data_version

    with session_scope(reference_engine) as session:
        before = data_version(session)
        admin.save_end_reason(session, ADMIN, vocabulary="2024", code="NOT", sl002_class="neutral")
    with session_scope(reference_engine) as session:
        assert data_version(session) != before  # the summary's negative_reason flags are stale
