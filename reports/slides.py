"""Render a :class:`reports.pack_data.Pack` as a PowerPoint deck (python-pptx).

Charts are native PowerPoint charts (their data sits in an embedded workbook, so the board
secretary can restyle or edit them); tables are native tables, split over as many slides as
they need. Every slide title is in the slide's title placeholder (screen readers and the
outline view read it) and every slide carries the pack's period, filters, "as of" date and
suppression note in its footer.
"""

from __future__ import annotations

import io
import math

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.util import Inches, Pt

from metrics.findings import KIND_HEADINGS, grouped
from reports.formatting import KIND_COLOURS, PALETTE, chunks, frame_text
from reports.pack_data import Pack, PackTable

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
ROWS_PER_SLIDE = 12
FINDINGS_PER_SLIDE = 7
DEFINITIONS_PER_SLIDE = 4
TITLE_ONLY = 5  # the default template's "Title Only" layout
TITLE_SLIDE = 0


def _text(slide, left, top, width, height, lines, size=12, bold=False, colour: str | None = None):
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.text = line
        paragraph.font.size = Pt(size)
        paragraph.font.bold = bold
        if colour:
            paragraph.font.color.rgb = RGBColor.from_string(colour)
    return box


def _slide(prs, pack: Pack, title: str):
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY])
    slide.shapes.title.text = title
    title_frame = slide.shapes.title
    title_frame.left, title_frame.top, title_frame.width, title_frame.height = MARGIN, Inches(0.25), WIDTH - 2 * MARGIN, Inches(0.8)
    for paragraph in title_frame.text_frame.paragraphs:
        paragraph.font.size = Pt(26)
    _text(slide, MARGIN, HEIGHT - Inches(0.6), WIDTH - 2 * MARGIN, Inches(0.5),
          [pack.context_line, pack.suppression_note], size=8, colour="3D3D3D")
    return slide


def _notes_lines(table: PackTable) -> list[str]:
    return [n for n in table.notes if n]


def _chart_slide(prs, pack: Pack, table: PackTable) -> None:
    spec = table.chart
    slide = _slide(prs, pack, table.title)
    top = Inches(1.1)
    if table.headline:
        _text(slide, MARGIN, top, WIDTH - 2 * MARGIN, Inches(0.5), [table.headline], size=16, bold=True)
        top += Inches(0.55)
    data = CategoryChartData(number_format=spec.number_format)
    data.categories = [str(c) for c in spec.data[spec.category]]
    for name in spec.series:
        # Suppressed or withheld points are left empty, never drawn as 0.
        values = [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in spec.data[name]]
        data.add_series(name, values)
    kind = XL_CHART_TYPE.BAR_CLUSTERED if spec.kind == "bar" else XL_CHART_TYPE.COLUMN_CLUSTERED
    notes = _notes_lines(table)
    chart_height = HEIGHT - top - Inches(0.8) - Inches(0.22) * min(len(notes), 4)
    chart = slide.shapes.add_chart(kind, MARGIN, top, WIDTH - 2 * MARGIN, chart_height, data).chart
    chart.has_legend = len(spec.series) > 1
    if chart.has_legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
    chart.font.size = Pt(10)
    for i, series in enumerate(chart.plots[0].series):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = RGBColor.from_string(PALETTE[i % len(PALETTE)])
    if spec.kind == "bar":  # first category at the top, as people read a list
        chart.category_axis.reverse_order = True
    if notes:
        _text(slide, MARGIN, top + chart_height, WIDTH - 2 * MARGIN, Inches(0.25) * len(notes), notes[:4], size=9)


def _table_slides(prs, pack: Pack, table: PackTable) -> None:
    rows = frame_text(table.frame)
    header, body = rows[0], rows[1:]
    pages = chunks(body, ROWS_PER_SLIDE)
    for number, page in enumerate(pages, start=1):
        title = table.title if len(pages) == 1 else f"{table.title} ({number} of {len(pages)})"
        slide = _slide(prs, pack, title)
        top = Inches(1.1)
        if table.headline and table.chart is None and number == 1:
            _text(slide, MARGIN, top, WIDTH - 2 * MARGIN, Inches(0.5), [table.headline], size=14, bold=True)
            top += Inches(0.5)
        shape = slide.shapes.add_table(len(page) + 1, len(header), MARGIN, top, WIDTH - 2 * MARGIN,
                                       Inches(0.3) * (len(page) + 1))
        grid = shape.table
        for c, name in enumerate(header):
            grid.cell(0, c).text = name
        for r, values in enumerate(page, start=1):
            for c, value in enumerate(values):
                grid.cell(r, c).text = value
        size = Pt(10 if len(header) <= 6 else 9)
        for r in range(len(page) + 1):
            for c in range(len(header)):
                for paragraph in grid.cell(r, c).text_frame.paragraphs:
                    paragraph.font.size = size
        notes = _notes_lines(table) if table.chart is None else [n for n in _notes_lines(table) if "[c]" in n]
        if notes and number == len(pages):
            _text(slide, MARGIN, HEIGHT - Inches(0.7) - Inches(0.22) * min(len(notes), 5), WIDTH - 2 * MARGIN,
                  Inches(0.22) * min(len(notes), 5), notes[:5], size=9)


def _findings_slides(prs, pack: Pack, table: PackTable) -> None:
    groups = grouped(pack.findings)
    for kind, items in groups.items():
        for number, page in enumerate(chunks(items, FINDINGS_PER_SLIDE), start=1):
            title = f"What changed: {KIND_HEADINGS[kind].lower()}" + (f" ({number})" if len(items) > FINDINGS_PER_SLIDE else "")
            slide = _slide(prs, pack, title)
            lines = [f"• {f.text}  [{f.evidence}]" for f in page] or [f"No {KIND_HEADINGS[kind].lower()} this period."]
            _text(slide, MARGIN, Inches(1.2), WIDTH - 2 * MARGIN, HEIGHT - Inches(2.0), lines, size=14,
                  colour=KIND_COLOURS[kind])


def _text_slide(prs, pack: Pack, table: PackTable) -> None:
    slide = _slide(prs, pack, table.title)
    lines = [str(v) for v in table.frame.iloc[:, 0]]
    _text(slide, MARGIN, Inches(1.2), WIDTH - 2 * MARGIN, HEIGHT - Inches(2.0), lines, size=16)


def _title_slide(prs, pack: Pack) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_SLIDE])
    slide.shapes.title.text = pack.title
    subtitle = slide.placeholders[1]
    subtitle.text = f"{pack.period.label}\n{pack.as_of_text}"
    _text(slide, MARGIN, HEIGHT - Inches(1.7), WIDTH - 2 * MARGIN, Inches(1.2),
          [f"Filters: {pack.filters_text}", pack.suppression_note,
           f"Generated {pack.generated_at:%d %B %Y %H:%M} from the GMIRS commissioning dashboard."], size=11)


def _appendix(prs, pack: Pack) -> None:
    definitions = pack.definitions
    columns = [c for c in ("Code", "Measure", "Definition", "Target (%)", "Source", "Term") if c in definitions.columns]
    if "Definition" in definitions.columns and "Definition" not in columns:
        columns.append("Definition")
    rows = frame_text(definitions[columns])
    for number, page in enumerate(chunks(rows[1:], DEFINITIONS_PER_SLIDE), start=1):
        slide = _slide(prs, pack, f"Appendix: definitions ({number})")
        grid = slide.shapes.add_table(len(page) + 1, len(columns), MARGIN, Inches(1.1), WIDTH - 2 * MARGIN,
                                      Inches(0.4) * (len(page) + 1)).table
        for c, name in enumerate(rows[0]):
            grid.cell(0, c).text = name
        for r, values in enumerate(page, start=1):
            for c, value in enumerate(values):
                grid.cell(r, c).text = value
        for r in range(len(page) + 1):
            for c in range(len(columns)):
                for paragraph in grid.cell(r, c).text_frame.paragraphs:
                    paragraph.font.size = Pt(9)
    slide = _slide(prs, pack, "Appendix: assumptions and notes")
    lines = [f"• {a}" for a in pack.assumptions] + [f"• {pack.suppression_note}"]
    _text(slide, MARGIN, Inches(1.2), WIDTH - 2 * MARGIN, HEIGHT - Inches(2.0), lines, size=12)


def pack_to_pptx(pack: Pack) -> bytes:
    """The deck as bytes: title, each table (chart slide, then table slides), appendix."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    prs.core_properties.title = pack.title
    prs.core_properties.subject = pack.context_line
    _title_slide(prs, pack)
    for table in pack.tables:
        if table.style == "findings":
            _findings_slides(prs, pack, table)
        elif table.style == "text":
            _text_slide(prs, pack, table)
        else:
            if table.chart is not None and len(table.chart.data):
                _chart_slide(prs, pack, table)
            _table_slides(prs, pack, table)
    _appendix(prs, pack)
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()
