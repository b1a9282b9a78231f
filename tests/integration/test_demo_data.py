"""Demo data: deterministic for a seed, calibrated to the documents, and reported by info."""

import hashlib

import pandas as pd
import pytest
from sqlalchemy import func, select, text

from data_access.db import make_engine, session_scope
from data_access.demo import DEMO_END, SERVICE_START, seed_demo
from data_access.info import database_info
from data_access.models import Forecast, DemandUnit, Referral, User
from data_access.setup import initialise


def _fingerprint(engine) -> str:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT referral_id, referral_ref, received_on, complexity, borough_id, concluded_on, "
                "end_requested_by_pp_reason FROM referrals ORDER BY id"
            )
        ).all()
        scores = conn.execute(text("SELECT referral_pk, need_code, stage, score FROM need_scores ORDER BY id")).all()
    # Compare as text: SQLite returns dates as strings under text(), PostgreSQL as dates.
    normalised = [[str(v) for v in row] for row in (*rows, *scores)]
    return hashlib.sha256(repr(normalised).encode()).hexdigest()


def test_same_seed_gives_the_same_rows(engine, tmp_path):
    initialise(engine)
    seed_demo(engine, referrals=1500, seed=7)
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    initialise(other)
    seed_demo(other, referrals=1500, seed=7)
    assert _fingerprint(engine) == _fingerprint(other)


def test_seeding_a_database_that_holds_referrals_is_refused(engine):
    initialise(engine)
    seed_demo(engine, referrals=200, seed=1)
    with pytest.raises(RuntimeError, match="already holds referrals"):
        seed_demo(engine, referrals=200, seed=1)


@pytest.fixture(scope="module")
def default_demo(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")
    initialise(engine)
    seed_demo(engine)
    return engine


def test_complexity_mix_is_within_three_points_of_23_56_21(default_demo):
    with session_scope(default_demo) as session:
        counts = dict(session.execute(select(Referral.complexity, func.count()).group_by(Referral.complexity)).all())
    total = sum(counts.values())
    for level, reference in {"LOW": 23, "MEDIUM": 56, "HIGH": 21}.items():
        assert abs(100 * counts[level] / total - reference) <= 3, (level, counts)


def test_most_boroughs_sit_inside_their_forecast_band(default_demo):
    """Annualised referrals per borough against the published annual 40–60% band."""
    with session_scope(default_demo) as session:
        bands = pd.DataFrame(
            session.execute(
                select(DemandUnit.borough_id, func.sum(Forecast.predicted_low), func.sum(Forecast.predicted_high))
                .join(Forecast, Forecast.demand_unit_id == DemandUnit.id)
                .group_by(DemandUnit.borough_id)
            ).all(),
            columns=["borough_id", "low", "high"],
        )
        actual = pd.DataFrame(
            session.execute(select(Referral.borough_id, func.count()).group_by(Referral.borough_id)).all(),
            columns=["borough_id", "referrals"],
        )
    years = ((DEMO_END - SERVICE_START).days + 1) / 365
    merged = bands.merge(actual, on="borough_id")
    merged["annual"] = merged["referrals"] / years
    inside = merged[(merged["annual"] >= merged["low"]) & (merged["annual"] <= merged["high"])]
    outside = len(merged) - len(inside)
    assert len(inside) >= 7, merged
    assert 1 <= outside <= 3, merged  # a few above and below, by design


def test_info_reports_the_main_tables(default_demo):
    info = database_info(default_demo)
    counts = info["counts"]
    # Annex C's 108 PDUs and Greater Manchester's two later ones (geo.pdu_sets).
    assert counts["regions"] == 12 and counts["pdus"] == 110 and counts["boroughs"] == 10
    assert counts["hubs"] >= 11
    assert counts["referrals"] == 12_500
    assert counts["appointments"] > counts["referrals"]
    assert counts["scores"] > counts["referrals"]
    assert info["date_range"]["from"].isoformat() == "2023-09-04"


def test_demo_users_exist_only_with_demo_data(engine, default_demo):
    initialise(engine)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
    with session_scope(default_demo) as session:
        users = set(session.scalars(select(User.username)))
    assert users == {"commissioner", "provider", "spoc", "national", "admin"}
