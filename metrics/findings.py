"""What changed since the last period: the QA and Learning Board's "success, gaps, new learning,
and opportunities" (GMIRS specification §3.2), generated from two scorecards.

Pure: two :class:`metrics.queries.Scorecard` objects (and optionally two referrals-against-
forecast tables) in, a list of :class:`Finding` out. The Board summary page and the board
pack print the same list, so both say the same thing in the same order.

The rules, in plain words (each finding states its numbers, so a reader can check it):

* **success** – a KPI now meets its target and did not last period; a KPI that met its target
  in both periods and improved by at least ``min_change`` points; a borough moved into its
  forecast band.
* **gap** – a KPI is below its trigger (SL002: 80%); fell below target this period; stayed
  below target without improving; a borough moved below its forecast band.
* **opportunity** – a KPI is below target but improved by at least ``min_change`` points, or
  is within ``near_target`` points of its target (one push would meet it); a borough moved
  above its band (more people referred than forecast: reach to build on, capacity to check).

Disclosure control: a rate on fewer than ``minimum_denominator`` cases is never quoted or
compared (DOMAIN.md "Suppression"), and findings quote percentages and the size of the
cohort only when the cohort is at least that size, never small counts.

Each finding is tagged with whether the change is larger than chance would explain (a
two-proportion z test at 95%), so a board can tell a signal from noise; the tag is a guide,
not a substitute for the SPC chart the evidence link opens.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlencode

import pandas as pd

from metrics import periods
from metrics.results import KpiResult

if TYPE_CHECKING:  # only for the annotation: metrics.queries imports the database models
    from metrics.queries import Scorecard

FindingKind = Literal["success", "gap", "opportunity"]
KINDS: tuple[FindingKind, ...] = ("success", "gap", "opportunity")
KIND_HEADINGS: dict[str, str] = {"success": "Successes", "gap": "Gaps", "opportunity": "Opportunities"}
#: One finding of each kind, as a bullet's label ("Success: …").
KIND_SINGULAR: dict[str, str] = {"Successes": "Success", "Gaps": "Gap", "Opportunities": "Opportunity"}

#: GMIRS specification §1.11: service commencement (the first contract year starts here).
SERVICE_START = dt.date(2023, 9, 4)

#: The page (``st.navigation`` url_path, ui/navigation.py) where each measure's evidence is.
EVIDENCE_PAGE: dict[str, str] = {"DS1": "referrals"}
DEFAULT_KPI_PAGE = "kpis"
FORECAST_PAGE = "referrals"


@dataclass(frozen=True)
class Finding:
    """One plain-English statement for the board, with where to check it.

    ``topic`` is a KPI code (``"DS2"``) or ``"borough:<name>"``; ``evidence`` is a dashboard
    page url_path with the query that reproduces the view (``"kpis?period=quarter&at=…"``);
    ``weight`` orders findings within a kind (bigger first); ``significant`` is True when the
    change is larger than chance would explain, False when it is not, None when not tested.
    """

    kind: FindingKind
    topic: str
    text: str
    evidence: str
    weight: float = 0.0
    significant: bool | None = None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


# --------------------------------------------------------------------------------------------
# Evidence links
# --------------------------------------------------------------------------------------------


def period_query(start: dt.date, end: dt.date, service_start: dt.date = SERVICE_START) -> dict[str, str]:
    """The URL parameters (ui/state.py QUERY_PARAMS) that select the period ``start``–``end``.

    A calendar month, financial quarter or contract year is linked by its key; anything else
    as a custom range.
    """
    for kind, make in (
        ("month", periods.month),
        ("quarter", periods.quarter),
        ("contract_year", lambda d: periods.contract_year(d, service_start)),
    ):
        period = make(start)
        if (period.start, period.end) == (start, end):
            return {"period": kind, "at": period.key()}
    return {"period": "custom", "from": start.isoformat(), "to": end.isoformat()}


def evidence_link(page: str, start: dt.date, end: dt.date, extra: Mapping[str, str] | None = None) -> str:
    """``page?query`` for a dashboard page, the period and any further filters (in that order)."""
    query = period_query(start, end)
    for key, value in (extra or {}).items():
        if value is not None:
            query[key] = str(value)
    return f"{page}?{urlencode(query)}"


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------


def two_proportion_p_value(x1: float, n1: float, x2: float, n2: float) -> float | None:
    """Two-sided p-value of a pooled two-proportion z test; None when it cannot be computed."""
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:
        return 1.0 if x1 / n1 == x2 / n2 else 0.0
    z = (x1 / n1 - x2 / n2) / math.sqrt(variance)
    return math.erfc(abs(z) / math.sqrt(2))


def _comparable(result: KpiResult | None, minimum_denominator: int, threshold: int = 5) -> bool:
    """Whether a rate may be quoted: as the scorecard shows it (``metrics.panels.shown_kpi``).
    Quoted with its cohort, a rate gives the numerator back, and the cohort less it the rest, so
    neither may be 1 to ``threshold`` − 1 (issue 14: "87.0% (23 cases)" gave 3 not assessed in
    time beside a scorecard that hid them); DS1's numerator is referrals, its denominator a
    forecast."""
    if result is None or result.value is None or result.target is None or result.denominator < minimum_denominator:
        return False
    small = lambda n: 1 <= int(round(n)) < threshold  # noqa: E731
    if any(result.extra.get("hidden_across_views", ())):  # hidden to protect another view (metrics.partitions)
        return False
    if not _is_rate_of_people(result):
        return not small(result.numerator)
    return not (small(result.numerator) or small(result.denominator - result.numerator))


def _is_rate_of_people(result: KpiResult) -> bool:
    # DS1's denominator is a pro-rated forecast, not a count of cases: no z test.
    return result.code != "DS1"


# --------------------------------------------------------------------------------------------
# KPI findings
# --------------------------------------------------------------------------------------------


def _pct(value: float) -> str:
    return f"{value:.1f}%"


def _points(change: float) -> str:
    return f"{abs(change):.1f} percentage point{'s' if round(abs(change), 1) != 1 else ''}"


def _cohort(result: KpiResult) -> str:
    if not _is_rate_of_people(result):
        return ""
    return f" ({int(round(result.denominator)):,} cases)"


def _movement(change: float) -> str:
    if abs(change) < 0.05:
        return "unchanged"
    return f"{'up' if change > 0 else 'down'} {_points(change)}"


def kpi_findings(
    current: KpiResult,
    previous: KpiResult | None,
    *,
    evidence: str,
    minimum_denominator: int = 10,
    min_change: float = 2.0,
    near_target: float = 2.0,
    alpha: float = 0.05,
    threshold: int = 5,
) -> list[Finding]:
    """The findings (zero, one or two) for one measure this period against the last."""
    if not _comparable(current, minimum_denominator, threshold):
        return []
    value, target = float(current.value), float(current.target)
    title = f"{current.code} ({current.title})"
    has_before = _comparable(previous, minimum_denominator, threshold)
    change = float(current.value) - float(previous.value) if has_before else None
    significant = None
    if has_before and _is_rate_of_people(current):
        p = two_proportion_p_value(current.numerator, current.denominator, previous.numerator, previous.denominator)
        significant = None if p is None else p < alpha
    chance = ""
    if significant is True:
        chance = " This is larger than chance variation would explain."
    elif significant is False and change is not None and abs(change) >= min_change:
        chance = " The change is within what chance variation could explain."
    since = f", {_movement(change)} on the previous period ({_pct(previous.value)})" if has_before else ""
    met_before = has_before and previous.value >= float(previous.target) - 1e-9
    out: list[Finding] = []

    def add(kind: FindingKind, text: str, weight: float) -> None:
        out.append(Finding(kind, current.code, text + chance, evidence, round(weight, 6), significant))

    if current.status == "met":
        if has_before and not met_before:
            add("success", f"{title} now meets its {_pct(target)} target: {_pct(value)}{_cohort(current)}{since}.",
                100 + (change or 0))
        elif has_before and change is not None and change >= min_change:
            add("success", f"{title} met its {_pct(target)} target again and improved: {_pct(value)}"
                f"{_cohort(current)}{since}.", 50 + change)
        elif not has_before:
            add("success", f"{title} meets its {_pct(target)} target: {_pct(value)}{_cohort(current)}"
                " (no comparable previous period).", 10)
        return out

    shortfall = target - value
    if current.status == "below trigger" and current.trigger is not None:
        add("gap", f"{title} is below its {_pct(current.trigger)} trigger and {_pct(target)} target: "
            f"{_pct(value)}{_cohort(current)}{since}. The contract expects an action plan.", 200 + shortfall)
    elif has_before and met_before:
        add("gap", f"{title} fell below its {_pct(target)} target: {_pct(value)}{_cohort(current)}{since}.",
            150 + shortfall)
    elif not has_before:
        add("gap", f"{title} is below its {_pct(target)} target: {_pct(value)}{_cohort(current)}"
            " (no comparable previous period).", 100 + shortfall)
    elif not (change is not None and change >= min_change):
        add("gap", f"{title} remains below its {_pct(target)} target: {_pct(value)}{_cohort(current)}{since}.",
            100 + shortfall)
    if change is not None and change >= min_change:
        add("opportunity", f"{title} is improving towards its {_pct(target)} target: {_pct(value)}"
            f"{_cohort(current)}{since}; {_points(shortfall)} to go.", 50 + change)
    elif 0 < shortfall <= near_target:
        add("opportunity", f"{title} is within {_points(shortfall)} of its {_pct(target)} target, "
            f"at {_pct(value)}{_cohort(current)}.", 40 - shortfall)
    return out


# --------------------------------------------------------------------------------------------
# Forecast band changes per borough
# --------------------------------------------------------------------------------------------

BAND_WORDS = {"below": "below", "within": "within", "above": "above"}


def band_findings(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    by: str = "borough",
    extra_query: Mapping[str, str] | None = None,
    threshold: int = 5,
) -> list[Finding]:
    """Boroughs (or other units) whose referrals moved into, below or above the 40–60% band.

    ``current`` and ``previous`` are :func:`metrics.breakdowns.referrals_against_forecast`
    tables for the two periods. Units with no forecast either time are skipped.
    """
    if current is None or previous is None or current.empty or previous.empty:
        return []
    before = previous.set_index(by)["band"].to_dict()
    out: list[Finding] = []
    for row in current.sort_values(by).itertuples(index=False):
        unit = getattr(row, by)
        was, now = before.get(unit), row.band
        if was not in BAND_WORDS or now not in BAND_WORDS or was == now:
            continue
        expected = f"{row.expected_low:,.0f}–{row.expected_high:,.0f}"
        # A unit's referrals are people: 1 to 4 are "[c]" here as in the forecast table (DOMAIN.md).
        referrals = "[c]" if 1 <= int(row.referrals) < threshold else f"{int(row.referrals):,}"
        link = evidence_link(FORECAST_PAGE, start, end, {**(extra_query or {}), by: unit})
        if now == "within":
            kind: FindingKind = "success"
            text = (f"{unit} moved into its forecast band: {referrals} referrals against "
                    f"{expected} expected (was {was} the band).")
            weight = 30.0
        elif now == "below":
            kind = "gap"
            text = (f"{unit} fell below its forecast band: {referrals} referrals against "
                    f"{expected} expected (was {BAND_WORDS[was]} the band). Check referral routes "
                    "and hub access.")
            weight = 90.0 + (row.expected_low - row.referrals) / max(row.expected_low, 1)
        else:
            kind = "opportunity"
            text = (f"{unit} rose above its forecast band: {referrals} referrals against "
                    f"{expected} expected (was {BAND_WORDS[was]} the band). Reach to build on; "
                    "check capacity.")
            weight = 20.0 + (row.referrals - row.expected_high) / max(row.expected_high, 1)
        out.append(Finding(kind, f"{by}:{unit}", text, link, round(float(weight), 6), None))
    return out


# --------------------------------------------------------------------------------------------
# Everything
# --------------------------------------------------------------------------------------------


def order_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Successes, then gaps, then opportunities; within each the weightiest first; ties by topic."""
    rank = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(findings, key=lambda f: (rank[f.kind], -f.weight, f.topic, f.text))


def what_changed(
    current: Scorecard,
    previous: Scorecard | None,
    *,
    bands_now: pd.DataFrame | None = None,
    bands_before: pd.DataFrame | None = None,
    band_unit: str = "borough",
    extra_query: Mapping[str, str] | None = None,
    minimum_denominator: int = 10,
    min_change: float = 2.0,
    near_target: float = 2.0,
    alpha: float = 0.05,
    threshold: int = 5,
) -> list[Finding]:
    """The "what changed" findings for a board, deterministic and in reading order.

    Parameters
    ----------
    current, previous : Scorecard
        The same measures, scope and filters for this period and the one before
        (``metrics.periods.previous``). ``previous`` may be None (first period).
    bands_now, bands_before : DataFrame, optional
        ``referrals_against_forecast`` tables by ``band_unit`` for the two periods: adds
        band changes per borough.
    extra_query : mapping, optional
        Further URL filters to carry into the evidence links (e.g. ``{"contract": "GM-01"}``).
    minimum_denominator : int
        Rates on fewer cases are neither quoted nor compared (``Settings.minimum_rate_denominator``).
    min_change : float
        Percentage points that count as an improvement worth reporting.
    near_target : float
        Percentage points below target that count as "within reach".

    Returns
    -------
    list of Finding
        Ordered by :func:`order_findings`.
    """
    findings: list[Finding] = []
    for result in current.kpis:
        before = previous.kpi(result.code) if previous is not None else None
        page = EVIDENCE_PAGE.get(result.code, DEFAULT_KPI_PAGE)
        link = evidence_link(page, current.start, current.end, extra_query)
        findings += kpi_findings(
            result, before, evidence=link, minimum_denominator=minimum_denominator,
            min_change=min_change, near_target=near_target, alpha=alpha, threshold=threshold,
        )
    if bands_now is not None and bands_before is not None:
        findings += band_findings(
            bands_now, bands_before, start=current.start, end=current.end, by=band_unit, extra_query=extra_query,
            threshold=threshold,
        )
    return order_findings(findings)


def grouped(findings: Sequence[Finding]) -> dict[str, list[Finding]]:
    """Findings by kind, every kind present (possibly empty), in :data:`KINDS` order."""
    out: dict[str, list[Finding]] = {kind: [] for kind in KINDS}
    for finding in findings:
        out[finding.kind].append(finding)
    return out


__all__ = [
    "Finding",
    "KINDS",
    "KIND_HEADINGS",
    "KIND_SINGULAR",
    "band_findings",
    "evidence_link",
    "grouped",
    "kpi_findings",
    "order_findings",
    "period_query",
    "two_proportion_p_value",
    "what_changed",
]
