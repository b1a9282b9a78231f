"""Printing: the print style sheet (injected once a run by app.py, through ``ui.styles``) and
the containers and table that a page uses to print differently from the screen.

When printed (or saved as PDF), a page loses the sidebar, Streamlit's header and toolbar, every
widget (buttons, selects, toggles, downloads, date inputs, page links) and collapsed expanders,
and its content runs full width on A4 portrait. ``screen_only`` wraps what is not printed;
``print_only`` wraps what is printed but not shown on screen (for example a plain table in place
of an interactive one, whose canvas would print cut off).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

SCREEN_ONLY = "screen-only"
PRINT_ONLY = "print-only"

_HIDDEN_IN_PRINT = ", ".join([
    '[data-testid="stSidebar"]', '[data-testid="stSidebarCollapsedControl"]', '[data-testid="stHeader"]',
    '[data-testid="stToolbar"]', '[data-testid="stDecoration"]', '[data-testid="stStatusWidget"]',
    '[data-testid="stElementToolbar"]', '[data-testid="stButton"]', '[data-testid="stDownloadButton"]',
    '[data-testid="stFormSubmitButton"]', '[data-testid="stSelectbox"]', '[data-testid="stMultiSelect"]',
    '[data-testid="stDateInput"]', '[data-testid="stRadio"]', '[data-testid="stCheckbox"]', '.stToggle',
    '[data-testid="stTextInput"]', '[data-testid="stNumberInput"]', '[data-testid="stTextArea"]',
    '[data-testid="stSlider"]', '[data-testid="stFileUploader"]', '[data-testid="stPageLink"]',
    '[data-testid="stExpander"] details:not([open])', '[data-testid="stExpander"] summary',
    f'[class*="st-key-{SCREEN_ONLY}"]',
])

PRINT_CSS = f"""<style>
[class*="st-key-{PRINT_ONLY}"] {{ display: none; }}
@page {{ size: A4 portrait; margin: 10mm 11mm; }}
@media print {{
  {_HIDDEN_IN_PRINT} {{ display: none !important; }}
  [class*="st-key-{PRINT_ONLY}"] {{ display: flex !important; }}
  html, body, [data-testid="stApp"], [data-testid="stAppViewContainer"], [data-testid="stMain"] {{
    height: auto !important; overflow: visible !important; position: static !important; }}
  [data-testid="stMain"] {{ margin: 0 !important; }}
  [data-testid="stMainBlockContainer"] {{ padding: 0 !important; max-width: none !important; width: 100% !important; }}
  body {{ font-size: 9pt; -webkit-print-color-adjust: exact; print-color-adjust: exact; }}
  h1 {{ font-size: 15pt !important; padding: 0 0 1pt 0 !important; }}
  h2, h3 {{ font-size: 11pt !important; line-height: 1.25 !important; padding: 3pt 0 0 0 !important; break-after: avoid; }}
  p, li {{ font-size: 9pt !important; line-height: 1.35 !important; margin-bottom: 1pt !important; }}
  [data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {{ font-size: 7.5pt !important; }}
  [data-testid="stVerticalBlock"] {{ gap: 3pt !important; }}
  table.print-table {{ border-collapse: collapse; width: 100%; font-size: 8pt; line-height: 1.25; }}
  table.print-table th, table.print-table td {{ padding: 1px 4px; }}
  table.print-table img {{ width: 15px; height: 15px; }}
  table, figure, [data-testid="stPlotlyChart"], [data-testid="stMetric"] {{ break-inside: avoid; }}
}}
table.print-table {{ border-collapse: collapse; width: 100%; }}
table.print-table th, table.print-table td {{ border-bottom: 1px solid #b1b4b6; padding: 2px 4px; text-align: left;
  vertical-align: middle; }}
table.print-table th {{ font-weight: 600; border-bottom: 2px solid #0b0c0c; }}
table.print-table img {{ width: 20px; height: 20px; display: block; }}
</style>"""


def screen_only(key: str):
    """A container shown on screen and left out when the page is printed."""
    return st.container(key=f"{SCREEN_ONLY}-{key}")


def print_only(key: str):
    """A container printed but not shown on screen (nor read out by screen readers)."""
    return st.container(key=f"{PRINT_ONLY}-{key}")


def html_table(data: pd.DataFrame, columns: Sequence[str], *, images: Mapping[str, tuple[str, str]] | None = None,
               caption: str | None = None) -> str:
    """``data``'s ``columns`` as a plain HTML table (text escaped). ``images`` maps a column to
    (column of data URIs, column of the image's words): the image is drawn with the words as its
    alternative text, and no image where the URI is empty."""
    images = images or {}

    def cell(row, column) -> str:
        if column in images:
            uri_column, words_column = images[column]
            uri = row[uri_column]
            if not isinstance(uri, str) or not uri:
                return "<td></td>"
            return f'<td><img src="{html.escape(str(uri))}" alt="{html.escape(str(row[words_column]))}"></td>'
        value = row[column]
        return f"<td>{html.escape('' if value is None else str(value))}</td>"

    head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in columns)
    body = "".join("<tr>" + "".join(cell(row, c) for c in columns) + "</tr>" for _, row in data.iterrows())
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'<table class="print-table">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
