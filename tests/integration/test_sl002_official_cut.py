"""SL002 as at its official cut beside the latest figure (issue 13 part 7), hand-worked.

May 2024's cut is Monday 24 June 2024 (the 16th working day of June). Four referrals end in May:

* P: first session 10 May, ended 20 May: positive.
* N: no session, approved plan, ended by the practitioner as disengaged (DIS): negative.
* L: session held 15 May but recorded late: the download made on 1 July (its latest event is
  28 June, after the cut) still shows L ended on 28 May without a session; the August download
  has the session. Latest: positive. At the cut: no session, approved plan, DIS: negative.
* E: session held 20 May, recorded after a download made on 10 June (before the cut) that
  showed it missing. That download proves nothing about the cut, so E stays positive.

Latest: a = 3 (P, L, E), negative 1 (N): 3 / 4 = 75.0%.
Official cut: a = 2 (P, E), negative 2 (N, L): 2 / 4 = 50.0%.
"""

from __future__ import annotations

import datetime as dt
import io
import json

from data_access.importers.ram import import_ram_performance
from data_access.scoping import ReferralFilters, analyst_scope, referrals_select
from data_access.settings import Settings
from metrics import panels, periods
from metrics.__main__ import main
from metrics.official import sl002_official
from metrics.queries import scorecard
from tests.integration.test_import_ram_downloads import to_csv

DIS = "Service user has been disengaged"


def row(ref: str, received: str, *, approved: str | None, session: str | None, ended: str | None,
        reason: str = "") -> dict[str, str]:
    stamp = "{}T10:00:00Z".format
    values = {
        "referral_ref": ref, "referral_id": f"id-{ref}", "contract_ref": "GMIRS-WSS-LOT1",
        "organisation_id": "ORG-CUT", "service_user_crn": "X000001", "date_referral_received": stamp(received),
        "saa_attended_on_time": "false",
    }
    if approved:
        values["date_first_action_plan_submitted"] = "{}T09:00:00Z".format(approved)
        values["date_of_first_action_plan_approval"] = stamp(approved)
    if session:
        values["date_of_first_attended_session"] = stamp(session)
        values["count_of_sessions_attended"] = "1"
    if ended:
        values["concluded_at"] = stamp(ended)
        values["referral_end_state"] = "ended" if reason else "completed"
        if reason:
            values["end_requested_by_pp_at"] = stamp(ended)
            values["end_requested_by_pp_reason"] = reason
    return values


P = dict(ref="P", received="2024-04-02", approved="2024-04-20", session="2024-05-10", ended="2024-05-20")
N = dict(ref="N", received="2024-04-03", approved="2024-04-22", session=None, ended="2024-05-24", reason=DIS)
L_LATE = dict(ref="L", received="2024-04-04", approved="2024-04-25", session="2024-05-15", ended="2024-05-28", reason=DIS)
E_LATE = dict(ref="E", received="2024-04-05", approved="2024-04-26", session="2024-05-20", ended="2024-05-29", reason=DIS)
# A referral received on 28 June: the 1 July download's latest event, after the cut.
J = dict(ref="J", received="2024-06-28", approved=None, session=None, ended=None)

ON_10_JUNE = [row(**P), row(**N), row(**{**L_LATE, "session": None}), row(**{**E_LATE, "session": None})]
ON_1_JULY = [row(**P), row(**N), row(**{**L_LATE, "session": None}), row(**E_LATE), row(**J)]
ON_1_AUGUST = [row(**P), row(**N), row(**L_LATE), row(**E_LATE), row(**J)]

MAY = dict(start=dt.date(2024, 5, 1), end=dt.date(2024, 5, 31))


def load(engine) -> None:
    for name, rows in (("10-june.csv", ON_10_JUNE), ("1-july.csv", ON_1_JULY), ("1-august.csv", ON_1_AUGUST)):
        result = import_ram_performance(engine, to_csv(rows), file_name=name)
        assert result.ok, [(p.line, p.column, p.reason) for p in result.problems.sorted()]


def test_official_cut_leaves_out_a_session_recorded_after_it(engine):
    load(engine)
    referrals = referrals_select(analyst_scope())
    with engine.connect() as conn:
        latest = scorecard(conn, referrals, codes=["SL002"], forecast=False, **MAY).kpi("SL002")
        official = sl002_official(conn, referrals, as_of=dt.date(2024, 8, 1), **MAY)
    assert (latest.numerator, latest.denominator, latest.value) == (3, 4, 75.0)
    assert (official.numerator, official.denominator, official.value) == (2, 4, 50.0)
    assert official.extra["cuts"] == {"May 2024": dt.date(2024, 6, 24)}
    assert official.extra["late_recorded"] == 1 and official.extra["pending"] == []
    assert official.extra["negative"] == 2 and official.extra["b"] == 4
    assert "24 Jun 2024" in official.note and "1 case counted without the session" in official.note


def test_order_of_the_downloads_does_not_change_the_official_figure(engine):
    for name, rows in (("1-august.csv", ON_1_AUGUST), ("1-july.csv", ON_1_JULY), ("10-june.csv", ON_10_JUNE)):
        assert import_ram_performance(engine, to_csv(rows), file_name=name).ok
    with engine.connect() as conn:
        official = sl002_official(conn, referrals_select(analyst_scope()), **MAY)
        latest = scorecard(conn, referrals_select(analyst_scope()), codes=["SL002"], forecast=False, **MAY)
    assert (official.numerator, official.denominator) == (2, 4)
    assert latest.kpi("SL002").numerator == 3


def test_a_month_whose_cut_has_not_come_is_provisional(engine):
    load(engine)
    with engine.connect() as conn:
        official = sl002_official(conn, referrals_select(analyst_scope()), as_of=dt.date(2024, 6, 10), **MAY)
    assert official.extra["pending"] == ["May 2024"]
    assert "provisional" in official.note


def test_scorecard_cli_prints_both_figures_and_says_which_is_which(engine, monkeypatch):
    if engine.dialect.name != "sqlite":
        return  # the CLI reads DASHBOARD_DATABASE_URL; one backend is enough for its wording
    load(engine)
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    out = io.StringIO()
    assert main(["scorecard", "--from", "2024-05-01", "--to", "2024-05-31", "--official-cut"], out=out) == 0
    payload = json.loads(out.getvalue())
    sl002 = [(k["basis"], k["numerator"], k["denominator"], k["value"]) for k in payload["kpis"] if k["code"] == "SL002"]
    assert sl002 == [("latest", 3, 4, 75.0), ("official cut", 2, 4, 50.0)]
    assert payload["sl002_official_cut"]["cuts"] == {"May 2024": "2024-06-24"}
    table = io.StringIO()
    main(["scorecard", "--from", "2024-05-01", "--to", "2024-05-31", "--official-cut", "--format", "table"], out=table)
    assert "official cut" in table.getvalue() and "SL002 official cut: SL002 as at the official cut" in table.getvalue()
    plain = io.StringIO()
    main(["scorecard", "--from", "2024-05-01", "--to", "2024-05-31"], out=plain)
    assert all("basis" not in k for k in json.loads(plain.getvalue())["kpis"])


def test_kpis_panel_shows_both_figures_with_small_numbers_hidden(engine):
    load(engine)
    scope, filters = analyst_scope(), ReferralFilters()
    with engine.connect() as db:
        inputs = panels.inputs_for(db, scope, filters, referrals_select(scope, filters),
                                   periods.month(dt.date(2024, 5, 1)), dt.date(2024, 8, 1), Settings.from_env())
        panel = panels.sl002_official_panel(db, inputs)
    assert panel.data["figure"].tolist() == ["latest (data as of 01 Aug 2024)", "official cut (24 Jun 2024)"]
    # 3 of 4 and 2 of 4 people: every count and rate here is small, so none is shown.
    assert panel.data[["value", "numerator", "denominator"]].values.tolist() == [
        ["not shown (small numbers)", "[c]", "[c]"], ["not shown (small numbers)", "[c]", "[c]"]]
    assert panel.title.startswith("SL002 as at the official cut: not shown (small numbers); latest figure:")
    assert any("24 Jun 2024" in note for note in panel.notes)
