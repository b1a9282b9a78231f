"""Render a :class:`reports.pack_data.Pack` as a PowerPoint deck (python-pptx), 16:9.

Charts are native PowerPoint charts (their data sits in an embedded workbook, so the board
secretary can restyle or edit them); tables are native tables, measured before they are placed
(:mod:`reports.layout`: split over slides, 12 pt body text where it fits, never under 10 pt).
Each slide has fixed regions, so nothing overlaps: a kicker naming the measure, the title
stating the finding (in the title placeholder: screen readers and the outline read it), the
body, the notes, and the footer with the pack's period, filters, "as of" date, suppression
note and the slide number. Every chart and picture carries alt text. The deck is built on an
organisation's own template when ``Settings.pack_template`` names one (its "Title Only" and
"Title Slide" layouts are used; the regions are the same).
"""

from __future__ import annotations

import io
import math

import pandas as pd
from lxml import etree
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.enum.dml import MSO_LINE
from pptx.enum.text import PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from metrics.findings import KIND_HEADINGS, grouped
from reports.formatting import (
    BAND_FILL,
    BANNER_FILL,
    BODY_FILL,
    HEADER_FILL,
    HEADER_TEXT,
    KIND_COLOURS,
    LINK,
    MUTED,
    PALETTE,
    TEXT,
    frame_text,
)
from reports.layout import measure_table, text_height
from reports.mdc_icons import assurance_icon_png, variation_icon_png
from reports.pack_data import Pack, PackTable

SLIDE_W, SLIDE_H = 13.333, 7.5  # inches, 16:9
WIDTH, HEIGHT = Inches(SLIDE_W), Inches(SLIDE_H)
M = 0.5  # margin, inches
BODY_W = SLIDE_W - 2 * M
KICKER_TOP, TITLE_TOP, TITLE_H = 0.25, 0.55, 1.0
BODY_TOP = 1.65
FOOTER_TOP = 6.78  # footer: context and suppression (10 pt) with the slide number at the right
FOOTER_H = SLIDE_H - FOOTER_TOP - 0.08
NUMBER_W = 0.9
NOTES_MAX_H = 1.3  # the notes region never takes more; the rest go to the speaker notes
GAP = 0.1
NOTE_SIZE = 10


def _describe(shape, text: str) -> None:
    """Alt text (``descr`` on the shape's non-visual properties), read by screen readers."""
    shape._element._nvXxPr.cNvPr.set("descr", text)


def _text(slide, left, top, width, height, lines, size=12, bold=False, colour: str = TEXT, links=None):
    """A text box at inches; ``links`` (same length as lines) turns a line's last run into a hyperlink."""
    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        link = links[i] if links else None
        text, evidence = (line if isinstance(line, tuple) else (line, None))
        run = paragraph.add_run()
        run.text = text
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = RGBColor.from_string(colour)
        if evidence:
            extra = paragraph.add_run()
            extra.text = f"  [{evidence}]"
            extra.font.size = Pt(size)
            extra.font.color.rgb = RGBColor.from_string(LINK if link else MUTED)  # 5.2:1 / 10.9:1
            if link:
                extra.hyperlink.address = link
    return box


def _slide_number(slide, number: int) -> None:
    """A slide-number field (PowerPoint renumbers it if slides are moved)."""
    box = slide.shapes.add_textbox(Inches(SLIDE_W - M - NUMBER_W), Inches(FOOTER_TOP), Inches(NUMBER_W), Inches(0.3))
    paragraph = box.text_frame.paragraphs[0]
    paragraph.alignment = PP_ALIGN.RIGHT
    field = etree.SubElement(paragraph._p, qn("a:fld"))
    field.set("id", "{5C1D9A3E-6B7F-4E0B-9E56-2F3B1A7C8D90}")
    field.set("type", "slidenum")
    props = etree.SubElement(field, qn("a:rPr"))
    props.set("lang", "en-GB")
    props.set("sz", str(NOTE_SIZE * 100))
    etree.SubElement(field, qn("a:t")).text = str(number)
    box.name = "Slide number"


class Deck:
    """The presentation and its running slide count."""

    def __init__(self, pack: Pack):
        self.pack = pack
        self.prs = Presentation(pack.template) if pack.template else Presentation()
        if pack.template:  # an organisation's template: its own slides are not part of the pack
            ids = self.prs.slides._sldIdLst
            for sld in list(ids):  # the slide and its relationship, so no orphan part is saved
                self.prs.part.drop_rel(sld.rId)
                ids.remove(sld)
        else:
            self.prs.slide_width, self.prs.slide_height = WIDTH, HEIGHT
        self.count = 0

    def layout(self, name: str, fallback: int):
        for layout in self.prs.slide_layouts:
            if layout.name.lower() == name.lower():
                return layout
        return self.prs.slide_layouts[min(fallback, len(self.prs.slide_layouts) - 1)]

    def slide(self, title: str, kicker: str | None = None):
        """A slide with its title, kicker, footer and number; the body is the caller's."""
        slide = self.prs.slides.add_slide(self.layout("Title Only", 5))
        self.count += 1
        heading = slide.shapes.title
        heading.left, heading.top, heading.width, heading.height = (Inches(M), Inches(TITLE_TOP), Inches(BODY_W),
                                                                    Inches(TITLE_H))
        heading.text = title
        size = 24 if len(title) <= 70 else 20
        for paragraph in heading.text_frame.paragraphs:
            paragraph.alignment = PP_ALIGN.LEFT
            for run in paragraph.runs:
                run.font.size = Pt(size)
                run.font.bold = True
                run.font.color.rgb = RGBColor.from_string(TEXT)
        heading.text_frame.word_wrap = True
        if kicker:
            _text(slide, M, KICKER_TOP, BODY_W, 0.32, [kicker], size=12, colour=MUTED)
        footer = [self.pack.context_line, self.pack.suppression_note]
        _text(slide, M, FOOTER_TOP, BODY_W - NUMBER_W, FOOTER_H, footer, size=NOTE_SIZE, colour=MUTED).name = "Footer"
        _slide_number(slide, self.count)
        return slide

    def notes(self, slide, notes: list[str], bottom: float = FOOTER_TOP - GAP) -> float:
        """Place notes in their own region above the footer; returns the region's top (the
        body ends above it). Notes that do not fit go to the speaker notes, and all of them
        are there too."""
        shown: list[str] = []
        for note in notes:
            if text_height(shown + [note], BODY_W, NOTE_SIZE) > NOTES_MAX_H:
                break
            shown.append(note)
        if notes:
            slide.notes_slide.notes_text_frame.text = "\n".join(notes)
        if len(shown) < len(notes):
            shown.append("More notes in the speaker notes and the appendix.")
        if not shown:
            return bottom
        height = text_height(shown, BODY_W, NOTE_SIZE)
        top = bottom - height
        _text(slide, M, top, BODY_W, height, shown, size=NOTE_SIZE, colour=MUTED).name = "Notes"
        return top - GAP


def _chart_alt(table: PackTable) -> str:
    spec = table.chart
    kind = "Bar" if spec.kind == "bar" else "Column"
    categories = [str(c) for c in spec.data[spec.category]]
    shown = ", ".join(categories[:6]) + (f" and {len(categories) - 6} more" if len(categories) > 6 else "")
    return (f"{kind} chart of {', '.join(spec.series)} by {spec.category} ({shown}). "
            f"{table.headline or table.title}. The figures are in the table that follows.")


BAND_LOW, BAND_HIGH = "Expected (low)", "Expected (high)"


def _band_chart(slide, spec, left, top, width, height):
    """A forecast band drawn as a range (a light column from the low to the high bound, on an
    invisible base) with the value as a point (a diamond, no line) on top: a native chart
    whose data stays editable. python-pptx has no combined charts, so the value series is
    moved from the stacked column chart into a line chart sharing its axes."""
    value = next(n for n in spec.series if n not in (BAND_LOW, BAND_HIGH))
    data = CategoryChartData(number_format=spec.number_format)
    data.categories = [str(c) for c in spec.data[spec.category]]
    low = [_num(v) for v in spec.data[BAND_LOW]]
    high = [_num(v) for v in spec.data[BAND_HIGH]]
    data.add_series(BAND_LOW, low)
    data.add_series("Forecast band (low to high)", [None if a is None or b is None else b - a for a, b in zip(low, high)])
    data.add_series(value, [_num(v) for v in spec.data[value]])
    frame = slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_STACKED, left, top, width, height, data)
    chart = frame.chart
    base, band, _ = chart.plots[0].series
    base.format.fill.background()  # invisible: the band starts at the low bound
    band.format.fill.solid()
    band.format.fill.fore_color.rgb = RGBColor.from_string("B7CBE0")
    chart.plots[0].gap_width = 60
    _as_points(chart, 2, "diamond", TEXT, 11)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    legend = chart.legend._element
    entry = etree.SubElement(legend, qn("c:legendEntry"))  # hide the invisible base from the legend
    etree.SubElement(entry, qn("c:idx")).set("val", "0")
    etree.SubElement(entry, qn("c:delete")).set("val", "1")
    legend.find(qn("c:legendPos")).addnext(entry)
    chart.value_axis.minimum_scale = 0
    return frame


def _as_points(chart, index: int, symbol: str, colour: str, size: int) -> None:
    """Move series ``index`` of a column chart into a line chart on the same axes, drawn as
    markers only (no line): a value as a point on a band, a target as a dash on a bar.
    python-pptx has no combined charts; this is the chart XML PowerPoint itself writes."""
    bar = chart.plots[0]._element
    moved = bar.findall(qn("c:ser"))[index]
    bar.remove(moved)
    for child in moved.findall(qn("c:invertIfNegative")):
        moved.remove(child)
    line = etree.Element(qn("c:lineChart"))
    bar.addnext(line)
    etree.SubElement(line, qn("c:grouping")).set("val", "standard")
    etree.SubElement(line, qn("c:varyColors")).set("val", "0")
    line.append(moved)
    sp = moved.find(qn("c:spPr"))
    if sp is None:
        sp = etree.Element(qn("c:spPr"))
        moved.find(qn("c:tx")).addnext(sp)
    for old in list(sp):
        sp.remove(old)
    etree.SubElement(etree.SubElement(sp, qn("a:ln")), qn("a:noFill"))
    marker = etree.Element(qn("c:marker"))
    etree.SubElement(marker, qn("c:symbol")).set("val", symbol)
    etree.SubElement(marker, qn("c:size")).set("val", str(size))
    msp = etree.SubElement(marker, qn("c:spPr"))
    etree.SubElement(etree.SubElement(msp, qn("a:solidFill")), qn("a:srgbClr")).set("val", colour)
    etree.SubElement(etree.SubElement(etree.SubElement(msp, qn("a:ln")), qn("a:solidFill")), qn("a:srgbClr")).set(
        "val", colour)
    sp.addnext(marker)
    etree.SubElement(line, qn("c:marker")).set("val", "1")
    for ax in bar.findall(qn("c:axId")):
        etree.SubElement(line, qn("c:axId")).set("val", ax.get("val"))


def _num(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _chart_slide(deck: Deck, table: PackTable) -> None:
    spec = table.chart
    slide = deck.slide(table.headline or table.title, table.title)
    bottom = deck.notes(slide, [n for n in table.notes if n])
    data = CategoryChartData(number_format=spec.number_format)
    data.categories = [str(c) for c in spec.data[spec.category]]
    for name in spec.series:
        # Suppressed or withheld points are left empty, never drawn as 0.
        values = [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in spec.data[name]]
        data.add_series(name, values)
    kind = XL_CHART_TYPE.BAR_CLUSTERED if spec.kind == "bar" else XL_CHART_TYPE.COLUMN_CLUSTERED
    region = (Inches(M), Inches(BODY_TOP), Inches(BODY_W), Inches(bottom - BODY_TOP))
    if BAND_LOW in spec.series and BAND_HIGH in spec.series:
        frame = _band_chart(slide, spec, *region)
        _describe(frame, _chart_alt(table).replace("Column chart of", "Forecast band (range) with referrals (points):"))
        frame.chart.font.size = Pt(12)
        return
    target = "Target (%)" in spec.series and len(spec.series) == 2
    if target:  # the target as a red dash on each column, not a second bar
        kind = XL_CHART_TYPE.COLUMN_CLUSTERED
    frame = slide.shapes.add_chart(kind, *region, data)
    _describe(frame, _chart_alt(table).replace("Bar chart", "Column chart") + (
        " The target is drawn as a red dash on each column." if target else ""))
    chart = frame.chart
    chart.has_legend = len(spec.series) > 1
    if chart.has_legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
    chart.font.size = Pt(12)
    for i, series in enumerate(chart.plots[0].series):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = RGBColor.from_string(PALETTE[i % len(PALETTE)])
    if target:
        _as_points(chart, list(spec.series).index("Target (%)"), "dash", "DE1B1B", 20)
    elif spec.kind == "bar":  # first category at the top, as people read a list
        chart.category_axis.reverse_order = True
    if "£" in (spec.axis_title or "") or "£" in spec.number_format:  # money from zero, with £ and separators
        chart.value_axis.minimum_scale = 0
        chart.value_axis.tick_labels.number_format = "£#,##0"
        chart.value_axis.tick_labels.number_format_is_linked = False


#: Special-cause points: colour and marker shape both carry the signal (never colour alone).
SIGNAL_MARKERS = {"improvement": (XL_MARKER_STYLE.TRIANGLE, "00B0F0"), "concern": (XL_MARKER_STYLE.SQUARE, "E46C0A"),
                  "neutral": (XL_MARKER_STYLE.DIAMOND, "490092"), "common": (XL_MARKER_STYLE.CIRCLE, "7F7F7F")}
XMR_LINES = {"Value (%)": ("3D3D3D", None), "Mean (%)": ("12436D", None), "Lower limit (%)": ("7F7F7F", MSO_LINE.DASH),
             "Upper limit (%)": ("7F7F7F", MSO_LINE.DASH), "Target (%)": ("DE1B1B", MSO_LINE.SQUARE_DOT)}


def _xmr_chart_slide(deck: Deck, table: PackTable) -> None:
    """One XmR chart as a native line chart: the monthly value with its points marked (special
    causes by colour and shape, named in the legend below), the mean, the process limits
    (dashed) and the target (dotted red)."""
    spec = table.chart
    slide = deck.slide(table.headline or table.title, table.title)
    signals = [s for s in ("improvement", "concern", "neutral") if (spec.data["Signal"] == s).any()]
    key = ["Points: grey circle common cause"] + [
        f"{ {'improvement': 'blue triangle', 'concern': 'orange square', 'neutral': 'purple diamond'}[s]} "
        f"special cause ({s})" for s in signals]
    bottom = deck.notes(slide, ["; ".join(key) + ". Limits dashed; target dotted red."]
                        + [n for n in table.notes if n])
    data = CategoryChartData(number_format=spec.number_format)
    data.categories = list(spec.data[spec.category])
    for name in spec.series:
        data.add_series(name, [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
                               for v in spec.data[name]])
    frame = slide.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, Inches(M), Inches(BODY_TOP), Inches(BODY_W),
                                   Inches(bottom - BODY_TOP), data)
    special = ", ".join(f"{m} ({s})" for m, s in zip(spec.data[spec.category], spec.data["Signal"]) if s in ("improvement", "concern", "neutral"))
    _describe(frame, f"XmR line chart of {table.title.split(': ')[-1]}: monthly value, mean, process limits"
                     + (" and target" if "Target (%)" in spec.series else "") + f" by month. {table.headline}. "
                     + (f"Special-cause points: {special}." if special else "No special-cause points."))
    chart = frame.chart
    chart.font.size = Pt(12)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    for series in chart.plots[0].series:
        colour, dash = XMR_LINES[series.name]
        series.smooth = False
        series.format.line.color.rgb = RGBColor.from_string(colour)
        series.format.line.width = Pt(2.25 if series.name == "Value (%)" else 1.5)
        if dash is not None:
            series.format.line.dash_style = dash
        if series.name != "Value (%)":
            series.marker.style = XL_MARKER_STYLE.NONE
            continue
        series.marker.style = XL_MARKER_STYLE.CIRCLE
        series.marker.format.fill.solid()
        series.marker.format.fill.fore_color.rgb = RGBColor.from_string(SIGNAL_MARKERS["common"][1])
        for i, signal in enumerate(spec.data["Signal"]):
            style, fill = SIGNAL_MARKERS.get(signal, SIGNAL_MARKERS["common"])
            point = series.points[i]
            point.marker.style = style
            point.marker.size = 9 if signal != "common" else 6
            point.marker.format.fill.solid()
            point.marker.format.fill.fore_color.rgb = RGBColor.from_string(fill)
            point.marker.format.line.color.rgb = RGBColor.from_string(fill)


def _spc_icon_slides(deck: Deck, table: PackTable) -> None:
    """Every measure's variation and assurance icons (pictures with alt text) and their words."""
    frame = table.frame
    row_h = 0.62
    room = FOOTER_TOP - GAP - BODY_TOP - 0.45
    per_slide = max(1, int(room // row_h))
    chunks = [frame.iloc[i:i + per_slide] for i in range(0, len(frame), per_slide)] or [frame]
    for number, part in enumerate(chunks, start=1):
        title = (table.headline or table.title) + (f" ({number} of {len(chunks)})" if len(chunks) > 1 else "")
        slide = deck.slide(title, table.title)
        deck.notes(slide, list(table.notes))
        top = BODY_TOP
        for row in part.itertuples(index=False):
            variation = slide.shapes.add_picture(io.BytesIO(variation_icon_png(row[1])), Inches(M), Inches(top),
                                                 Inches(0.5), Inches(0.5))
            _describe(variation, f"{row[0]} variation icon: {row[2]}")
            assurance = slide.shapes.add_picture(io.BytesIO(assurance_icon_png(row[3])), Inches(M + 0.6), Inches(top),
                                                 Inches(0.5), Inches(0.5))
            _describe(assurance, f"{row[0]} assurance icon: {row[4]}")
            words = f"{row[0]}: {row[2]}. {row[4]}." + (f" {row[5]}" if row[5] else "")
            size = 12 if text_height([words], BODY_W - 1.3, 12) <= row_h else 10
            _text(slide, M + 1.25, top - 0.05, BODY_W - 1.25, row_h, [words], size=size)
            top += row_h


def _fill(cell, colour: str) -> None:
    cell.fill.solid()
    cell.fill.fore_color.rgb = RGBColor.from_string(colour)


def _table_slides(deck: Deck, table: PackTable) -> None:
    rows = frame_text(table.frame)
    if table.chart is None:
        title, kicker = table.headline or table.title, table.title
        notes = [n for n in table.notes if n]
    else:  # the chart slide carried the finding and the notes; keep the ones about the table
        title, kicker = f"{table.title}: the figures", None
        notes = [n for n in table.notes if "[c]" in n]
    probe = deck.slide(title, kicker)  # measure against the real regions of a slide
    bottom = deck.notes(probe, notes)
    layout = measure_table(rows, BODY_W, FOOTER_TOP - GAP - BODY_TOP, bottom - BODY_TOP)
    slides = [probe]
    for number in range(2, len(layout.pages) + 1):
        slides.append(deck.slide(f"{title} ({number} of {len(layout.pages)})", kicker))
    if len(layout.pages) > 1:
        probe.shapes.title.text_frame.paragraphs[0].runs[0].text = f"{title} (1 of {len(layout.pages)})"
    for page, slide in enumerate(slides):
        start, stop = layout.pages[page]
        body = rows[1 + start:1 + stop]
        shape = slide.shapes.add_table(len(body) + 1, len(rows[0]), Inches(M), Inches(BODY_TOP), Inches(BODY_W),
                                       Inches(layout.height(page)))
        shape.name = f"Table: {table.title}"
        grid = shape.table
        for c, w in enumerate(layout.widths):
            grid.columns[c].width = Emu(int(Inches(w)))
        for r, values in enumerate([rows[0], *body]):
            grid.rows[r].height = Emu(int(Inches(layout.row_heights[0 if r == 0 else start + r])))
            for c, value in enumerate(values):
                cell = grid.cell(r, c)
                cell.text = value
                _fill(cell, HEADER_FILL if r == 0 else (BAND_FILL if r % 2 == 0 else BODY_FILL))
                for paragraph in cell.text_frame.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = Pt(layout.size)
                        run.font.bold = r == 0
                        run.font.color.rgb = RGBColor.from_string(HEADER_TEXT if r == 0 else TEXT)


def _findings_slides(deck: Deck, table: PackTable) -> None:
    pack = deck.pack
    size = 14
    for kind, items in grouped(pack.findings).items():
        heading = f"What changed: {KIND_HEADINGS[kind].lower()}"
        lines = [(f"• {f.text}", f.evidence) for f in items] or [f"No {KIND_HEADINGS[kind].lower()} this period."]
        links = [pack.evidence_url(f.evidence) for f in items] or None
        pages, current, current_links = [], [], []
        for i, line in enumerate(lines):
            text = line[0] + f"  [{line[1]}]" if isinstance(line, tuple) else line
            if current and text_height([*(c[0] if isinstance(c, tuple) else c for c in current), text], BODY_W,
                                       size) > FOOTER_TOP - GAP - BODY_TOP:
                pages.append((current, current_links))
                current, current_links = [], []
            current.append(line)
            current_links.append(links[i] if links else None)
        pages.append((current, current_links))
        for number, (page, page_links) in enumerate(pages, start=1):
            title = heading + (f" ({number} of {len(pages)})" if len(pages) > 1 else "")
            slide = deck.slide(title, "Findings: this period compared with the previous one")
            _text(slide, M, BODY_TOP, BODY_W, FOOTER_TOP - GAP - BODY_TOP, page, size=size,
                  colour=KIND_COLOURS[kind], links=page_links if links else None)


def _text_slide(deck: Deck, table: PackTable) -> None:
    """Paragraphs at the largest of 16, 14, 12 pt that fits; at 12 pt, over as many slides as needed."""
    evidence = list(table.frame["Evidence"]) if "Evidence" in table.frame else [""] * len(table.frame)
    texts = [str(v) for v in table.frame.iloc[:, 0]]
    lines = [t + (f"  [{e}]" if e else "") for t, e in zip(texts, evidence)]  # for measuring
    items = dict(zip(lines, zip(texts, evidence)))
    room = FOOTER_TOP - GAP - BODY_TOP - (NOTES_MAX_H if table.notes else 0)
    size = next((s for s in (16, 14, 12) if text_height(lines, BODY_W, s) <= room), 12)
    pages: list[list[str]] = [[]]
    for line in lines:
        if pages[-1] and text_height([*pages[-1], line], BODY_W, size) > room:
            pages.append([])
        pages[-1].append(line)
    title = table.headline or table.title
    for number, page in enumerate(pages, start=1):
        slide = deck.slide(title + (f" ({number} of {len(pages)})" if len(pages) > 1 else ""),
                           table.title if table.headline else None)
        bottom = deck.notes(slide, [n for n in table.notes if n]) if number == len(pages) else FOOTER_TOP - GAP
        shown = [items[line] if items[line][1] else items[line][0] for line in page]
        links = [deck.pack.evidence_url(items[line][1]) if items[line][1] else None for line in page]
        _text(slide, M, BODY_TOP, BODY_W, bottom - BODY_TOP, shown, size=size, links=links)


def _title_slide(deck: Deck) -> None:
    """The cover, laid out for 16:9: title, scope and period, as-of date, demo and part-period
    banners, filters, suppression note and when it was made."""
    pack = deck.pack
    slide = deck.prs.slides.add_slide(deck.layout("Title Only", 5))
    deck.count += 1
    heading = slide.shapes.title
    heading.left, heading.top, heading.width, heading.height = Inches(M), Inches(1.2), Inches(BODY_W), Inches(1.3)
    heading.text = pack.title
    for paragraph in heading.text_frame.paragraphs:
        paragraph.alignment = PP_ALIGN.LEFT
        for run in paragraph.runs:
            run.font.size, run.font.bold = Pt(36), True
            run.font.color.rgb = RGBColor.from_string(TEXT)
    _text(slide, M, 2.6, BODY_W, 0.6, [f"{pack.scope_text} · {pack.period.label}"], size=24, colour=TEXT)
    _text(slide, M, 3.25, BODY_W, 0.5, [pack.as_of_text], size=18, colour=MUTED)
    top = 3.9
    banners = ([pack.coverage_note] if pack.coverage_note else []) + (
        ["Demo data: every figure in this pack is invented, for trying the dashboard out."] if pack.demo else [])
    if banners:
        height = text_height(banners, BODY_W, 14) + 0.1
        box = _text(slide, M, top, BODY_W, height, banners, size=14, bold=True, colour="FFFFFF")
        box.fill.solid()
        box.fill.fore_color.rgb = RGBColor.from_string(BANNER_FILL)
        box.name = "Banner"
        top += height + 0.15
    details = [f"Filters: {pack.filters_text}", pack.suppression_note,
               f"Generated {pack.generated_at:%d %B %Y %H:%M} from the GMIRS commissioning dashboard."]
    _text(slide, M, max(top, FOOTER_TOP - text_height(details, BODY_W, 12) - GAP), BODY_W,
          text_height(details, BODY_W, 12), details, size=12, colour=MUTED)
    _slide_number(slide, deck.count)


def _appendix(deck: Deck) -> None:
    pack = deck.pack
    definitions = pack.definitions
    columns = [c for c in ("Code", "Measure", "Definition", "Target (%)", "Source", "Term") if c in definitions.columns]
    if "Definition" in definitions.columns and "Definition" not in columns:
        columns.append("Definition")
    _table_slides(deck, PackTable("Definitions", "Appendix: definitions", definitions[columns]))
    lines = [f"• {a}" for a in pack.assumptions] + [f"• {pack.suppression_note}"]
    _text_slide(deck, PackTable("Assumptions", "Appendix: assumptions and notes", pd.DataFrame({"Note": lines})))


def pack_to_pptx(pack: Pack) -> bytes:
    """The deck as bytes: cover, each table (chart slide, then table slides), appendix."""
    deck = Deck(pack)
    deck.prs.core_properties.title = pack.full_title
    deck.prs.core_properties.subject = pack.context_line
    _title_slide(deck)
    for table in pack.tables:
        if table.style == "findings":
            _findings_slides(deck, table)
        elif table.style == "text":
            _text_slide(deck, table)
        elif table.style == "spc_icons":
            _spc_icon_slides(deck, table)
        elif table.style == "chart":
            _xmr_chart_slide(deck, table)
        else:
            if table.chart is not None and len(table.chart.data):
                _chart_slide(deck, table)
            _table_slides(deck, table)
    _appendix(deck)
    buffer = io.BytesIO()
    deck.prs.save(buffer)
    return buffer.getvalue()
