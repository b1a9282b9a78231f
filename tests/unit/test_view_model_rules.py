"""The rules decided when the pack and the pages came to share one view model (issue 15), on
hand-made referrals: the equalities cohort, spend per contract in a borough's view, no share or
rate beside a hidden count, and the KPI tiles' disclosure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from data_access.db import session_scope
from data_access.models import Borough, Contract, ContractBorough, FundingPeriod, Provider, Referral, SpendRecord
from data_access.scoping import AccessScope, ReferralFilters, referrals_select
from data_access.settings import Settings
from metrics import panels, periods
from metrics.disclosure import SUPPRESSED, WITHHELD_RATE

COMMISSIONER = AccessScope("c", "commissioner")
Q1 = periods.quarter(dt.date(2026, 1, 1))  # Jan–Mar 2026
D = dt.date


def _inputs(session, filters=ReferralFilters(), as_of=D(2026, 3, 31), scope=COMMISSIONER):
    return panels.inputs_for(session, scope, filters, referrals_select(scope, filters), Q1, as_of, Settings())


def _borough(session, name):
    return session.scalar(select(Borough.id).where(Borough.name == name))


def test_equalities_count_the_referrals_that_ended_and_attended_before_their_end(reference_engine):
    with session_scope(reference_engine) as session:
        bolton = _borough(session, "Bolton")
        add = lambda ref, sex, **dates: session.add(  # noqa: E731
            Referral(referral_ref=ref, borough_id=bolton, source="test", sex=sex, received_on=D(2025, 11, 3), **dates))
        for i in range(12):  # ended in the quarter, attended before the end: met
            add(f"F{i}", "Female", first_session_on=D(2025, 12, 1), concluded_on=D(2026, 2, 2))
        for i in range(8):  # ended in the quarter, first session after the end date: not met
            add(f"G{i}", "Female", first_session_on=D(2026, 2, 10), concluded_on=D(2026, 2, 2))
        for i in range(20):  # attended but still open: not in the cohort (the page once counted
            add(f"O{i}", "Female", first_session_on=D(2026, 1, 5))  # referrals received, not ended)
        for i in range(6):  # ended after the as-of date: not yet ended as far as the data knows
            add(f"L{i}", "Female", first_session_on=D(2026, 1, 5), concluded_on=D(2026, 3, 30))
    with session_scope(reference_engine) as session:
        panel = panels.equality_rates(session, _inputs(session, as_of=D(2026, 3, 20)), strand="sex")
    row = panel.data.set_index("Sex").loc["Female"]
    assert (row["people"], row["met"], row["not_met"], row["rate"]) == ("20", "12", "8", 60.0)  # 12 / 20


def test_a_rate_is_not_shown_beside_a_hidden_count(reference_engine):
    with session_scope(reference_engine) as session:
        bolton = _borough(session, "Bolton")
        for i in range(30):  # 27 attended, 3 did not: the 3 is hidden, so 90% would give it back
            session.add(Referral(referral_ref=f"M{i}", borough_id=bolton, source="test", sex="Male",
                                 received_on=D(2025, 12, 1), concluded_on=D(2026, 2, 2),
                                 first_session_on=D(2026, 1, 5) if i >= 3 else None))
    with session_scope(reference_engine) as session:
        panel = panels.equality_rates(session, _inputs(session), strand="sex")
    row = panel.data.set_index("Sex").loc["Male"]
    assert row["not_met"] == SUPPRESSED and row["rate"] is None and row["compared_with_all"] == "not shown"


def test_a_complexity_share_is_not_shown_beside_a_hidden_count(reference_engine):
    with session_scope(reference_engine) as session:
        bolton = _borough(session, "Bolton")
        for i, level in enumerate(["LOW"] * 3 + ["MEDIUM"] * 20 + ["HIGH"] * 10):
            session.add(Referral(referral_ref=f"X{i}", borough_id=bolton, source="test", complexity=level,
                                 received_on=D(2026, 1, 10)))
    with session_scope(reference_engine) as session:
        inputs = _inputs(session)
        mix = panels.complexity_mix(session, inputs).shown().set_index("complexity")
        by_borough = panels.complexity_by_borough(session, inputs).data.set_index("borough").loc["Bolton"]
    # 3 Low is hidden; so is one more cell, or 33 − 20 − 10 would give it back
    assert mix.loc["Low", "observed"] == SUPPRESSED and mix["share"].isna().sum() == 2
    assert by_borough["Low"] is None and by_borough["referrals"] == 33
    assert sum(by_borough[level] is None for level in ("Low", "Medium", "High")) == 2


@pytest.fixture()
def two_contracts(reference_engine):
    """A contract serving Bolton alone and one serving Bury and Rochdale, each with spend."""
    with session_scope(reference_engine) as session:
        provider = Provider(organisation_code="P1", name="Test provider")
        session.add(provider)
        session.flush()
        ids = {}
        for ref, boroughs, spent in (("SOLO", ["Bolton"], 1000), ("PAIR", ["Bury", "Rochdale"], 5000)):
            contract = Contract(reference=ref, service="test", provider_id=provider.id)
            session.add(contract)
            session.flush()
            ids[ref] = contract.id
            for name in boroughs:
                session.add(ContractBorough(contract_id=contract.id, borough_id=_borough(session, name)))
            session.add(FundingPeriod(contract_id=contract.id, label="2025/26", start_date=D(2025, 4, 1),
                                      end_date=D(2026, 3, 31), amount=Decimal(365 * 100), status="guaranteed"))
            session.add(SpendRecord(contract_id=contract.id, month=D(2026, 1, 1), amount=Decimal(spent)))
    return ids


def test_a_borough_view_counts_only_the_contracts_wholly_inside_it(reference_engine, two_contracts):
    with session_scope(reference_engine) as session:
        bolton = panels.spend_against_funding(session, _inputs(session, ReferralFilters(borough_id=_borough(session, "Bolton"))))
        bury = panels.spend_against_funding(session, _inputs(session, ReferralFilters(borough_id=_borough(session, "Bury"))))
        everyone = panels.spend_against_funding(session, _inputs(session))
    assert bolton.data["spend"].sum() == 1000 and "held per contract" in " ".join(bolton.notes)
    # Bury's contract also serves Rochdale: its spend cannot be split, so none is shown, and the title says why
    assert bury.data.empty and bury.title.startswith("Spend is held per contract, not per borough")
    assert everyone.data["spend"].sum() == 6000
    # Cumulative since the service started (Sept 2023), to the period's end: 31 months
    assert len(everyone.data) == 31 and everyone.data["month"].iloc[-1] == D(2026, 3, 1)


def test_kpi_tiles_hide_small_numbers_as_the_pack_does(reference_engine):
    with session_scope(reference_engine) as session:
        bolton = _borough(session, "Bolton")
        for i in range(6):  # six referrals: DS2 on 6 cases is a rate on fewer than 10
            session.add(Referral(referral_ref=f"T{i}", borough_id=bolton, source="test", received_on=D(2026, 1, 5),
                                 saa_first_attended_on=D(2026, 1, 7) if i < 4 else None))
    with session_scope(reference_engine) as session:
        tiles = panels.kpi_tiles(session, _inputs(session)).data.set_index("code")
    ds2 = tiles.loc["DS2"]
    assert (ds2["value"], ds2["value_pct"], ds2["numerator"], ds2["status_word"]) == (
        WITHHELD_RATE, WITHHELD_RATE, SUPPRESSED, "not shown (small numbers)")
    assert ds2["variation"] == "not shown (small numbers)"


def test_spend_states_the_period_chosen_then_the_cumulative_position(reference_engine, two_contracts):
    # Audit finding 5. Both contracts are funded £100 a day in 2025/26 (£36,500 each); spend is
    # £1,000 + £5,000 in January 2026. The view's period is Q1 below, so its profile is
    # 2 × £100 × the days of the period's months, and the cumulative position is to March 2026.
    with session_scope(reference_engine) as session:
        view = _inputs(session)
        panel = panels.spend_against_funding(session, view)
    # Q1 is January–March 2026: 90 days × 2 contracts × £100 = £18,000; spent £6,000 (33%). To
    # March 2026 the whole year's £73,000 has been profiled; £6,000 is 8% of it.
    assert panel.title == (f"Spend in {view.period.label} is £6,000, 33% of its £18,000 funding profile; "
                           "to March 2026 £6,000, 8% of the £73,000 cumulative funding profile")
