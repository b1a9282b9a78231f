"""Disclosure control for anything shown or exported about people.

DOMAIN.md "Suppression" (what is shown or exported, never what is computed): counts of 1 to
``threshold − 1`` people are shown as ``[c]`` (the GSS symbol for confidential); 0 is shown;
secondary suppression hides further cells so that no hidden cell can be worked out from the
row and column totals; a rate whose denominator is under the minimum is not shown; every
suppressed table carries a note saying so. The threshold is a setting (``Settings.
suppression_threshold``, default 5, so 1–4 are hidden).

Secondary suppression works on the table *with* its totals (the margins are published too):
a hidden cell is recoverable when the row/column equations, with the shown cells known,
determine it uniquely. While any hidden cell is recoverable, the smallest non-zero shown cell
in its row or column is hidden as well (a body cell before a total). This is the usual
"next smallest cell" rule, completed by an exact check so that chains of rows and columns
cannot give a cell away either.

Bounds (docs/DISCLOSURE.md "Bounds", decision): a hidden count that cannot be worked out
exactly may still be pinned to a range (two hidden cells known to sum to 2 are each 0 to 2).
So, after the exact check, every primary cell's range, given the shown cells and totals and that
counts are not negative (:func:`hidden_bounds`), must include 0 and the threshold: a reader can
tell it neither from an empty cell nor from a count that would have been shown. Where it does not,
further cells in its row or column are hidden (:func:`_widen`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SUPPRESSED = "[c]"
WITHHELD_RATE = "[low]"
TOTAL = "Total"


@dataclass(frozen=True)
class DisclosureResult:
    """A table ready to display.

    ``table`` holds strings (counts, ``[c]``); ``primary`` and ``secondary`` are boolean masks
    of the same shape; ``note`` is the sentence to print under the table (``None`` when
    nothing was suppressed).
    """

    table: pd.DataFrame
    primary: pd.DataFrame
    secondary: pd.DataFrame
    note: str | None

    @property
    def suppressed(self) -> pd.DataFrame:
        return self.primary | self.secondary



def _cells(n: int, further: str = "") -> str:
    """"1 cell", "3 further cells"."""
    return f"{n} {further}{'cell' if n == 1 else 'cells'}"

def with_totals(counts: pd.DataFrame, label: str = TOTAL) -> pd.DataFrame:
    """The table with a total column and a total row added."""
    table = counts.copy()
    table[label] = table.sum(axis=1)
    table.loc[label] = table.sum(axis=0)
    return table


def _constraints(shape: tuple[int, int]) -> list[list[tuple[int, int]]]:
    """Each row and column of a table-with-margins as (cells summing to its last cell)."""
    rows, cols = shape
    lines = []
    for r in range(rows):
        lines.append([(r, c) for c in range(cols)])
    for c in range(cols):
        lines.append([(r, c) for r in range(rows)])
    return lines


def recoverable_cells(hidden: np.ndarray) -> np.ndarray:
    """Which hidden cells of a table-with-margins the totals equations determine uniquely.

    Each row ``sum(body) = total`` and each column likewise is a linear equation; shown cells
    are known. A hidden cell is recoverable iff its unit vector lies in the row space of the
    equations restricted to the hidden cells.
    """
    hidden = np.asarray(hidden, dtype=bool)
    cols = hidden.shape[1]
    equations = []
    for line in _constraints(hidden.shape):
        *body, total = line
        equation = {r * cols + c: 1.0 for r, c in body}
        equation[total[0] * cols + total[1]] = -1.0
        equations.append(equation)
    return recoverable_from(equations, hidden.ravel()).reshape(hidden.shape)


def _secondary(values: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    hidden = hidden.copy()
    rows, cols = values.shape
    lines = _constraints(values.shape)

    def preference(cell: tuple[int, int]) -> tuple[int, float, tuple[int, int]]:
        # A zero is never hidden when a positive cell will do; a body cell before a total;
        # then the smallest value; then the first.
        is_total = cell[0] == rows - 1 or cell[1] == cols - 1
        return (int(values[cell] <= 0), int(is_total), float(values[cell]), cell)

    while True:
        recoverable = recoverable_cells(hidden)
        if not recoverable.any():
            return hidden
        # 1. The usual rule: a row or column with exactly one hidden cell gives it back;
        #    hide the next-smallest non-zero cell in that line.
        single = next((line for line in lines if sum(hidden[c] for c in line) == 1), None)
        if single is not None:
            shown = [cell for cell in single if not hidden[cell]]
            hidden[min(shown, key=preference)] = True
            continue
        # 2. Chains of rows and columns can still pin a cell down: hide the cell, in the row
        #    or column of a recoverable one, that leaves the fewest recoverable cells.
        r, c = map(int, np.argwhere(recoverable)[0])
        candidates = [(rr, c) for rr in range(rows) if not hidden[rr, c]]
        candidates += [(r, cc) for cc in range(cols) if not hidden[r, cc]]
        if not candidates:
            return hidden  # cannot happen: a recoverable cell has a shown cell in its lines

        def outcome(cell: tuple[int, int]) -> tuple[int, tuple]:
            trial = hidden.copy()
            trial[cell] = True
            return (int(recoverable_cells(trial).sum()), preference(cell))

        hidden[min(candidates, key=outcome)] = True


def _line_equations(shape: tuple[int, int]) -> list[dict[int, float]]:
    """Each row and column of a table-with-margins as ``{flat index: coefficient}`` summing to 0."""
    cols = shape[1]
    equations = []
    for line in _constraints(shape):
        *body, total = line
        equation = {r * cols + c: 1.0 for r, c in body}
        equation[total[0] * cols + total[1]] = -1.0
        equations.append(equation)
    return equations


def hidden_bounds(values: np.ndarray, hidden: np.ndarray, only=None) -> tuple[np.ndarray, np.ndarray]:
    """The least and greatest value each hidden cell of a table-with-margins can take, given the
    shown cells, the row and column equations and that counts are not negative (``inf`` where
    nothing bounds it above; ``nan`` for shown cells). A linear programme per bound; the
    equations of a two-way table are totally unimodular, so these are whole numbers and the
    bounds are those of whole-number tables too (what an attacker with a solver finds). ``only``
    (a mask) limits the work to those hidden cells."""
    from scipy.optimize import linprog

    values = np.asarray(values, dtype=float)
    hidden = np.asarray(hidden, dtype=bool)
    lower = np.full(values.shape, np.nan)
    upper = np.full(values.shape, np.nan)
    unknown = [int(i) for i in np.flatnonzero(hidden.ravel())]
    if not unknown:
        return lower, upper
    position = {index: k for k, index in enumerate(unknown)}
    flat = values.ravel()
    a_eq, b_eq = [], []
    for equation in _line_equations(values.shape):
        row = np.zeros(len(unknown))
        rhs = 0.0
        for index, coefficient in equation.items():
            if index in position:
                row[position[index]] += coefficient
            else:
                rhs -= coefficient * flat[index]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    wanted = None if only is None else set(int(i) for i in np.flatnonzero(np.asarray(only, dtype=bool).ravel()))
    for index, k in position.items():
        if wanted is not None and index not in wanted:
            continue
        objective = np.zeros(len(unknown))
        for sign, out in ((1.0, lower), (-1.0, upper)):
            objective[k] = sign
            if not a_eq:
                found = 0.0 if sign > 0 else np.inf
            else:
                result = linprog(objective, A_eq=np.array(a_eq), b_eq=np.array(b_eq), bounds=(0, None), method="highs")
                found = sign * result.fun if result.status == 0 else (np.inf if result.status == 3 else np.nan)
            out.flat[index] = found
    return lower, upper


def _too_narrow(values: np.ndarray, hidden: np.ndarray, primary: np.ndarray, threshold: int) -> list[tuple[int, int]]:
    """Primary cells whose interval (:func:`hidden_bounds`) leaves out 0 or every count from
    ``threshold`` up (docs/DISCLOSURE.md "Bounds"): there an attacker would know the count is
    small, or not zero."""
    if not primary.any():
        return []
    lower, upper = hidden_bounds(values, hidden, only=primary)
    bad = primary & ((lower > 0.5) | (upper < threshold - 0.5) | np.isnan(lower))
    return [tuple(map(int, cell)) for cell in np.argwhere(bad)]


def _widen(values: np.ndarray, hidden: np.ndarray, primary: np.ndarray, threshold: int) -> np.ndarray:
    """Hide further cells until every primary cell's interval includes 0 and ``threshold``
    (and nothing hidden is determined exactly). For the first primary cell whose interval is too
    narrow: the shown cell in its row or column, smallest non-zero first, a body cell before a
    total, whose hiding widens its interval enough; if none does alone, the largest of them (the
    most room), and again; the exact check after each."""
    rows, cols = values.shape
    while True:
        narrow = _too_narrow(values, hidden, primary, threshold)
        if not narrow:
            return hidden
        r, c = narrow[0]
        line = [(rr, c) for rr in range(rows)] + [(r, cc) for cc in range(cols)]
        candidates = sorted({cell for cell in line if not hidden[cell]},
                            key=lambda cell: (int(values[cell] <= 0), int(cell[0] == rows - 1 or cell[1] == cols - 1),
                                              float(values[cell]), cell))
        if not candidates:  # its lines are all hidden yet it is bounded: widen through any shown cell
            candidates = sorted((tuple(map(int, cell)) for cell in np.argwhere(~hidden)),
                                key=lambda cell: -float(values[cell]))
            if not candidates:
                return hidden
        target = np.zeros(values.shape, dtype=bool)
        target[r, c] = True
        choice = max(candidates, key=lambda cell: (float(values[cell]), cell))
        for cell in candidates:
            trial = hidden.copy()
            trial[cell] = True
            if _too_narrow(values, trial, target, threshold) == []:
                choice = cell
                break
        hidden = hidden.copy()
        hidden[choice] = True
        hidden = _secondary(values, hidden)  # and nothing hidden determined exactly


def suppress_counts(
    counts: pd.DataFrame,
    *,
    threshold: int = 5,
    add_totals: bool = True,
    what: str = "people",
) -> DisclosureResult:
    """Primary and secondary suppression of a table of counts.

    Parameters
    ----------
    counts : DataFrame
        Non-negative whole numbers (rows × columns), true counts. Without totals unless
        ``add_totals`` is False, in which case the last row and column must be the totals.
    threshold : int
        Counts from 1 to ``threshold − 1`` are hidden (default 5: 1–4). 0 is shown.
    add_totals : bool
        Add a "Total" row and column (they are published, so they are protected against).
    what : str
        What is counted, for the note.

    Returns
    -------
    DisclosureResult
        The display table (strings), masks and the note.
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    numeric = counts.apply(pd.to_numeric)
    if (numeric < 0).any().any() or numeric.isna().any().any():
        raise ValueError("counts must be non-negative and not missing")
    table = with_totals(numeric) if add_totals else numeric
    values = table.to_numpy(dtype=float)
    primary = (values >= 1) & (values < threshold)
    hidden = _widen(values, _secondary(values, primary), primary, threshold)
    secondary = hidden & ~primary
    display = pd.DataFrame(
        np.where(hidden, SUPPRESSED, table.astype("int64").astype(str).to_numpy()),
        index=table.index,
        columns=table.columns,
    )
    note = None
    if hidden.any():
        note = (
            f"{SUPPRESSED}: counts of 1 to {threshold - 1} {what} are not shown, to protect "
            f"confidentiality ({_cells(int(primary.sum()))})"
        )
        if secondary.any():
            note += (
                f"; {_cells(int(secondary.sum()), 'further ')} {'is' if int(secondary.sum()) == 1 else 'are'} hidden "
                "so the hidden values cannot "
                "be worked out, or narrowed down to small numbers, from the totals"
            )
        note += "."
    return DisclosureResult(
        table=display,
        primary=pd.DataFrame(primary, index=table.index, columns=table.columns),
        secondary=pd.DataFrame(secondary, index=table.index, columns=table.columns),
        note=note,
    )


def displayable_rate(
    numerator: int,
    denominator: int,
    *,
    minimum_denominator: int = 10,
    threshold: int = 5,
    protect_numerator: bool = False,
) -> float | None:
    """A percentage that may be shown, or ``None`` when it must be withheld.

    Withheld when the denominator is under ``minimum_denominator`` (DOMAIN.md: under 10).
    With ``protect_numerator`` (for tables where the count itself is suppressed) it is also
    withheld when the numerator or its complement is a suppressed count, since
    rate × denominator would give it back.
    """
    if denominator <= 0 or denominator < minimum_denominator:
        return None
    if protect_numerator:
        for count in (numerator, denominator - numerator):
            if 1 <= count < threshold:
                return None
    return 100.0 * numerator / denominator


def suppression_note(threshold: int = 5, minimum_denominator: int = 10) -> str:
    """The standard sentence for any page that shows counts about people."""
    return (
        f"Counts of 1 to {threshold - 1} are shown as {SUPPRESSED} with further cells hidden "
        f"where totals would reveal them; rates on fewer than {minimum_denominator} are not shown."
    )


def recoverable_from(equations: list[dict[int, float]], hidden: np.ndarray) -> np.ndarray:
    """Which hidden values the linear ``equations`` (each ``{index: coefficient}``, summing to 0
    over the values) determine uniquely, the shown values being known. The same test as
    :func:`recoverable_cells`, for figures that are not a table with margins (a funnel, whose
    steps and drop-outs are linked by reached = next reached + dropped)."""
    hidden = np.asarray(hidden, dtype=bool)
    unknown = [int(i) for i in np.flatnonzero(hidden)]
    out = np.zeros(hidden.shape, dtype=bool)
    if not unknown:
        return out
    position = {index: k for k, index in enumerate(unknown)}
    rows = []
    for equation in equations:
        row = np.zeros(len(unknown))
        for index, coefficient in equation.items():
            if index in position:
                row[position[index]] += coefficient
        if row.any():
            rows.append(row)
    if not rows:
        return out
    determined = _determined(np.array(rows))
    for index, k in position.items():
        out[index] = bool(determined[k])
    return out


def _determined(matrix: np.ndarray) -> np.ndarray:
    """Which unknowns ``matrix @ x = b`` fixes whatever ``b`` is: those whose row of the reduced
    row echelon form has no other non-zero entry. Gaussian elimination with element-wise numpy
    (no multi-threaded linear algebra: a rank test per value through the SVD took ~50 ms each on
    a busy two-core machine, and the grids of :mod:`metrics.partitions` need hundreds)."""
    a, pivots = _reduce(matrix, np.shape(matrix)[1])
    out = np.zeros(a.shape[1], dtype=bool)
    for row, c in pivots:
        out[c] = int((np.abs(a[row]) > 1e-9).sum()) == 1
    return out


def _reduce(matrix: np.ndarray, pivot_columns: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Reduced row echelon form over the first ``pivot_columns`` columns (the row operations are
    applied to every column, so the others are carried along), with the (row, column) pivots;
    the pivot rows come first, in order."""
    a = np.array(matrix, dtype=float)
    rows = a.shape[0]
    pivots = []
    r = 0
    for c in range(pivot_columns):
        if r == rows:
            break
        k = r + int(np.argmax(np.abs(a[r:, c])))
        if abs(a[k, c]) < 1e-9:
            continue
        if k != r:
            a[[r, k]] = a[[k, r]]
        a[r] /= a[r, c]
        others = np.abs(a[:, c]) > 1e-12
        others[r] = False
        if others.any():
            a[others] -= np.outer(a[others, c], a[r])
        pivots.append((r, c))
        r += 1
    return a, pivots


def equation_matrix(equations: list[dict[int, float]], size: int) -> np.ndarray:
    """``equations`` (each ``{index: coefficient}``) as a dense matrix, one row each, ``size`` columns."""
    matrix = np.zeros((len(equations), size))
    for k, equation in enumerate(equations):
        for index, coefficient in equation.items():
            matrix[k, index] += coefficient
    return matrix


def recoverable_dense(matrix: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """:func:`recoverable_from` with the equations already a dense matrix
    (:func:`equation_matrix`): the same elimination on the same rows, without rebuilding them."""
    hidden = np.asarray(hidden, dtype=bool)
    out = np.zeros(hidden.shape, dtype=bool)
    unknown = np.flatnonzero(hidden)
    if not len(unknown):
        return out
    rows = matrix[:, unknown]
    rows = rows[rows.any(axis=1)]
    if not len(rows):
        return out
    out[unknown] = _determined(rows)
    return out


def closing_cells(matrix: np.ndarray, hidden: np.ndarray, target: int, candidates) -> np.ndarray:
    """For each shown cell in ``candidates``, whether hiding it as well leaves the hidden cell
    ``target`` undetermined (``target`` must be determined now: ``recoverable_dense``). The same
    answer as hiding each candidate in turn and re-testing, from one elimination.

    Why: with A the hidden cells' columns of ``matrix``, ``target`` is determined when a
    combination y of the equations has yᵀA = e_target. Hiding c adds c's column b; ``target``
    stays determined unless every such y has y·b ≠ 0, which holds exactly when b lies in A's
    column space (b = Aw) with w_target ≠ 0 (w_target is the same for every w, since ``target`` is
    determined). Reducing [A | b…] over A's columns gives both: b's entries beyond A's rank are
    zero, and its entry in ``target``'s pivot row is w_target."""
    hidden = np.asarray(hidden, dtype=bool)
    unknown = np.flatnonzero(hidden)
    candidates = np.asarray(list(candidates), dtype=int)
    out = np.zeros(len(candidates), dtype=bool)
    position = int(np.searchsorted(unknown, target))
    if not len(candidates) or position >= len(unknown) or unknown[position] != target:
        return out
    width = len(unknown)
    reduced, pivots = _reduce(np.hstack([matrix[:, unknown], matrix[:, candidates]]), width)
    row = next((r for r, c in pivots if c == position), None)
    if row is None or int((np.abs(reduced[row, :width]) > 1e-9).sum()) != 1:
        return out  # not determined now: nothing to close
    beyond = reduced[len(pivots):, width:]
    in_span = ~(np.abs(beyond) > 1e-9).any(axis=0)
    return in_span & (np.abs(reduced[row, width:]) > 1e-9)


def suppress_linked(values, equations: list[dict[int, float]], *, threshold: int = 5,
                    also_hidden=None, unshown=None, fixed=None) -> np.ndarray:
    """Primary suppression of 1 to ``threshold − 1`` among ``values`` (plus ``also_hidden``), then
    secondary: while a hidden value follows from the shown ones through ``equations``, hide the
    shown value in one of its equations that leaves the fewest recoverable (non-zero, smallest
    first). ``unshown`` marks values never printed (sums of others): hidden throughout, and
    protected only when they are 1 to ``threshold − 1`` themselves; ``fixed`` marks values
    published elsewhere, never hidden here to protect others. Returns the hidden mask
    (DOMAIN.md "Suppression": no hidden count can be worked out)."""
    values = np.asarray(values, dtype=float)
    small = (values >= 1) & (values < threshold)
    unshown = np.zeros(len(values), dtype=bool) if unshown is None else np.asarray(unshown, dtype=bool)
    hidden = small | unshown
    if also_hidden is not None:
        hidden |= np.asarray(also_hidden, dtype=bool)
    while True:
        recoverable = recoverable_from(equations, hidden) & ~(unshown & ~small)
        if not recoverable.any():
            return hidden
        target = int(np.flatnonzero(recoverable)[0])
        free = lambda i: not hidden[i] and not (fixed is not None and fixed[i])  # noqa: E731
        candidates = sorted({i for eq in equations if target in eq for i in eq if free(i)})
        if not candidates:  # its own equations are all hidden: it follows through others (a chain)
            candidates = sorted({i for eq in equations for i in eq if free(i)})
        if not candidates:
            return hidden

        def outcome(i: int) -> tuple:
            trial = hidden.copy()
            trial[i] = True
            left = recoverable_from(equations, trial) & ~(unshown & ~small)
            return (int(left.sum()), int(values[i] <= 0), float(values[i]), i)

        hidden[min(candidates, key=outcome)] = True
