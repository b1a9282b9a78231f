"""Measuring text and tables before they are placed (no LibreOffice, no font metrics file).

A slide or page has fixed regions: title, body, notes and footer. A table is measured against
the body region before it is placed: its columns get widths from their content (never narrower
than their longest word, so no word is broken), each row's height follows from how many lines
its tallest cell wraps to, and the rows are split over as many slides as they need at the
largest font size from 12 pt down to 10 pt that fits (issue 16: 12 pt body where it fits, never
under 10 pt). The estimate is deliberately generous (an average character is taken as 0.55 of
the font size wide, wider than Calibri's or DejaVu Sans's average), so a table measured to fit
does fit when PowerPoint or LibreOffice draws it; the tests check the estimate, not a rendering.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Average character width as a share of the font size (generous: see the module docstring;
#: LibreOffice substitutes DejaVu Sans, wider than Calibri, and headers are bold).
CHAR_WIDTH = 0.62
#: Bold text is wider than regular by about this much.
BOLD = 1.2
#: Line height as a multiple of the font size.
LINE_HEIGHT = 1.2
#: Body text sizes tried, largest first (points).
BODY_SIZES = (12, 11, 10)
#: Inner margins of a table cell (python-pptx default: 0.1 in left/right, 0.05 in top/bottom).
CELL_MARGIN_X = 0.2  # inches, both sides together
CELL_MARGIN_Y = 0.1


def text_width(text: str, size: float) -> float:
    """Estimated width in inches of ``text`` on one line at ``size`` points."""
    return len(text) * size * CHAR_WIDTH / 72


def lines_needed(text: str, width: float, size: float) -> int:
    """Lines ``text`` wraps to in ``width`` inches at ``size`` points (word by word)."""
    if width <= 0:
        return 10_000
    count = 0
    for paragraph in str(text).split("\n") or [""]:
        line = 0.0
        count += 1
        for word in paragraph.split(" "):
            w = text_width(word + " ", size)
            if line and line + w > width:
                count += 1
                line = 0.0
            line += w
            while line > width:  # a word wider than the column: it breaks (avoided by widths)
                count += 1
                line -= width
    return count


def text_height(lines: list[str], width: float, size: float) -> float:
    """Inches needed for ``lines`` (paragraphs) in a box ``width`` inches wide."""
    return sum(lines_needed(line, width - 0.2, size) for line in lines) * size * LINE_HEIGHT / 72 + 0.1


@dataclass(frozen=True)
class TableLayout:
    size: int  # points
    widths: tuple[float, ...]  # inches
    row_heights: tuple[float, ...]  # inches; header first
    pages: tuple[tuple[int, int], ...]  # body row ranges [start, stop) per slide

    def height(self, page: int) -> float:
        start, stop = self.pages[page]
        return self.row_heights[0] + sum(self.row_heights[1 + start:1 + stop])


def column_widths(rows: list[list[str]], total: float, size: float) -> tuple[float, ...] | None:
    """Widths (inches, summing to ``total``) shared by content, each at least its longest word;
    ``None`` when the longest words alone do not fit."""
    columns = range(len(rows[0]))
    # The header row is bold: its words are measured a fifth wider.
    floor = [max([text_width(w, size) * BOLD for w in (rows[0][c].split() or [""])]
                 + [text_width(w, size) for row in rows[1:] for w in (row[c].split() or [""])]) + CELL_MARGIN_X + 0.05
             for c in columns]
    if sum(floor) > total:
        return None
    want = [min(max(text_width(row[c], size) for row in rows) + CELL_MARGIN_X, 4.0) for c in columns]
    want = [max(w, f) for w, f in zip(want, floor)]
    if sum(want) <= total:  # room to spare: share it out in proportion
        return tuple(w * total / sum(want) for w in want)
    spare = total - sum(floor)
    extra = [w - f for w, f in zip(want, floor)]
    return tuple(f + spare * e / (sum(extra) or 1) for f, e in zip(floor, extra))


def measure_table(rows: list[list[str]], width: float, height: float, first_height: float | None = None,
                  sizes=BODY_SIZES) -> TableLayout:
    """Lay ``rows`` (header first) out in a region ``width`` × ``height`` inches (the first
    slide's region may be shorter: ``first_height``). Tries each size, largest first, and keeps
    the first whose every row fits; at the smallest size a row too tall for a slide is placed
    alone (it cannot be split without breaking a cell)."""
    chosen = None
    for size in sizes:
        widths = column_widths(rows, width, size)
        if widths is None:
            continue
        heights = tuple(max(lines_needed(cell, w - CELL_MARGIN_X, size) for cell, w in zip(row, widths))
                        * size * LINE_HEIGHT / 72 + CELL_MARGIN_Y for row in rows)
        chosen = (size, widths, heights)
        if max(heights[1:], default=0) + heights[0] <= min(height, first_height or height):
            break
    if chosen is None:  # even the longest words do not fit: equal columns at the smallest size
        size = sizes[-1]
        widths = tuple(width / len(rows[0]) for _ in rows[0])
        heights = tuple(max(lines_needed(c, w - CELL_MARGIN_X, size) for c, w in zip(row, widths))
                        * size * LINE_HEIGHT / 72 + CELL_MARGIN_Y for row in rows)
        chosen = (size, widths, heights)
    size, widths, heights = chosen
    pages: list[tuple[int, int]] = []
    start, used = 0, heights[0]
    limit = first_height or height
    for i, h in enumerate(heights[1:]):
        if used + h > limit and i > start:
            pages.append((start, i))
            start, used, limit = i, heights[0], height
        used += h
    pages.append((start, len(rows) - 1))
    return TableLayout(size, widths, heights, tuple(pages))


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance of an ``RRGGBB`` colour."""
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two ``RRGGBB`` colours (4.5:1 is the floor for body text)."""
    a, b = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def ceil_to(value: float, step: float) -> float:
    return math.ceil(value / step) * step
