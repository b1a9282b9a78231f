"""Board, contract and EPOP packs: open each generated file and check what it says.

One demo database (3,000 referrals) per module; every pack is built once per format and
read back with python-pptx, pypdf and openpyxl.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from pptx import Presentation
from pypdf import PdfReader
from sqlalchemy import select

from data_access.db import make_engine, session_scope
from data_access.demo import seed_demo
from data_access.models import Contract, Provider
from data_access.scoping import AccessScope, ReferralFilters, analyst_scope, referrals_select
from data_access.settings import Settings
from data_access.setup import initialise
from metrics import periods
from metrics.disclosure import SUPPRESSED
from metrics.queries import demand_units_for, scorecard
from reports.build import build, file_name
from reports.pack_data import EpopReader, Pack, PackTable, definitions_frame, period_for
from reports.workbook import TABLE_START_ROW, pack_to_xlsx

QUARTER = period_for(dt.date(2025, 7, 1), dt.date(2025, 9, 30))
MONTH = period_for(dt.date(2025, 9, 1), dt.date(2025, 9, 30))
SETTINGS = Settings()


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    path = tmp_path_factory.mktemp("packs") / "packs.db"
    engine = make_engine(f"sqlite:///{path}")
    initialise(engine)
    seed_demo(engine, referrals=3000)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def contracts(engine):
    with session_scope(engine) as session:
        rows = session.execute(
            select(Contract.id, Contract.reference, Contract.provider_id, Provider.name)
            .join(Provider, Provider.id == Contract.provider_id).where(Contract.reference.like("GMIRS%"))
            .order_by(Contract.reference)
        ).all()
    return [tuple(r) for r in rows]


@pytest.fixture(scope="module")
def board(engine):
    return {fmt: build(engine, "board", fmt, period=QUARTER, scope=analyst_scope(), settings=SETTINGS)
            for fmt in ("pptx", "pdf", "xlsx")}


def _expected_card(engine, scope, filters=ReferralFilters(), period=QUARTER):
    with session_scope(engine) as session:
        provider_id = scope.provider_id if scope.role == "provider" else None
        units = demand_units_for(session, contract_id=filters.contract_id, provider_id=provider_id)
        return scorecard(session, referrals_select(scope, filters), start=period.start, end=period.end,
                         demand_unit_ids=units)


def _slide_texts(content: bytes) -> list[str]:
    deck = Presentation(io.BytesIO(content))
    texts = []
    for slide in deck.slides:
        parts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts += [cell.text for row in shape.table.rows for cell in row.cells]
        texts.append("\n".join(parts))
    return texts


def _sheet_rows(ws) -> tuple[list[str], list[list]]:
    rows = list(ws.iter_rows(min_row=TABLE_START_ROW + 1, values_only=True))
    header = list(rows[0])
    body = []
    for row in rows[1:]:
        if all(v is None for v in row):
            break
        body.append(list(row))
    return header, body


# --------------------------------------------------------------------------------------------
# Board pack
# --------------------------------------------------------------------------------------------


def test_board_pack_pptx_has_title_sections_charts_and_context_on_every_slide(board):
    pack, content = board["pptx"]
    deck = Presentation(io.BytesIO(content))
    titles = [s.shapes.title.text for s in deck.slides]
    assert titles[0] == "Quality Assurance and Learning Board pack"
    texts = _slide_texts(content)
    assert QUARTER.label in texts[0] and "Data as of" in texts[0] and "All Greater Manchester" in texts[0]
    assert titles[1].endswith("this period") or "persistent" in titles[1]  # the executive summary states a finding
    # Titles state findings; the measure each slide is about is its kicker, above the title.
    for wanted in ("Executive summary", "KPIs against target, with variation and assurance",
                   "Referrals received against the forecast band, by borough",
                   "Complexity mix of referrals received", "Distance travelled by need",
                   "Attendance by protected characteristic", "Spend against the funding profile",
                   "What changed: successes", "What changed: gaps", "What changed: opportunities",
                   "Data-quality checks", "Appendix: definitions", "Appendix: assumptions and notes"):
        assert any(wanted in t for t in texts), wanted
    charts = [shape for slide in deck.slides for shape in slide.shapes if shape.has_chart]
    assert len(charts) >= 5  # KPI, forecast, complexity, distance, spend: native, editable
    for text in _slide_texts(content)[1:]:
        assert "Data as of" in text and "Filters:" in text and "[c]" in text
    assert len(deck.slides) >= 20


def test_board_pack_kpi_numbers_match_metrics_for_the_same_filters(engine, board):
    card = _expected_card(engine, analyst_scope())
    _, content = board["xlsx"]
    book = openpyxl.load_workbook(io.BytesIO(content))
    header, body = _sheet_rows(book["KPI summary"])
    by_code = {row[header.index("Code")]: row for row in body}
    assert set(by_code) == {k.code for k in card.kpis}
    from data_access.figure_settings import FigureSettings
    from metrics.panels import shown_kpi

    shown_any = False
    for result in card.kpis:
        row = by_code[result.code]
        # The pack prints each measure as disclosure control lets it be shown (metrics.panels.shown_kpi):
        # the true figures, or [c] / [low] where a count of 1–4 people would otherwise follow.
        shown = shown_kpi(result, FigureSettings())
        for column, value in (("Numerator", shown["numerator"]), ("Value (%)", shown["value"])):
            if isinstance(value, str):
                assert row[header.index(column)] == value
            else:
                shown_any = True
                assert row[header.index(column)] == pytest.approx(value)
        if result.code != "DS1" and not isinstance(shown["denominator"], str):
            assert row[header.index("Denominator")] == result.denominator
        if shown["value"] != "[low]":
            assert row[header.index("Status")] == result.status
    assert shown_any
    # the same numbers are printed on the slide
    slide_text = "\n".join(t for t in _slide_texts(board["pptx"][1]) if t.startswith("KPIs against target, with variation"))
    ds2 = card.kpi("DS2")
    assert f"{int(ds2.numerator):,}" in slide_text and f"{ds2.value:.1f}" in slide_text


def test_board_pack_workbook_has_every_table_and_definitions(board):
    pack, content = board["xlsx"]
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["About", *(t.key for t in pack.tables), "Definitions"]
    about = {row[0]: row[1] for row in book["About"].iter_rows(min_row=3, values_only=True) if row[0]}
    assert about["Period"] == QUARTER.label and about["Data as of"] == pack.as_of.isoformat()
    assert about["Filters"] == "Scope: All Greater Manchester (GMIRS)"
    assert "[c]" in about["Suppression"]
    for name in book.sheetnames[1:]:
        assert "Data as of" in book[name]["A2"].value and "Filters:" in book[name]["A2"].value
    header, body = _sheet_rows(book["Definitions"])
    assert [row[0] for row in body] == ["DS1", "DS2", "DS3", "DS4", "DS5", "KP1", "KP2", "KP3", "KP4", "KP5", "KP6", "SL002"]


def test_board_pack_suppresses_small_counts_of_people(board):
    pack, content = board["xlsx"]
    book = openpyxl.load_workbook(io.BytesIO(content))
    threshold = SETTINGS.suppression_threshold
    seen_suppressed = False
    for sheet, columns in (("Equalities", ("Referrals ended", "Attended", "Did not attend")),
                           # the page's panel: shares per borough, a share of a hidden count not shown
                           ("Complexity by borough", ("Referrals",)),
                           ("Referrals v forecast", ("Referrals",))):
        header, body = _sheet_rows(book[sheet])
        for row in body:
            for column in columns:
                value = row[header.index(column)]
                assert not (isinstance(value, (int, float)) and 1 <= value < threshold), (sheet, row)
                seen_suppressed |= value == SUPPRESSED
    assert seen_suppressed  # the demo has small groups (e.g. sexual orientation "Other")
    header, body = _sheet_rows(book["Equalities"])
    for row in body:  # a row with a hidden count never shows its rate
        if SUPPRESSED in row:
            assert row[header.index("Attended (%)")] == "[low]"


def test_board_pack_pdf_prints_title_period_filters_as_of_and_suppression(board):
    pack, content = board["pdf"]
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) >= len(pack.tables) + 2
    first = reader.pages[0].extract_text()
    assert "Quality Assurance and Learning Board pack" in first and QUARTER.label in first
    assert "Data as of" in first and "Filters:" in first
    text = "\n".join(page.extract_text() for page in reader.pages)
    for wanted in ("KPIs against target", "Successes", "Gaps", "Opportunities", "Appendix: definitions",
                   "Data-quality checks", SUPPRESSED):
        assert wanted in text, wanted
    for page in reader.pages[1:]:
        assert "Data as of" in page.extract_text()


def test_findings_in_the_pack_are_grouped_and_link_to_pages(board):
    pack, _ = board["pptx"]
    assert pack.findings, "the demo quarter has something to say"
    kinds = [f.kind for f in pack.findings]
    assert kinds == sorted(kinds, key=["success", "gap", "opportunity"].index)
    assert all("period=quarter&at=2025-07-01" in f.evidence for f in pack.findings)


# --------------------------------------------------------------------------------------------
# Contract pack and provider isolation
# --------------------------------------------------------------------------------------------


def test_provider_contract_pack_contains_no_other_providers_data(engine, contracts):
    contract_id, reference, provider_id, provider_name = contracts[0]
    scope = AccessScope(username="provider", role="provider", provider_id=provider_id)
    pack, xlsx = build(engine, "contract", "xlsx", period=MONTH, scope=scope, settings=SETTINGS)
    _, pptx = build(engine, "contract", "pptx", period=MONTH, scope=scope, settings=SETTINGS)
    _, pdf = build(engine, "contract", "pdf", period=MONTH, scope=scope, settings=SETTINGS)
    texts = "\n".join(_slide_texts(pptx)) + "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    cells = "\n".join(str(v) for ws in book for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    assert provider_name in texts and provider_name in cells
    for other_id, other_ref, other_provider, other_name in contracts:
        if other_provider != provider_id:
            assert other_name not in texts and other_name not in cells
            assert other_ref not in texts and other_ref not in cells
    # the numbers are the provider's own, and differ from the whole service's
    own = _expected_card(engine, scope, period=MONTH)
    everyone = _expected_card(engine, analyst_scope(), period=MONTH)
    header, body = _sheet_rows(book["KPI summary"])
    ds2 = next(row for row in body if row[0] == "DS2")
    assert ds2[header.index("Denominator")] == own.kpi("DS2").denominator
    assert own.kpi("DS2").denominator < everyone.kpi("DS2").denominator


def test_provider_cannot_widen_its_pack_with_another_contracts_filter(engine, contracts):
    _, _, provider_id, _ = contracts[0]
    other_contract = next(c for c in contracts if c[2] != provider_id)
    scope = AccessScope(username="provider", role="provider", provider_id=provider_id)
    for kind in ("contract", "board"):
        with pytest.raises(PermissionError):
            build(engine, kind, "xlsx", period=MONTH, scope=scope, settings=SETTINGS,
                  filters=ReferralFilters(contract_id=other_contract[0]))
    # a provider's board-style pack only holds its own spend
    pack, _ = build(engine, "board", "xlsx", period=QUARTER, scope=scope, settings=SETTINGS)
    with session_scope(engine) as session:
        from metrics.queries import spend_frames

        _, own_spend = spend_frames(session, contract_ids=[c[0] for c in contracts if c[2] == provider_id])
    months = {f"{m:%b %Y}" for m in own_spend["month"]}
    spend = pack.table("Spend v profile").frame
    expected = own_spend.assign(label=[f"{m:%b %Y}" for m in own_spend["month"]]).groupby("label")["amount"].sum()
    for row in spend.itertuples(index=False):
        assert row[0] in months
        assert row[2] == pytest.approx(round(float(expected[row[0]])), abs=1)


def _sheet_rows_from_pack(pack: Pack, key: str):
    frame = pack.table(key).frame
    return list(frame.columns), frame.values.tolist()


def test_contract_pack_has_sl002_breakdown_cases_at_risk_and_commentary(engine, contracts):
    contract_id, reference, _, _ = contracts[1]
    pack, content = build(engine, "contract", "pptx", period=MONTH, scope=analyst_scope(), settings=SETTINGS,
                          filters=ReferralFilters(contract_id=contract_id))
    titles = [s.shapes.title.text for s in Presentation(io.BytesIO(content)).slides]
    assert titles[0] == "Monthly contract pack"
    texts = _slide_texts(content)
    for wanted in ("Executive summary", "SL002 with the neutral and negative breakdown",
                   "Cases at risk of breaching a time limit", "Data-quality checks", "Provider commentary"):
        assert any(wanted in t for t in texts), wanted
    assert any("Early warnings and risks" in t and "None entered in the dashboard" in t for t in texts)
    card = _expected_card(engine, analyst_scope(), ReferralFilters(contract_id=contract_id), MONTH)
    sl002 = card.kpi("SL002")
    frame = pack.table("SL002 breakdown").frame
    b_row = frame[frame["Category"].str.startswith("b:")].iloc[0]
    assert b_row["Total"] in (sl002.extra["b"], SUPPRESSED)
    at_risk = pack.table("Cases at risk").frame
    assert list(at_risk["Measure"])[-1] == "Total" and "referral_ref" not in " ".join(map(str, at_risk.columns))
    assert reference in pack.filters_text


# --------------------------------------------------------------------------------------------
# EPOP report
# --------------------------------------------------------------------------------------------


def test_epop_regional_report_and_national_summary(engine):
    pack, content = build(engine, "epop", "xlsx", period=QUARTER, scope=analyst_scope(), settings=SETTINGS,
                          epop_user=EpopReader("spoc", "epop_spoc", "J"), region_code="J")
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["About", "Plan progress", "Overdue and at risk", "Annex 2", "Standards", "Sessions",
                               "National summary", "Definitions"]
    header, body = _sheet_rows(book["National summary"])
    assert len(body) == 13 and body[-1][0] == "Approved Premises"
    assert "Region: J Greater Manchester" in pack.filters_text
    _, pptx = build(engine, "epop", "pptx", period=QUARTER, scope=analyst_scope(), settings=SETTINGS,
                    epop_user=EpopReader("spoc", "epop_spoc", "J"), region_code="J")
    titles = [s.shapes.title.text for s in Presentation(io.BytesIO(pptx)).slides]
    assert titles[0].startswith("EPOP regional progress report: J Greater Manchester")


def test_epop_report_refuses_roles_that_may_not_read_plans(engine):
    with pytest.raises(PermissionError):
        build(engine, "epop", "pdf", period=QUARTER, scope=analyst_scope(), settings=SETTINGS,
              epop_user=EpopReader("provider", "provider"), region_code="J")


# --------------------------------------------------------------------------------------------
# Formula neutralisation, CLI
# --------------------------------------------------------------------------------------------


def test_workbook_neutralises_formula_cells():
    import pandas as pd

    frame = pd.DataFrame({"=Group": ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "plain"],
                          "Count": [10, -3, 7, 8, 9]})
    pack = Pack(kind="board", title="=cmd|' /C calc'!A0", period=QUARTER, as_of=dt.date(2025, 10, 1),
                filters=(("Borough", "=evil()"),), tables=(PackTable("Injected", "Injected", frame),),
                definitions=definitions_frame(), assumptions=("-assumption",), suppression_note="note")
    book = openpyxl.load_workbook(io.BytesIO(pack_to_xlsx(pack)))
    ws = book["Injected"]
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@")), cell.value
    header, body = _sheet_rows(ws)
    assert header == ["'=Group", "Count"]
    assert [r[0] for r in body] == ["'=HYPERLINK(\"http://x\")", "'+1+1", "'-2+3", "'@SUM(A1)", "plain"]
    assert [r[1] for r in body] == [10, -3, 7, 8, 9]  # numbers stay numbers, negatives included
    assert book["About"]["A1"].value == "'=cmd|' /C calc'!A0"


def test_cli_builds_each_kind(engine, tmp_path, monkeypatch, contracts):
    from metrics.__main__ import main

    monkeypatch.setenv("DASHBOARD_DATABASE_URL", str(engine.url))
    out = io.StringIO()
    board_file = tmp_path / "board.pdf"
    assert main(["pack", "--kind", "board", "--from", "2025-07-01", "--to", "2025-09-30", "--out", str(board_file)], out) == 0
    assert board_file.read_bytes().startswith(b"%PDF")
    assert "Data as of" in out.getvalue()
    contract_file = tmp_path / "contract.xlsx"
    assert main(["pack", "--kind", "contract", "--from", "2025-09-01", "--to", "2025-09-30",
                 "--scope", contracts[0][1], "--out", str(contract_file)], out) == 0
    assert "KPI summary" in openpyxl.load_workbook(contract_file).sheetnames
    epop_file = tmp_path / "epop.pptx"
    assert main(["pack", "--kind", "epop", "--from", "2025-07-01", "--to", "2025-09-30", "--scope", "J",
                 "--out", str(epop_file)], out) == 0
    assert len(Presentation(str(epop_file)).slides) > 3
    with pytest.raises(SystemExit):
        main(["pack", "--kind", "contract", "--from", "2025-09-01", "--to", "2025-09-30", "--out", str(tmp_path / "x.xlsx")], out)
    with pytest.raises(SystemExit):
        main(["pack", "--kind", "board", "--from", "2025-07-01", "--to", "2025-09-30", "--out", str(tmp_path / "x.docx")], out)


def test_file_name_says_kind_period_and_scope(board):
    pack, _ = board["pdf"]
    assert file_name(pack, "pdf") == "board_2025-07-01_2025-09-30.pdf"


def test_cli_refuses_a_period_after_the_data_with_exit_2(engine, tmp_path, monkeypatch, capsys):
    from metrics.__main__ import main

    monkeypatch.setenv("DASHBOARD_DATABASE_URL", str(engine.url))
    with session_scope(engine) as session:
        from metrics.panels import data_as_of
        as_of = data_as_of(session)
    future = period_for(dt.date(as_of.year + 1, 4, 1), dt.date(as_of.year + 1, 6, 30))
    target = tmp_path / "future.pptx"
    code = main(["pack", "--kind", "board", "--from", future.start.isoformat(), "--to", future.end.isoformat(),
                 "--out", str(target)], io.StringIO())
    assert code == 2
    assert not target.exists()
    assert "starts after the data's as-of date" in capsys.readouterr().err


def test_a_part_period_pack_says_so_and_borough_scope_from_the_cli(engine, tmp_path, monkeypatch):
    from metrics.__main__ import main

    monkeypatch.setenv("DASHBOARD_DATABASE_URL", str(engine.url))
    with session_scope(engine) as session:
        from metrics.panels import data_as_of
        as_of = data_as_of(session)
    # A period that starts before the as-of date and ends a month after it (whole months:
    # docs/DISCLOSURE.md "Custom periods").
    start = as_of.replace(day=1)
    end = periods.month(start + dt.timedelta(days=62)).end
    out = io.StringIO()
    target = tmp_path / "part.xlsx"
    assert main(["pack", "--kind", "board", "--from", start.isoformat(), "--to", end.isoformat(),
                 "--borough", "Bolton", "--out", str(target)], out) == 0
    text = out.getvalue()
    assert "Part period: the data ends on" in text and "Bolton" in text
    about = [[c.value for c in row] for row in openpyxl.load_workbook(target)["About"].iter_rows()]
    assert any(row[0] == "Part period" for row in about)
    assert any(row[0] == "Filters" and "Borough: Bolton" in row[1] for row in about)


def test_cli_pdu_and_provider_scopes_print_on_the_pack(engine, tmp_path, monkeypatch, contracts):
    from metrics.__main__ import main

    monkeypatch.setenv("DASHBOARD_DATABASE_URL", str(engine.url))
    out = io.StringIO()
    assert main(["pack", "--kind", "board", "--from", "2025-07-01", "--to", "2025-09-30", "--provider",
                 str(contracts[0][2]), "--out", str(tmp_path / "p.xlsx")], out) == 0
    assert f"Provider: {contracts[0][3]}" in out.getvalue()
    with pytest.raises(SystemExit, match="unknown borough"):
        main(["pack", "--kind", "board", "--from", "2025-07-01", "--to", "2025-09-30", "--borough", "Atlantis",
              "--out", str(tmp_path / "x.xlsx")], out)
