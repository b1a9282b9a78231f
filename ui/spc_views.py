"""The SPC views the KPIs page and the Board summary share: the Making Data Count overview (an
icon matrix of every measure, with the icons' words beside them and a sentence wherever status,
variation and assurance seem to disagree) and every measure's chart as small multiples on request.

The figures come from ``metrics.panels.spc_overview`` and ``spc_charts`` (the packs print the
same panels); the icons are the project's drawings (``reports.mdc_icons``)."""

from __future__ import annotations

import base64
import contextlib
import functools

import streamlit as st

from metrics import panels
from reports.mdc_icons import assurance_icon_png, variation_icon_png
from ui import charts, printing, tables, url_state
from ui.context import PageContext
from ui.panels import as_of_caption, data_download

#: The icons come straight after the code (MDC summary-table order), so they are in view without
#: scrolling the table sideways; their words follow at the end.
OVERVIEW_COLUMNS = ["code", "variation icon", "assurance icon", "measure", "value", "target", "status", "latest month",
                    "latest %", "process limits %", "variation", "assurance"]


@functools.cache
def icon_uri(kind: str, name: str) -> str | None:
    """An MDC icon as a data URI for a table's image column (None where there is no icon)."""
    if kind == "variation" and name != "no_data":
        png = variation_icon_png(name, size=40)
    elif kind == "assurance" and name != "none":
        png = assurance_icon_png(name, size=40)
    else:
        return None
    return "data:image/png;base64," + base64.b64encode(png).decode()


#: The printed overview's columns (A4 portrait): the icons' words are their alternative text.
ICON_KEY = ("Icons (Making Data Count). Variation: grey, common cause; blue, improvement; orange, concern; "
            "H or L, higher or lower values. Assurance: P, the target will consistently be met; F, consistently "
            "missed; ?, met and missed at random.")
PRINT_COLUMNS = ["code", "variation", "assurance", "measure", "value", "target", "status", "process limits %"]


def spc_overview(ctx: PageContext, overview: panels.Panel, key: str, *, printable: bool = False) -> None:
    """The overview: measure × value × target × variation icon × assurance icon, the icons' words
    beside them, and the explanation of any apparent contradiction under the table. ``printable``:
    when printed, a plain table of the icons and figures replaces the interactive one (whose
    canvas would print cut off)."""
    st.subheader(overview.title)
    st.caption(as_of_caption(ctx.as_of, overview.unit))
    data = overview.data
    if data.empty:
        st.info("No measures for this view.")
        return
    table = data.assign(**{"variation icon": data["variation_icon"].map(lambda n: icon_uri("variation", n)),
                           "assurance icon": data["assurance_icon"].map(lambda n: icon_uri("assurance", n))})
    if printable:
        with printing.print_only(key):
            st.html(printing.html_table(table, PRINT_COLUMNS, images={"variation": ("variation icon", "variation"),
                                                                      "assurance": ("assurance icon", "assurance")}))
        with printing.print_only(f"{key}-key"):
            st.caption(ICON_KEY)
    with printing.screen_only(key) if printable else contextlib.nullcontext():
        _overview_dataframe(table, key)
    explained = data[data["explanation"] != ""]
    if printable:  # one line per explanation, naming every measure it applies to (the table has the rest)
        for explanation, codes in explained.groupby("explanation", sort=False)["code"]:
            st.markdown(f"**{', '.join(codes)}**: {explanation}")
    for row in explained.itertuples(index=False) if not printable else ():
        st.markdown(f"**{row.code}** ({row.status}; {row.variation.split(': ', 1)[-1]}; "
                    f"assurance {row.assurance_icon.replace('_', ' ')}): {row.explanation}")
    for note in overview.notes:
        st.caption(note)
    data_download(data, key=key, file_name=f"{key}.csv")  # buttons are not printed


def _overview_dataframe(table, key: str) -> None:
    tables.table(table[OVERVIEW_COLUMNS], key=f"tbl_{key}", column_config={
        "variation icon": st.column_config.ImageColumn("Variation icon", help="Making Data Count variation icon; "
                                                       "the variation column says it in words"),
        "assurance icon": st.column_config.ImageColumn("Assurance icon", help="Making Data Count assurance icon; "
                                                       "the assurance column says it in words"),
        "measure": st.column_config.TextColumn("Measure", width="medium")})


def spc_small_multiples(spc: dict[str, panels.Panel], key: str) -> None:
    """Every charted measure's XmR chart, two a row, each with its rules and limits named under it."""
    charted = [(code, chart) for code, chart in spc.items() if not chart.data.empty]
    withheld = [code for code, chart in spc.items() if chart.data.empty and chart.extra.get("suppressed_months")]
    if withheld:
        st.caption(f"Not charted for small numbers (too few months may be shown): {', '.join(withheld)}.")
    if not charted:
        st.info("No measure has enough months to chart for this view.")
        return
    for start in range(0, len(charted), 2):
        for column, (code, chart) in zip(st.columns(2), charted[start:start + 2]):
            with column:
                st.markdown(f"**{chart.title}**")
                st.plotly_chart(charts.spc_chart(chart.data, chart.extra.get("target"), chart.extra.get("rebases", ()),
                                                 height=260, compact=True,
                                                 suppressed=tuple(chart.extra.get("suppressed_months", ()))),
                                key=f"fig_{key}_{code}", config={"displaylogo": False})
                st.caption(small_multiple_note(chart))


def small_multiple_note(chart: panels.Panel) -> str:
    """What a small multiple cannot show in its plot: rule set, run length, clipped or absent limits, rebases."""
    words = [f"Rules: {chart.extra['rule_set']}, runs of {chart.extra['run_length']}."]
    words += [n for n in chart.notes if n.startswith(("Process limits shown within", "No process limits", "Rebased",
                                                       "Months not charted"))]
    return " ".join(words)


def spc_single_chart(ctx: PageContext, spc: dict[str, panels.Panel], overview: panels.Panel, key: str) -> None:
    """One measure's chart, chosen from a select box (the first shown is the one to look at first)."""
    from ui.panel_data import show

    codes = list(spc)
    first = panels.spc_first_to_show(spc)
    labels = {row["code"]: f"{row['code']} {row['measure']} ({row['variation'].split(':')[0].lower()})"
              for row in overview.data.to_dict("records")}
    url_state.choice(f"{key}_code", "spc", codes, first if first in codes else codes[0], label="SPC chart")
    code = st.selectbox("Show the SPC chart for", codes, format_func=lambda c: labels.get(c, c), key=f"{key}_code")
    chart = spc[code]
    show(ctx, chart, f"{key}_{code}",
         figure=charts.spc_chart(chart.data, chart.extra.get("target"), chart.extra.get("rebases", ()),
                                 suppressed=tuple(chart.extra.get("suppressed_months", ()))),
         empty_message=(f"{chart.title}." if chart.extra.get("suppressed_months") else
                        f"{code} has no cases in the last {panels.SPC_MONTHS} months for this view."))
