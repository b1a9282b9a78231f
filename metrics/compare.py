"""Compare areas, Fingertips style: one measure across boroughs, PDUs, hubs or providers.

For each area the measure's value for the period, its Wilson score 95% and 99.8% intervals,
whether it is better, similar or worse than the whole view (Greater Manchester, or the
provider's own contract), polarity-aware, and a recent-trend tag; a funnel plot of value
against cases with 95% and 99.8% limits around the comparator, and the areas outside the
99.8% limits (DOMAIN.md "Statistical conventions": Fingertips-style benchmarking).

Every area is computed with the same scorecard as the KPI page, with one as-of date for all
areas (the view's), so the areas' figures and the comparator's agree with the page.

Disclosure control (DOMAIN.md "Suppression"): met and not-met counts form a table with a
total row; primary and secondary suppression hide counts of 1–4 people and any count that
totals would give back. An area's rate, intervals, comparison and place on the funnel are
shown only when both its met and its not-met counts are shown and it has at least the
minimum denominator of cases: otherwise rate × cases would recover a hidden count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binom, norm
from sqlalchemy import Select, case, false, func, literal, select

from data_access.geography import referral_in_pdu
from data_access.models import Borough, DemandUnit, Hub, Pdu, Provider, Referral
from data_access.scoping import ReferralFilters, apply_filters
from domain.catalogue import kpi
from metrics.benchmarking import CONFIDENCE_95, CONFIDENCE_998, compare_with_benchmark, wilson_interval
from metrics.disclosure import SUPPRESSED, displayable_rate, suppress_counts
from metrics.queries import (AreaKey, Db, demand_units_for, monthly_series, monthly_series_by_area, scorecard,
                             scorecards_by_area)

AREA_KINDS: dict[str, str] = {"borough": "Borough", "pdu": "PDU", "hub": "Hub", "provider": "Provider"}
_KIND_WORD = {"borough": "borough", "pdu": "PDU", "hub": "hub", "provider": "provider"}
TREND_MONTHS = 6
TREND_SIGNIFICANCE = 0.05
NOT_SHOWN = "not shown"

#: Column labels for screens and downloads (the data keeps short keys for the CLI).
LABELS = {"area": "Area", "met": "Met", "cases": "Cases", "value": "Value (%)", "ci95": "95% interval (%)",
          "ci998": "99.8% interval (%)", "comparison": "Compared with the whole view", "trend": "Recent trend"}

TREND_DEFINITION = (
    f"Recent trend: the Cochran–Armitage test for trend in a proportion over the last {TREND_MONTHS} months "
    f"with cases (at least 3 months and 10 cases); increasing or decreasing when p < {TREND_SIGNIFICANCE}, "
    "with whether that is better or worse by the measure's polarity."
)


@dataclass(frozen=True)
class AreaComparison:
    """One measure across the areas of a view; ``table`` is what may be shown."""

    code: str
    by: str
    title: str
    comparator_label: str
    comparator_value: float | None
    table: pd.DataFrame
    funnel: pd.DataFrame  # shown areas: area, cases, value
    funnel_limits: pd.DataFrame  # cases, lower/upper 95 and 99.8 (percent)
    outliers: tuple[str, ...]
    as_of: dt.date | None
    notes: tuple[str, ...]


def areas(db: Db, by: str, provider_id: int | None = None, *, referrals: Select | None = None,
          demand_unit_ids=None) -> list[tuple[str, dict]]:
    """(label, filter values) for each area of a kind, in name order.

    A narrowed view (``demand_unit_ids`` not None: a provider's contract, a region, a borough)
    lists only the areas within it: those of its forecast units and those its ``referrals``
    reach, so a provider sees its own boroughs, hubs and PDUs and never another provider's
    (issue 17: "never other providers")."""
    if by not in AREA_KINDS:
        raise ValueError(f"compare by one of {', '.join(AREA_KINDS)}, not {by!r}")
    narrowed = demand_unit_ids is not None
    r = Referral.__table__.c
    reached_boroughs = (referrals.with_only_columns(r.borough_id).where(r.borough_id.is_not(None)).distinct()
                        if narrowed and referrals is not None else None)
    du = DemandUnit.__table__.c
    if by == "borough":
        stmt = select(Borough.id, Borough.name).order_by(Borough.name)
        if narrowed:
            stmt = stmt.where(Borough.id.in_(select(du.borough_id).where(du.id.in_(list(demand_unit_ids))))
                              | (Borough.id.in_(reached_boroughs) if reached_boroughs is not None else false()))
        return [(name, {"borough_id": int(i)}) for i, name in db.execute(stmt).all()]
    if by == "pdu":
        units = select(du.pdu_number)
        if narrowed:
            units = units.where(du.id.in_(list(demand_unit_ids))
                                | (du.borough_id.in_(reached_boroughs) if reached_boroughs is not None else false()))
        rows = db.execute(select(Pdu.number, Pdu.name).where(Pdu.number.in_(units)).order_by(Pdu.name)).all()
        return [(name, {"pdu_number": int(n)}) for n, name in rows]
    if by == "hub":
        stmt = select(Hub.id, Hub.name).order_by(Hub.name)
        if narrowed:
            reached_hubs = (referrals.with_only_columns(r.hub_id).where(r.hub_id.is_not(None)).distinct()
                            if referrals is not None else None)
            stmt = stmt.where(Hub.borough_id.in_(select(du.borough_id).where(du.id.in_(list(demand_unit_ids))))
                              | (Hub.id.in_(reached_hubs) if reached_hubs is not None else false()))
        return [(name, {"hub_id": int(i)}) for i, name in db.execute(stmt).all()]
    stmt = select(Provider.id, Provider.name).order_by(Provider.name)
    if provider_id is not None:
        stmt = stmt.where(Provider.id == provider_id)
    return [(name, {"provider_id": int(i)}) for i, name in db.execute(stmt).all()]


def _card(db: Db, referrals: Select, demand_unit_ids, *, code: str, start: dt.date, end: dt.date,
          as_of: dt.date | None, ds1_bound: str, forecast_period_days: int):
    return scorecard(db, referrals, start=start, end=end, as_of=as_of, demand_unit_ids=demand_unit_ids,
                     ds1_bound=ds1_bound, forecast_period_days=forecast_period_days, codes=[code])


def _area_demand_units(db: Db, view_units, values: dict):
    """The forecast units of an area within the view (DS1's denominator). A hub's are its
    borough's: they let the scorecard count the hub's referrals received, but no share of a
    forecast is shown for a hub (Decision 26: no forecast is published per hub)."""
    units = demand_units_for(db, borough_id=values.get("borough_id"), pdu_number=values.get("pdu_number"),
                             region_code=None, contract_id=None, provider_id=values.get("provider_id"))
    if values.get("hub_id") is not None:
        borough = db.execute(select(Hub.borough_id).where(Hub.id == values["hub_id"])).scalar()
        units = demand_units_for(db, borough_id=borough, pdu_number=None, region_code=None, contract_id=None,
                                 provider_id=None)
    if units is None:
        return view_units
    return units if view_units is None else [u for u in units if u in set(view_units)]


#: The referral column each kind of area is, and the stored summary's dimension holding it.
_AREA_COLUMNS = {"borough": "borough_id", "hub": "hub_id", "provider": "provider_id"}


def area_key(db: Db, referrals: Select, by: str, listed: list[tuple[str, dict]]) -> AreaKey | None:
    """The area each referral of the view is counted in, as one grouping column, so every area's
    figures come from one grouped query (:func:`metrics.queries.scorecards_by_area`) rather than
    one query per area.

    A borough, hub or provider is a referral column (``apply_filters`` tests ``column == id``).
    A PDU is a condition (``data_access.geography.referral_in_pdu``: the crosswalk in force on the
    referral's date), so its key is the first listed PDU whose condition holds; that equals the
    area-by-area answer only while no referral lies in two listed PDUs, which is checked here in
    one query: when one does, None (the caller then asks area by area)."""
    if by in _AREA_COLUMNS:
        name = _AREA_COLUMNS[by]
        return AreaKey(Referral.__table__.c[name].label("area_key"), name)
    numbers = [values["pdu_number"] for _, values in listed]
    if not numbers:
        return AreaKey(literal(None).label("area_key"))
    conditions = [referral_in_pdu(n) for n in numbers]
    memberships = sum((case((condition, 1), else_=0) for condition in conditions), literal(0))
    overlapping = db.execute(referrals.with_only_columns(func.count()).where(memberships > 1)).scalar_one()
    if overlapping:
        return None
    return AreaKey(case(*((condition, n) for condition, n in zip(conditions, numbers)), else_=None).label("area_key"))


def _area_value(by: str, values: dict):
    return values[{**_AREA_COLUMNS, "pdu": "pdu_number"}[by]]


def _all_area_demand_units(db: Db, view_units, by: str, listed: list[tuple[str, dict]]) -> dict:
    """:func:`_area_demand_units` for every listed area; a hub's are its borough's, looked up once
    per borough (all hubs' boroughs in one query)."""
    if by != "hub":
        return {_area_value(by, v): _area_demand_units(db, view_units, v) for _, v in listed}
    boroughs = dict(db.execute(select(Hub.id, Hub.borough_id)).all())
    per_borough: dict = {}
    out = {}
    for _, v in listed:
        borough = boroughs.get(v["hub_id"])
        if borough not in per_borough:
            per_borough[borough] = _area_demand_units(db, view_units, {"borough_id": borough})
        out[v["hub_id"]] = per_borough[borough]
    return out


def _grouped_results(db: Db, referrals: Select, key: AreaKey, by: str, listed: list[tuple[str, dict]], *,
                     codes: list[str], start: dt.date, end: dt.date, as_of: dt.date, demand_unit_ids,
                     ds1_bound: str, forecast_period_days: int) -> dict | None:
    """Per area value, ``{code: KpiResult}`` for ``codes`` (:func:`metrics.queries.scorecards_by_area`);
    DS1 against each area's own forecast units, as :func:`_area_demand_units` finds them."""
    values = [_area_value(by, v) for _, v in listed]
    units = (_all_area_demand_units(db, demand_unit_ids, by, listed) if "DS1" in codes
             else dict.fromkeys(values, demand_unit_ids))
    return scorecards_by_area(db, referrals, key, values, start=start, end=end, as_of=as_of, codes=codes,
                              demand_units=units, ds1_bound=ds1_bound, forecast_period_days=forecast_period_days)


def trend_test(numerators: np.ndarray, denominators: np.ndarray) -> tuple[float, float] | None:
    """Cochran–Armitage test for a linear trend in proportions over equally spaced periods.

    Returns (z, two-sided p), or None when it cannot be computed (fewer than 3 periods with
    cases, fewer than 10 cases, or no variation: every case met or every case not met).
    """
    x = np.asarray(numerators, dtype=float)
    n = np.asarray(denominators, dtype=float)
    keep = n > 0
    if keep.sum() < 3 or n.sum() < 10:
        return None
    t = np.arange(len(n), dtype=float)[keep]
    x, n = x[keep], n[keep]
    total = n.sum()
    p = x.sum() / total
    variance = p * (1 - p) * ((n * t * t).sum() - (n * t).sum() ** 2 / total)
    if variance <= 0:
        return None
    z = float((t * (x - n * p)).sum() / np.sqrt(variance))
    return z, float(2 * norm.sf(abs(z)))


def trend_label(numerators: np.ndarray, denominators: np.ndarray, polarity: str) -> str:
    result = trend_test(numerators, denominators)
    if result is None:
        return "not enough data"
    z, p = result
    if p >= TREND_SIGNIFICANCE:
        return "no significant change"
    rising = z > 0
    direction = "increasing" if rising else "decreasing"
    if polarity == "neutral":
        return direction
    better = rising == (polarity == "increase")
    return f"{direction} (getting {'better' if better else 'worse'})"


def binomial_funnel(comparator: float, sizes: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Funnel limits as proportions: the binomial quantiles a unit of each size would reach if
    its true proportion were the comparator's (exact, so they behave at 0% and 100%, where a
    normal or Wilson approximation flags a small area at 100% against a comparator of 93%)."""
    n = np.asarray(sizes, dtype=float)
    tail = (1 - confidence) / 2
    return binom.ppf(tail, n, comparator) / n, binom.ppf(1 - tail, n, comparator) / n


def funnel_outside(met: np.ndarray, cases: np.ndarray, comparator: float, confidence: float) -> np.ndarray:
    """True where an area's count is less likely than the funnel's tail under the comparator:
    P(X ≤ met) or P(X ≥ met) below (1 − confidence) / 2, X ~ Binomial(cases, comparator)."""
    tail = (1 - confidence) / 2
    met, cases = np.asarray(met), np.asarray(cases)
    return (binom.cdf(met, cases, comparator) < tail) | (binom.sf(met - 1, cases, comparator) < tail)


def _interval(lower: float, upper: float) -> str:
    return f"{100 * lower:.1f}–{100 * upper:.1f}"


def compare_areas(
    db: Db,
    referrals: Select,
    *,
    code: str,
    by: str,
    start: dt.date,
    end: dt.date,
    as_of: dt.date | None = None,
    demand_unit_ids=None,
    provider_id: int | None = None,
    ds1_bound: str = "low",
    forecast_period_days: int = 365,
    threshold: int = 5,
    minimum_denominator: int = 10,
    comparator_label: str = "the whole view",
    trend: bool = True,
    across_views: dict[str, tuple[bool, bool]] | None = None,
    per_area: bool = False,
    shared: dict | None = None,
    shared_codes: list[str] | None = None,
) -> AreaComparison:
    """One measure across the areas of a view, against the whole view.

    Parameters
    ----------
    db : Connection or Session
    referrals : the view's referrals, already limited to the user's scope and the filters
        (``data_access.scoping.referrals_select``); each area is that view narrowed to the area,
        and the comparator is the whole view.
    demand_unit_ids : the view's forecast units (DS1's denominator), None for all.
    provider_id : list only this provider when comparing providers (a provider's own view).
    code : a KPI code from the catalogue.
    by : "borough", "pdu", "hub" or "provider".
    start, end, as_of : the period and the view's as-of date (None: the data's latest date,
        worked out once for the whole view and used for every area).
    threshold, minimum_denominator : disclosure settings (counts 1 to threshold − 1 hidden;
        rates on fewer cases withheld).
    across_views : per area name (``metrics.partitions.REST`` for the areas' rest, ``TOTAL`` for
        the whole view), whether its met count and its cases are hidden on the area's own views
        (``metrics.partitions``): hidden here too, so this table never shows what those hide.
    per_area : compute each area with its own scorecard (one set of queries per area), as before
        issue 20; by default every area comes from one grouped query per measure
        (:func:`area_key`), which gives the same figures (tests/integration/test_compare_grouped.py).
    shared, shared_codes : a dict kept across calls for several measures of one view
        (:func:`kpi_matrix_results`): the first call computes every area's figures for all of
        ``shared_codes`` at once (the same grouped queries) and later calls read them.

    Returns
    -------
    AreaComparison
    """
    entry = kpi(code)
    settings = dict(code=code, start=start, end=end, ds1_bound=ds1_bound, forecast_period_days=forecast_period_days)
    if per_area:
        shared = None  # the old path, for comparison: nothing shared between measures
    whole = shared.get(("whole", as_of)) if shared is not None else None
    if whole is None:
        whole = scorecard(db, referrals, start=start, end=end, as_of=as_of, demand_unit_ids=demand_unit_ids,
                          ds1_bound=ds1_bound, forecast_period_days=forecast_period_days,
                          codes=(shared_codes or [code]) if shared is not None else [code])
        if shared is not None:  # each measure's result does not depend on which others are asked
            shared[("whole", as_of)] = shared[("whole", whole.as_of)] = whole
    as_of = whole.as_of
    overall = whole.kpi(code)
    proportion = code != "DS1"  # DS1's denominator is a forecast, not a count of cases
    comparator = (overall.numerator / overall.denominator
                  if overall is not None and overall.denominator and proportion else None)
    # The whole view's cases are published (KPIs page), so its rate beside them would give back
    # a met or not-met count of 1–4 people (DOMAIN.md "Suppression": no rate beside a hidden
    # count): then the comparator is withheld and nothing is compared with it.
    comparator_withheld = comparator is not None and displayable_rate(
        int(overall.numerator), int(overall.denominator), minimum_denominator=minimum_denominator,
        threshold=threshold, protect_numerator=True) is None
    across = across_views or {}
    if any(across.get("__total__", ())):
        comparator_withheld = comparator is not None
    if comparator_withheld:
        comparator = None

    rows = []
    listed = areas(db, by, provider_id, referrals=referrals, demand_unit_ids=demand_unit_ids)
    trend_start = (end.replace(day=1) - pd.DateOffset(months=TREND_MONTHS - 1)).date()
    grouped = series_grouped = None
    if not per_area:
        key = area_key(db, referrals, by, listed)
        if key is not None:
            grouped = shared.get((by, as_of)) if shared is not None else None
            if grouped is None:
                grouped = _grouped_results(db, referrals, key, by, listed, codes=shared_codes or [code], start=start,
                                           end=end, as_of=as_of, demand_unit_ids=demand_unit_ids, ds1_bound=ds1_bound,
                                           forecast_period_days=forecast_period_days)
                if shared is not None and grouped is not None:
                    shared[(by, as_of)] = grouped
            if grouped is not None and trend and proportion:
                keys = [_area_value(by, values) for _, values in listed]
                series_grouped = monthly_series_by_area(db, referrals, key, keys, start=trend_start, end=end,
                                                        as_of=as_of, codes=[code])
    for label, values in listed:
        area = apply_filters(referrals, ReferralFilters(**values))
        if grouped is not None:
            result = grouped[_area_value(by, values)].get(code)
        else:
            units = _area_demand_units(db, demand_unit_ids, values) if not proportion else demand_unit_ids
            result = _card(db, area, units, as_of=as_of, **settings).kpi(code)
        if result is None:
            continue
        months = pd.DataFrame()
        if trend and proportion:
            if series_grouped is not None:
                series = series_grouped[_area_value(by, values)]
            else:
                series = monthly_series(db, area, start=trend_start, end=end, as_of=as_of, codes=[code])
            months = series.get(code, pd.DataFrame())
        value = None if code == "DS1" and by == "hub" else result.value  # Decision 26
        rows.append({"area": label, "numerator": int(result.numerator), "denominator": result.denominator,
                     "value": value, "months": months})

    if overall is not None:
        # Referrals of the view in no listed area (no hub recorded, a borough outside every
        # PDU's units…) get a row of their own: the whole view's counts are published on the KPI
        # page, so without it "whole − areas" would give back a small count (DOMAIN.md
        # "Suppression": totals are protected against).
        rest_met = int(overall.numerator) - sum(r["numerator"] for r in rows)
        rest_cases = (int(overall.denominator or 0) - sum(int(r["denominator"]) for r in rows)) if proportion else None
        if (rest_cases or 0) > 0 or (not proportion and rest_met > 0):
            rows.append({"area": f"No {_KIND_WORD[by]} recorded", "numerator": rest_met, "denominator": rest_cases,
                         "value": 100 * rest_met / rest_cases if rest_cases else None, "months": pd.DataFrame(),
                         "residual": True})
    if not proportion:
        return _referrals_against_forecast(code, by, rows, overall, comparator_label, as_of, threshold)

    counts = pd.DataFrame({"met": [r["numerator"] for r in rows],
                           "not_met": [int(r["denominator"]) - r["numerator"] for r in rows]},
                          index=[r["area"] for r in rows])
    protected = suppress_counts(counts, threshold=threshold, what="people") if len(counts) else None
    out, funnel_points = [], []
    for i, r in enumerate(rows):
        n, x = int(r["denominator"]), r["numerator"]
        hidden_met = bool(protected.suppressed.iloc[i]["met"]) if protected else False
        hidden_not = bool(protected.suppressed.iloc[i]["not_met"]) if protected else False
        hidden_cases = bool(protected.suppressed.iloc[i]["Total"]) if protected else False
        # Hidden on the area's own views (metrics.partitions): hidden here too.
        num_across, den_across = across.get("__rest__" if r.get("residual") else r["area"], (False, False))
        hidden_met |= num_across or (den_across and x > 0)
        hidden_not |= num_across or den_across
        hidden_cases |= den_across
        shows_rate = n >= minimum_denominator and not (hidden_met or hidden_not)
        row = {"area": r["area"], "met": SUPPRESSED if hidden_met else f"{x:,}",
               "cases": SUPPRESSED if hidden_cases else f"{n:,}"}
        if n == 0:
            row.update(value="no data", ci95="–", ci998="–", comparison="not compared")
        elif not shows_rate:
            row.update(value=NOT_SHOWN, ci95=NOT_SHOWN, ci998=NOT_SHOWN, comparison=NOT_SHOWN)
        else:
            lo95, hi95 = (float(v) for v in wilson_interval(x, n, CONFIDENCE_95))
            lo998, hi998 = (float(v) for v in wilson_interval(x, n, CONFIDENCE_998))
            comparison = (compare_with_benchmark(x, n, comparator, polarity=entry.polarity)
                          if comparator is not None and not r.get("residual") else "not compared")
            row.update(value=f"{100 * x / n:.1f}", ci95=_interval(lo95, hi95), ci998=_interval(lo998, hi998),
                       comparison=comparison)
            if not r.get("residual"):
                funnel_points.append({"area": r["area"], "cases": n, "value": 100 * x / n})
        months = r["months"]
        row["trend"] = (trend_label(months["numerator"].to_numpy(), months["denominator"].to_numpy(), entry.polarity)
                        if len(months) else "not enough data")
        out.append(row)
    table = pd.DataFrame(out, columns=list(LABELS))

    funnel = pd.DataFrame(funnel_points, columns=["area", "cases", "value"])
    limits = pd.DataFrame()
    outliers: tuple[str, ...] = ()
    if comparator is not None and len(funnel):
        sizes = np.unique(np.linspace(1, max(funnel["cases"].max() * 1.1, 20), 120).round().astype(int))
        lo95, hi95 = binomial_funnel(comparator, sizes, CONFIDENCE_95)
        lo998, hi998 = binomial_funnel(comparator, sizes, CONFIDENCE_998)
        limits = pd.DataFrame({"cases": sizes, "lower_95": 100 * lo95, "upper_95": 100 * hi95,
                               "lower_998": 100 * lo998, "upper_998": 100 * hi998})
        met = (funnel["value"] * funnel["cases"] / 100).round().astype(int).to_numpy()
        outliers = tuple(funnel.loc[funnel_outside(met, funnel["cases"].to_numpy(), comparator, CONFIDENCE_998),
                                    "area"])

    title = _finding(code, by, table, comparator_label)
    shown_comparator = NOT_SHOWN if comparator_withheld else "no data" if comparator is None else f"{100 * comparator:.1f}%"
    notes = [f"Compared with {comparator_label} ({shown_comparator}) "
             "using Wilson score 95% intervals: similar when the comparator lies within the area's interval, "
             "otherwise better or worse by the measure's polarity (Fingertips convention).",
             TREND_DEFINITION]
    if comparator_withheld:
        notes.append(f"The rate for {comparator_label} is {NOT_SHOWN}: it rests on a count of 1 to {threshold - 1} "
                     f"people or fewer than {minimum_denominator} cases, so no area is compared with it.")
    if protected is not None and protected.note:
        notes.append(protected.note + f" Rates, intervals and comparisons are {NOT_SHOWN} for those areas, "
                     f"nor for areas with fewer than {minimum_denominator} cases.")
    return AreaComparison(code, by, title, comparator_label, None if comparator is None else 100 * comparator,
                          table, funnel, limits, outliers, as_of, tuple(notes))


def _referrals_against_forecast(code: str, by: str, rows: list[dict], overall, comparator_label: str,
                                as_of: dt.date | None, threshold: int) -> AreaComparison:
    """DS1 by area: referrals received (a count of people, so suppressed with its total) and
    their share of the area's forecast. The forecast is published (Referrals page), so a
    hidden count's share is withheld too: share × forecast would give it back."""
    received = pd.DataFrame({"received": [r["numerator"] for r in rows]}, index=[r["area"] for r in rows])
    protected = suppress_counts(received, threshold=threshold, what="people") if len(rows) else None
    out = []
    for i, r in enumerate(rows):
        hidden = bool(protected.suppressed.iloc[i]["received"]) if protected else False
        value = NOT_SHOWN if hidden else "no data" if r["value"] is None else f"{r['value']:.1f}"
        out.append({"area": r["area"], "met": SUPPRESSED if hidden else f"{r['numerator']:,}", "cases": NOT_SHOWN,
                    "value": value, "ci95": NOT_SHOWN, "ci998": NOT_SHOWN, "comparison": "not compared",
                    "trend": "not compared"})
    notes = ["DS1 compares referrals received with a forecast, not a share of cases: "
             "no intervals or comparison are computed."]
    if by == "hub":
        notes.append("No forecast is published per hub (the 40–60% forecasts are per borough, and Manchester "
                     "North and South), so each hub's referrals received are shown without a share of a "
                     "forecast (Decision 26).")
    if protected is not None and protected.note:
        notes.append(protected.note + f" The share of the forecast is {NOT_SHOWN} beside a hidden count.")
    return AreaComparison(code, by, f"{code} by {_KIND_WORD[by]}: referrals against forecast", comparator_label,
                          overall.value if overall else None, pd.DataFrame(out, columns=list(LABELS)),
                          pd.DataFrame(columns=["area", "cases", "value"]), pd.DataFrame(), (), as_of, tuple(notes))


def _finding(code: str, by: str, table: pd.DataFrame, comparator_label: str) -> str:
    kind = _KIND_WORD[by]
    worse = table.loc[table["comparison"] == "worse", "area"].tolist()
    better = table.loc[table["comparison"] == "better", "area"].tolist()
    if not worse and not better:
        compared = (table["comparison"].isin(["similar", "higher", "lower"])).sum()
        if not compared:
            return f"{code}: no {kind} has enough cases to compare with {comparator_label}"
        return f"{code}: every {kind} compared is similar to {comparator_label}"
    parts = []
    if worse:
        parts.append(f"{', '.join(worse)} worse than {comparator_label}")
    if better:
        parts.append(f"{', '.join(better)} better")
    return f"{code} by {kind}: " + "; ".join(parts)


MATRIX_SYMBOLS = {"better": " ▲", "worse": " ▼", "similar": " ●"}


def kpi_matrix_results(
    db: Db, referrals: Select, *, codes: list[str], by: str, start: dt.date, end: dt.date,
    as_of: dt.date | None = None, across_views: dict[str, dict] | None = None, **settings,
) -> list[AreaComparison]:
    """:func:`compare_areas` for each measure, all with the first one's as-of date
    (``across_views``: per measure, as :func:`compare_areas` takes it)."""
    results = []
    shared: dict = {}  # every area's figures for every measure, from one set of grouped queries
    for code in codes:
        result = compare_areas(db, referrals, code=code, by=by, start=start, end=end, as_of=as_of,
                               trend=False, across_views=(across_views or {}).get(code), shared=shared,
                               shared_codes=list(codes), **settings)
        as_of = result.as_of
        results.append(result)
    return results


def matrix_frame(results: list[AreaComparison], by: str) -> pd.DataFrame:
    """Areas × measures: each cell the shown value and its comparison symbol; an area a measure
    does not list (a "no hub recorded" row present for one measure only) is "–"."""
    cells = {r.code: {a: f"{v}{MATRIX_SYMBOLS.get(c, '')}"
                      for a, v, c in zip(r.table["area"], r.table["value"], r.table["comparison"])} for r in results}
    index: list[str] = []
    for r in results:
        index += [a for a in r.table["area"] if a not in index]
    frame = pd.DataFrame({code: [column.get(a, "–") for a in index] for code, column in cells.items()},
                         index=pd.Index(index, name=AREA_KINDS[by]))
    return frame


def kpi_matrix(
    db: Db, referrals: Select, *, codes: list[str], by: str, start: dt.date, end: dt.date,
    as_of: dt.date | None = None, **settings,
) -> pd.DataFrame:
    """Every measure × every area on one screen: each cell the shown value and its comparison
    symbol (▲ better, ● similar, ▼ worse), built from :func:`compare_areas` so it never shows
    what the single-measure view would hide."""
    return matrix_frame(kpi_matrix_results(db, referrals, codes=codes, by=by, start=start, end=end, as_of=as_of,
                                           **settings), by)
