"""Every word a chart draws has ≥ 4.5:1 contrast (WCAG 2 AA) with what it is drawn on: axis
text, titles, legend and annotations against the background; a bar's label against the bar
(or the background, when printed beside it); a heatmap's counts against every colour of its
scale. Colours left unset fail: Streamlit's chart theme would draw them in a light grey."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tests.unit.test_epop_charts import (COMPLETION_HOVER, RAG_COLOURS, RAG_SYMBOLS, TIMELINE_HOVER, annex2_frame,
                                         completion_frame, heat_frame, sessions_frame, slippage_frame,
                                         timeline_frame, trend_frame)
from tests.unit.test_spc_chart import spc_frame
from ui import charts
from ui.theme import CATEGORICAL, contrast, luminance, text_on

AA = 4.5


def test_contrast_ratio_is_the_wcag_formula():
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)
    assert contrast("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)  # the lightest grey that passes
    assert contrast("#777777", "#FFFFFF") < AA
    assert luminance("rgb(255, 255, 255)") == pytest.approx(1.0)
    assert text_on("#12436D") == "#FFFFFF" and text_on("#28A197") != "#FFFFFF"  # teal is too light for white


def _months(n: int) -> pd.DatetimeIndex:
    return pd.date_range("2025-04-01", periods=n, freq="MS")


def _figures() -> dict:
    bands = pd.DataFrame({"borough": ["Bolton", "Bury"], "referrals": [120, 40], "referrals_shown": ["120", "40"],
                          "expected_low": [100.0, 50.0], "expected_high": [150.0, 75.0], "band": ["within", "below"],
                          "status": ["● within band", "▼ below band"]})
    monthly = pd.DataFrame({"month": _months(3), "referrals": [40, 50, 45], "referrals_shown": ["40", "50", "45"],
                            "cumulative_expected_low": [30.0, 60.0, 90.0], "cumulative_expected_high": [45.0, 90.0, 135.0],
                            "cumulative_referrals": [40, 90, 135]})
    shares = pd.DataFrame({"borough": ["Bolton", "Bury"], "Low": [20.0, 30.0], "Medium": [60.0, 50.0], "High": [20.0, 20.0]})
    lines = pd.DataFrame({"month": list(_months(2)) * 2, "share": [20.0, 25.0, 60.0, 55.0],
                          "complexity": ["Low", "Low", "Medium", "Medium"]})
    intervals = pd.DataFrame({"need": ["Housing", "Finance"], "mean_change": [0.5, -0.2], "ci_lower": [0.2, -0.5],
                              "ci_upper": [0.8, 0.1]})
    points = pd.DataFrame({"area": ["Bolton", "Bury", "Wigan"], "cases": [100, 200, 150], "value": [90.0, 60.0, 80.0]})
    limits = pd.DataFrame({"cases": [50, 100, 200], "upper_998": [99.0, 95.0, 92.0], "lower_998": [61.0, 65.0, 68.0],
                           "upper_95": [93.0, 90.0, 88.0], "lower_95": [67.0, 70.0, 72.0]})
    spend = pd.DataFrame({"month": _months(2), "spend": [1000.0, 1200.0], "cumulative_profile": [1100.0, 2200.0],
                          "cumulative_spend": [1000.0, 2200.0]})
    return {
        "band_chart": charts.band_chart.uncached(bands, "borough"),
        "cumulative_chart": charts.cumulative_chart.uncached(monthly),
        "bar_chart": charts.bar_chart.uncached(shares, "borough", "Low", value_title="% of referrals"),
        "share_bars": charts.share_bars.uncached(shares, "borough", ["Low", "Medium", "High"],
                                                 reference={"Low": 23.0, "Medium": 56.0, "High": 21.0}),
        "lines_by_group": charts.lines_by_group.uncached(lines, "month", "share", "complexity",
                                                         reference={"Low": 23.0, "Medium": 56.0}),
        "spc_chart": charts.spc_chart.uncached(spc_frame(), 95.0, ({"month": dt.date(2025, 3, 1), "reason": "New form"},)),
        "interval_chart": charts.interval_chart.uncached(intervals, "need", "mean_change", "ci_lower", "ci_upper",
                                                         reference=0.0, reference_label="no change"),
        "funnel_chart": charts.funnel_chart.uncached(pd.DataFrame({"step": ["referred", "assessed"], "reached": [100, 80]})),
        "funnel_plot": charts.funnel_plot.uncached(points, limits, 78.0, "Greater Manchester", ("Bolton", "Bury")),
        "spend_chart": charts.spend_chart.uncached(spend),
        "epop_timeline_chart": charts.epop_timeline_chart.uncached(
            timeline_frame(), dt.date(2026, 3, 31), colours=RAG_COLOURS, symbols=RAG_SYMBOLS, hover=TIMELINE_HOVER,
            labels={"due_date": "Due date", "label": "Action", "rag": "RAG"}),
        "epop_annex2_chart": charts.epop_annex2_chart.uncached(
            annex2_frame(), colours=[CATEGORICAL[1], CATEGORICAL[0], CATEGORICAL[3], "#A6A6A6"]),
        "epop_sessions_chart": charts.epop_sessions_chart.uncached(sessions_frame(), colour=CATEGORICAL[0],
                                                                   labels={"month": "Month"}),
        "epop_completion_chart": charts.epop_completion_chart.uncached(completion_frame(), colour=CATEGORICAL[0],
                                                                       hover=COMPLETION_HOVER),
        "epop_heatmap": charts.epop_heatmap.uncached(heat_frame(), colour_scale=["#FFFFFF", CATEGORICAL[0]],
                                                     labels={"x": "COM-B dimension", "y": "Plan", "color": "Actions"}),
        "epop_trend_chart": charts.epop_trend_chart.uncached(trend_frame(), shown="All 13 plans", colours=list(CATEGORICAL),
                                                             labels={"as_of": "Month end"}),
        "slippage_chart": charts.slippage_chart.uncached(slippage_frame(), "2024 plan", "2025 plan"),
    }


FIGURES = _figures()


def _colours(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [c for c in (value or []) if isinstance(c, str)]


def text_on_background(spec: dict) -> list[tuple[str, str | None, str]]:
    """(where, text colour, what it is drawn on) for every kind of word on the figure."""
    layout = spec["layout"]
    plot, paper = layout.get("plot_bgcolor"), layout.get("paper_bgcolor")
    font = layout.get("font", {}).get("color")
    pairs = [("font on paper", font, paper), ("font on plot", font, plot),
             ("legend", layout.get("legend", {}).get("font", {}).get("color"), paper),
             ("legend title", layout.get("legend", {}).get("title", {}).get("font", {}).get("color"), paper)]
    bar = layout.get("coloraxis", {}).get("colorbar")
    if layout.get("coloraxis", {}).get("colorscale"):
        bar = bar or {}
        pairs.append(("colour bar ticks", bar.get("tickfont", {}).get("color"), paper))
        pairs.append(("colour bar title", bar.get("title", {}).get("font", {}).get("color"), paper))
    for name, axis in layout.items():
        if name.startswith(("xaxis", "yaxis")):
            pairs.append((f"{name} ticks", axis.get("tickfont", {}).get("color"), paper))
            pairs.append((f"{name} title", axis.get("title", {}).get("font", {}).get("color"), paper))
    for note in layout.get("annotations", []):
        pairs.append((f"annotation {note.get('text')!r}", note.get("font", {}).get("color"), plot))
    for trace in spec["data"]:
        kind, name = trace["type"], trace.get("name")
        if kind in ("bar", "funnel"):
            inside = trace.get("insidetextfont", {}).get("color")
            for fill in _colours(trace.get("marker", {}).get("color")) or [CATEGORICAL[0]]:
                if trace.get("textposition") != "outside":
                    pairs.append((f"{kind} {name} label inside", inside, fill))
                    pattern = trace.get("marker", {}).get("pattern", {})
                    labelled = any(trace.get(k) is not None for k in ("text", "texttemplate", "textinfo"))
                    if pattern.get("shape") and labelled:
                        assert pattern.get("fgopacity", 1) <= 0.4, f"{name}: a strong pattern behind its labels"
            if trace.get("textposition") in (None, "auto", "outside"):
                pairs.append((f"{kind} {name} label outside", trace.get("outsidetextfont", {}).get("color"), plot))
        elif kind == "scatter" and "text" in trace.get("mode", ""):
            pairs.append((f"scatter {name} labels", trace.get("textfont", {}).get("color"), plot))
        elif kind == "heatmap":
            scale = layout.get("coloraxis", {}).get("colorscale") or trace.get("colorscale")
            for _, fill in scale:
                pairs.append((f"heatmap count on {fill}", trace.get("textfont", {}).get("color"), fill))
    return pairs


@pytest.mark.parametrize("name", list(FIGURES))
def test_every_word_on_the_chart_has_at_least_4_5_to_1_contrast(name):
    pairs = text_on_background(FIGURES[name].to_dict())
    unset = [where for where, text, ground in pairs if not text or not ground]
    assert not unset, f"{name}: colours left to the theme: {unset}"
    low = [(where, text, ground, round(contrast(text, ground), 2)) for where, text, ground in pairs
           if contrast(text, ground) < AA]
    assert not low, f"{name}: {low}"


def test_the_check_fails_for_white_labels_on_a_light_bar_and_grey_axis_text():
    figure = charts.bar_chart.uncached(pd.DataFrame({"a": ["x"], "v": [1.0]}), "a", "v")
    figure.update_traces(marker_color="#BFD6EA", insidetextfont_color="#FFFFFF", textposition="inside")
    figure.update_xaxes(tickfont_color="#A6A6A6")
    spec = figure.to_dict()
    failing = [where for where, text, ground in text_on_background(spec) if contrast(text, ground) < AA]
    assert any("label inside" in w for w in failing) and "xaxis ticks" in failing
