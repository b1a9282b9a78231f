"""The grids' secondary suppression tests every candidate cell with one elimination
(``metrics.disclosure.closing_cells``) rather than hiding each in turn and solving again. It must
choose exactly the cells the one-at-a-time search chose: checked against that search (kept here as
the reference, passed to ``suppress_grid`` in its place) on random grids of the shapes the pages
use; each closing answer is also compared directly; and by hand on a small case."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from metrics import partitions, periods
from metrics.disclosure import closing_cells, equation_matrix, recoverable_dense, recoverable_from


def one_at_a_time(matrix, hidden, target, candidates):
    """The search ``suppress_grid`` made before: hide each candidate in turn and solve again."""
    out = []
    for i in candidates:
        trial = np.array(hidden, dtype=bool).copy()
        trial[i] = True
        out.append(not recoverable_dense(matrix, trial)[target])
    return np.array(out, dtype=bool)


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
    want = partitions.suppress_grid(rows.ravel(), equations, threshold=5, also_hidden=also, total=total.ravel(),
                                    closing=one_at_a_time)
    assert np.array_equal(got, want)
    assert not recoverable_from(equations, got).any()
    # The dense test answers as the equation-by-equation one, on this grid's random hidden sets.
    matrix = equation_matrix(equations, rows.size)
    for share in (0.1, 0.3, 0.6):
        some = rng.random(rows.size) < share
        assert np.array_equal(recoverable_dense(matrix, some), recoverable_from(equations, some))


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


@pytest.mark.parametrize("seed", range(10))
def test_closing_cells_agrees_with_hiding_each_candidate_in_turn(seed):
    rng = np.random.default_rng(100 + seed)
    rows = consistent(rng.integers(0, 8, size=(6, 12)).astype(float))
    rows = np.vstack([rows, rows.sum(axis=0)])
    equations = partitions.equations_for(rows.shape[0], COLUMNS, with_total=True)
    matrix = equation_matrix(equations, rows.size)
    hidden = (rows.ravel() >= 1) & (rows.ravel() < 5)
    checked = 0
    for target in np.flatnonzero(recoverable_dense(matrix, hidden)):
        candidates = [int(i) for i in np.flatnonzero(~hidden)]
        got = closing_cells(matrix, hidden, int(target), candidates)
        assert np.array_equal(got, one_at_a_time(matrix, hidden, int(target), candidates))
        checked += int(got.any())
    assert checked or not recoverable_dense(matrix, hidden).any()
