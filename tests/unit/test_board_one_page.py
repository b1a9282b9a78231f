"""The one-page Board summary's view models (metrics.panels.board_exceptions, board_headlines)
and the printed table (ui.printing.html_table), with hand-made overviews."""

from __future__ import annotations

import pandas as pd

from metrics import panels
from ui.printing import html_table


def _overview(rows: list[tuple[str, str, str, str]]) -> panels.Panel:
    """(code, status text, variation icon, assurance icon) -> an spc_overview-shaped panel."""
    return panels.Panel("overview", pd.DataFrame([
        {"code": code, "measure": f"Measure {code}", "value": "50.0%", "target": "90%", "status": status,
         "variation_icon": variation, "assurance_icon": assurance, "variation": "words", "assurance": "words"}
        for code, status, variation, assurance in rows]), "% of cases")


def test_exceptions_are_the_measures_to_discuss_worst_first():
    overview = _overview([
        ("A1", "✔ met", "common_cause", "inconsistent"),               # not an exception
        ("B2", "▼ below target", "common_cause", "inconsistent"),      # below target only: last
        ("C3", "✔ met", "concern_low", "inconsistent"),                # special cause concern
        ("D4", "▼▼ below trigger", "common_cause", "inconsistent"),    # below trigger: first
        ("E5", "▼ below target", "common_cause", "consistently_fail"),  # failing and below target
        ("F6", "no data", "no_data", "none"),                           # no data: not an exception
        ("G7", "✔ met", "improvement_high", "consistently_pass"),
    ])
    result = panels.board_exceptions(overview)
    assert list(result.data["code"]) == ["D4", "C3", "E5", "B2"]
    assert list(result.data["why"]) == ["below trigger", "special cause concern",
                                        "consistently failing target; below target", "below target"]
    assert result.title == "4 exceptions: D4, C3, E5, B2"
    assert len(result.notes) == 1  # nothing left out


def test_only_the_few_exceptions_are_listed_and_the_rest_named():
    overview = _overview([(f"K{n}", "▼ below target", "common_cause", "inconsistent") for n in range(1, 10)])
    result = panels.board_exceptions(overview, limit=6)
    assert list(result.data["code"]) == [f"K{n}" for n in range(1, 7)]
    assert result.title.startswith("9 exceptions: K1, K2")
    assert result.notes[-1] == "Not listed here: K7, K8, K9 (every measure is on the KPIs page)."


def test_no_exception_is_said_in_words_not_an_empty_table():
    result = panels.board_exceptions(_overview([("A1", "✔ met", "common_cause", "consistently_pass")]))
    assert result.data.empty and result.title.startswith("No exceptions")


def test_headlines_quote_the_panels_on_the_page():
    tiles = panels.Panel("2 of 5 measures below target (B2, E5); no special-cause concern", pd.DataFrame())
    changed = panels.Panel("Since 2025/26 Q3: 1 success, 1 gap, 0 opportunities", pd.DataFrame(
        {"kind": ["Gaps", "Successes", "Gaps"], "finding": ["gap one", "success one", "gap two"],
         "evidence": ["", "", ""]}))
    bands = panels.Panel("3 of 10 boroughs below their forecast band", pd.DataFrame())
    lines = list(panels.board_headlines(tiles, changed, bands).data["finding"])
    assert lines == [tiles.title, changed.title, "Success: success one", "Gap: gap one", bands.title]


def test_the_printed_table_escapes_text_and_gives_icons_their_words():
    data = pd.DataFrame({"code": ["<b>X</b>", "Y"], "icon": ["data:image/png;base64,AAAA", None],
                         "words": ["Common cause", "none"]})
    table = html_table(data, ["code", "icon"], images={"icon": ("icon", "words")})
    assert "&lt;b&gt;X&lt;/b&gt;" in table and "<b>X</b>" not in table
    assert '<img src="data:image/png;base64,AAAA" alt="Common cause">' in table
    assert table.count("<img") == 1  # no image where there is none (no broken image)
    assert '<th scope="col">code</th>' in table
