"""The EPOP pages' cached figure builders: what each draws, sent with an empty template, and
built once for equal data (later reruns get a copy of the cached figure)."""

from __future__ import annotations

import base64
import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from ui import charts
from ui.theme import CATEGORICAL, TEXT, tint

RAG_COLOURS = {"overdue": CATEGORICAL[2], "on track": CATEGORICAL[1]}
RAG_SYMBOLS = {"overdue": "x", "on track": "circle"}
TIMELINE_HOVER = ["status", "owner_role", "days_overdue"]
COMPLETION_HOVER = ["Actions due", "Due and complete", "Overdue"]


def values(array) -> list:
    """A trace's array as a list, whether plotly kept it as a sequence or encoded it (``bdata``)."""
    if isinstance(array, dict) and "bdata" in array:
        flat = np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
        shape = [int(n) for n in str(array.get("shape", len(flat))).split(",")]
        return flat.reshape(shape).tolist()
    return array.tolist() if hasattr(array, "tolist") else list(array)


def timeline_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "due_date": pd.to_datetime(["2026-01-31", "2026-02-28", "2026-04-30"]),
        "label": ["1.1 Recruit peer mentors", "1.2 Train staff", "2.1 Publish the offer"],
        "rag": ["overdue", "on track", "overdue"],
        "status": ["in progress", "in progress", "not started"],
        "owner_role": ["SPOC", "SPOC", "Head of PDU"],
        "days_overdue": [59, 0, 0],
    })


def annex2_frame() -> pd.DataFrame:
    wide = pd.DataFrame({"dimension": ["Leadership", "Co-production"], "met": [3, 1], "in progress": [1, 2],
                         "not started": [0, 1], "not assessed": [1, 0]})
    return wide.melt(id_vars="dimension", value_vars=["met", "in progress", "not started", "not assessed"],
                     var_name="state", value_name="expectations")


def sessions_frame() -> pd.DataFrame:
    return pd.DataFrame({"month": pd.to_datetime(["2026-01-01", "2026-02-01"]), "attendees": [14, 22], "sessions": [2, 3]})


def completion_frame() -> pd.DataFrame:
    return pd.DataFrame({"Plan": ["Region B", "Region A"], "% of due complete": [40.0, 87.5], "Actions due": [10, 8],
                         "Due and complete": [4, 7], "Overdue": [3, 1]})


def heat_frame() -> pd.DataFrame:
    return pd.DataFrame({"Capability": [1, 0], "Opportunity": [2, 3], "Motivation": [0, 4]},
                        index=pd.Index(["Region A", "Region B"], name="plan_label"))


def trend_frame() -> pd.DataFrame:
    months = pd.to_datetime(["2026-01-31", "2026-02-28"])
    return pd.DataFrame({"as_of": list(months) * 2, "pct_due_complete": [50.0, 60.0, 40.0, 55.0],
                         "plan_label": ["All 13 plans"] * 2 + ["Region A"] * 2})


def slippage_frame() -> pd.DataFrame:
    return pd.DataFrame({"label": ["Rec 1", "Rec 2", "Rec 3"],
                         "earlier_latest": pd.to_datetime(["2025-06-30", "2025-09-30", None]),
                         "later_latest": pd.to_datetime(["2025-12-31", "2025-09-30", "2026-03-31"])})


#: Each builder with a call on a small hand-made frame, as the pages call it.
CALLS = {
    "epop_timeline_chart": lambda: charts.epop_timeline_chart(
        timeline_frame(), dt.date(2026, 3, 31), colours=RAG_COLOURS, symbols=RAG_SYMBOLS, hover=TIMELINE_HOVER,
        labels={"due_date": "Due date", "label": "Action", "rag": "RAG (word shown in legend)"}),
    "epop_annex2_chart": lambda: charts.epop_annex2_chart(
        annex2_frame(), colours=[CATEGORICAL[1], CATEGORICAL[0], CATEGORICAL[3], "#A6A6A6"]),
    "epop_sessions_chart": lambda: charts.epop_sessions_chart(
        sessions_frame(), colour=CATEGORICAL[0], labels={"month": "Month", "attendees": "People attending (bar label: sessions)"}),
    "epop_completion_chart": lambda: charts.epop_completion_chart(completion_frame(), colour=CATEGORICAL[0], hover=COMPLETION_HOVER),
    "epop_heatmap": lambda: charts.epop_heatmap(
        heat_frame(), colour_scale=["#FFFFFF", CATEGORICAL[0]], labels={"x": "COM-B dimension", "y": "Plan", "color": "Actions"}),
    "epop_trend_chart": lambda: charts.epop_trend_chart(
        trend_frame(), shown="All 13 plans", colours=list(CATEGORICAL),
        labels={"as_of": "Month end", "pct_due_complete": "% of due complete", "plan_label": "Plan"}),
    "slippage_chart": lambda: charts.slippage_chart(slippage_frame(), "March 2025 plan", "January 2026 update"),
}


def test_timeline_marks_each_rag_word_by_colour_and_symbol_with_an_as_of_line():
    spec = CALLS["epop_timeline_chart"]().to_dict()
    traces = {t["name"]: t for t in spec["data"]}
    assert list(traces) == ["overdue", "on track"]
    assert values(traces["overdue"]["y"]) == ["1.1 Recruit peer mentors", "2.1 Publish the offer"]
    assert [pd.Timestamp(x) for x in values(traces["overdue"]["x"])] == list(pd.to_datetime(["2026-01-31", "2026-04-30"]))
    assert traces["overdue"]["marker"] == {"color": CATEGORICAL[2], "symbol": "x"}
    assert traces["on track"]["marker"] == {"color": CATEGORICAL[1], "symbol": "circle"}
    assert values(traces["overdue"]["customdata"]) == [["in progress", "SPOC", 59], ["not started", "Head of PDU", 0]]
    assert "status=%{customdata[0]}" in traces["overdue"]["hovertemplate"]
    layout = spec["layout"]
    assert layout["legend"]["title"]["text"] == "RAG (word shown in legend)"
    assert layout["xaxis"]["title"]["text"] == "Due date" and layout["yaxis"]["title"]["text"] == "Action"
    assert layout["yaxis"]["autorange"] == "reversed" and layout["height"] == 320
    (line,) = layout["shapes"]
    assert pd.Timestamp(line["x0"]) == pd.Timestamp("2026-03-31") and line["line"] == {"color": "#3D3D3D", "dash": "dash"}


def test_timeline_grows_with_the_number_of_actions():
    many = pd.concat([timeline_frame()] * 10, ignore_index=True)
    figure = charts.epop_timeline_chart(many, dt.date(2026, 3, 31), colours=RAG_COLOURS, symbols=RAG_SYMBOLS,
                                        hover=TIMELINE_HOVER, labels={})
    assert figure.layout.height == 22 * 30


def test_annex2_stacks_one_labelled_bar_per_state():
    spec = CALLS["epop_annex2_chart"]().to_dict()
    assert [t["name"] for t in spec["data"]] == ["met", "in progress", "not started", "not assessed"]
    met = spec["data"][0]
    assert met["orientation"] == "h" and met["marker"]["color"] == CATEGORICAL[1]
    assert values(met["y"]) == ["Leadership", "Co-production"] and values(met["x"]) == [3, 1]
    assert values(met["text"]) == [3, 1]  # each segment prints its count: colour is not the only cue
    assert spec["layout"]["barmode"] == "relative"


def test_sessions_bars_are_labelled_with_the_number_of_sessions():
    (bars,) = CALLS["epop_sessions_chart"]().to_dict()["data"]
    assert values(bars["y"]) == [14, 22] and len(values(bars["x"])) == 2
    assert values(bars["text"]) == [2, 3] and bars["marker"]["color"] == CATEGORICAL[0]


def test_sessions_axes_are_titled():
    layout = CALLS["epop_sessions_chart"]().to_dict()["layout"]
    assert layout["xaxis"]["title"]["text"] == "Month"
    assert layout["yaxis"]["title"]["text"] == "People attending (bar label: sessions)"


def test_completion_bars_print_their_value_on_a_0_to_100_axis():
    spec = CALLS["epop_completion_chart"]().to_dict()
    (bars,) = spec["data"]
    assert values(bars["y"]) == ["Region B", "Region A"] and values(bars["x"]) == [40.0, 87.5]
    assert values(bars["text"]) == [40.0, 87.5] and bars["orientation"] == "h"
    assert values(bars["customdata"]) == [[10, 4, 3], [8, 7, 1]]
    layout = spec["layout"]
    assert list(layout["xaxis"]["range"]) == [0, 100] and layout["height"] == 420
    assert layout["yaxis"]["title"].get("text") is None


def test_heatmap_prints_each_count_in_its_cell():
    spec = CALLS["epop_heatmap"]().to_dict()
    (cells,) = spec["data"]
    assert values(cells["x"]) == ["Capability", "Opportunity", "Motivation"] and values(cells["y"]) == ["Region A", "Region B"]
    assert values(cells["z"]) == [[1, 2, 0], [0, 3, 4]]
    assert cells["texttemplate"] == "%{z}"
    layout = spec["layout"]
    assert layout["height"] == 460 and layout["xaxis"]["title"]["text"] == "COM-B dimension"
    # The dark end is a mid tint of the page's colour, so the near-black counts read on every cell.
    assert [c for _, c in layout["coloraxis"]["colorscale"]] == ["#FFFFFF", tint(CATEGORICAL[0], 0.5)]
    assert cells["textfont"]["color"] == TEXT


def test_trend_shows_the_overall_line_and_keeps_the_others_in_the_legend():
    spec = CALLS["epop_trend_chart"]().to_dict()
    traces = {t["name"]: t for t in spec["data"]}
    assert list(traces) == ["All 13 plans", "Region A"]
    assert traces["All 13 plans"]["visible"] is True and traces["Region A"]["visible"] == "legendonly"
    assert values(traces["All 13 plans"]["y"]) == [50.0, 60.0] and values(traces["Region A"]["y"]) == [40.0, 55.0]
    assert traces["All 13 plans"]["mode"] == "lines+markers"
    assert [t["line"]["color"] for t in spec["data"]] == [CATEGORICAL[0], CATEGORICAL[1]]
    assert list(spec["layout"]["yaxis"]["range"]) == [0, 100] and spec["layout"]["height"] == 420


def test_slippage_tells_the_snapshots_apart_by_shape_and_joins_dated_pairs():
    spec = CALLS["slippage_chart"]().to_dict()
    assert [t["name"] for t in spec["data"]] == ["Latest target: March 2025 plan", "Latest target: January 2026 update"]
    assert [t["marker"]["symbol"] for t in spec["data"]] == ["circle", "diamond"]
    assert [t["marker"]["color"] for t in spec["data"]] == [CATEGORICAL[0], CATEGORICAL[2]]
    assert all(values(t["y"]) == ["Rec 1", "Rec 2", "Rec 3"] for t in spec["data"])
    later = [pd.Timestamp(x) for x in values(spec["data"][1]["x"])]
    assert later == list(pd.to_datetime(["2025-12-31", "2025-09-30", "2026-03-31"]))
    assert [s["y0"] for s in spec["layout"]["shapes"]] == ["Rec 1", "Rec 2"]  # Rec 3 has no earlier date
    assert spec["layout"]["height"] == 360 and spec["layout"]["yaxis"]["autorange"] == "reversed"
    assert spec["layout"]["xaxis"]["title"]["text"] == "Target date (a month means its last day)"


@pytest.mark.parametrize("name", list(CALLS))
def test_each_figure_is_sent_with_the_empty_template(name):
    figure = CALLS[name]()
    assert figure.to_dict()["layout"]["template"].get("layout") is None  # plotly's default has one


@pytest.mark.parametrize("name", list(CALLS))
def test_equal_data_gives_an_equal_figure_built_once(name, monkeypatch):
    builder, calls = charts._BUILDERS[name], []

    def counting(*args, **options):
        calls.append((args, options))
        return builder(*args, **options)

    charts._figure_dict.clear()
    monkeypatch.setitem(charts._BUILDERS, name, counting)
    first, second = CALLS[name](), CALLS[name]()  # fresh, equal frames each time
    assert first is not second and first.to_json() == second.to_json()
    assert len(calls) == 1  # the second call was served from the cache
    args, options = calls[0]
    built = builder(*args, **options).update_layout(template=charts.EMPTY_TEMPLATE)
    assert json.loads(first.to_json()) == json.loads(built.to_json())  # the cached copy is the figure the builder makes
