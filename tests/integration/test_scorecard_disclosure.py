"""The KPIs page's scorecard and the tiles (and so the packs) leave no count of 1–4 people to
be worked out: not the count, not its complement in the shown denominator, not rate × cases."""

import datetime as dt

from sqlalchemy import select

from data_access.db import session_scope
from data_access.models import Borough, Referral
from data_access.scoping import analyst_scope, referrals_select
from data_access.settings import Settings
from metrics import panels, periods
from metrics.disclosure import SUPPRESSED, WITHHELD_RATE
from metrics.results import KpiResult

D = dt.date


def _sl002(session, positive: int, negative: int) -> None:
    bolton = session.scalar(select(Borough.id).where(Borough.name == "Bolton"))
    for i in range(positive + negative):
        ok = i < positive
        session.add(Referral(
            referral_id=f"r-{i}", referral_ref=f"R{i}", source="test", borough_id=bolton,
            received_on=D(2024, 3, 1), saa_first_attended_on=D(2024, 3, 5), action_plan_submitted_on=D(2024, 3, 6),
            action_plan_approved_on=D(2024, 3, 7), first_session_on=D(2024, 3, 12) if ok else None,
            concluded_on=D(2024, 4, 15), end_requested_by_pp_reason=None if ok else "Service user has been disengaged",
            referral_end_state="completed" if ok else "ended"))


def test_nine_of_twelve_hides_the_three(reference_engine):
    with session_scope(reference_engine) as session:
        _sl002(session, 9, 3)
    scope = analyst_scope()
    with reference_engine.connect() as db:
        inputs = panels.inputs_for(db, scope, panels.ReferralFilters(), referrals_select(scope),
                                   periods.month(D(2024, 4, 1)), D(2024, 5, 31),
                                   Settings.from_env())
        card = panels.scorecard_panel(db, inputs).data.set_index("code")
    sl002 = card.loc["SL002"]
    # 9 met of 12: showing 9 beside 12, or 75% beside 12, gives back the 3 who were not.
    assert sl002["denominator"] == "12"
    assert sl002["numerator"] == SUPPRESSED and sl002["value"] == WITHHELD_RATE
    assert "75" not in " ".join(str(v) for v in sl002.values)


def _result(numerator, denominator, code="DS2") -> KpiResult:
    return KpiResult(code, code, numerator, denominator, 100 * numerator / denominator if denominator else None,
                     95.0, None, "below target", "")


def test_shown_kpi_protects_the_count_and_its_complement():
    figures = panels.FigureSettings(5, 10, "low", 365)
    assert panels.shown_kpi(_result(3, 40), figures)["numerator"] == SUPPRESSED        # the count
    assert panels.shown_kpi(_result(38, 40), figures)["numerator"] == SUPPRESSED       # its complement, 2
    shown = panels.shown_kpi(_result(38, 40), figures)
    assert shown["value"] == WITHHELD_RATE and shown["denominator"] == 40
    shown = panels.shown_kpi(_result(30, 40), figures)
    assert (shown["numerator"], shown["denominator"], shown["value"]) == (30, 40, 75.0)
    assert panels.shown_kpi(_result(40, 40), figures)["value"] == 100.0                # complement 0 is no secret
