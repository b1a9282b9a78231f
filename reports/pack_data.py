"""Arrange a pack from the panels the pages render: no figure is computed here.

A pack is an ordered list of :class:`metrics.panels.Panel` objects, each printed as a
:class:`PackTable` (the panel's shown values under the pack's headings, its finding sentence
as the headline, its notes and chart), plus the pack-only parts: the cover (period, filters,
"as of"), the findings grouped as successes, gaps and opportunities, the provider's
commentary and the appendix of definitions and assumptions. The panels come from
``metrics.panels`` / ``metrics.contract_panels`` with the inputs the pages use
(:func:`metrics.panels.inputs_for`, the same as-of date and the figure settings in force), so
the board pack and the board summary, KPIs, complexity, outcomes, equalities and finance
pages show the same numbers for the same view (tests/app/test_pack_page_agreement.py).

The renderers (:mod:`reports.slides`, :mod:`reports.pdf`, :mod:`reports.workbook`) print exactly
what is here, so every format of a pack carries the same numbers. Disclosure control
(DOMAIN.md "Suppression") is the panels': ``[c]`` for counts of 1 to threshold − 1 with
secondary suppression, ``[low]`` for a rate not shown; money is not about people.

Every panel starts from :func:`data_access.scoping.referrals_select` with the user's scope, so
a provider's pack cannot contain another provider's referrals; spend follows the contracts
the view covers (:func:`metrics.panels.spend_contracts`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.demo import is_demo_database
from data_access.figure_settings import FigureSettings, figure_settings
from data_access.models import Borough, Contract, Hub, Provider
from data_access.scoping import AccessScope, ReferralFilters, referrals_select
from data_access.settings import Settings
from domain.catalogue import KPI_CATALOGUE
from metrics import contract_panels, panels, periods
from metrics.disclosure import SUPPRESSED, WITHHELD_RATE, suppression_note
from metrics.findings import SERVICE_START, Finding
from metrics.labels import INTERNAL, column_label
from metrics.panels import ChartSpec
from metrics.periods import Period
from metrics.queries import kpi_definitions

Progress = Callable[[float, str], None]
PackKind = Literal["board", "contract", "epop"]


# --------------------------------------------------------------------------------------------
# The format-free pack
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackTable:
    """One table of a pack: a sheet in the workbook, a slide (or more) in the deck.

    ``style`` tells the slide and PDF renderers how to lay it out: a plain ``table``, the
    grouped ``findings`` list, ``text`` (the frame's single column as paragraphs),
    ``spc_icons`` (one row per measure with its Making Data Count icons) or ``chart`` (the chart
    alone on a slide; its figures are in the workbook).
    """

    key: str  # sheet name (≤ 31 characters)
    title: str
    frame: pd.DataFrame
    notes: tuple[str, ...] = ()
    chart: ChartSpec | None = None
    headline: str | None = None
    style: Literal["table", "findings", "text", "spc_icons", "chart"] = "table"


@dataclass(frozen=True)
class Pack:
    kind: PackKind
    title: str
    period: Period
    as_of: dt.date | None
    filters: tuple[tuple[str, str], ...]
    tables: tuple[PackTable, ...]
    definitions: pd.DataFrame
    assumptions: tuple[str, ...]
    suppression_note: str
    findings: tuple[Finding, ...] = ()
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))
    #: Set when the period runs past the data's as-of date: printed as a banner on the cover
    #: and on every slide and page, so nobody reads a part-period as the whole.
    coverage_note: str | None = None
    #: True when the database holds the invented demo data: the cover says "demo data".
    demo: bool = False
    #: Rendering options from the settings (``reports.build.gather`` fills them in).
    template: str | None = None
    base_url: str | None = None

    def evidence_url(self, evidence: str) -> str | None:
        """A finding's evidence (page and query) as an address, when the dashboard's is set."""
        return f"{self.base_url.rstrip('/')}/{evidence.lstrip('/')}" if self.base_url else None

    @property
    def scope_text(self) -> str:
        """The scope in a few words for the title: "Bolton", "GMIRS-WSS-LOT1 (…)", "all GM"."""
        named = [value for label, value in self.filters if label in ("Region", "PDU", "Borough", "Hub",
                                                                     "Contract", "Provider")]
        return ", ".join(named) if named else "All Greater Manchester"

    @property
    def full_title(self) -> str:
        """Title, scope and period: what the cover and the document properties say."""
        scope = "" if self.scope_text in self.title else f"{self.scope_text}, "
        return f"{self.title}: {scope}{self.period.label}"

    @property
    def filters_text(self) -> str:
        return "; ".join(f"{label}: {value}" for label, value in self.filters) or "none"

    @property
    def as_of_text(self) -> str:
        return f"Data as of {self.as_of:%d %B %Y}" if self.as_of else "No data in scope"

    @property
    def context_line(self) -> str:
        """Printed on every slide and page: period, filters, freshness (and a part-period)."""
        part = " · PART PERIOD: data end " + f"{self.as_of:%d %b %Y}" if self.coverage_note and self.as_of else ""
        return f"{self.period.label} · Filters: {self.filters_text} · {self.as_of_text}{part}"

    def table(self, key: str) -> PackTable:
        return next(t for t in self.tables if t.key == key)


def _noop(fraction: float, message: str) -> None:  # default progress callback
    return None


# --------------------------------------------------------------------------------------------
# Periods, filters and disclosure helpers
# --------------------------------------------------------------------------------------------


class PeriodAfterData(ValueError):
    """The pack's period starts after the last date in the data: there is nothing to report,
    and a pack built anyway would print 0% and "fell below forecast" for months not yet
    recorded (issue 16). The CLI exits 2 on it; the Board packs page shows it as an error."""


def check_coverage(period: Period, as_of: dt.date | None) -> str | None:
    """Refuse a period after the data (:class:`PeriodAfterData`); for a period the data covers
    only in part, the banner sentence the pack prints; ``None`` when it is wholly covered."""
    if as_of is None:
        return None  # no data in scope at all: the panels say "no data"
    if period.start > as_of:
        raise PeriodAfterData(
            f"The period {period.label} starts after the data's as-of date ({as_of:%d %B %Y}): "
            "there is no data for it yet. Choose a period that starts on or before that date.")
    if period.end > as_of:
        days = (as_of - period.start).days + 1
        total = (period.end - period.start).days + 1
        return (f"Part period: the data ends on {as_of:%d %B %Y}, so this pack covers {days} of the period's "
                f"{total} days. Counts for the period are not complete; compare rates, not counts.")
    return None


def period_for(start: dt.date, end: dt.date) -> Period:
    """The named month, financial quarter or contract year ``start``–``end`` is, else custom:
    whole calendar months only (``periods.PartMonthPeriod``, a ``ValueError``, otherwise:
    docs/DISCLOSURE.md "Custom periods")."""
    return periods.period_for(start, end, SERVICE_START)


def describe_filters(db: Session, scope: AccessScope, filters: ReferralFilters) -> tuple[tuple[str, str], ...]:
    """Filters in words, for printing on the pack (names, not database ids)."""
    out: list[tuple[str, str]] = []
    if scope.role == "provider":
        name = db.scalar(select(Provider.name).where(Provider.id == scope.provider_id))
        out.append(("Provider", name or "(none)"))
    if filters.region_code:
        out.append(("Region", filters.region_code))
    if filters.pdu_number is not None:
        out.append(("PDU", str(filters.pdu_number)))
    if filters.borough_id is not None:
        out.append(("Borough", db.scalar(select(Borough.name).where(Borough.id == filters.borough_id)) or "?"))
    if filters.hub_id is not None:
        out.append(("Hub", db.scalar(select(Hub.name).where(Hub.id == filters.hub_id)) or "?"))
    if filters.contract_id is not None:
        row = db.execute(
            select(Contract.reference, Provider.name).join(Provider, Provider.id == Contract.provider_id)
            .where(Contract.id == filters.contract_id)
        ).first()
        out.append(("Contract", f"{row[0]} ({row[1]})" if row else "?"))
    if filters.provider_id is not None and scope.role != "provider":
        out.append(("Provider", db.scalar(select(Provider.name).where(Provider.id == filters.provider_id)) or "?"))
    if filters.complexity:
        out.append(("Complexity", filters.complexity.title()))
    if not out:
        out.append(("Scope", "All Greater Manchester (GMIRS)"))
    return tuple(out)


def pack_suppression_note(settings: FigureSettings) -> str:
    return (
        suppression_note(settings.suppression_threshold, settings.minimum_rate_denominator)
        + f" {WITHHELD_RATE} marks a rate that is not shown."
    )


def definitions_frame(definitions=KPI_CATALOGUE) -> pd.DataFrame:
    """The catalogue as a table: code, title, definition, cohort, numerator, denominator,
    target, trigger, source, assumption."""
    return pd.DataFrame(
        [
            {
                "Code": d.code, "Measure": d.title, "Definition": d.definition, "Counted when": d.cohort_event,
                "Numerator": d.numerator, "Denominator": d.denominator,
                "Target (%)": d.target, "Trigger (%)": d.trigger, "Source": d.source,
                "Assumption": d.assumption or "",
            }
            for d in definitions
        ]
    )

# --------------------------------------------------------------------------------------------
# Who may build which pack
# --------------------------------------------------------------------------------------------


def contracts_in_scope(db: Session, scope: AccessScope, filters: ReferralFilters) -> list[int]:
    """GMIRS contracts the scope and filters cover (a provider: only its own)."""
    stmt = select(Contract.id)
    if not scope.sees_referrals:
        return []
    if scope.role == "provider":
        stmt = stmt.where(Contract.provider_id == scope.provider_id)
    if filters.contract_id is not None:
        stmt = stmt.where(Contract.id == filters.contract_id)
    if filters.provider_id is not None:
        stmt = stmt.where(Contract.provider_id == filters.provider_id)
    return [int(v) for (v,) in db.execute(stmt).all()]


def check_filters_in_scope(db: Session, scope: AccessScope, filters: ReferralFilters) -> None:
    """Refuse a filter naming a contract or provider the scope may not see (deny by default).

    The queries would return nothing for it anyway; refusing also keeps the other contract's
    name off the pack's filter line.
    """
    if not scope.sees_referrals:
        raise PermissionError(f"Role {scope.role!r} may not build packs from referral data.")
    if scope.role != "provider":
        return
    if filters.provider_id is not None and filters.provider_id != scope.provider_id:
        raise PermissionError("A provider can build packs for its own contracts only.")
    if filters.contract_id is not None and filters.contract_id not in contracts_in_scope(db, scope, ReferralFilters()):
        raise PermissionError("A provider can build packs for its own contracts only.")

# --------------------------------------------------------------------------------------------
# Panels as pack tables: the page's panel, printed (no figure is computed here)
# --------------------------------------------------------------------------------------------


def _cell(value):
    """A shown value as a pack cell: whole numbers stay numbers; ``[c]`` / ``[low]`` stay text;
    a rate the panel withholds (None / NaN) is ``[low]``."""
    if isinstance(value, str):
        return int(value.replace(",", "")) if value.replace(",", "").isdigit() else value
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return WITHHELD_RATE
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return value


def panel_table(key: str, heading: str, panel: panels.Panel, columns: dict[str, str] | None = None, *,
                chart: bool = True) -> PackTable:
    """One panel as a pack table: ``columns`` maps the panel's shown columns to the pack's
    headings (in order; default: every column under the heading the pages show,
    ``metrics.labels.column_label``); the finding sentence is the headline; the notes are the panel's."""
    shown = panel.shown()
    columns = columns or {c: column_label(c) for c in shown.columns if c not in INTERNAL}
    frame = pd.DataFrame({label: [_cell(v) for v in shown[name]] if name in shown else []
                          for name, label in columns.items()}, dtype=object)
    return PackTable(key, heading, frame, tuple(panel.notes), panel.chart if chart else None, panel.title)


KPI_COLUMNS = {"code": "Code", "measure": "Measure", "numerator": "Numerator", "denominator": "Denominator",
               "value_pct": "Value (%)", "target_pct": "Target (%)", "status_word": "Status",
               "variation": "Variation", "assurance": "Assurance"}


def kpi_summary_table(tiles: panels.Panel) -> PackTable:
    table = panel_table("KPI summary", "KPIs against target, with variation and assurance", tiles, KPI_COLUMNS)
    frame = table.frame.copy()  # an empty value with no cases is "no data", not a withheld rate
    frame["Value (%)"] = [None if v == WITHHELD_RATE and s == "no data" else v
                          for v, s in zip(frame["Value (%)"], frame["Status"])]
    frame["Target (%)"] = [None if v == WITHHELD_RATE else v for v in frame["Target (%)"]]
    frame["Variation"] = [f"{v} *" if p else v for v, p in zip(frame["Variation"], tiles.data.get("provisional", []))]
    return PackTable(table.key, table.title, frame, table.notes, table.chart, table.headline)


def equalities_table(strands: Sequence[panels.Panel]) -> PackTable:
    """The six strands' panels (``metrics.panels.equality_rates``) as one table."""
    frames, notes = [], []
    for panel in strands:
        label = panel.extra.get("strand")
        if panel.data.empty:
            continue
        part = panel_table("", "", panel, {label: "Group", "people": "Referrals ended", "met": "Attended",
                                          "not_met": "Did not attend", "rate": "Attended (%)",
                                          "ci_lower": column_label("ci_lower"), "ci_upper": column_label("ci_upper"),
                                          "compared_with_all": "Compared with all"}).frame
        frames.append(part.assign(Strand=label)[["Strand", *part.columns]])
        notes += [n for n in panel.notes if n not in notes]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["Strand", "Group", "Referrals ended", "Attended", "Did not attend", "Attended (%)"])
    lower = [p.title for p in strands if " rate lower" in p.title or " rate higher" in p.title]
    headline = "; ".join(lower) if lower else "No group differs from the overall rate beyond chance."
    return PackTable("Equalities", "Attendance by protected characteristic", frame, tuple(notes), None, headline)


def spend_table(spend: panels.Panel) -> PackTable:
    """The finance page's panel (money is not about people: nothing to suppress)."""
    table = panel_table("Spend v profile", "Spend against the funding profile", spend, {
        "month": "Month", "profile": "Profile (£)", "spend": "Spend (£)", "variance": "Variance (£)",
        "cumulative_profile": "Cumulative profile (£)", "cumulative_spend": "Cumulative spend (£)",
        "cumulative_pct_of_profile": "Cumulative spend (% of profile)"})
    table.frame["Month"] = [f"{m:%b %Y}" for m in table.frame["Month"]]
    return table


# --------------------------------------------------------------------------------------------
# Data quality
# --------------------------------------------------------------------------------------------

def data_quality_table(db: Session, view: panels.PanelInputs, card) -> PackTable:
    return panel_table("Data quality", "Data-quality checks", contract_panels.data_quality_checks(db, view, card=card))


# --------------------------------------------------------------------------------------------
# Findings
# --------------------------------------------------------------------------------------------


def findings_table(findings: Sequence[Finding]) -> PackTable:
    frame = pd.DataFrame(
        [{"Kind": f.kind, "Finding": f.text, "Evidence (dashboard page)": f.evidence} for f in findings],
        columns=["Kind", "Finding", "Evidence (dashboard page)"],
    )
    notes = (("Generated by comparing this period with the previous one (metrics.findings). Rates on fewer "
             "than 10 cases are not compared. Open the evidence link in the dashboard to see the chart."),)
    return PackTable("Findings", "What changed: successes, gaps and opportunities", frame, notes, style="findings")


# --------------------------------------------------------------------------------------------
# SPC the Making Data Count way
# --------------------------------------------------------------------------------------------


def _xmr(code: str, panel: panels.Panel):
    """The XmR chart behind an SPC panel, rebuilt from the panel's own points with the same
    call ``metrics.panels.spc_charts`` makes, for the icon keys and the explanation (the panel
    carries their words, not the chart object)."""
    from domain.catalogue import kpi
    from metrics import spc

    entry = kpi(code)
    return spc.xmr(pd.to_numeric(panel.data["value"]).to_numpy(dtype=float), improvement=entry.polarity,
                   target=entry.target, x=list(panel.data["month"]))


def spc_tables(charts: dict[str, panels.Panel], tiles: panels.Panel) -> list[PackTable]:
    """The icon summary of every charted measure (variation and assurance icons with their text,
    and the sentence reconciling an apparent contradiction), then one XmR chart per measure."""
    from metrics import spc

    status = dict(zip(tiles.data["code"], tiles.data["status_word"])) if len(tiles.data) else {}
    rows, tables = [], []
    for code, panel in charts.items():
        if panel.data.empty:
            rows.append({"Code": code, "Variation icon": "no_data", "Variation": panel.extra.get("variation", ""),
                         "Assurance icon": "none", "Assurance": panel.extra.get("assurance", ""),
                         "Explanation": panel.title})
            continue
        chart = _xmr(code, panel)
        provisional = bool(panel.extra.get("provisional"))
        rows.append({"Code": code, "Variation icon": spc.variation_icon(chart),
                     "Variation": spc.VARIATION_ICONS[spc.variation_icon(chart)],
                     "Assurance icon": spc.assurance_icon(chart),
                     "Assurance": spc.ASSURANCE_ICONS[spc.assurance_icon(chart)],
                     "Explanation": spc.explain(status.get(code), chart) or ""})
        data = panel.data
        frame = pd.DataFrame({
            "Month": [f"{m:%b %Y}" for m in pd.to_datetime(data["month"])],
            "Value (%)": data["value"].astype(float), "Mean (%)": data["mean"].astype(float),
            "Lower limit (%)": data["lower"].astype(float), "Upper limit (%)": data["upper"].astype(float),
            "Target (%)": [float(panel.extra["target"]) if panel.extra.get("target") is not None else np.nan] * len(data),
            "Signal": data["signal"], "Rule": data["rule"]}, dtype=object)
        gaps = panel.extra.get("suppressed_months", ())
        if gaps:  # months not charted for small numbers: a marked gap, as on the page (docs/DISCLOSURE.md)
            order = [pd.Timestamp(m) for m in data["month"]] + [pd.Timestamp(m) for m in gaps]
            blank = pd.DataFrame({"Month": [f"{m:%b %Y}" for m in gaps], "Signal": "not shown (small numbers)",
                                  "Rule": ""}, dtype=object)
            frame = pd.concat([frame, blank], ignore_index=True)
            frame = frame.iloc[sorted(range(len(order)), key=order.__getitem__)].reset_index(drop=True)
        series = ("Value (%)", "Mean (%)", "Lower limit (%)", "Upper limit (%)") + (
            ("Target (%)",) if panel.extra.get("target") is not None else ())
        spec = ChartSpec("xmr", frame, "Month", series, "0.0", "%")
        notes = [n for n in (spc.explain(status.get(code), chart),) if n] + list(panel.notes)
        title = f"XmR chart: {code}" + (" (provisional limits: fewer than 13 months)" if provisional else "")
        tables.append(PackTable(f"SPC {code}", title, frame, tuple(notes), spec, panel.title, style="chart"))
    icons = PackTable("SPC summary", "Making Data Count summary: variation and assurance of every measure",
                      pd.DataFrame(rows, dtype=object),
                      (("Icons in the Making Data Count style, drawn by the project; the words beside each icon say "
                       "the same for screen readers and in print."),),
                      None, tiles.title, style="spc_icons")
    return [icons, *tables]


# --------------------------------------------------------------------------------------------
# Executive summary
# --------------------------------------------------------------------------------------------

#: What the summary says where nobody has entered commentary for the period (issue 16: the
#: slide says so rather than leaving a placeholder).
NO_COMMENTARY = "None entered in the dashboard for this period."
TOP_FINDINGS = 5


def _entered_lines(heading: str, entries: list[str]) -> list[str]:
    return [f"{heading}: {NO_COMMENTARY}"] if not entries else [f"{heading}:"] + [f"• {e}" for e in entries]


def persistent_gaps(db: Session, request: PackRequest, settings: Settings, view: panels.PanelInputs,
                    tiles: panels.Panel, bands: panels.Panel) -> list[str]:
    """Gaps that held in this period and the one before (only changes are "what changed"
    findings, so a borough below its band two quarters running was never reported): boroughs
    below their forecast band and measures below target in both periods. Read from the same
    panels for the previous period; nothing is computed here."""
    before = periods.previous(request.period, SERVICE_START)
    if before is None:
        return []
    previous_view = panels.inputs_for(db, request.scope, request.filters,
                                      referrals_select(request.scope, request.filters), before, view.as_of, settings)
    out: list[str] = []
    now = bands.extra["table"]
    then = panels.forecast_bands(db, previous_view, by="borough").extra["table"]
    boroughs = sorted(set(now.loc[now["band"] == "below", "borough"]) & set(then.loc[then["band"] == "below", "borough"]))
    if boroughs:
        out.append(f"{', '.join(boroughs)} below the forecast band")
    card_then = panels.period_scorecard(db, previous_view)
    below_now = tiles.data.loc[tiles.data["status_word"].isin(["below target", "below trigger"]), "code"]
    codes = [c for c in below_now if (r := card_then.kpi(c)) is not None and r.status in ("below target", "below trigger")]
    if codes:
        out.append(f"{', '.join(codes)} below target")
    return [f"{part} in this period and in {before.label}" for part in out]


def entered(db: Session, period: Period, filters: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    """Commentary, new learning and early warnings entered in the dashboard for this period and
    scope (``data_access.commentary``), by kind, each line signed and dated."""
    from data_access.commentary import KINDS, commentary_for, entry_line

    rows = commentary_for(db, period.start, period.end, scope_label(filters))
    return {kind: [entry_line(r) for r in rows[rows["kind"] == kind].itertuples(index=False)] for kind in KINDS}


def scope_label(filters: tuple[tuple[str, str], ...]) -> str:
    """The filter line commentary is filed under: the same words the pack prints."""
    return "; ".join(f"{label}: {value}" for label, value in filters)


def executive_summary(findings: Sequence[Finding], persistent: Sequence[str], notes: dict[str, list[str]] | None = None,
                      *, headline_count: int = TOP_FINDINGS) -> PackTable:
    """The summary slide: the findings that matter most (gaps first, then successes, then
    opportunities, weightiest first), each with its evidence; then successes, gaps including
    persistent ones, new learning, opportunities, early warnings and commentary as entered on
    the Board summary page (``notes``, from :func:`entered`); where none is entered, it says so."""
    rank = {"gap": 0, "success": 1, "opportunity": 2}
    top = sorted(findings, key=lambda f: (rank.get(f.kind, 3), -f.weight))[:headline_count]
    counts = {kind: sum(f.kind == kind for f in findings) for kind in rank}
    lines = ["Findings that matter:"]
    lines += [f"• {f.text}" for f in top] or ["• No change this period large enough to report."]
    evidence = [""] + [f.evidence for f in top] + ([""] if not top else [])
    lines.append(f"Successes: {counts['success']} (listed under What changed).")
    lines.append(f"Gaps: {counts['gap']} new this period; persistent: "
                 + ("; ".join(persistent) + "." if persistent else "none from the previous period."))
    notes = notes or {}
    lines += _entered_lines("New learning", notes.get("learning", []))
    lines.append(f"Opportunities: {counts['opportunity']} (listed under What changed).")
    lines += _entered_lines("Early warnings (action, owner, date)", notes.get("early_warning", []))
    lines += _entered_lines("Commentary", notes.get("commentary", []))
    frame = pd.DataFrame({"Summary": lines, "Evidence": evidence + [""] * (len(lines) - len(evidence))})
    worst = next((f for f in top if f.kind == "gap"), None)
    headline = f"{panels.plural(counts['gap'], 'gap')} and {panels.plural(counts['success'], 'success', 'successes')} this period"
    if persistent:
        headline += f"; persistent: {persistent[0].split(' in this period')[0]}"
    elif worst:
        headline += f"; first: {worst.topic.replace('borough:', '')}"
    return PackTable("Summary", "Executive summary", frame, (), None, headline, style="text")


# --------------------------------------------------------------------------------------------
# Board pack
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PackRequest:
    """What to build, for whom. ``scope`` always applies; ``filters`` only narrow it."""

    period: Period
    scope: AccessScope
    filters: ReferralFilters = field(default_factory=ReferralFilters)
    as_of: dt.date | None = None



def _view(db: Session, request: PackRequest, settings: Settings) -> panels.PanelInputs:
    """The view's panel inputs, exactly as the pages build them (``metrics.panels.inputs_for``:
    the scoped referrals, forecast units, spend contracts and the figure settings in force),
    after refusing filters outside the requester's scope. The as-of date is the pages' too."""
    scope, filters = request.scope, request.filters
    check_filters_in_scope(db, scope, filters)
    as_of = request.as_of or panels.data_as_of(db)
    check_coverage(request.period, as_of)
    return panels.inputs_for(db, scope, filters, referrals_select(scope, filters), request.period, as_of, settings)


def board_pack_data(db: Session, request: PackRequest, settings: Settings, progress: Progress = _noop) -> Pack:
    """The quarterly QA and Learning Board pack (GMIRS specification §3.2): the board summary's
    panels, in the board's order, then the appendix."""
    scope, filters, period = request.scope, request.filters, request.period
    view = _view(db, request, settings)
    progress(0.1, "Scorecard and SPC charts")
    tiles = panels.kpi_tiles(db, view)
    card = tiles.extra["scorecard"]
    progress(0.35, "Referrals against forecast and what changed")
    bands = panels.forecast_bands(db, view, by="borough")
    changed = panels.what_changed(db, view)
    findings = changed.extra["findings"]
    progress(0.5, "Complexity, distance travelled and equalities")
    described = describe_filters(db, scope, filters)
    tables = [executive_summary(findings, persistent_gaps(db, request, settings, view, tiles, bands),
                                entered(db, period, described)),
              kpi_summary_table(tiles), sl002_official_table(db, view),
              *spc_tables(panels.spc_charts(db, view), tiles)]
    if not bands.extra["table"]["band"].eq("no forecast").all():
        tables.append(panel_table("Referrals v forecast", "Referrals received against the forecast band, by borough",
                                  bands, {"borough": "Borough", "referrals": "Referrals", "expected_low": "Expected (low)",
                                          "expected_high": "Expected (high)", "band": "Band"}))
    tables.append(panel_table("Complexity mix", "Complexity mix of referrals received", panels.complexity_mix(db, view),
                              {"complexity": "Complexity", "observed": "Referrals", "share": "Share (%)",
                               "expected_share": "Reference share (%)"}))
    tables.append(panel_table("Complexity by borough", "Complexity of referrals received, by borough",
                              panels.complexity_by_borough(db, view),
                              {"borough": "Borough", "referrals": "Referrals", "Low": "Low (%)", "Medium": "Medium (%)",
                               "High": "High (%)", "differs": "Mix against 23/56/21"}))
    tables.append(panel_table("Distance travelled", "Distance travelled by need", panels.distance_travelled(db, view),
                              {"need": "Need", "people": "People", "mean_change": "Mean change",
                               "ci_lower": column_label("ci_lower"), "ci_upper": column_label("ci_upper"), "improved": "Improved (%)",
                               "same": "Same (%)", "worse": "Worse (%)"}))
    tables.append(equalities_table([panels.equality_rates(db, view, strand=s) for s in panels.EQUALITY_STRANDS]))
    progress(0.65, "Spend and data quality")
    tables.append(spend_table(panels.spend_against_funding(db, view)))
    # Issue 17 part 5: each measure per contract year against target, for the extension decision
    # (GMIRS spec §1.11: 2025/26 "anticipated"); the Board summary page's panel.
    tables.append(panel_table("Extension readiness", "Extension readiness: each measure by contract year",
                              panels.extension_readiness(db, view),
                              {"code": "Code", "contract year": "Contract year", "value": "Value",
                               "target": "Target", "against target": "Against target", "months met": "Months met",
                               "on the year before": "On the year before", "assurance": "Assurance"}, chart=False))
    tables.append(findings_table(findings))
    tables.append(data_quality_table(db, view, card))
    return Pack(
        kind="board", title="Quality Assurance and Learning Board pack", period=period, as_of=view.as_of,
        filters=described, tables=tuple(tables),
        definitions=definitions_frame(kpi_definitions(db)), assumptions=card.assumptions,
        suppression_note=pack_suppression_note(panels.figures(db, view)), findings=tuple(findings),
        coverage_note=check_coverage(period, view.as_of), demo=is_demo_database(db),
    )


# --------------------------------------------------------------------------------------------
# Monthly contract pack
# --------------------------------------------------------------------------------------------

def sl002_official_table(db: Session, view: panels.PanelInputs) -> PackTable:
    """SL002 as at its official cut beside the latest figure: the KPIs page's panel (issue 13
    part 7, DOMAIN.md Decision 10)."""
    return panel_table("SL002 official cut", "SL002 as at the official cut and as of the latest data",
                       panels.sl002_official_panel(db, view),
                       {"figure": "Figure", "value": "Value", "numerator": "Numerator", "denominator": "Denominator",
                        "status": "Status"})


def commentary_table(notes: dict[str, list[str]]) -> PackTable:
    frame = pd.DataFrame({"Commentary": [
        *_entered_lines("Provider commentary (performance this month, reasons for any KPI below target, actions agreed)",
                        notes.get("commentary", []) + notes.get("learning", [])),
        *_entered_lines("Early warnings and risks, with action, owner and date (GMIRS specification §3.2)",
                        notes.get("early_warning", [])),
    ]})
    return PackTable("Commentary", "Provider commentary", frame, (), style="text")


def contract_pack_data(db: Session, request: PackRequest, settings: Settings, progress: Progress = _noop) -> Pack:
    """The monthly contract pack for one provider or contract."""
    scope, filters, period = request.scope, request.filters, request.period
    view = _view(db, request, settings)
    progress(0.1, "Scorecard")
    tiles = panels.kpi_tiles(db, view)
    card = tiles.extra["scorecard"]
    findings = panels.what_changed(db, view).extra["findings"]
    progress(0.5, "SL002, cases at risk and data quality")
    bands = panels.forecast_bands(db, view, by="borough")
    described = describe_filters(db, scope, filters)
    notes = entered(db, period, described)
    tables = [
        executive_summary(findings, persistent_gaps(db, request, settings, view, tiles, bands), notes),
        kpi_summary_table(tiles), *spc_tables(panels.spc_charts(db, view), tiles),
        panel_table("SL002 breakdown", "SL002 with the neutral and negative breakdown",
                    contract_panels.sl002_breakdown(db, view, card=card)),
        sl002_official_table(db, view),
        panel_table("Cases at risk", "Cases at risk of breaching a time limit", contract_panels.deadlines_by_band(db, view)),
        data_quality_table(db, view, card),
        findings_table(findings),
        commentary_table(notes),
    ]
    return Pack(
        kind="contract", title="Monthly contract pack", period=period, as_of=view.as_of,
        filters=described, tables=tuple(tables),
        definitions=definitions_frame(kpi_definitions(db)), assumptions=card.assumptions,
        suppression_note=pack_suppression_note(panels.figures(db, view)), findings=tuple(findings),
        coverage_note=check_coverage(period, view.as_of), demo=is_demo_database(db),
    )


# --------------------------------------------------------------------------------------------
# Regional EPOP progress report and national summary (000 §7, §15; Decision 7)
# --------------------------------------------------------------------------------------------


def _date_text(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return f"{pd.Timestamp(value):%d %b %Y}"


def epop_national_table(view) -> PackTable:
    summary = view.summary
    frame = pd.DataFrame({
        "Plan": summary["plan_label"],
        "Plan agreed": summary["plan_status"],
        "Actions": summary["actions"],
        "Due": summary["due"],
        "Complete (of due)": summary["complete"],
        "Due actions complete (%)": summary["pct_due_complete"].round(1),
        "Overdue": summary["overdue"],
        # An update recorded after the report's as-of date is not part of this picture.
        "Last update": [_date_text(v) if v is not None and not pd.isna(v) and pd.Timestamp(v).date() <= view.as_of
                        else "" for v in summary["last_update_at"]],
    }, dtype=object)
    chart = ChartSpec("bar", pd.DataFrame({"Plan": summary["plan_label"],
                                           "Due actions complete (%)": summary["pct_due_complete"].astype(float)}),
                      "Plan", ("Due actions complete (%)",), "0.0", "%")
    notes = tuple(view.definitions.values())
    done = summary["pct_due_complete"].dropna()
    headline = (f"Across the {len(summary)} plans, {int(summary['complete'].sum())} of {int(summary['due'].sum())} "
                f"due actions are complete; {int(summary['overdue'].sum())} are overdue.") if len(done) else None
    return PackTable("National summary", "National summary: the 12 regional plans and the Approved Premises plan",
                     frame, notes, chart, headline)


def epop_region_tables(plan_view, settings: FigureSettings, start: dt.date, end: dt.date, sessions: pd.DataFrame) -> list[PackTable]:
    from metrics import epop as m

    p, progress = plan_view.progress, plan_view.timeliness
    status = pd.DataFrame([
        ("Plan agreed", progress.status),
        ("Commencement", _date_text(progress.commencement_date)),
        ("Agreement deadline (90 days)", _date_text(progress.deadline)),
        ("Agreed on", _date_text(progress.agreed_on)),
        ("Due actions complete", f"{p.complete} of {p.due}" + (f" ({p.value:.1f}%)" if p.value is not None else "")),
        ("Overdue actions", p.overdue),
        ("Not yet due (of which complete)", f"{p.not_yet_due} ({p.complete_not_yet_due})"),
        ("No due date", p.no_due_date),
        ("Dropped", p.dropped),
        ("Annex 2 year", plan_view.annex2_year if plan_view.annex2_year is not None else ""),
    ], columns=["Measure", "Value"]).astype(object)
    status_table = PackTable("Plan progress", f"{plan_view.plan['title']}: progress", status,
                             (progress.definition, p.definition), None,
                             f"Plan {progress.status}; {p.overdue} overdue actions.")
    timeline = plan_view.timeline
    attention = timeline[timeline["rag"].isin(["overdue", "at risk"])]
    actions = pd.DataFrame({
        "Code": attention["printed_code"], "Action": attention["text"], "Owner": attention["owner_role"],
        "Due": [_date_text(v) for v in attention["due_date"]], "Status": attention["status"],
        "RAG": attention["rag"], "Days overdue": attention["days_overdue"],
    }, dtype=object)
    overdue, at_risk = int((attention["rag"] == "overdue").sum()), int((attention["rag"] == "at risk").sum())
    actions_table = PackTable("Overdue and at risk", "Actions overdue or at risk", actions, (m.rag_definition(),),
                              None, f"{overdue} actions overdue and {at_risk} at risk" if len(attention)
                              else "No action is overdue or at risk")
    annex2 = plan_view.annex2.rename(columns={"dimension": "Dimension", "expected": "Expected", "met": "Met",
                                              "in progress": "In progress", "not started": "Not started",
                                              "not assessed": "Not assessed", "pct_met": "Met (%)"})
    annex2["Met (%)"] = annex2["Met (%)"].round(1)
    annex2_table = PackTable("Annex 2", "Annex 2 yearly expectations (cumulative)", annex2,
                             (m.ANNEX2_DEFINITION,))
    standards = plan_view.standards.rename(columns={"code": "Standard", "title": "Title", "rating": "Self-assessment",
                                                    "assessed_on": "Assessed on", "narrative": "Narrative",
                                                    "previous_rating": "Previous"})
    standards["Assessed on"] = [_date_text(v) for v in standards["Assessed on"]]
    standards_table = PackTable("Standards", "Standards of Excellence: latest self-assessment", standards,
                                (m.STANDARDS_DEFINITION,))
    # Whole months (the first contract year starts on 4 September: its sessions from the 1st), so
    # the table is a column, or a union of months, of the sessions grid (metrics.epop.sessions_hidden).
    start = start.replace(day=1)
    summary = m.sessions_summary(sessions, end, start)
    counts = pd.Series({"People on probation attending": summary.attendees, "Women": summary.attendees_women,
                        "Men": summary.attendees_men, "Other or not known": summary.attendees_other_or_unknown,
                        "Gender not recorded": summary.gender_not_recorded})
    threshold = settings.suppression_threshold
    # Hidden: 1 to threshold − 1, and whatever would give one back through the attendees less
    # their parts, or through other periods' packs (docs/DISCLOSURE.md "EPOP pack").
    hidden = m.sessions_hidden(sessions, start, end, threshold)
    names = [m.SESSION_TOTAL, *m.SESSION_PARTS]
    shown = [SUPPRESSED if 1 <= int(v) < threshold or hidden[name] else int(v) for name, v in zip(names, counts)]
    sessions_frame = pd.DataFrame({"Measure": ["Sessions held", *counts.index], "Value": [summary.sessions, *shown]},
                                  dtype=object)
    sessions_table = PackTable("Sessions", f"Involvement sessions, {start:%d %b %Y} – {end:%d %b %Y}", sessions_frame,
                               (summary.definition, f"{SUPPRESSED}: 1 to {threshold - 1} people not shown, nor a count "
                                                    "from which one could be worked out (the attendees less their "
                                                    "parts, or this period against others)."))
    return [status_table, actions_table, annex2_table, standards_table, sessions_table]


@dataclass(frozen=True)
class EpopReader:
    """Who the EPOP read models are asked for (``data_access.epop.UserLike``)."""

    username: str
    role: str
    region_code: str | None = None


def epop_report_data(
    db: Session, period: Period, user, settings: Settings, region_code: str | None = None, progress: Progress = _noop
) -> Pack:
    """One region's EPOP progress report with the national summary of all 13 plans; with no
    region, the national summary alone. Access is checked by ``data_access.epop``."""
    from data_access import epop as epop_data
    from metrics import epop_views
    from data_access.models import EpopSession

    # Plans are read live: a period after today is refused and one running past today is
    # reported as of today with a banner (an action cannot be overdue on a future date).
    coverage = check_coverage(period, dt.date.today())
    as_of = min(period.end, dt.date.today())
    settings = figure_settings(db, settings)  # the figure settings in force, as for every pack and page
    progress(0.2, "National summary of the 13 plans")
    national = epop_views.national_view(db, user, as_of)
    tables = [epop_national_table(national)]
    filters: list[tuple[str, str]] = [("Plans", "12 regional plans and the Approved Premises plan")]
    title = "EPOP national progress summary"
    if region_code:
        plan_id = epop_data.region_plan_id(db, region_code)
        if plan_id is None:
            raise LookupError(f"No EPOP action plan for region {region_code!r}.")
        progress(0.6, f"Region {region_code}")
        view = epop_views.plan_view(db, user, plan_id, as_of)
        sessions = pd.DataFrame(
            db.execute(select(EpopSession.held_on, EpopSession.attendees, EpopSession.attendees_women,
                              EpopSession.attendees_men, EpopSession.attendees_other_or_unknown)
                       .where(EpopSession.plan_id == plan_id)).all(),
            columns=["held_on", "attendees", "attendees_women", "attendees_men", "attendees_other_or_unknown"],
        )
        tables = epop_region_tables(view, settings, period.start, period.end, sessions) + tables
        name = national.summary.loc[national.summary["region_code"] == region_code, "plan_label"]
        label = name.iloc[0] if len(name) else region_code
        filters = [("Region", label)] + filters
        title = f"EPOP regional progress report: {label}"
    definitions = pd.DataFrame({"Term": list(national.definitions), "Definition": list(national.definitions.values())})
    return Pack(
        kind="epop", title=title, period=period, as_of=as_of, filters=tuple(filters), tables=tuple(tables),
        definitions=definitions, assumptions=(("Decision 7: progress = share of due actions complete; RAG by due date "
                                              "and status; Annex 2 and standards shown alongside, never blended."),),
        suppression_note=f"{SUPPRESSED}: counts of 1 to {settings.suppression_threshold - 1} people are not shown.",
        coverage_note=coverage, demo=is_demo_database(db),
    )
