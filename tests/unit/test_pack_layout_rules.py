"""reports.layout: the measuring rules, with hand-worked values."""

from __future__ import annotations

import pytest

from reports.layout import (
    CHAR_WIDTH,
    column_widths,
    contrast_ratio,
    lines_needed,
    measure_table,
    text_width,
)


def test_text_width_is_characters_times_the_average_width():
    # 10 characters at 12 pt: 10 × 12 × 0.62 / 72 in.
    assert text_width("abcdefghij", 12) == pytest.approx(10 * 12 * CHAR_WIDTH / 72)


def test_lines_wrap_word_by_word():
    one_word = text_width("word ", 12)
    assert lines_needed("word word word", one_word * 3.01, 12) == 1
    assert lines_needed("word word word", one_word * 2.01, 12) == 2
    assert lines_needed("word word word", one_word * 1.01, 12) == 3
    assert lines_needed("first\nsecond", 10, 12) == 2  # a line break is a new line


def test_no_column_is_narrower_than_its_longest_word():
    rows = [["Code", "Denominator"], ["DS1", "1,332"]]
    widths = column_widths(rows, 3.0, 12)
    assert widths[1] >= text_width("Denominator", 12) * 1.2  # bold header, measured wider
    assert sum(widths) == pytest.approx(3.0)
    assert column_widths(rows, 1.0, 12) is None  # the longest words alone do not fit


def test_a_table_splits_at_12_pt_rather_than_shrinking_when_its_rows_fit():
    rows = [["A", "B"]] + [["x", "y"]] * 30
    row_height = 12 * 1.2 / 72 + 0.1  # one line at 12 pt plus the cell margins
    layout = measure_table(rows, 6.0, height=row_height * 11 + 0.001)  # header and 10 rows a slide
    assert layout.size == 12
    assert layout.pages == ((0, 10), (10, 20), (20, 30))
    assert all(layout.height(p) <= row_height * 11 + 0.001 for p in range(3))


def test_a_row_too_tall_at_12_pt_is_tried_at_11_then_10_never_smaller():
    long_text = " ".join(["word"] * 60)
    rows = [["Text"], [long_text]]
    width = 3.0
    tall_at = {size: lines_needed(long_text, width - 0.2, size) * size * 1.2 / 72 + 0.1 for size in (12, 11, 10)}
    header = 12 * 1.2 / 72 + 0.1
    # Room for the row at 10 pt only: the layout takes 10 pt.
    layout = measure_table(rows, width, height=header + tall_at[10] + 0.01)
    assert tall_at[12] > tall_at[10] and layout.size == 10
    # No room even at 10 pt: still 10 pt (never smaller), the row alone on its slide.
    assert measure_table(rows, width, height=0.5).size == 10


def test_contrast_ratio_matches_wcag_values():
    assert contrast_ratio("000000", "FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("FFFFFF", "FFFFFF") == pytest.approx(1.0)
    assert contrast_ratio("767676", "FFFFFF") == pytest.approx(4.54, abs=0.01)  # the WCAG AA grey
