"""Suppression that holds across views (docs/DISCLOSURE.md, "Across views").

A reader can open Greater Manchester and every borough one after another (or every provider),
and a quarter and each of its months, then subtract: a borough's hidden count is Greater
Manchester's less the other boroughs'; a month's is the quarter's less the other two months'.
Suppressing each view on its own cannot stop that. So the decision is taken once, over the
whole *grid* a view belongs to, and every view reads its own cells from it:

- rows: the members of a partition (each borough, or each provider; plus what is in none of
  them, "the rest") and their total (the parent view: Greater Manchester, or a provider's
  whole contract);
- columns: the months of a contract year, its quarters and the year itself;
- the equations: each row's quarter is the sum of its months and its year the sum of its
  quarters; each column's total is the sum of its members;
- per measure, the numerators (counts met; a numerator whose complement in its denominator is
  1 to threshold − 1 is hidden too) and the denominators (cases) are each suppressed with
  :func:`metrics.disclosure.suppress_linked`, so no hidden value follows from the shown ones.

A view that is a single member (one borough), the parent (Greater Manchester) or neither (a
PDU, a hub, a contract, a complexity, two filters at once) looks its figures up in the grids it
belongs to; a view that is in no area partition still gets the time grid (one row). A figure is
hidden where any grid it is in hides it (hiding more never gives anything away). The pages, the
packs, the SPC charts and ``python -m metrics scorecard --suppress`` all read this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Select, select

from data_access.models import Borough, Provider
from data_access.scoping import AccessScope, ReferralFilters, apply_filters, referrals_select
from metrics import periods
from metrics.queries import monthly_series

SERVICE_START = dt.date(2023, 9, 4)  # GMIRS spec §1.11 (as metrics.panels)


@dataclass(frozen=True)
class Partition:
    """A parent view split into members. ``own`` is the view's row: a member's index, or
    ``None`` when the view is the parent (the total)."""

    kind: str  # "borough", "provider" or "time" (the view alone: months, quarters, year)
    parent: Select
    members: tuple[tuple[str, Select], ...]
    own: int | None


def _borough_members(db, parent: Select) -> tuple[tuple[str, Select], ...]:
    rows = db.execute(select(Borough.id, Borough.name).order_by(Borough.name)).all()
    return tuple((name, apply_filters(parent, ReferralFilters(borough_id=int(i)))) for i, name in rows)


def _provider_members(db, parent: Select) -> tuple[tuple[str, Select], ...]:
    rows = db.execute(select(Provider.id, Provider.name).order_by(Provider.name)).all()
    return tuple((name, apply_filters(parent, ReferralFilters(provider_id=int(i)))) for i, name in rows)


def partitions_for(db, scope: AccessScope, filters: ReferralFilters) -> tuple[Partition, ...]:
    """The grids a view belongs to (see the module's docstring)."""
    described = filters.describe()
    own_view = referrals_select(scope, filters)
    out: list[Partition] = []
    is_provider = scope.role == "provider"
    if not described:  # the parent: Greater Manchester, or a provider's whole contract
        out.append(Partition("borough", own_view, _borough_members(db, own_view), None))
        if not is_provider:
            out.append(Partition("provider", own_view, _provider_members(db, own_view), None))
    elif set(described) == {"borough_id"}:
        parent = referrals_select(scope, ReferralFilters())
        members = _borough_members(db, parent)
        ids = [int(i) for i, in db.execute(select(Borough.id).order_by(Borough.name)).all()]
        out.append(Partition("borough", parent, members, ids.index(filters.borough_id)))
    elif set(described) == {"provider_id"} and not is_provider:
        parent = referrals_select(scope, ReferralFilters())
        members = _provider_members(db, parent)
        ids = [int(i) for i, in db.execute(select(Provider.id).order_by(Provider.name)).all()]
        out.append(Partition("provider", parent, members, ids.index(filters.provider_id)))
    else:
        out.append(Partition("time", own_view, (), None))
    return tuple(out)


# --------------------------------------------------------------------------------------------
# The grid of one contract year
# --------------------------------------------------------------------------------------------


def year_of(day: dt.date) -> periods.Period:
    return periods.contract_year(day, SERVICE_START)


def columns_of(year: periods.Period) -> list[tuple[str, dt.date]]:
    """The grid's columns: ("month", first day) for each month, ("quarter", first day) for each
    quarter, ("year", first day) for the year."""
    months = [m.start for m in periods.periods_between(year.start, year.end, "month")]
    quarters = sorted({periods.quarter(m).start for m in months})
    return [("month", m) for m in months] + [("quarter", q) for q in quarters] + [("year", year.start)]


def column_of(period: periods.Period) -> tuple[str, dt.date] | None:
    """The grid column a period is, or None (a custom period that is not a calendar month,
    quarter or contract year: not protected across views; docs/DISCLOSURE.md says so)."""
    for kind, make in (("month", periods.month), ("quarter", periods.quarter),
                       ("year", lambda d: year_of(d))):
        candidate = make(period.start)
        if candidate.start == period.start and candidate.end == period.end:
            return kind, (candidate.start.replace(day=1) if kind != "year" else candidate.start)
    # The first contract year starts on 4 September 2023: a view from 1 September is the same year.
    year = year_of(period.start)
    if period.start == year.start.replace(day=1) and period.end == year.end:
        return "year", year.start
    return None


def equations_for(rows: int, columns: list[tuple[str, dt.date]], *, with_total: bool) -> list[dict[int, float]]:
    """The linear equations of a grid (cell (r, c) is value r × len(columns) + c; the last row is
    the total when ``with_total``)."""
    width = len(columns)
    where = {key: k for k, key in enumerate(columns)}
    quarter_of = {m: periods.quarter(m).start for kind, m in columns if kind == "month"}
    year = next(key for key in columns if key[0] == "year")
    equations = []
    for r in range(rows):
        for kind, q in columns:
            if kind == "quarter":
                eq = {r * width + where[("month", m)]: 1.0 for m, qq in quarter_of.items() if qq == q}
                eq[r * width + where[(kind, q)]] = -1.0
                equations.append(eq)
        eq = {r * width + where[key]: 1.0 for key in columns if key[0] == "quarter"}
        eq[r * width + where[year]] = -1.0
        equations.append(eq)
    if with_total and rows > 1:
        for c in range(width):
            eq = {r * width + c: 1.0 for r in range(rows - 1)}
            eq[(rows - 1) * width + c] = -1.0
            equations.append(eq)
    return equations


def grid_hidden(numerators: np.ndarray, denominators: np.ndarray, columns: list[tuple[str, dt.date]], *,
                threshold: int, with_total: bool) -> tuple[np.ndarray, np.ndarray]:
    """Which numerators and denominators of a grid (rows × columns, the total last when
    ``with_total``) are hidden. Denominators: 1 to threshold − 1 and what would give them back.
    Numerators: 1 to threshold − 1, those whose complement in their denominator is, those whose
    denominator is hidden (rate × denominator), and what would give any of them back."""
    n = np.asarray(numerators, dtype=float)
    d = np.asarray(denominators, dtype=float)
    equations = equations_for(n.shape[0], columns, with_total=with_total)
    total_row = np.zeros(n.shape, dtype=bool)
    if with_total:
        total_row[-1] = True
    den_hidden = suppress_grid(d.ravel(), equations, threshold=threshold, total=total_row.ravel())
    complement = d - n
    also = ((complement >= 1) & (complement < threshold)).ravel() | (den_hidden & (n.ravel() > 0))
    num_hidden = suppress_grid(n.ravel(), equations, threshold=threshold, also_hidden=also, total=total_row.ravel())
    return num_hidden.reshape(n.shape), den_hidden.reshape(d.shape)


def suppress_grid(values, equations: list[dict[int, float]], *, threshold: int, also_hidden=None,
                  total=None, closing=None) -> np.ndarray:
    """Primary suppression (1 to threshold − 1, plus ``also_hidden``), then secondary over the
    grid's equations until no hidden value is determined by the shown ones.

    Secondary cells are chosen to close the route that gives a hidden value away, starting with
    the value hidden last (so a cell hidden to protect a month is itself protected along its own
    row before anything else): a shown value in one of its equations whose hiding leaves it
    undetermined, else any shown value in them; of those, the smallest non-zero, a member's
    before the total's. (:func:`metrics.disclosure.suppress_linked`'s "fewest left" choice, tried on
    these grids, hid whole columns and the totals with them.)"""
    from metrics.disclosure import closing_cells, equation_matrix, recoverable_dense

    closing_test = closing or closing_cells  # ``closing``: another test of the same question (tests)

    values = np.asarray(values, dtype=float)
    matrix = equation_matrix(equations, len(values))
    total = np.zeros(len(values), dtype=bool) if total is None else np.asarray(total, dtype=bool)
    hidden = (values >= 1) & (values < threshold)
    if also_hidden is not None:
        hidden |= np.asarray(also_hidden, dtype=bool)
    order = [int(i) for i in np.flatnonzero(hidden)]  # when each was hidden
    by_value = {}
    for k, eq in enumerate(equations):
        for i in eq:
            by_value.setdefault(i, []).append(k)

    def preference(i: int) -> tuple:
        return (int(values[i] <= 0), int(total[i]), float(values[i]), i)

    while True:
        recoverable = recoverable_dense(matrix, hidden)
        if not recoverable.any():
            return hidden
        target = next(i for i in reversed(order) if recoverable[i]) if any(recoverable[i] for i in order) \
            else int(np.flatnonzero(recoverable)[0])
        candidates = sorted({i for k in by_value.get(target, []) for i in equations[k] if not hidden[i]},
                            key=preference)
        if not candidates:
            candidates = sorted({i for eq in equations for i in eq if not hidden[i]}, key=preference)
        if not candidates:
            return hidden
        # The first candidate, in order of preference, whose hiding leaves the target undetermined
        # (one elimination for all of them: metrics.disclosure.closing_cells).
        closes = closing_test(matrix, hidden, target, candidates)
        closing = next((i for i, ok in zip(candidates, closes) if ok), None)
        choice = closing if closing is not None else candidates[0]
        hidden[choice] = True
        order.append(choice)


def _grid_counts(series: dict[str, pd.DataFrame], columns) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """One row of a grid per measure: numerators and denominators by column."""
    out = {}
    months = [m for kind, m in columns if kind == "month"]
    # Each column as the months it sums (a month itself; a quarter its months; the year all).
    sums = np.zeros((len(months), len(columns)))
    for c, (kind, key) in enumerate(columns):
        for k, m in enumerate(months):
            if (m == key) if kind == "month" else (periods.quarter(m).start == key if kind == "quarter" else True):
                sums[k, c] = 1.0
    for code, frame in series.items():
        by = frame.assign(day=pd.to_datetime(frame["month"]).dt.date).set_index("day")
        n = by["numerator"].reindex(months, fill_value=0).to_numpy(dtype=float)
        d = by["denominator"].reindex(months, fill_value=0).to_numpy(dtype=float)
        out[code] = (n @ sums, d @ sums)
    return out


_CACHE: dict = {}
_CACHE_LIMIT = 256


def _key(db, stmt: Select, *rest) -> tuple:
    try:
        url = str(db.engine.url) if hasattr(db, "engine") else str(db.bind.url)
    except Exception:  # noqa: BLE001 - a session without a bind: no sharing across calls
        url = str(id(db))
    compiled = stmt.compile(compile_kwargs={"literal_binds": True})
    return (url, str(compiled), *rest)


def _data_version(db) -> str:
    """Changes whenever a figure may (imports, undo, the calendar): the stored summary's token."""
    from data_access.kpi_summary import data_version

    return data_version(db)


def _series(db, stmt: Select, year: periods.Period, as_of: dt.date | None) -> dict[str, pd.DataFrame]:
    return monthly_series(db, stmt, start=year.start.replace(day=1), end=year.end, as_of=as_of)


def partition_grid(db, partition: Partition, year: periods.Period, as_of: dt.date | None, threshold: int) -> dict:
    """``{code: (columns, numerators hidden, denominators hidden)}`` for the view's own row of
    the partition's grid over ``year`` (cached per database, data, view, year and as-of date)."""
    key = _key(db, partition.parent, partition.kind, year.start, as_of, threshold, _data_version(db))
    if key not in _CACHE:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[key] = _whole_grid(db, partition, year, as_of, threshold)
    return {code: (columns, num[-1 if partition.own is None else partition.own],
                   den[-1 if partition.own is None else partition.own])
            for code, (columns, num, den) in _CACHE[key].items()}


def _whole_grid(db, partition: Partition, year: periods.Period, as_of: dt.date | None, threshold: int) -> dict:
    columns = columns_of(year)
    parent = _grid_counts(_series(db, partition.parent, year, as_of), columns)
    members = [_grid_counts(_series(db, stmt, year, as_of), columns) for _, stmt in partition.members]
    out = {}
    for code, (pn, pd_) in parent.items():
        if members:
            rows_n = [m.get(code, (np.zeros(len(columns)),) * 2)[0] for m in members]
            rows_d = [m.get(code, (np.zeros(len(columns)),) * 2)[1] for m in members]
            rest_n, rest_d = pn - np.sum(rows_n, axis=0), pd_ - np.sum(rows_d, axis=0)
            n = np.vstack([*rows_n, rest_n, pn])
            d = np.vstack([*rows_d, rest_d, pd_])
        else:
            n, d = pn[None, :], pd_[None, :]
        num_hidden, den_hidden = grid_hidden(n, d, columns, threshold=threshold, with_total=bool(members))
        out[code] = (columns, num_hidden, den_hidden)
    return out


def hidden_for_period(db, partitions: tuple[Partition, ...], period: periods.Period, as_of: dt.date | None,
                      threshold: int) -> dict[str, tuple[bool, bool]]:
    """``{code: (numerator hidden, denominator hidden)}`` for a view's period across every grid
    it belongs to (empty for a period that is no grid column)."""
    column = column_of(period)
    if column is None or not partitions:
        return {}
    year = year_of(column[1])
    out: dict[str, tuple[bool, bool]] = {}
    for partition in partitions:
        for code, (columns, num, den) in partition_grid(db, partition, year, as_of, threshold).items():
            if column not in columns:
                continue
            k = columns.index(column)
            was = out.get(code, (False, False))
            out[code] = (was[0] or bool(num[k]), was[1] or bool(den[k]))
    return out


def hidden_months(db, partitions: tuple[Partition, ...], first: dt.date, last: dt.date, as_of: dt.date | None,
                  threshold: int) -> dict[str, set[dt.date]]:
    """``{code: months whose numerator or denominator is hidden}`` between ``first`` and ``last``
    (first days of months), for the SPC charts: a month hidden on its own scorecard is a gap."""
    out: dict[str, set[dt.date]] = {}
    if not partitions:
        return out
    years = periods.periods_between(first, last, "contract_year", SERVICE_START)
    for year in years:
        for partition in partitions:
            for code, (columns, num, den) in partition_grid(db, partition, year, as_of, threshold).items():
                for k, (kind, m) in enumerate(columns):
                    if kind == "month" and first <= m <= last and (num[k] or den[k]):
                        out.setdefault(code, set()).add(m)
    return out


REST = "__rest__"
TOTAL = "__total__"


def rows_for_period(db, partition: Partition, period: periods.Period, as_of: dt.date | None,
                    threshold: int) -> dict[str, dict[str, tuple[bool, bool]]]:
    """``{code: {member name | REST | TOTAL: (numerator hidden, denominator hidden)}}``: every row
    of a partition's grid for one period, for a table that shows all the members at once
    (Compare areas), so it hides at least what the members' own views hide."""
    column = column_of(period)
    if column is None:
        return {}
    key = _key(db, partition.parent, partition.kind, year_of(column[1]).start, as_of, threshold, _data_version(db))
    partition_grid(db, Partition(partition.kind, partition.parent, partition.members, None), year_of(column[1]),
                   as_of, threshold)  # fills the cache
    labels = [name for name, _ in partition.members] + ([REST] if partition.members else []) + [TOTAL]
    out = {}
    for code, (columns, num, den) in _CACHE[key].items():
        if column in columns:
            k = columns.index(column)
            out[code] = {label: (bool(num[r, k]), bool(den[r, k])) for r, label in enumerate(labels)}
    return out
