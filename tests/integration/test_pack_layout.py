"""Packs a board can use as they come (issue 16), checked without LibreOffice.

For the quarterly board pack (all GM, a borough, a provider), the monthly contract pack and the
EPOP report (a region, the national summary), every slide is opened with python-pptx and every
PDF with pypdf: every shape inside the slide; every table's estimated height (the same
estimate the renderer uses, from the cell texts, column widths and font size actually written)
within the body region above the notes and footer; no text under 10 pt; alt text on every
chart and picture; a slide-number field on every slide; text on fills at least 4.5:1. The PDF:
a structure tree root, the document language, bookmarks and "Page n of N".
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pptx import Presentation
from pptx.util import Emu
from pypdf import PdfReader
from sqlalchemy import select

from data_access.db import session_scope
from data_access.models import Borough, Contract
from data_access.scoping import AccessScope, ReferralFilters, analyst_scope
from data_access.settings import Settings
from reports.build import build
from reports.layout import (
    CELL_MARGIN_X,
    CELL_MARGIN_Y,
    LINE_HEIGHT,
    contrast_ratio,
    lines_needed,
)
from reports.pack_data import EpopReader, period_for
from reports.slides import FOOTER_TOP
from tests.integration.test_packs import engine  # noqa: F401 - the demo database fixture, shared

QUARTER = period_for(dt.date(2025, 7, 1), dt.date(2025, 9, 30))
MONTH = period_for(dt.date(2025, 9, 1), dt.date(2025, 9, 30))
EMU_PER_INCH = 914400


def _ids(engine):  # noqa: F811 - the shared fixture
    with session_scope(engine) as session:
        bolton = session.scalar(select(Borough.id).where(Borough.name == "Bolton"))
        contract_id, provider_id = session.execute(
            select(Contract.id, Contract.provider_id).where(Contract.reference.like("GMIRS%")).order_by(Contract.reference)
        ).first()
    return bolton, contract_id, provider_id


PACKS = ("board-gm", "board-borough", "board-provider", "contract", "epop-region", "epop-national")


@pytest.fixture(scope="module")
def packs(engine):  # noqa: F811 - the shared fixture
    bolton, contract_id, provider_id = _ids(engine)
    settings = Settings(base_url="https://dashboard.example.org/")
    provider = AccessScope(username="provider", role="provider", provider_id=provider_id)
    requests = {
        "board-gm": {"kind": "board", "period": QUARTER, "scope": analyst_scope()},
        "board-borough": {"kind": "board", "period": QUARTER, "scope": analyst_scope(),
                              "filters": ReferralFilters(borough_id=bolton)},
        "board-provider": {"kind": "board", "period": QUARTER, "scope": analyst_scope(),
                               "filters": ReferralFilters(provider_id=provider_id)},
        "contract": {"kind": "contract", "period": MONTH, "scope": provider, "filters": ReferralFilters(contract_id=contract_id)},
        "epop-region": {"kind": "epop", "period": QUARTER, "scope": analyst_scope(), "region_code": "J",
                            "epop_user": EpopReader("test", "admin")},
        "epop-national": {"kind": "epop", "period": QUARTER, "scope": analyst_scope(), "epop_user": EpopReader("test", "admin")},
    }
    out = {}
    for name, request in requests.items():
        kind = request.pop("kind")
        out[name] = {fmt: build(engine, kind, fmt, settings=settings, **request)[1] for fmt in ("pptx", "pdf")}
    return out


def _inches(value) -> float:
    return value / EMU_PER_INCH


def _font_sizes(shape):
    frames = [shape.text_frame] if shape.has_text_frame else []
    if shape.has_table:
        frames += [cell.text_frame for row in shape.table.rows for cell in row.cells]
    for frame in frames:
        for paragraph in frame.paragraphs:
            for run in paragraph.runs:
                if run.font.size is not None:
                    yield run.font.size.pt


def _estimated_table_height(shape) -> float:
    """The renderer's estimate, recomputed from what was written to the slide."""
    grid = shape.table
    widths = [_inches(c.width) for c in grid.columns]
    size = next(iter(_font_sizes(shape)))
    total = 0.0
    for row in grid.rows:
        lines = max(lines_needed(cell.text, w - CELL_MARGIN_X, size) for cell, w in zip(row.cells, widths))
        total += lines * size * LINE_HEIGHT / 72 + CELL_MARGIN_Y
    return total


@pytest.mark.parametrize("name", PACKS)
def test_every_shape_inside_the_slide_and_tables_above_notes_and_footer(packs, name):
    deck = Presentation(io.BytesIO(packs[name]["pptx"]))
    assert abs(deck.slide_width / deck.slide_height - 16 / 9) < 1e-3  # 16:9
    for number, slide in enumerate(deck.slides, start=1):
        notes_top = min((_inches(s.top) for s in slide.shapes if s.name == "Notes"), default=FOOTER_TOP)
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0, (number, shape.name)
            assert shape.left + shape.width <= deck.slide_width, (number, shape.name)
            assert shape.top + shape.height <= deck.slide_height, (number, shape.name)
            if shape.has_table:
                bottom = _inches(shape.top) + _estimated_table_height(shape)
                assert bottom <= notes_top + 0.01, (number, shape.name, bottom, notes_top)
            if shape.name == "Notes":
                assert _inches(shape.top + shape.height) <= FOOTER_TOP + 0.01, number


@pytest.mark.parametrize("name", PACKS)
def test_no_text_under_10_pt_and_a_number_on_every_slide(packs, name):
    deck = Presentation(io.BytesIO(packs[name]["pptx"]))
    for number, slide in enumerate(deck.slides, start=1):
        sizes = [size for shape in slide.shapes for size in _font_sizes(shape)]
        assert sizes and min(sizes) >= 10, (number, min(sizes))
        fields = [f for shape in slide.shapes if shape.has_text_frame
                  for f in shape._element.iter("{http://schemas.openxmlformats.org/drawingml/2006/main}fld")
                  if f.get("type") == "slidenum"]
        assert len(fields) == 1 and fields[0].findtext(
            "{http://schemas.openxmlformats.org/drawingml/2006/main}t") == str(number)


@pytest.mark.parametrize("name", PACKS)
def test_alt_text_on_every_chart_and_picture(packs, name):
    described = 0
    for shape in _shapes(packs[name]["pptx"]):
        if shape.has_chart or shape.shape_type == 13:  # 13: picture
            descr = shape._element._nvXxPr.cNvPr.get("descr")
            assert descr and len(descr) > 20, shape.name
            described += 1
    if name.startswith("board"):
        assert described >= 4


def _shapes(content: bytes):
    for slide in Presentation(io.BytesIO(content)).slides:
        yield from slide.shapes


def _run_colour(run):
    try:
        return str(run.font.color.rgb) if run.font.color and run.font.color.type is not None else None
    except AttributeError:
        return None


@pytest.mark.parametrize("name", PACKS)
def test_text_on_fills_and_on_white_contrasts_at_least_4_5(packs, name):
    checked = 0
    for shape in _shapes(packs[name]["pptx"]):
        if shape.has_table:  # every cell's fill and text colour are explicit
            pairs = [(cell.text_frame, str(cell.fill.fore_color.rgb)) for row in shape.table.rows for cell in row.cells]
        elif shape.has_text_frame:
            pairs = [(shape.text_frame, str(shape.fill.fore_color.rgb) if shape.fill.type == 1 else "FFFFFF")]
        else:
            continue
        for frame, fill in pairs:
            for run in (r for p in frame.paragraphs for r in p.runs):
                colour = _run_colour(run)
                if colour:
                    assert contrast_ratio(colour, fill) >= 4.5, (run.text, colour, fill)
                    checked += 1
                elif shape.has_table:
                    raise AssertionError(f"table text without an explicit colour: {run.text!r}")
    assert checked > 20


def test_findings_link_to_the_dashboard_when_its_address_is_set(packs):
    deck = Presentation(io.BytesIO(packs["board-gm"]["pptx"]))
    links = [run.hyperlink.address for slide in deck.slides for shape in slide.shapes if shape.has_text_frame
             for p in shape.text_frame.paragraphs for run in p.runs if run.hyperlink.address]
    assert links and all(link.startswith("https://dashboard.example.org/") for link in links)


@pytest.mark.parametrize("name", PACKS)
def test_pdf_is_tagged_as_far_as_fpdf2_goes_and_numbers_its_pages(packs, name):
    reader = PdfReader(io.BytesIO(packs[name]["pdf"]))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    document = root["/StructTreeRoot"]["/K"][0].get_object()
    figures = [k.get_object() for k in document["/K"]]
    # What fpdf2 tags: the charts and icons as figures, each with its alt text (text is not tagged).
    assert figures and all(f["/S"] == "/Figure" and len(str(f["/Alt"])) > 20 for f in figures)
    if name.startswith("board"):
        # Every measure's chart for all GM; a borough's months are small, so a chart with fewer
        # than two months that may be shown is withheld (docs/DISCLOSURE.md), and fewer are drawn.
        assert sum("XmR chart" in str(f["/Alt"]) for f in figures) >= (8 if name == "board-gm" else 1)
    assert str(root["/Lang"]).startswith("en")
    assert reader.outline  # bookmarks: one per section
    count = len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        assert f"Page {number} of {count}" in page.extract_text()


def test_the_cover_names_scope_period_and_demo_data(packs):
    deck = Presentation(io.BytesIO(packs["board-borough"]["pptx"]))
    cover = "\n".join(s.text_frame.text for s in deck.slides[0].shapes if s.has_text_frame)
    assert "Bolton" in cover and QUARTER.label in cover and "Data as of" in cover and "Demo data" in cover
    summary = "\n".join(s.text_frame.text for s in deck.slides[1].shapes if s.has_text_frame)
    assert "Findings that matter" in summary and "New learning: None entered" in summary
    assert "Early warnings (action, owner, date): None entered" in summary



def test_a_pack_built_on_an_organisations_template(engine, tmp_path):  # noqa: F811 - the shared fixture
    """The deck takes the template's masters and theme; the template's own slides are dropped."""
    template = Presentation()
    template.slide_width, template.slide_height = Emu(12192000), Emu(6858000)
    template.slides.add_slide(template.slide_layouts[0]).shapes.title.text = "Organisation example slide"
    template.core_properties.author = "Example organisation"
    path = tmp_path / "organisation.pptx"
    template.save(path)
    _, plain = build(engine, "board", "pptx", period=QUARTER, scope=analyst_scope(), settings=Settings())
    _, themed = build(engine, "board", "pptx", period=QUARTER, scope=analyst_scope(),
                      settings=Settings(pack_template=str(path)))
    deck = Presentation(io.BytesIO(themed))
    titles = [s.shapes.title.text for s in deck.slides]
    assert "Organisation example slide" not in titles and titles[0] == "Quality Assurance and Learning Board pack"
    assert len(deck.slides) == len(Presentation(io.BytesIO(plain)).slides)
    for slide in deck.slides:
        for shape in slide.shapes:
            assert shape.left + shape.width <= deck.slide_width and shape.top + shape.height <= deck.slide_height
