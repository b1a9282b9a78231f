"""``python -m metrics spc``: one measure's SPC chart as the KPIs page draws it.

``python -m metrics spc --code CODE [--borough NAME | --pdu N | --region CODE | --contract REF |
--provider ID] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--as-of YYYY-MM-DD] --format json|csv|table``

Prints the points (month, value (no counts: docs/DISCLOSURE.md, SPC charts), mean, limits as displayed and as
computed, signal, rule), the mean and limits, the Making Data Count variation and assurance icon
names with their words, the rule set and run length, any rebases, and the period's status with
the sentence reconciling it with the chart. Computed by the page's own panel functions
(``metrics.panels.inputs_for``, ``spc_charts``, ``period_scorecard``, ``spc_overview``), with the
figure settings and rebases in force (``data_access.figure_settings``), so the figures are the page's.

The period defaults to the page's: the quarter holding the as-of date (the latest date in the
data). As on the page, the chart covers the 24 months ending with the period's last month; the
period itself sets the status (``--from``/``--to``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math

from data_access.db import make_engine
from data_access.scoping import analyst_scope, referrals_select
from domain.catalogue import KPI_CODES
from metrics import periods

SERVICE_START = dt.date(2023, 9, 4)  # GMIRS spec §1.11 (as metrics.panels)

POINT_FIELDS = ("month", "value", "mean", "lower", "upper", "lower_computed",
                "upper_computed", "signal", "rule", "segment")


def add_spc_command(sub, date, add_scope_options) -> None:
    """Add ``spc`` to the command line's subcommands; ``date`` parses its dates and
    ``add_scope_options`` adds the area options (both ``metrics.__main__``'s)."""
    parser = sub.add_parser("spc", help="one measure's SPC chart: points, limits as displayed, signals, icons")
    parser.add_argument("--code", required=True, type=str.upper, choices=KPI_CODES, metavar="CODE",
                        help="measure code, e.g. DS2")
    parser.add_argument("--from", dest="start", type=date, help="period start (default: the quarter of --as-of)")
    parser.add_argument("--to", dest="end", type=date, help="period end; the chart's latest month")
    parser.add_argument("--as-of", dest="as_of", type=date, help="default: latest date in the data")
    add_scope_options(parser)
    parser.add_argument("--format", choices=("json", "csv", "table"), default="json")


def view_period(start, end, as_of) -> periods.Period:
    """The period as the page would have it: a quarter unless both ends are given."""
    if start is not None and end is not None:
        return periods.period_for(start, end, SERVICE_START)
    if start is not None:  # to the end of the as-of date's month (custom periods are whole months)
        return periods.period_for(start, periods.month(as_of).end, SERVICE_START)
    return periods.quarter(end or as_of)


def spc_view(db, filters, period: periods.Period, as_of, settings, code: str) -> dict:
    from metrics import panels, spc  # imported when run: the CLI's other commands start without them

    """Everything the command prints for one measure, from the page's panel functions."""
    scope = analyst_scope()
    inputs = panels.inputs_for(db, scope, filters, referrals_select(scope, filters), period, as_of, settings)
    charts = panels.spc_charts(db, inputs)
    overview = panels.spc_overview(panels.period_scorecard(db, inputs), charts, panels.figures(db, inputs))
    row = overview.data.set_index("code").loc[code].to_dict() if code in set(overview.data["code"]) else {}
    chart = charts.get(code)
    if chart is None:
        raise SystemExit(f"{code} is not charted: it is not a monthly case measure")
    latest = chart.data.iloc[-1] if len(chart.data) else None
    points = [{field: _plain(record.get(field)) for field in POINT_FIELDS} for record in chart.data.to_dict("records")]
    return {
        "code": code, "measure": row.get("measure"), "title": chart.title,
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()}, "as_of": inputs.as_of.isoformat(),
        "rule_set": chart.extra["rule_set"], "rule_set_name": spc.RULE_SETS[chart.extra["rule_set"]],
        "run_length": chart.extra["run_length"],
        "value": row.get("value"), "target": row.get("target"), "status": row.get("status"),
        "mean": None if latest is None else _plain(latest["mean"]),
        "lower": None if latest is None else _plain(latest["lower"]),
        "upper": None if latest is None else _plain(latest["upper"]),
        "variation_icon": chart.extra["variation_icon"], "variation": row.get("variation"),
        "assurance_icon": chart.extra["assurance_icon"], "assurance": row.get("assurance"),
        "explanation": row.get("explanation") or None, "provisional": chart.extra["provisional"],
        "rebases": [{k: _plain(v) for k, v in r.items()} for r in chart.extra.get("rebases", ())],
        "notes": list(chart.notes), "points": points,
    }


def _plain(value):
    """JSON-ready: dates as ISO text, NaN as null, numpy numbers as Python ones."""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def write(view: dict, fmt: str, out) -> None:
    if fmt == "json":
        json.dump(view, out, indent=2, ensure_ascii=False)
        out.write("\n")
        return
    constant = {"code": view["code"], "rule_set": view["rule_set"], "run_length": view["run_length"],
                "variation_icon": view["variation_icon"], "assurance_icon": view["assurance_icon"]}
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=[*constant, *POINT_FIELDS], lineterminator="\n")
        writer.writeheader()
        writer.writerows({**constant, **p} for p in view["points"])
        return
    out.write(table(view))


def table(view: dict) -> str:
    buffer = io.StringIO()
    buffer.write(f"{view['title']}\n")
    buffer.write(f"Period {view['period']['from']} to {view['period']['to']} (as of {view['as_of']}): "
                 f"{view['value']} against {view['target']}, {view['status']}\n")
    limits = "none" if view["lower"] is None else f"{view['lower']:.1f} to {view['upper']:.1f}"
    buffer.write(f"Mean {view['mean']}; process limits as displayed {limits}\n")
    buffer.write(f"Rule set {view['rule_set']}, runs of {view['run_length']}\n")
    buffer.write(f"Variation icon {view['variation_icon']} ({view['variation']})\n")
    buffer.write(f"Assurance icon {view['assurance_icon']} ({view['assurance']})\n")
    if view["explanation"]:
        buffer.write(f"Why: {view['explanation']}\n")
    headers = ("month", "value", "mean", "lower", "upper", "signal", "rule")
    cells = [["" if p[h] is None else str(p[h]) for h in headers] for p in view["points"]]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(headers)]
    buffer.write("  ".join(h.ljust(w) for h, w in zip(headers, widths)) + "\n")
    for c in cells:
        buffer.write("  ".join(v.ljust(w) for v, w in zip(c, widths)).rstrip() + "\n")
    for note in view["notes"]:
        buffer.write(f"Note: {note}\n")
    return buffer.getvalue()


def run_spc(args, settings, out, resolve_filters) -> int:
    from metrics import panels

    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            filters, _ = resolve_filters(conn, args)
            as_of = args.as_of or panels.data_as_of(conn)
            if as_of is None:
                raise SystemExit("no referral data loaded")
            period = view_period(args.start, args.end, as_of)
            if period.end < panels.SERVICE_START:
                raise SystemExit(f"no SPC chart: the period ends before the service began "
                                 f"({panels.SERVICE_START:%d %B %Y})")
            view = spc_view(conn, filters, period, as_of, settings, args.code)
    finally:
        engine.dispose()
    write(view, args.format, out)
    return 0
