"""The SPC overview (Making Data Count icons, words and explanations) on the KPIs page and the
Board summary for every role that may see them, small multiples on request, an admin's rebase
drawn on the chart, and ``python -m metrics spc`` printing the page's figures."""

from __future__ import annotations

import base64
import io
import json

import numpy as np

import pytest

from metrics import panels
from metrics.__main__ import main
from tests.app.test_pages import env, expected_panel, open_page, text_of  # noqa: F401 (fixture)

VIEWS = [("kpis", "commissioner"), ("kpis", "provider"), ("kpis", "admin"),
         ("board_summary", "commissioner"), ("board_summary", "admin")]


def overview_table(at):
    return next(d.value for d in at.dataframe if "variation icon" in d.value.columns)


@pytest.mark.parametrize(("page", "username"), VIEWS, ids=[f"{p}-{u}" for p, u in VIEWS])
def test_the_spc_overview_renders_with_icons_words_and_explanations(env, page, username):
    at = open_page(username, page)
    card = expected_panel(env, username, panels.period_scorecard)
    overview = panels.spc_overview(card, expected_panel(env, username, panels.spc_charts),
                                   expected_panel(env, username, panels.figures))
    text = text_of(at)
    assert overview.title in text and "Rules: Making Data Count" in text
    shown = overview_table(at)
    assert list(shown["code"]) == [r.code for r in card.kpis]
    assert list(shown["variation"]) == list(overview.data["variation"])
    assert list(shown["assurance"]) == list(overview.data["assurance"])
    drawn = shown["variation icon"].dropna()
    assert len(drawn) == (overview.data["variation_icon"] != "no_data").sum() > 0
    assert all(uri.startswith("data:image/png;base64,") for uri in drawn)
    for row in overview.data[overview.data["explanation"] != ""].itertuples():
        assert row.explanation in text  # the sentence beside the disagreement


def test_small_multiples_show_every_charted_measure_with_its_rules(env):
    at = open_page("commissioner", "kpis")
    charts = expected_panel(env, "commissioner", panels.spc_charts)
    at.toggle(key="kpis_spc_all").set_value(True).run()
    assert not at.exception
    charted = [code for code, chart in charts.items() if not chart.data.empty]
    figures = [e for e in at.get("plotly_chart")]
    assert len(figures) >= len(charted)
    text = text_of(at)
    for code in charted:
        assert charts[code].title in text
    assert text.count("Rules: mdc-2023, runs of 7.") == len(charted)
    assert not [s for s in at.selectbox if s.key == "kpis_spc_code"]  # the single chart gives way


def ys(trace: dict) -> list:
    """A trace's y values, whether sent as a list or as plotly's typed array (base64 ``bdata``)."""
    y = trace["y"]
    if isinstance(y, dict):
        y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]).tolist()
    return [None if v is None or np.isnan(v) else round(v, 1) for v in y]


def chart_traces(at) -> dict[str, list]:
    """The y values of the SPC chart on the page, by trace name (the plotly spec Streamlit sends)."""
    spec = next(json.loads(e.proto.spec) for e in at.get("plotly_chart") if "Upper process limit" in e.proto.spec)
    return {trace.get("name"): ys(trace) for trace in spec["data"] if "y" in trace}


def test_the_cli_prints_the_figures_the_page_shows(env, app_env):
    at = open_page("admin", "kpis")
    shown = overview_table(at).set_index("code")
    # Two measures whose row is shown (a row with a count of 1–4 behind it is withheld whole).
    codes = [c for c in ("DS2", "KP4", "DS3", "KP6", "SL002", "DS5", "KP1") if c in shown.index
             and shown.loc[c, "value"] != "[low]"][:2]
    assert len(codes) == 2, shown[["value"]]
    for code in codes:
        at.selectbox(key="kpis_spc_code").set_value(code).run()
        out = io.StringIO()
        assert main(["spc", "--code", code.lower(), "--format", "json"], out=out) == 0
        printed = json.loads(out.getvalue())
        row = shown.loc[code]
        assert (printed["value"], printed["target"], printed["status"]) == (row["value"], row["target"], row["status"])
        assert (printed["variation"], printed["assurance"]) == (row["variation"], row["assurance"])
        assert f"{printed['points'][-1]['value']:.1f}" == row["latest %"]
        assert f"{printed['lower']:.1f}–{printed['upper']:.1f}" == row["process limits %"]
        assert printed["title"] in text_of(at)
        traces = chart_traces(at)
        assert traces["Upper process limit"] == [p["upper"] for p in printed["points"]]
        assert traces["Lower process limit"] == [p["lower"] for p in printed["points"]]
        assert traces["Mean"] == [p["mean"] for p in printed["points"]]
        assert all(p["upper"] <= 100 for p in printed["points"])  # limits as displayed
        assert printed["rule_set"] == "mdc-2023" and printed["run_length"] == 7


def test_the_cli_writes_csv_and_a_table(env, app_env):
    out = io.StringIO()
    main(["spc", "--code", "DS2", "--format", "csv", "--borough", "Bolton"], out=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("code,rule_set,run_length,variation_icon,assurance_icon,month,") and len(lines) > 2
    out = io.StringIO()
    main(["spc", "--code", "DS2", "--format", "table"], out=out)
    assert "Rule set mdc-2023, runs of 7" in out.getvalue() and "Variation icon " in out.getvalue()


def test_an_admin_records_a_rebase_on_the_admin_page_and_the_chart_draws_it(env):
    import datetime as dt

    from data_access import admin
    from data_access.db import session_scope
    from data_access.scoping import AccessScope

    charts = expected_panel(env, "admin", panels.spc_charts)
    first = panels.spc_first_to_show(charts)
    month = charts[first].data["month"].iloc[-6]  # six months before the latest: a new stretch of 6
    at = open_page("admin", "admin")
    next(s for s in at.selectbox if s.label == "Measure").set_value(first)
    next(d for d in at.date_input if d.label == "Date of the process change").set_value(month)
    next(t for t in at.text_input if t.label == "Reason (the process change)").input("Referral form changed")
    next(b for b in at.button if b.label == "Record the rebase").click().run()
    assert not at.exception and "Recorded the rebase." in [s.value for s in at.success]
    try:
        at = open_page("admin", "kpis")
        text = text_of(at)
        assert f"Rebased from {month:%B %Y} ({first}, recorded for {month:%d %B %Y}): Referral form changed" in text
        spec = next(e.proto.spec for e in at.get("plotly_chart") if "Upper process limit" in e.proto.spec)
        assert "Rebased: Referral form changed" in spec
        rebased = expected_panel(env, "admin", panels.spc_charts)[first]
        assert rebased.data["segment"].tolist() == [0] * (len(rebased.data) - 6) + [1] * 6
    finally:
        with session_scope(env) as session:
            for rebase_id in admin.spc_rebases(session, AccessScope("admin", "admin"))["id"]:
                admin.remove_spc_rebase(session, AccessScope("admin", "admin"), int(rebase_id))
