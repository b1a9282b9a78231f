"""The grids' secondary suppression tests every candidate cell with one elimination
(``metrics.disclosure.closing_cells``) rather than hiding each in turn and solving again. It must
choose exactly the cells the one-at-a-time search chose: checked against that search (kept here as
the reference) on random grids of the shapes the pages use, and by hand on a small case."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from metrics import partitions, periods
from metrics.disclosure import closing_cells, equation_matrix, recoverable_dense, recoverable_from


def reference_suppress_grid(values, equations, *, threshold, also_hidden=None, total=None):
    """The one-candidate-at-a-time search, as ``suppress_grid`` did it before."""
    values = np.asarray(values, dtype=float)
    total = np.zeros(len(values), dtype=bool) if total is None else np.asarray(total, dtype=bool)
    hidden = (values >= 1) & (values < threshold)
    if also_hidden is not None:
        hidden |= np.asarray(also_hidden, dtype=bool)
    order = [int(i) for i in np.flatnonzero(hidden)]
    by_value = {}
    for k, eq in enumerate(equations):
        for i in eq:
            by_value.setdefault(i, []).append(k)

    def preference(i):
        return (int(values[i] <= 0), int(total[i]), float(values[i]), i)

    while True:
        recoverable = recoverable_from(equations, hidden)
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
        closing = None
        for i in candidates:
            trial = hidden.copy()
            trial[i] = True
            if not recoverable_from(equations, trial)[target]:
                closing = i
                break
        choice = closing if closing is not None else candidates[0]
        hidden[choice] = True
        order.append(choice)


COLUMNS = partitions.columns_of(partitions.year_of(dt.date(2025, 6, 1)))


def consistent(months_by_row: np.ndarray) -> np.ndarray:
    """A grid row set whose quarters and year are the sums of its months."""
    out = np.zeros((months_by_row.shape[0], len(COLUMNS)))
    month_keys = [m for kind, m in COLUMNS if kind == "month"]
    for k, (kind, key) in enumerate(COLUMNS):
        if kind == "month":
            out[:, k] = months_by_row[:, month_keys.index(key)]
    for k, (kind, key) in enumerate(COLUMNS):
        if kind == "quarter":
            take = [j for j, (kk, m) in enumerate(COLUMNS) if kk == "month" and periods.quarter(m).start == key]
            out[:, k] = out[:, take].sum(axis=1)
    year = next(k for k, (kind, _) in enumerate(COLUMNS) if kind == "year")
    out[:, year] = out[:, [k for k, (kind, _) in enumerate(COLUMNS) if kind == "quarter"]].sum(axis=1)
    return out


@pytest.mark.parametrize("seed", range(40))
def test_the_one_elimination_choice_equals_the_one_at_a_time_search(seed):
    rng = np.random.default_rng(seed)
    members = int(rng.choice([0, 1, 3, 6, 10]))
    months = sum(1 for kind, _ in COLUMNS if kind == "month")
    high = int(rng.choice([6, 12, 30]))
    rows = consistent(rng.integers(0, high, size=(members + 1 if members else 1, months)).astype(float))
    if members:
        rows = np.vstack([rows, rows.sum(axis=0)])
    with_total = bool(members)
    equations = partitions.equations_for(rows.shape[0], COLUMNS, with_total=with_total)
    total = np.zeros(rows.shape, dtype=bool)
    if with_total:
        total[-1] = True
    also = rng.random(rows.size) < 0.05
    got = partitions.suppress_grid(rows.ravel(), equations, threshold=5, also_hidden=also, total=total.ravel())
    want = reference_suppress_grid(rows.ravel(), equations, threshold=5, also_hidden=also, total=total.ravel())
    assert np.array_equal(got, want)
    assert not recoverable_from(equations, got).any()


def test_closing_cells_by_hand():
    """Two equations over cells 0..4: x0 + x1 − x2 = 0 and x2 − x3 = 0 (cell 4 in neither).
    Hidden {0}: x0 = x2 − x1 is determined. Hiding 1 closes it (x0 + x1 known, neither alone);
    hiding 2 does not (x2 = x3 is shown), nor 3 (x2 is shown), nor 4."""
    equations = [{0: 1.0, 1: 1.0, 2: -1.0}, {2: 1.0, 3: -1.0}]
    matrix = equation_matrix(equations, 5)
    hidden = np.array([True, False, False, False, False])
    assert recoverable_dense(matrix, hidden)[0] and recoverable_from(equations, hidden)[0]
    assert closing_cells(matrix, hidden, 0, [1, 2, 3, 4]).tolist() == [True, False, False, False]
    # With 3 hidden as well, hiding 2 now closes it too (x2 = x3 is then unknown).
    hidden[3] = True
    assert closing_cells(matrix, hidden, 0, [1, 2, 4]).tolist() == [True, True, False]
