"""Compare areas on crafted referrals, on SQLite and PostgreSQL: hand-worked values, polarity,
one as-of date for every area, and disclosure control that leaves nothing to recover."""

import datetime as dt

import pytest
from sqlalchemy import select

from data_access.db import session_scope
from data_access.models import Borough, Referral
from data_access.scoping import analyst_scope, referrals_select
from metrics.compare import compare_areas

D = dt.date
START, END = D(2024, 4, 1), D(2024, 4, 30)


def _sl002_referrals(session, borough: str, positive: int, negative: int, start: int) -> None:
    borough_id = session.scalar(select(Borough.id).where(Borough.name == borough))
    for i in range(positive + negative):
        ok = i < positive
        session.add(Referral(
            referral_id=f"{borough}-{i}", referral_ref=f"{borough[:2].upper()}{start + i}", source="test",
            borough_id=borough_id, received_on=D(2024, 3, 1), saa_first_attended_on=D(2024, 3, 5),
            action_plan_submitted_on=D(2024, 3, 6), action_plan_approved_on=D(2024, 3, 7),
            first_session_on=D(2024, 3, 12) if ok else None, concluded_on=D(2024, 4, 15),
            end_requested_by_pp_reason=None if ok else "Service user has been disengaged",
            referral_end_state="completed" if ok else "ended"))


@pytest.fixture()
def crafted(reference_engine):
    with session_scope(reference_engine) as session:
        _sl002_referrals(session, "Bolton", 20, 0, 100)   # 20 / 20
        _sl002_referrals(session, "Bury", 10, 10, 200)    # 10 / 20
    return reference_engine


def _compare(engine, **kw):
    with engine.connect() as conn:
        return compare_areas(conn, referrals_select(analyst_scope()), code="SL002", by="borough",
                             start=START, end=END, as_of=D(2024, 5, 31), **kw)


def test_better_similar_worse_by_hand(crafted):
    result = _compare(crafted)
    rows = result.table.set_index("area")
    # Comparator: 30 of 40 = 75%. Wilson 95% for 20/20: lower = 20 / (20 + 1.96²) = 83.9%;
    # for 10/20: 50% ± 20.1 = 29.9–70.1%. So Bolton is better and Bury worse.
    assert result.comparator_value == pytest.approx(75.0)
    assert rows.loc["Bolton", ["met", "cases", "value", "ci95", "comparison"]].tolist() == [
        "20", "20", "100.0", "83.9–100.0", "better"]
    assert rows.loc["Bury", ["met", "cases", "value", "ci95", "comparison"]].tolist() == [
        "10", "20", "50.0", "29.9–70.1", "worse"]
    assert rows.loc["Oldham", ["cases", "value", "comparison"]].tolist() == ["0", "no data", "not compared"]
    assert result.title == "SL002 by borough: Bury worse than the whole view; Bolton better"
    # 10 of 20 against 75%: P(X ≤ 10) = 0.0139, outside the 95% funnel but not the 99.8% one,
    # so no area is an outlier; 20 of 20: P(X = 20) = 0.0032, likewise.
    assert result.outliers == ()
    assert result.as_of == D(2024, 5, 31)


def test_small_counts_cannot_be_recovered(crafted):
    with session_scope(crafted) as session:
        _sl002_referrals(session, "Oldham", 9, 3, 300)   # 3 not met: hidden, and so is 9
    result = _compare(crafted)
    rows = result.table.set_index("area")
    assert rows.loc["Oldham", "met"] == "[c]"
    # A rate, interval or comparison beside 12 cases would give back the 3 (or the 9).
    assert (rows.loc["Oldham", ["value", "ci95", "ci998", "comparison"]] == "not shown").all()
    # Secondary suppression: with the total of not-met people (13) published, Bury's 10 would
    # give Oldham's 3 back, so Bury's counts and rate are withheld too.
    assert rows.loc["Bury", "met"] == "[c]" and rows.loc["Bury", "value"] == "not shown"
    assert rows.loc["Bolton", "value"] == "100.0"
    shown = result.table.to_string()
    assert " 3 " not in shown and " 9 " not in shown
    assert any("[c]" in note for note in result.notes)
    # The funnel carries only the areas whose rate is shown.
    assert result.funnel["area"].tolist() == ["Bolton"]


def test_ds1_is_compared_by_value_only(crafted):
    with crafted.connect() as conn:
        result = compare_areas(conn, referrals_select(analyst_scope()), code="DS1", by="borough",
                               start=START, end=END, as_of=D(2024, 5, 31))
    assert set(result.table["comparison"]) <= {"not compared"}
    assert result.funnel.empty


def _received(session, borough: str | None, count: int, start: int) -> None:
    borough_id = session.scalar(select(Borough.id).where(Borough.name == borough)) if borough else None
    for i in range(count):
        session.add(Referral(referral_id=f"R{start + i}", referral_ref=f"R{start + i}", source="test",
                             borough_id=borough_id, received_on=D(2024, 4, 10)))


def test_ds1_hides_small_counts_of_referrals_and_the_rate_that_would_give_them_back(reference_engine):
    # DS1's "met" column is referrals received: a count of people. Bolton 3 (hidden), Bury 12;
    # with the total (15) published on the KPI page, Bury's 12 would give Bolton's 3 back, so
    # it is hidden too (secondary suppression); each hidden count's value (received ÷ the
    # published forecast) is withheld, since value × forecast would give the count back.
    with session_scope(reference_engine) as session:
        _received(session, "Bolton", 3, 100)
        _received(session, "Bury", 12, 200)
        _received(session, "Oldham", 20, 300)
    with reference_engine.connect() as conn:
        result = compare_areas(conn, referrals_select(analyst_scope()), code="DS1", by="borough",
                               start=START, end=END, as_of=D(2024, 5, 31))
    rows = result.table.set_index("area")
    assert rows.loc["Bolton", ["met", "value"]].tolist() == ["[c]", "not shown"]
    assert rows.loc["Bury", ["met", "value"]].tolist() == ["[c]", "not shown"]
    assert rows.loc["Oldham", "met"] == "20" and rows.loc["Oldham", "value"] not in ("not shown", "no data")
    assert rows.loc["Wigan", "met"] == "0"
    assert any("[c]" in note for note in result.notes)


def test_referrals_in_no_area_get_a_row_of_their_own_so_the_total_gives_nothing_back(crafted):
    # Bolton 20/20 and Bury 10/20 as above, plus 12 SL002 cases with no borough recorded, 3 of
    # them not met. Without a row for them, the published whole-view counts (39 of 52) minus
    # the areas' (30 of 40) would give back the 3 (and the 9).
    with session_scope(crafted) as session:
        _sl002_referrals(session, "Oldham", 9, 3, 300)
        session.execute(Referral.__table__.update().where(Referral.referral_ref.like("OL%")).values(borough_id=None))
    result = _compare(crafted)
    rows = result.table.set_index("area")
    assert "No borough recorded" in rows.index
    assert rows.loc["No borough recorded", "met"] == "[c]"
    assert rows.loc["No borough recorded", "value"] == "not shown"
    assert rows.loc["No borough recorded", "comparison"] == "not shown"
    # Its column partner is hidden too (Bury: 10 not met), so the total of 13 gives nothing back.
    assert rows.loc["Bury", "met"] == "[c]"
    assert "No borough recorded" not in result.funnel["area"].tolist()


def test_ds1_referrals_in_no_borough_get_a_row_of_their_own(reference_engine):
    # 2 referrals with no borough: with every borough's count shown, the KPI page's total (22)
    # minus the boroughs' (20) would give back the 2; their own row hides them, and Oldham's 20
    # with them (the column's total is published).
    with session_scope(reference_engine) as session:
        _received(session, "Oldham", 20, 300)
        _received(session, None, 2, 400)
    with reference_engine.connect() as conn:
        result = compare_areas(conn, referrals_select(analyst_scope()), code="DS1", by="borough",
                               start=START, end=END, as_of=D(2024, 5, 31))
    rows = result.table.set_index("area")
    assert rows.loc["No borough recorded", ["met", "value"]].tolist() == ["[c]", "not shown"]
    assert rows.loc["Oldham", "met"] == "[c]"


def test_the_whole_view_s_rate_is_withheld_when_it_would_give_back_a_small_count(reference_engine):
    # Bolton 20 of 20, Bury 13 of 15: the whole view is 33 of 35, and its 35 cases are published
    # on the KPIs page, so 94.3% beside them would give back the 2 people not met.
    with session_scope(reference_engine) as session:
        _sl002_referrals(session, "Bolton", 20, 0, 100)
        _sl002_referrals(session, "Bury", 13, 2, 200)
    result = _compare(reference_engine)
    assert result.comparator_value is None
    assert "94.3" not in " ".join(result.notes) + result.title
    assert any("so no area is compared with it" in note for note in result.notes)
    assert result.funnel_limits.empty and result.outliers == ()
    assert set(result.table["comparison"]) <= {"not compared", "not shown"}


def test_the_cli_prints_the_hand_worked_comparison(crafted, monkeypatch):
    import csv
    import io
    import json

    from metrics.__main__ import main

    monkeypatch.setenv("DASHBOARD_DATABASE_URL", crafted.url.render_as_string(hide_password=False))
    args = ["compare", "--code", "SL002", "--by", "borough", "--from", "2024-04-01", "--to", "2024-04-30",
            "--as-of", "2024-05-31"]
    out = io.StringIO()
    assert main([*args, "--format", "json"], out=out) == 0
    printed = json.loads(out.getvalue())
    assert printed["comparator"] == 75.0 and printed["comparator_label"] == "Greater Manchester"
    rows = {r["area"]: r for r in printed["areas"]}
    assert [rows["Bury"][k] for k in ("met", "cases", "value", "ci95", "comparison")] == [
        "10", "20", "50.0", "29.9–70.1", "worse"]
    assert rows["Bolton"]["comparison"] == "better"
    out = io.StringIO()
    assert main([*args, "--format", "csv"], out=out) == 0
    assert {r["area"]: r["value"] for r in csv.DictReader(io.StringIO(out.getvalue()))}["Bolton"] == "100.0"
    out = io.StringIO()
    assert main([*args, "--format", "table", "--borough", "Bury"], out=out) == 0
    text = out.getvalue()
    assert text.splitlines()[0].startswith("SL002")
    assert "Bolton" not in text and "Bury" in text  # the view narrowed to Bury lists only Bury


def test_ds1_by_hub_lists_each_hubs_referrals_without_a_share_of_a_forecast(reference_engine):
    """Decision 26: Manchester's two hubs, 7 and 6 referrals received in April, each listed with
    its count and "no data" for the share (no forecast is published per hub); a borough keeps its
    share. Before, each hub was set against the whole of Manchester's forecast."""
    from data_access.models import Hub

    with session_scope(reference_engine) as session:
        manchester = session.scalar(select(Borough.id).where(Borough.name == "Manchester"))
        hubs = [Hub(name="North hub", borough_id=manchester), Hub(name="South hub", borough_id=manchester)]
        session.add_all(hubs)
        session.flush()
        for k, (hub, count) in enumerate(zip(hubs, (7, 6))):
            for i in range(count):
                session.add(Referral(referral_id=f"H{k}-{i}", referral_ref=f"H{k}-{i}", source="test",
                                     borough_id=manchester, hub_id=hub.id, received_on=D(2024, 4, 10)))
    with reference_engine.connect() as conn:
        by_hub = compare_areas(conn, referrals_select(analyst_scope()), code="DS1", by="hub",
                               start=START, end=END, as_of=D(2024, 5, 31))
        by_borough = compare_areas(conn, referrals_select(analyst_scope()), code="DS1", by="borough",
                                   start=START, end=END, as_of=D(2024, 5, 31))
    table = by_hub.table.set_index("area")
    assert table.loc["North hub", "met"] == "7" and table.loc["South hub", "met"] == "6"
    assert set(table.loc[["North hub", "South hub"], "value"]) == {"no data"}
    assert any("No forecast is published per hub" in n for n in by_hub.notes)
    assert by_borough.table.set_index("area").loc["Manchester", "value"] not in ("no data", "not shown")
