"""Distance travelled worked out in the database equals the pandas reference, on SQLite and
(when configured) PostgreSQL, with hand-worked values for the awkward cases."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from data_access.db import session_scope
from data_access.models import NeedScore, Referral
from data_access.scoping import ReferralFilters, analyst_scope, referrals_select
from metrics.breakdowns import distance_summary, distance_travelled
from metrics.queries import distance_change_sums

D = dt.date
START, END = D(2024, 4, 1), D(2024, 6, 30)

# (referral, complexity, concluded_on, [(need, stage, scored_on, score), ...])
PEOPLE = [
    # P1: accommodation 2 → review 3 → exit 4 (+2: exit wins over the later-numbered review);
    # drugs 3 → review 2 → review 4 (+1: latest review, no exit). Person mean +1.5.
    ("P1", "HIGH", D(2024, 5, 1), [("accommodation", "baseline", D(2024, 1, 1), 2),
                                   ("accommodation", "review", D(2024, 2, 1), 3),
                                   ("accommodation", "exit", D(2024, 3, 1), 4),
                                   ("drugs_alcohol", "baseline", D(2024, 1, 1), 3),
                                   ("drugs_alcohol", "review", D(2024, 2, 1), 2),
                                   ("drugs_alcohol", "review", D(2024, 3, 1), 4)]),
    # P2: accommodation 3 → 3 (0). Two baselines: the earliest (3) counts, not the later 1.
    ("P2", "LOW", D(2024, 6, 30), [("accommodation", "baseline", D(2024, 1, 1), 3),
                                   ("accommodation", "baseline", D(2024, 1, 8), 1),
                                   ("accommodation", "review", D(2024, 2, 1), 3)]),
    # P3: accommodation 4 → exit 3 (−1); physical health baseline only (left out). Mean −1.
    ("P3", "HIGH", D(2024, 4, 1), [("accommodation", "baseline", D(2024, 1, 1), 4),
                                   ("accommodation", "exit", D(2024, 2, 1), 3),
                                   ("physical_health", "baseline", D(2024, 1, 1), 2)]),
    # P4: ended before the period: not in the cohort.
    ("P4", "LOW", D(2024, 3, 31), [("accommodation", "baseline", D(2024, 1, 1), 1),
                                   ("accommodation", "exit", D(2024, 2, 1), 5)]),
    # P5: still open: not in the cohort.
    ("P5", None, None, [("accommodation", "baseline", D(2024, 1, 1), 1),
                        ("accommodation", "review", D(2024, 2, 1), 5)]),
]


def _insert(engine) -> pd.DataFrame:
    rows = []
    with session_scope(engine) as session:
        for i, (ref, complexity, concluded, scores) in enumerate(PEOPLE, start=1):
            referral = Referral(referral_id=f"id-{i}", referral_ref=ref, received_on=D(2023, 12, 1),
                                concluded_on=concluded, complexity=complexity, source="test")
            session.add(referral)
            session.flush()
            for need, stage, on, score in scores:
                session.add(NeedScore(referral_pk=referral.id, need_code=need, stage=stage, scored_on=on, score=score))
                session.flush()  # ids in the order written: ties go to the score stored last
                if concluded is not None and START <= concluded <= END:
                    rows.append((referral.id, need, stage, on, score, complexity))
    return pd.DataFrame(rows, columns=["referral_pk", "need_code", "stage", "scored_on", "score", "complexity"])


def _sums(engine, key=None) -> pd.DataFrame:
    stmt = referrals_select(analyst_scope(), ReferralFilters())
    with engine.connect() as conn:
        return distance_change_sums(conn, stmt, start=START, end=END, key=key)


def test_hand_worked_values(reference_engine):
    _insert(reference_engine)
    table = distance_summary(_sums(reference_engine)).set_index("need_code")
    accommodation = table.loc["accommodation"]
    # P1 +2, P2 0, P3 −1: mean 1/3, sd 1.5275, t(0.975, 2) = 4.3027 → half-width 3.7945.
    assert accommodation.people == 3
    assert accommodation.mean_change == pytest.approx(1 / 3)
    assert accommodation.ci_upper - accommodation.mean_change == pytest.approx(3.7945, abs=1e-3)
    assert (accommodation.improved, accommodation.same, accommodation.worse) == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    drugs = table.loc["drugs_alcohol"]
    assert (drugs.people, drugs.mean_change) == (1, 1.0) and np.isnan(drugs.ci_lower)  # one person: no interval
    assert "physical_health" not in table.index  # baseline only
    # All needs: people, not person-need pairs: P1 +1.5, P2 0, P3 −1 → mean 1/6.
    everyone = table.loc["all"]
    assert everyone.need == "All needs"
    assert everyone.people == 3
    assert everyone.mean_change == pytest.approx(1 / 6)
    assert (everyone.improved, everyone.same, everyone.worse) == pytest.approx((1 / 3, 1 / 3, 1 / 3))


def test_the_database_agrees_with_the_reference_by_group(reference_engine):
    scores = _insert(reference_engine)
    referral = Referral.__table__.c
    from_sql = distance_summary(_sums(reference_engine, key=referral.complexity).rename(columns={"group": "complexity"}),
                                by=["complexity"])
    reference = distance_travelled(scores, by=["complexity"])
    pd.testing.assert_frame_equal(from_sql.reset_index(drop=True), reference.reset_index(drop=True),
                                  check_dtype=False, check_exact=False)
    high = from_sql[(from_sql["need_code"] == "all") & (from_sql["complexity"] == "HIGH")].iloc[0]
    assert (high.people, high.mean_change) == (2, pytest.approx(0.25))  # P1 +1.5, P3 −1


def test_no_one_left_in_the_period_gives_an_empty_frame(reference_engine):
    assert _sums(reference_engine).empty
