"""Disclosure control: primary and secondary suppression, rates, the note."""

import numpy as np
import pandas as pd
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.disclosure import (
    SUPPRESSED,
    displayable_rate,
    recoverable_cells,
    suppress_counts,
    suppression_note,
)


def test_primary_and_secondary_by_hand():
    counts = pd.DataFrame({"Male": [3, 20, 12], "Female": [15, 0, 9]}, index=["Bolton", "Bury", "Wigan"])
    result = suppress_counts(counts)
    # Totals: rows 18, 20, 21; columns 35, 24; grand 59.
    # Primary: Bolton/Male = 3. The first line with exactly one hidden cell is Bolton's row
    # (3, 15 | 18): hide its smallest other non-zero body cell, Bolton/Female 15.
    # Then the Male column (3, 20, 12 | 35) has one hidden cell: hide Wigan/Male 12 (< 20).
    # Then Wigan's row (12, 9 | 21): hide Wigan/Female 9. Now every line holds 0 or 2 hidden
    # cells: the rectangle Bolton/Wigan × Male/Female, where nothing is recoverable.
    assert result.table.loc["Bolton", "Male"] == SUPPRESSED
    assert result.primary.to_numpy().sum() == 1
    hidden = {(r, c) for r in result.table.index for c in result.table.columns
              if result.table.loc[r, c] == SUPPRESSED}
    assert hidden == {("Bolton", "Male"), ("Bolton", "Female"), ("Wigan", "Male"), ("Wigan", "Female")}
    assert result.table.loc["Bury", "Female"] == "0"  # 0 is shown
    assert result.table.loc["Total", "Total"] == "59"
    assert "1 to 4" in result.note and "3 further cells" in result.note


def test_nothing_to_suppress():
    result = suppress_counts(pd.DataFrame({"a": [10, 0], "b": [7, 8]}))
    assert result.note is None
    assert not result.suppressed.to_numpy().any()


def test_threshold_is_a_setting():
    counts = pd.DataFrame({"a": [8, 20], "b": [30, 40]})
    assert suppress_counts(counts, threshold=5).note is None
    assert suppress_counts(counts, threshold=10).table.loc[0, "a"] == SUPPRESSED


def test_bad_counts():
    with pytest.raises(ValueError):
        suppress_counts(pd.DataFrame({"a": [-1, 2]}))


@pytest.mark.parametrize(
    ("num", "den", "expected"),
    [(5, 9, None), (5, 10, 50.0), (0, 0, None), (3, 50, 6.0)],
)
def test_displayable_rate(num, den, expected):
    assert displayable_rate(num, den) == expected


def test_displayable_rate_protecting_numerator():
    assert displayable_rate(3, 50, protect_numerator=True) is None
    assert displayable_rate(47, 50, protect_numerator=True) is None
    assert displayable_rate(25, 50, protect_numerator=True) == 50.0
    assert "[c]" in suppression_note()


def _independently_recoverable(table: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Independent check: a hidden cell is determined iff every null-space vector of the
    totals equations (over hidden cells) is zero at that cell."""
    cells = [tuple(ix) for ix in np.argwhere(hidden)]
    if not cells:
        return np.zeros(hidden.shape, bool)
    rows, cols = table.shape
    eqs = []
    for r in range(rows):
        eqs.append([(0 if rr != r else (-1.0 if c == cols - 1 else 1.0)) for (rr, c) in cells])
    for c in range(cols):
        eqs.append([(0 if cc != c else (-1.0 if rr == rows - 1 else 1.0)) for (rr, cc) in cells])
    basis = scipy.linalg.null_space(np.array(eqs))
    out = np.zeros(hidden.shape, bool)
    for k, cell in enumerate(cells):
        out[cell] = basis.size == 0 or np.allclose(basis[k], 0, atol=1e-9)
    return out


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=1, max_value=5).flatmap(
        lambda r: st.integers(min_value=1, max_value=5).flatmap(
            lambda c: st.lists(
                st.lists(st.integers(min_value=0, max_value=25), min_size=c, max_size=c),
                min_size=r, max_size=r,
            )
        )
    ),
    st.integers(min_value=2, max_value=10),
)
def test_no_suppressed_cell_is_recoverable(rows, threshold):
    counts = pd.DataFrame(rows)
    result = suppress_counts(counts, threshold=threshold)
    hidden = result.suppressed.to_numpy()
    full = np.vstack([np.c_[counts.to_numpy(), counts.sum(axis=1)],
                      np.r_[counts.sum(axis=0), counts.to_numpy().sum()]])
    # Every primary cell is hidden and nothing hidden can be recovered. (A zero may be hidden
    # as a last resort, when a line holds nothing else: tables of 1s and 0s need it.)
    assert (hidden[(full >= 1) & (full < threshold)]).all()
    assert not _independently_recoverable(full, hidden).any()
    assert not recoverable_cells(hidden).any()
    assert (full[result.primary.to_numpy()] > 0).all()


# --- Bounds (docs/DISCLOSURE.md "Bounds"): each primary cell's range includes 0 and 5 ----------

def _bounds(body, result):
    from metrics.disclosure import hidden_bounds, with_totals

    return hidden_bounds(with_totals(pd.DataFrame(body)).to_numpy(float), result.suppressed.to_numpy())


def test_a_hidden_pair_known_to_sum_to_two_is_widened():
    # Body A: 1, 1, 20 (22); B: 9, 8, 30 (47); columns 10, 9, 50 (69).
    # The exact check alone hides the rectangle A1, A2, B1, B2: nothing is determined, but
    # A1 + A2 = 22 − 20 = 2, so each is 0 to 2: known to be small.
    from metrics.disclosure import _secondary, hidden_bounds, with_totals

    full = with_totals(pd.DataFrame([[1, 1, 20], [9, 8, 30]])).to_numpy(float)
    rectangle = _secondary(full, (full >= 1) & (full < 5))
    assert rectangle.astype(int).tolist() == [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]]
    lower, upper = hidden_bounds(full, rectangle)
    assert (lower[0, 0], upper[0, 0], lower[0, 1], upper[0, 1]) == (0, 2, 0, 2)
    # Widened: A's other body cell (20) alone would not do (its column, 50 less B's 30, gives it
    # back, so A1 + A2 = 2 still), nor column 1's total; A's row total (22) does, and B's (47) goes
    # with it (the totals column would give it back). Then A1 + B1 = 10, A2 + B2 = 9 and the row
    # totals are free: A1 is 0 to 10 (A1 = 10, B1 = 0, A2 = 0, B2 = 9: rows 30 and 39, 69 in all),
    # A2 is 0 to 9.
    result = suppress_counts(pd.DataFrame([[1, 1, 20], [9, 8, 30]]))
    assert result.table.to_numpy().tolist() == [["[c]", "[c]", "20", "[c]"], ["[c]", "[c]", "30", "[c]"],
                                                ["10", "9", "50", "69"]]
    lower, upper = _bounds([[1, 1, 20], [9, 8, 30]], result)
    assert (lower[0, 0], upper[0, 0], lower[0, 1], upper[0, 1]) == (0, 10, 0, 9)
    assert "narrowed down" in result.note


def test_a_hidden_count_known_not_to_be_zero_is_widened():
    # Body A: 12, 3 (15); B: 2, 12 (14); columns 14, 15 (29). The exact check hides the
    # rectangle, but A1 + B1 = 14 caps A1 at 14, so A2 = 15 − A1 is at least 1: a reader knows
    # someone is there. Hiding the column totals (14 and 15) leaves only the rows: A1 + A2 = 15
    # and B1 + B2 = 14, so A2 is 0 to 15, and B1 0 to 14.
    from metrics.disclosure import _secondary, hidden_bounds, with_totals

    full = with_totals(pd.DataFrame([[12, 3], [2, 12]])).to_numpy(float)
    lower, _ = hidden_bounds(full, _secondary(full, (full >= 1) & (full < 5)))
    assert lower[0, 1] == 1
    result = suppress_counts(pd.DataFrame([[12, 3], [2, 12]]))
    assert result.table.to_numpy().tolist() == [["[c]", "[c]", "15"], ["[c]", "[c]", "14"], ["[c]", "[c]", "29"]]
    lower, upper = _bounds([[12, 3], [2, 12]], result)
    assert (lower[0, 1], upper[0, 1], lower[1, 0], upper[1, 0]) == (0, 15, 0, 14)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(min_value=0, max_value=25), min_size=3, max_size=3), min_size=1, max_size=4))
def test_every_primary_cell_can_be_zero_or_five_or_more(rows):
    from metrics.disclosure import hidden_bounds, with_totals

    counts = pd.DataFrame(rows)
    result = suppress_counts(counts)
    full = with_totals(counts).to_numpy(float)
    lower, upper = hidden_bounds(full, result.suppressed.to_numpy())
    primary = result.primary.to_numpy()
    assert (lower[primary] <= 0).all() and (upper[primary] >= 5).all()
