"""Plotly figures for the GMIRS pages, in the accessible palette, never relying on colour alone.

Each builder takes the frame a ``metrics.panels`` function returned (exactly what is shown)
and adds a second cue to every colour: marker symbols, fill patterns or text labels.
(Added for issue 5's pages, so chart code is written once rather than in each page.)
"""

from __future__ import annotations

import functools
import hashlib
import pickle

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from ui.theme import BACKGROUND, CATEGORICAL, SPC_COLOURS, TEXT, text_on, tint

PATTERNS = ("", "/", ".", "x", "\\", "+")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "star")
BAND_SYMBOLS = {"below": "triangle-down", "within": "circle", "above": "triangle-up", "no forecast": "x"}
#: The mark under a month an SPC chart leaves out for small numbers (the GSS symbol).
SUPPRESSED_MARK = "[c]"
SIGNAL_SYMBOLS = {"common": "circle", "improvement": "triangle-up", "concern": "triangle-down", "neutral": "diamond"}
_BUILDERS: dict = {}


#: Plotly's default template is about nine tenths of a small figure's JSON, and Streamlit
#: copies, validates and serialises all of it on every rerun. The pages draw with Streamlit's
#: theme, which styles the chart in the browser, so figures are sent with an empty template.
EMPTY_TEMPLATE = go.layout.Template()


@st.cache_data(ttl=600, show_spinner=False, max_entries=2000)
def _figure_dict(name: str, digest: str, _args: tuple, _options: dict) -> dict:
    figure = _BUILDERS[name](*_args, **_options)
    figure.update_layout(template=EMPTY_TEMPLATE)
    return figure.to_dict()


def _digest(args: tuple, options: dict) -> str:
    """A cheap fingerprint of a builder's inputs (small frames): pickled, then hashed."""
    return hashlib.sha256(pickle.dumps((args, sorted(options.items())), protocol=5)).hexdigest()


def cached(builder):
    """Build each figure once per distinct data (plotly's validation is slow: ~0.1 s a chart)
    and hand out an unvalidated copy of the validated figure on later reruns.

    No rows, no figure: a builder given an empty frame returns None, and the panel shows its
    empty-state message instead (an empty frame may lack the columns a builder reads)."""
    _BUILDERS[builder.__name__] = builder

    @functools.wraps(builder)
    def figure(*args, **options) -> go.Figure | None:
        if args and isinstance(args[0], pd.DataFrame) and args[0].empty:
            return None
        spec = _figure_dict(builder.__name__, _digest(args, options), args, options)
        return go.Figure(spec, _validate=False)

    figure.uncached = builder
    return figure


#: The fill pattern of a light bar (bands, monthly bars): navy lines over the light blue.
LIGHT_PATTERN = dict(fillmode="overlay", fgcolor=CATEGORICAL[0], fgopacity=0.5)
#: Under a label printed inside a bar the pattern is drawn faintly, in the label's own colour,
#: so the label keeps its contrast with the bar.
FAINT = 0.25


def labelled_pattern(shape: str, fill: str) -> dict:
    return dict(shape=shape, fillmode="overlay", fgcolor=text_on(fill), fgopacity=FAINT)


def readable(figure: go.Figure) -> go.Figure:
    """Every word on ``figure`` in near-black on white (≥ 4.5:1, WCAG AA): titles, ticks, legend
    and annotations, and text printed inside a bar in the colour that reads best on that bar
    (Streamlit's own chart theme draws axis text in a light grey)."""
    figure.update_layout(font_color=TEXT, paper_bgcolor=BACKGROUND, plot_bgcolor=BACKGROUND,
                         legend_font_color=TEXT, legend_title_font_color=TEXT,
                         hoverlabel=dict(bgcolor=BACKGROUND, font_color=TEXT))
    if figure.layout.coloraxis.colorscale is not None:  # a heatmap's colour bar: its ticks and title
        figure.update_layout(coloraxis_colorbar=dict(tickfont_color=TEXT, title_font_color=TEXT))
    figure.update_xaxes(tickfont_color=TEXT, title_font_color=TEXT)
    figure.update_yaxes(tickfont_color=TEXT, title_font_color=TEXT)
    figure.update_annotations(font_color=TEXT)
    for trace in figure.data:
        if trace.type in ("bar", "funnel"):
            fill = trace.marker.color if isinstance(trace.marker.color, str) else CATEGORICAL[0]
            trace.update(insidetextfont_color=text_on(fill), outsidetextfont_color=TEXT)
        elif trace.type == "scatter" and not trace.textfont.color:
            trace.update(textfont_color=TEXT)
    return figure


def _layout(figure: go.Figure, *, height: int = 380, x_title: str | None = None, y_title: str | None = None) -> go.Figure:
    figure.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), legend_orientation="h",
                         legend_y=-0.15, xaxis_title=x_title, yaxis_title=y_title, font_size=13)
    return readable(figure)


@cached
def band_chart(data: pd.DataFrame, unit: str) -> go.Figure:
    """Referrals per unit (marker shaped by band status, labelled) against the patterned band."""
    frame = data.iloc[::-1]
    figure = go.Figure()
    has_band = frame["expected_low"].notna().any()
    if has_band:
        figure.add_bar(y=frame[unit], x=frame["expected_high"] - frame["expected_low"], base=frame["expected_low"],
                       orientation="h", name="Expected band (40–60% forecast, pro-rated)",
                       marker=dict(color="#BFD6EA", pattern=dict(shape="/", **LIGHT_PATTERN), line_color=CATEGORICAL[0]))
    figure.add_scatter(
        y=frame[unit], x=frame["referrals"], mode="markers+text", name="Referrals received",
        marker=dict(size=13, color=CATEGORICAL[3], symbol=[BAND_SYMBOLS.get(b, "circle") for b in frame["band"]],
                    line=dict(width=1, color="#000000")),
        text=[f"{shown} {status}" if has_band else str(shown) for shown, status in zip(frame["referrals_shown"], frame["status"])],
        textposition="middle right", cliponaxis=False)
    return _layout(figure, height=max(300, 36 * len(frame) + 80), x_title="Referrals received")


@cached
def cumulative_chart(data: pd.DataFrame) -> go.Figure:
    """Cumulative referrals against the cumulative band; monthly counts as labelled bars."""
    figure = go.Figure()
    figure.add_bar(x=data["month"], y=data["referrals"], name="Referrals in the month",
                   text=data["referrals_shown"] if "referrals_shown" in data else data["referrals"],
                   textposition="outside", cliponaxis=False,
                   marker=dict(color="#BFD6EA", pattern=dict(shape=".", **LIGHT_PATTERN), line_color=CATEGORICAL[0]))
    figure.add_scatter(x=data["month"], y=data["cumulative_expected_low"], name="Cumulative expected, low (40%)",
                       line=dict(color=CATEGORICAL[0], dash="dash"), mode="lines")
    figure.add_scatter(x=data["month"], y=data["cumulative_expected_high"], name="Cumulative expected, high (60%)",
                       line=dict(color=CATEGORICAL[0], dash="dot"), mode="lines", fill="tonexty",
                       fillcolor="rgba(18,67,109,0.12)")
    figure.add_scatter(x=data["month"], y=data["cumulative_referrals"], name="Cumulative referrals",
                       mode="lines+markers", marker=dict(symbol="diamond", size=9), line=dict(color=CATEGORICAL[3], width=3))
    return _layout(figure, y_title="Referrals")


@cached
def bar_chart(data: pd.DataFrame, category: str, value: str, text: str | None = None, *,
              value_title: str | None = None) -> go.Figure:
    """Horizontal bars with their values printed on them."""
    frame = data.iloc[::-1]
    figure = go.Figure(go.Bar(y=frame[category], x=frame[value], orientation="h",
                              text=frame[text] if text else frame[value], textposition="outside",
                              marker=dict(color=CATEGORICAL[0]), cliponaxis=False))
    return _layout(figure, height=max(260, 34 * len(frame) + 60), x_title=value_title)


@cached
def share_bars(data: pd.DataFrame, category: str, parts: list[str], reference: dict[str, float] | None = None) -> go.Figure:
    """100% stacked bars: each part has its own colour and fill pattern and is labelled."""
    figure = go.Figure()
    for i, part in enumerate(parts):
        figure.add_bar(y=data[category], x=data[part], name=part, orientation="h",
                       text=[f"{part[0]} {v:.0f}%" if pd.notna(v) else "" for v in data[part]], textposition="inside",
                       marker=dict(color=CATEGORICAL[i % len(CATEGORICAL)],
                                   pattern=labelled_pattern(PATTERNS[i % len(PATTERNS)], CATEGORICAL[i % len(CATEGORICAL)])))
    if reference:
        edge = 0.0
        for part in parts[:-1]:
            edge += reference[part]
            figure.add_vline(x=edge, line_dash="dash", line_color="#000000",
                             annotation_text=f"reference {edge:.0f}%", annotation_position="top")
    figure.update_layout(barmode="stack")
    return _layout(figure, height=max(300, 34 * len(data) + 100), x_title="% of referrals")


@cached
def lines_by_group(data: pd.DataFrame, x: str, y: str, group: str, *, reference: dict[str, float] | None = None,
                   y_title: str | None = None) -> go.Figure:
    """One line per group, each with its own marker symbol and dash; optional reference lines."""
    figure = go.Figure()
    for i, (name, part) in enumerate(data.groupby(group, sort=False)):
        figure.add_scatter(x=part[x], y=part[y], name=str(name), mode="lines+markers",
                           marker=dict(symbol=SYMBOLS[i % len(SYMBOLS)], size=8),
                           line=dict(color=CATEGORICAL[i % len(CATEGORICAL)], dash=("solid", "dash", "dot")[i % 3]))
        if reference and name in reference:
            figure.add_hline(y=reference[name], line_dash="dot", line_color=CATEGORICAL[i % len(CATEGORICAL)],
                             annotation_text=f"{name} reference {reference[name]:.0f}%")
    return _layout(figure, y_title=y_title)


@cached
def spc_chart(data: pd.DataFrame, target: float | None, rebases: tuple = (), *, height: int | None = None,
              compact: bool = False, suppressed: tuple = ()) -> go.Figure:
    """XmR chart: process limits (as displayed: a percentage's within 0–100; none for a series
    without variation), mean, target, a dotted vertical line with its reason at each rebase
    (``metrics.panels.spc_charts`` extra ``rebases``), and each point shaped, coloured and
    labelled by signal. ``compact``: a small multiple (no rule labels, no legend). ``suppressed``:
    months not charted for small numbers (``extra["suppressed_months"]``), marked on the axis; the
    line breaks across them."""
    figure = go.Figure()
    figure.add_scatter(x=data["month"], y=data["upper"], name="Upper process limit", mode="lines",
                       line=dict(color="#3D3D3D", dash="dash"))
    figure.add_scatter(x=data["month"], y=data["lower"], name="Lower process limit", mode="lines",
                       line=dict(color="#3D3D3D", dash="dash"))
    figure.add_scatter(x=data["month"], y=data["mean"], name="Mean", mode="lines", line=dict(color="#000000"))
    if target is not None:
        figure.add_hline(y=target, line_color=SPC_COLOURS["target"], line_dash="dot",
                         annotation_text=f"target {target:.0f}%", annotation_position="bottom right")
    line = data[["month", "value"]]
    if len(suppressed):  # the line breaks at a month not shown rather than joining across it
        gaps = pd.DataFrame({"month": pd.to_datetime(list(suppressed)), "value": np.nan})
        line = pd.concat([line.assign(month=pd.to_datetime(line["month"])), gaps]).sort_values("month")
    figure.add_scatter(x=line["month"], y=line["value"], name="Monthly value", mode="lines",
                       line=dict(color=SPC_COLOURS["common"]), showlegend=False)
    # A rule is printed once, on the first point of a run that breaks it (consecutive points
    # breaking the same rule would print the same words on top of each other); every point
    # names its rule on hover.
    rules = data["rule"].fillna("")
    labels = rules.where(rules != rules.shift(fill_value=""), "")
    if compact:
        labels = pd.Series("", index=labels.index)  # a small multiple has no room for the rule names
    for rebase in rebases:
        # A process change an admin recorded: the new mean and limits start at this month.
        figure.add_vline(x=str(rebase["month"]), line_dash="dot", line_color="#3D3D3D")
        figure.add_annotation(x=rebase["month"], y=1, yref="paper", text=f"Rebased: {rebase['reason']}"[:60],
                              showarrow=False, xanchor="left", yanchor="bottom", font=dict(size=11))
    for signal, part in data.assign(label=labels, rule=rules).groupby("signal", sort=False):
        figure.add_scatter(
            x=part["month"], y=part["value"], mode="markers+text", name=f"{signal.capitalize()} point",
            marker=dict(color=SPC_COLOURS[signal], symbol=SIGNAL_SYMBOLS[signal], size=11, line=dict(width=1, color="#000000")),
            text=part["label"], textposition="top center",
            customdata=part[["rule"]],
            # The rate only: a month's counts never reach the chart (docs/DISCLOSURE.md, SPC charts).
            hovertemplate="%{x|%b %Y}: %{y:.1f}%<br>%{customdata[0]}<extra></extra>")
    if len(suppressed):
        # Months left out for small numbers: a marked gap on the axis, never a value.
        figure.add_scatter(x=list(suppressed), y=[0.0] * len(suppressed), mode="markers+text", name="Not shown (small numbers)",
                           marker=dict(color="#3D3D3D", symbol="x-thin", size=10, line=dict(width=2, color="#3D3D3D")),
                           text=[SUPPRESSED_MARK] * len(suppressed) if not compact else None, textposition="top center",
                           hovertemplate="%{x|%b %Y}: not shown (small numbers)<extra></extra>")
    if compact:
        figure.update_layout(showlegend=False, margin=dict(l=10, r=10, t=30, b=10))
    return _layout(figure, y_title="%", **({"height": height} if height else {}))


@cached
def interval_chart(data: pd.DataFrame, category: str, value: str, lower: str, upper: str, *,
                   reference: float | None = None, reference_label: str = "overall", x_title: str | None = None) -> go.Figure:
    """Dots with 95% interval whiskers, the value printed beside each; a labelled reference line."""
    frame = data.dropna(subset=[value]).iloc[::-1]
    figure = go.Figure(go.Scatter(
        y=frame[category].astype(str), x=frame[value], mode="markers+text", marker=dict(size=11, color=CATEGORICAL[0], symbol="diamond"),
        error_x=dict(type="data", symmetric=False, array=frame[upper] - frame[value], arrayminus=frame[value] - frame[lower]),
        text=[f"{v:.1f}" for v in frame[value]], textposition="top center", name=value, cliponaxis=False))
    if reference is not None:
        # Named under the plot, clear of the top row's value label.
        figure.add_vline(x=reference, line_dash="dash", line_color=CATEGORICAL[2],
                         annotation_text=f"{reference_label} {reference:.1f}", annotation_position="bottom right")
    return _layout(figure, height=max(280, 40 * len(frame) + 80), x_title=x_title)


@cached
def funnel_chart(data: pd.DataFrame) -> go.Figure:
    figure = go.Figure(go.Funnel(y=data["step"], x=data["reached"], textinfo="value",
                                 marker=dict(color=CATEGORICAL[0])))
    return _layout(figure, height=380)


#: Funnel plot markers: inside the limits, above or below the 99.8% limits (shape and colour).
FUNNEL_MARKERS = {"inside": ("circle", CATEGORICAL[0]), "above": ("triangle-up", CATEGORICAL[2]),
                  "below": ("triangle-down", CATEGORICAL[3])}


@cached
def funnel_plot(points: pd.DataFrame, limits: pd.DataFrame, comparator: float, comparator_label: str,
                outliers: tuple[str, ...] = ()) -> go.Figure:
    """Value against cases with the 95% and 99.8% funnel limits around the comparator; areas
    beyond the 99.8% limits named beside their marker, with a shape as well as a colour."""
    figure = go.Figure()
    # Limits from half the smallest area shown (areas under the minimum denominator
    # are not plotted): the funnel's mouth at 1–5 cases would squash the scale to 0–100%.
    limits = limits[limits["cases"] >= 0.5 * points["cases"].min()]
    for level, dash, width in (("998", "dash", 1.5), ("95", "dot", 1.5)):
        label = "99.8% limits" if level == "998" else "95% limits"
        for i, side in enumerate(("upper", "lower")):
            figure.add_scatter(x=limits["cases"], y=limits[f"{side}_{level}"], mode="lines", name=label,
                               legendgroup=label, showlegend=i == 0, line=dict(color="#3D3D3D", dash=dash, width=width),
                               line_shape="hv", hoverinfo="skip")
    figure.add_hline(y=comparator, line_color="#000000", line_width=1.5,
                     annotation_text=f"{comparator_label} {comparator:.1f}%", annotation_position="top left",
                     annotation_font_color="#1A1A1A")
    side = pd.Series("inside", index=points.index)
    side[points["area"].isin(outliers) & (points["value"] > comparator)] = "above"
    side[points["area"].isin(outliers) & (points["value"] < comparator)] = "below"
    names = {"inside": "Within the 99.8% limits", "above": "Above the 99.8% limits", "below": "Below the 99.8% limits"}
    for where, part in points.groupby(side, sort=False):
        symbol, colour = FUNNEL_MARKERS[where]
        figure.add_scatter(x=part["cases"], y=part["value"], mode="markers+text" if where != "inside" else "markers",
                           name=names[where], marker=dict(symbol=symbol, color=colour, size=12,
                                                          line=dict(width=1, color="#000000")),
                           text=part["area"], textposition="middle right", textfont=dict(color="#1A1A1A"),
                           customdata=part[["area"]],
                           hovertemplate="%{customdata[0]}: %{y:.1f}% of %{x} cases<extra></extra>")
    low = min(points["value"].min(), limits["lower_998"].min(), comparator)
    figure.update_yaxes(range=[max(0, low - 5), 102])
    return _layout(figure, height=420, x_title="Cases (denominator)", y_title="%")


@cached
def spend_chart(data: pd.DataFrame) -> go.Figure:
    """Cumulative spend against the cumulative funding profile; monthly spend as labelled bars."""
    figure = go.Figure()
    figure.add_bar(x=data["month"], y=data["spend"], name="Spend in the month",
                   marker=dict(color="#BFD6EA", pattern=dict(shape="/", **LIGHT_PATTERN), line_color=CATEGORICAL[0]))
    figure.add_scatter(x=data["month"], y=data["cumulative_profile"], name="Cumulative funding profile",
                       mode="lines", line=dict(color=CATEGORICAL[0], dash="dash"))
    figure.add_scatter(x=data["month"], y=data["cumulative_spend"], name="Cumulative spend", mode="lines+markers",
                       marker=dict(symbol="diamond"), line=dict(color=CATEGORICAL[3], width=3))
    return _layout(figure, y_title="£")


# EPOP pages (plotly express figures; the page passes its colour and symbol maps and labels).


@cached
def epop_timeline_chart(data: pd.DataFrame, as_of, *, colours: dict[str, str], symbols: dict[str, str],
                        hover: list[str], labels: dict[str, str]) -> go.Figure:
    """EPOP actions by due date (``due_date``, ``label``): each marker coloured *and* shaped by its
    ``rag`` word (named in the legend), ``hover`` columns on hover, a dashed line at the as-of date."""
    figure = px.scatter(data, x="due_date", y="label", color="rag", symbol="rag", color_discrete_map=colours,
                        symbol_map=symbols, hover_data=hover, labels=labels)
    figure.add_vline(x=as_of, line_dash="dash", line_color="#3D3D3D")
    figure.update_layout(height=max(320, 22 * len(data)), yaxis={"autorange": "reversed"})
    return readable(figure)


@cached
def epop_annex2_chart(data: pd.DataFrame, *, colours: list[str]) -> go.Figure:
    """Annex 2 expectations per dimension (long frame: ``dimension``, ``state``, ``expectations``),
    stacked horizontal bars, one colour and fill pattern per state, each bar labelled with its count."""
    figure = px.bar(data, x="expectations", y="dimension", color="state", orientation="h", text="expectations",
                    color_discrete_sequence=colours, pattern_shape="state", pattern_shape_sequence=list(PATTERNS),
                    labels={"expectations": "Expectations", "dimension": "Dimension", "state": "State"})
    figure.for_each_trace(lambda t: t.update(marker_pattern=labelled_pattern(t.marker.pattern.shape, t.marker.color)))
    return readable(figure)


@cached
def epop_sessions_chart(data: pd.DataFrame, *, colour: str, labels: dict[str, str]) -> go.Figure:
    """People attending EPOP sessions by ``month`` (bars), each bar labelled with its number of ``sessions``."""
    return readable(px.bar(data, x="month", y="attendees", text="sessions", color_discrete_sequence=[colour], labels=labels))


@cached
def epop_completion_chart(data: pd.DataFrame, *, colour: str, hover: list[str], own: str | None = None) -> go.Figure:
    """% of due actions complete per plan: horizontal bars on a 0–100 axis, each labelled with its value.
    The ``own`` plan's bar (the viewer's region, already starred in its label) is hatched with a
    thick black edge, so it stands out without relying on colour."""
    figure = px.bar(data, x="% of due complete", y="Plan", orientation="h", text="% of due complete",
                    color_discrete_sequence=[colour], hover_data=hover)
    if own is not None and (data["Plan"] == own).any():
        mine = (data["Plan"] == own).to_numpy()
        figure.update_traces(marker_pattern_shape=["/" if m else "" for m in mine],
                             marker_line_width=[3 if m else 0 for m in mine], marker_line_color="#0B0C0C")
    figure.update_layout(xaxis_range=[0, 100], yaxis_title=None, height=420)
    return readable(figure)


@cached
def epop_heatmap(data: pd.DataFrame, *, colour_scale: list[str], labels: dict[str, str]) -> go.Figure:
    """Counts as a heatmap (rows: the index, columns: the columns), every cell printing its count
    in near-black: the scale's darkest end is a mid tint of its colour, so every cell keeps
    ≥ 4.5:1 with the text (a fully dark cell would need white text, a light one black)."""
    scale = [colour_scale[0], *(c if text_on(c) == TEXT else tint(c, 0.5) for c in colour_scale[1:])]
    figure = px.imshow(data, text_auto=True, aspect="auto", color_continuous_scale=scale, labels=labels)
    figure.update_traces(textfont_color=TEXT)
    figure.update_layout(height=460)
    return readable(figure)


@cached
def epop_trend_chart(data: pd.DataFrame, *, shown: str, colours: list[str], labels: dict[str, str],
                     own: str | None = None) -> go.Figure:
    """% of due actions complete at each month end (``as_of``, ``pct_due_complete``), one line with
    markers per ``plan_label`` (each plan its own marker shape too); only the ``shown`` line (and the
    viewer's ``own`` plan, drawn dashed with star markers) is drawn at first, the others from the legend."""
    figure = px.line(data, x="as_of", y="pct_due_complete", color="plan_label", markers=True, symbol="plan_label",
                     symbol_sequence=list(SYMBOLS), color_discrete_sequence=colours, labels=labels)
    figure.for_each_trace(lambda t: t.update(visible=True if t.name in (shown, own) else "legendonly"))
    figure.for_each_trace(lambda t: t.update(line_dash="dash", line_width=3, marker_symbol="star", marker_size=11)
                          if t.name == own else None)
    figure.update_layout(yaxis_range=[0, 100], height=420)
    return readable(figure)


@cached
def slippage_chart(data: pd.DataFrame, earlier: str, later: str) -> go.Figure:
    """Each recommendation's (``label``) latest target date in two snapshots (``earlier_latest``,
    ``later_latest``): distinct colour and marker shape per snapshot, a grey line joining the two."""
    figure = go.Figure()
    for column, name, colour, symbol in (("earlier_latest", earlier, CATEGORICAL[0], "circle"), ("later_latest", later, CATEGORICAL[2], "diamond")):
        figure.add_trace(go.Scatter(x=data[column], y=data["label"], mode="markers", name=f"Latest target: {name}",
                                    marker={"color": colour, "symbol": symbol, "size": 12}))
    for row in data.dropna(subset=["earlier_latest", "later_latest"]).itertuples():
        figure.add_shape(type="line", x0=row.earlier_latest, x1=row.later_latest, y0=row.label, y1=row.label, line={"color": "#A6A6A6"})
    figure.update_layout(height=360, yaxis={"autorange": "reversed"}, xaxis_title="Target date (a month means its last day)")
    return readable(figure)
