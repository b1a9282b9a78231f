"""Render a :class:`reports.pack_data.Pack` as a PDF (fpdf2).

No image export is available on the server, so charts are drawn with fpdf2's own shapes:
horizontal bars with the value printed at the end of each bar (so the chart reads without
colour), a legend in words, and suppressed points written as "not shown" rather than drawn
as zero. Every page's footer carries the period, filters, "as of" date and page number.
"""

from __future__ import annotations

import io
import itertools
import math
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from metrics.findings import KIND_HEADINGS, grouped
from reports.formatting import (
    BANNER_FILL,
    HEADER_FILL,
    KIND_COLOURS,
    LINK,
    MUTED,
    PALETTE,
    TEXT,
    cell_text,
    frame_text,
)
from reports.mdc_icons import assurance_icon_png, variation_icon_png
from reports.pack_data import ChartSpec, Pack, PackTable

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
    Path("/Library/Fonts"),
)
#: Used only when no Unicode font is installed: the core PDF fonts cover Latin-1 alone.
LATIN1_REPLACEMENTS = {"–": "-", "—": "-", "−": "-", "≥": ">=", "≤": "<=", "…": "...", "’": "'", "‘": "'",
                       "“": '"', "”": '"', "•": "-", "×": "x", "÷": "/"}


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (0, 2, 4))


class PackPdf(FPDF):
    def __init__(self, pack: Pack):
        super().__init__(orientation="L", unit="mm", format="A4")
        self.pack = pack
        self.family = "helvetica"
        regular = next((d / "DejaVuSans.ttf" for d in FONT_DIRS if (d / "DejaVuSans.ttf").exists()), None)
        if regular is not None:
            self.add_font("DejaVu", "", str(regular))
            bold = regular.with_name("DejaVuSans-Bold.ttf")
            self.add_font("DejaVu", "B", str(bold if bold.exists() else regular))
            self.family = "DejaVu"
        self.set_auto_page_break(True, margin=16)
        self.set_margins(12, 12, 12)
        self.set_title(pack.full_title)
        self.set_subject(pack.context_line)
        self.set_lang("en-GB")  # the document language, for screen readers
        self.set_display_mode(zoom="fullwidth")
        self.alias_nb_pages()

    def clean(self, text: str) -> str:
        if self.family == "DejaVu":
            return text
        for old, new in LATIN1_REPLACEMENTS.items():
            text = text.replace(old, new)
        return text.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self.family, size=8)
        self.set_text_color(61, 61, 61)
        self.multi_cell(0, 3.6, self.clean(f"{self.pack.context_line} · Page {self.page_no()} of {{nb}}\n"
                                           f"{self.pack.suppression_note}"), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)

    # ---- text ---------------------------------------------------------------------------

    def heading(self, text: str, size: int = 16, level: int | None = 0) -> None:
        """A heading, also a bookmark (and a section in fpdf2's structure tree) at ``level``."""
        if level is not None:
            self.start_section(self.clean(text)[:120], level=level, strict=False)
        self.set_font(self.family, "B", size)
        self.multi_cell(0, size * 0.5, self.clean(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def paragraph(self, text: str, size: int = 10, bold: bool = False, colour: str | None = None,
                  link: str | None = None, fill: str | None = None) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.set_text_color(*_rgb(colour or TEXT))
        if fill:
            self.set_fill_color(*_rgb(fill))
        self.multi_cell(0, size * 0.45, self.clean(text), new_x="LMARGIN", new_y="NEXT", link=link or "",
                        fill=bool(fill))
        self.set_fill_color(255, 255, 255)
        self.set_text_color(0, 0, 0)
        self.ln(0.8)

    # ---- tables and charts ----------------------------------------------------------------

    def data_table(self, frame, size: int = 10) -> None:
        """A table whose every column is at least as wide as its longest word (no word is broken
        mid-word), at 10 pt (down to 8 pt only when the longest words need it), on explicit
        light fills with near-black text: nothing carries over from a chart's fill."""
        rows = [[self.clean(v) for v in row] for row in frame_text(frame)]
        width = self.w - self.l_margin - self.r_margin
        for tried in (size, 9, 8):
            size = tried
            self.set_font(self.family, size=size)
            widths = _column_widths(self, rows, width)
            if widths is not None:
                break
        if widths is None:
            widths = tuple(width / len(rows[0]) for _ in rows[0])
        self.set_fill_color(255, 255, 255)
        self.set_draw_color(177, 180, 182)
        self.set_text_color(*_rgb(TEXT))
        with self.table(col_widths=widths, width=width, text_align="LEFT", line_height=size * 0.5,
                        cell_fill_color=(243, 242, 241), cell_fill_mode="ROWS",
                        headings_style=FontFace(emphasis="BOLD", color=(255, 255, 255),
                                                fill_color=_rgb(HEADER_FILL))) as grid:
            for values in rows:
                row = grid.row()
                for value in values:
                    row.cell(value)
        self.set_fill_color(255, 255, 255)
        self.ln(2)

    def bar_chart(self, spec: ChartSpec) -> None:
        """Horizontal grouped bars; values printed; missing values say "not shown". A forecast
        band is drawn as a range with the value as a point, a target as a red tick on the bar
        (:meth:`marked_bars`)."""
        if {BAND_LOW, BAND_HIGH} <= set(spec.series) or (len(spec.series) == 2 and spec.series[1] == TARGET):
            self.marked_bars(spec)
            return
        data = spec.data
        values = [[_number(v) for v in data[name]] for name in spec.series]
        finite = [v for series in values for v in series if v is not None]
        if not finite:
            return
        low, high = min(0.0, min(finite)), max(0.0, max(finite))
        span = (high - low) or 1.0
        label_w, value_w = 60.0, 24.0
        plot_w = self.w - self.l_margin - self.r_margin - label_w - value_w
        bar_h = 3.2
        group_h = bar_h * len(spec.series) + 2.0
        needed = group_h * len(data) + 10
        if self.get_y() + min(needed, 120) > self.page_break_trigger:
            self.add_page()
        # Legend in words, each with its colour swatch.
        self.set_font(self.family, size=7)
        x = self.l_margin
        for i, name in enumerate(spec.series):
            self.set_fill_color(*_rgb(PALETTE[i % len(PALETTE)]))
            self.rect(x, self.get_y() + 0.8, 3, 3, style="F")
            self.set_xy(x + 4, self.get_y())
            label = self.clean(name)
            self.cell(self.get_string_width(label) + 6, 4.5, label)
            x = self.get_x()
        self.ln(6)
        zero_x = self.l_margin + label_w + plot_w * (0 - low) / span
        if self.get_y() + group_h * len(data) <= self.page_break_trigger:
            # The whole chart fits on this page: tag it as a figure with alt text (fpdf2's
            # marked sequence, the mechanism its image(alt_text=…) uses; it must not span pages).
            alt = (f"Bar chart of {', '.join(spec.series)} by {spec.category}: "
                   + "; ".join(f"{c} {cell_text(v, spec.series[0])}" for c, v in zip(data[spec.category], data[spec.series[0]])))
            with self._marked_sequence(alt_text=self.clean(alt)[:1000]):
                self._bars(spec, values, zero_x, label_w, value_w, plot_w, span, bar_h, group_h)
        else:
            self._bars(spec, values, zero_x, label_w, value_w, plot_w, span, bar_h, group_h)
        self.set_fill_color(255, 255, 255)  # a bar's fill must not carry into the next table
        self.set_draw_color(61, 61, 61)
        self.ln(3)

    def marked_bars(self, spec: ChartSpec) -> None:
        """One row per category: a light range from the band's low to high bound with the value
        as a dark diamond, or the value as a bar with the target as a red tick; the figures are
        printed at the right, so the chart reads without colour."""
        data = spec.data
        band = BAND_LOW in spec.series
        value_name = next(n for n in spec.series if n not in (BAND_LOW, BAND_HIGH, TARGET))
        value = [_number(v) for v in data[value_name]]
        low = [_number(v) for v in data[BAND_LOW]] if band else [None] * len(data)
        high = [_number(v) for v in data[BAND_HIGH]] if band else [None] * len(data)
        target = [_number(v) for v in data[TARGET]] if not band else [None] * len(data)
        finite = [v for v in value + low + high + target if v is not None]
        if not finite:
            return
        top_value = max(finite) * 1.05 or 1.0
        label_w, text_w, row_h = 45.0, 62.0, 6.0
        plot_w = self.w - self.l_margin - self.r_margin - label_w - text_w
        x0 = self.l_margin + label_w
        if self.get_y() + row_h * len(data) + 8 > self.page_break_trigger:
            self.add_page()
        self.set_font(self.family, size=9)
        self.set_text_color(*_rgb(TEXT))
        key = ("Light bar: forecast band (low to high); diamond: " + value_name) if band else (
            f"Bar: {value_name}; red tick: target")
        self.cell(0, 5, self.clean(key), new_x="LMARGIN", new_y="NEXT")
        alt = (f"{'Forecast band with ' + value_name if band else value_name + ' against target'} by {spec.category}: "
               + "; ".join(f"{c} {cell_text(v, value_name)}" for c, v in zip(data[spec.category], value)))
        with self._marked_sequence(alt_text=self.clean(alt)[:1000]):
            for i, category in enumerate(data[spec.category]):
                y = self.get_y()
                self.set_xy(self.l_margin, y)
                self.cell(label_w - 2, row_h, self.clean(str(category))[:30], align="R")
                mid = y + row_h / 2
                if band and low[i] is not None and high[i] is not None:
                    self.set_fill_color(183, 203, 224)
                    self.rect(x0 + plot_w * low[i] / top_value, y + 1, plot_w * (high[i] - low[i]) / top_value,
                              row_h - 2, style="F")
                if value[i] is not None:
                    x = x0 + plot_w * value[i] / top_value
                    if band:
                        self.set_fill_color(*_rgb(TEXT))
                        self.polygon([(x, mid - 1.8), (x + 1.8, mid), (x, mid + 1.8), (x - 1.8, mid)], style="F")
                    else:
                        self.set_fill_color(*_rgb(PALETTE[0]))
                        self.rect(x0, y + 1.2, max(x - x0, 0.2), row_h - 2.4, style="F")
                if target[i] is not None:
                    x = x0 + plot_w * target[i] / top_value
                    self.set_draw_color(222, 27, 27)
                    self.set_line_width(0.8)
                    self.line(x, y + 0.3, x, y + row_h - 0.3)
                    self.set_line_width(0.2)
                words = cell_text(value[i], value_name) if value[i] is not None else "not shown"
                if band and low[i] is not None:
                    words += f" (band {cell_text(low[i], BAND_LOW)}–{cell_text(high[i], BAND_HIGH)})"
                if target[i] is not None:
                    words += f" (target {cell_text(target[i], TARGET)})"
                self.set_xy(x0 + plot_w + 2, y)
                self.cell(text_w - 2, row_h, self.clean(words))
                self.set_y(y + row_h)
        self.set_fill_color(255, 255, 255)
        self.set_draw_color(61, 61, 61)
        self.ln(3)

    def _bars(self, spec, values, zero_x, label_w, value_w, plot_w, span, bar_h, group_h) -> None:
        data = spec.data
        for row_index, category in enumerate(data[spec.category]):
            if self.get_y() + group_h > self.page_break_trigger:
                self.add_page()
            top = self.get_y()
            self.set_font(self.family, size=7)
            self.set_xy(self.l_margin, top)
            self.cell(label_w - 2, group_h - 2, self.clean(str(category))[:45], align="R")
            for i, series in enumerate(values):
                value = series[row_index]
                y = top + i * bar_h
                if value is None:
                    self.set_xy(zero_x + 1, y)
                    self.cell(value_w, bar_h, "not shown")
                    continue
                self.set_fill_color(*_rgb(PALETTE[i % len(PALETTE)]))
                start = zero_x if value >= 0 else zero_x - plot_w * (-value) / span
                width = max(plot_w * abs(value) / span, 0.2)
                self.rect(start, y + 0.3, width, bar_h - 0.6, style="F")
                self.set_xy(max(start + width, zero_x) + 1, y)
                self.cell(value_w, bar_h, cell_text(value, spec.series[i]))
            self.set_y(top + group_h)


BAND_LOW, BAND_HIGH, TARGET = "Expected (low)", "Expected (high)", "Target (%)"
SIGNAL_COLOURS = {"improvement": "00B0F0", "concern": "E46C0A", "neutral": "490092", "common": "7F7F7F"}


def _marker(pdf: FPDF, x: float, y: float, signal: str) -> None:
    """A point marked by colour and shape: triangle improvement, square concern, diamond
    neutral, small circle common cause (as on the slides)."""
    pdf.set_fill_color(*_rgb(SIGNAL_COLOURS.get(signal, "7F7F7F")))
    r = 1.4 if signal != "common" else 0.9
    if signal == "improvement":
        pdf.polygon([(x, y - r), (x + r, y + r), (x - r, y + r)], style="F")
    elif signal == "concern":
        pdf.rect(x - r, y - r, 2 * r, 2 * r, style="F")
    elif signal == "neutral":
        pdf.polygon([(x, y - r), (x + r, y), (x, y + r), (x - r, y)], style="F")
    else:
        pdf.circle(x, y, r, style="F")


def _xmr_section(pdf: PackPdf, table: PackTable) -> None:
    """An XmR chart drawn with lines: value (with its marked points), mean, dashed process
    limits, dotted red target; the month labels every third month."""
    spec, data = table.chart, table.chart.data
    pdf.add_page()
    pdf.paragraph(table.title, size=10, colour=MUTED)
    pdf.heading(table.headline or table.title)
    values = {name: [_number(v) for v in data[name]] for name in spec.series}
    finite = [v for vs in values.values() for v in vs if v is not None]
    if not finite:
        pdf.paragraph("Too few points to chart.")
        return
    low, high = min(finite), max(finite)
    pad = (high - low) * 0.1 or 1.0
    low, high = max(low - pad, 0.0), min(high + pad, 100.0) if high <= 100 else high + pad
    left, top = pdf.l_margin + 14, pdf.get_y() + 2
    width, height = pdf.w - pdf.r_margin - left, min(95.0, pdf.page_break_trigger - top - 40)
    special = ", ".join(f"{m} ({sig})" for m, sig in zip(data[spec.category], data["Signal"]) if sig in ("improvement", "concern", "neutral"))
    alt = (f"XmR chart: monthly value, mean, process limits{' and target' if 'Target (%)' in spec.series else ''} "
           f"from {data[spec.category].iloc[0]} to {data[spec.category].iloc[-1]}. {table.headline}. "
           + (f"Special-cause points: {special}." if special else "No special-cause points."))
    # The chart is drawn on this page only, so it can be one tagged figure with alt text.
    with pdf._marked_sequence(alt_text=pdf.clean(alt)[:1000]):
        _draw_xmr(pdf, spec, values, low, high, left, top, width, height)
    pdf.set_y(top + height + 7)
    pdf.paragraph("Value: dark line; mean: navy; process limits: dashed grey; target: dotted red. Points: grey circle "
                  "common cause, blue triangle improvement, orange square concern, purple diamond neutral.", size=9,
                  colour=MUTED)
    for note in table.notes:
        pdf.paragraph(note, size=9, colour=MUTED)


def _draw_xmr(pdf: PackPdf, spec: ChartSpec, values: dict, low: float, high: float, left: float, top: float,
              width: float, height: float) -> None:
    data, n = spec.data, len(spec.data)

    def xy(i, v):
        return left + width * (i + 0.5) / n, top + height * (1 - (v - low) / ((high - low) or 1))

    pdf.set_draw_color(177, 180, 182)
    pdf.set_line_width(0.2)
    pdf.rect(left, top, width, height)
    pdf.set_font(pdf.family, size=9)
    pdf.set_text_color(*_rgb(TEXT))
    for tick in (low, (low + high) / 2, high):
        pdf.set_xy(pdf.l_margin, xy(0, tick)[1] - 2)
        pdf.cell(13, 4, f"{tick:.0f}%", align="R")
    styles = {"Mean (%)": ("12436D", None), "Lower limit (%)": ("7F7F7F", (1.5, 1)),
              "Upper limit (%)": ("7F7F7F", (1.5, 1)), "Target (%)": ("DE1B1B", (0.5, 0.8)), "Value (%)": ("3D3D3D", None)}
    for name in spec.series:
        colour, dash = styles.get(name, ("3D3D3D", None))
        pdf.set_draw_color(*_rgb(colour))
        pdf.set_line_width(0.6 if name == "Value (%)" else 0.35)
        pdf.set_dash_pattern(*(dash or (0, 0)))
        points = [(i, v) for i, v in enumerate(values[name]) if v is not None]
        for (i0, v0), (i1, v1) in itertools.pairwise(points):
            if i1 == i0 + 1:  # a month not shown (small numbers) is a gap, not a joined line
                pdf.line(*xy(i0, v0), *xy(i1, v1))
    pdf.set_dash_pattern()
    for i, (v, signal) in enumerate(zip(values["Value (%)"], data["Signal"])):
        if v is not None:
            _marker(pdf, *xy(i, v), str(signal))
        elif str(signal).startswith("not shown"):  # a month left out for small numbers, marked
            pdf.set_xy(xy(i, low)[0] - 4, xy(i, low)[1] - 5)
            pdf.cell(8, 4, "[c]", align="C")
    for i, month in enumerate(data[spec.category]):
        if i % 3 == 0 or i == n - 1:
            pdf.set_xy(xy(i, low)[0] - 8, top + height + 1)
            pdf.cell(16, 4, pdf.clean(str(month)), align="C")
    pdf.set_fill_color(255, 255, 255)
    pdf.set_draw_color(61, 61, 61)
    pdf.set_line_width(0.2)


def _spc_icons_section(pdf: PackPdf, table: PackTable) -> None:
    """Each measure's variation and assurance icons (images with alt text: tagged figures)."""
    pdf.add_page()
    pdf.paragraph(table.title, size=10, colour=MUTED)
    pdf.heading(table.headline or table.title)
    for row in table.frame.itertuples(index=False):
        if pdf.get_y() + 12 > pdf.page_break_trigger:
            pdf.add_page()
        y = pdf.get_y()
        pdf.image(io.BytesIO(variation_icon_png(row[1])), x=pdf.l_margin, y=y, w=9, h=9,
                  alt_text=f"{row[0]} variation icon: {row[2]}")
        pdf.image(io.BytesIO(assurance_icon_png(row[3])), x=pdf.l_margin + 10, y=y, w=9, h=9,
                  alt_text=f"{row[0]} assurance icon: {row[4]}")
        pdf.set_xy(pdf.l_margin + 22, y)
        pdf.set_font(pdf.family, size=10)
        pdf.set_text_color(*_rgb(TEXT))
        words = f"{row[0]}: {row[2]}. {row[4]}." + (f" {row[5]}" if row[5] else "")
        pdf.multi_cell(0, 4.6, pdf.clean(words), new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(pdf.get_y(), y + 10) + 1)
    for note in table.notes:
        pdf.paragraph(note, size=9, colour=MUTED)


def _number(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _column_widths(pdf: FPDF, rows: list[list[str]], total: float) -> tuple[float, ...] | None:
    """Widths in mm summing to ``total``: each column at least its longest word (in the current
    font, plus padding), the rest shared by content; ``None`` if the longest words do not fit."""
    pad = 4.0
    columns = range(len(rows[0]))
    style, size = pdf.font_style, pdf.font_size_pt
    pdf.set_font(pdf.family, "B", size)  # the header row is bold, hence wider
    header = [max(pdf.get_string_width(w) for w in (rows[0][c].split() or [""])) for c in columns]
    pdf.set_font(pdf.family, style, size)
    floor = [max([header[c]] + [pdf.get_string_width(w) for row in rows[1:] for w in (row[c].split() or [""])]) + pad
             for c in columns]
    if sum(floor) > total:
        return None
    want = [max(max(min(pdf.get_string_width(row[c]) + pad, 90.0) for row in rows), floor[c]) for c in columns]
    if sum(want) <= total:
        return tuple(w * total / sum(want) for w in want)
    spare, extra = total - sum(floor), [w - f for w, f in zip(want, floor)]
    return tuple(f + spare * e / (sum(extra) or 1) for f, e in zip(floor, extra))


def _table_section(pdf: PackPdf, table: PackTable) -> None:
    pdf.add_page()
    pdf.paragraph(table.title, size=10, colour=MUTED)
    pdf.heading(table.headline or table.title)
    if table.chart is not None and len(table.chart.data):
        pdf.bar_chart(table.chart)
    if len(table.frame):
        pdf.data_table(table.frame)
    else:
        pdf.paragraph("Nothing to show for these filters.")
    for note in table.notes:
        pdf.paragraph(note, size=9, colour=MUTED)


def _findings_section(pdf: PackPdf, pack: Pack, table: PackTable) -> None:
    pdf.add_page()
    pdf.heading(table.title)
    for kind, items in grouped(pack.findings).items():
        pdf.paragraph(KIND_HEADINGS[kind], size=12, bold=True, colour=KIND_COLOURS[kind])
        if not items:
            pdf.paragraph(f"No {KIND_HEADINGS[kind].lower()} this period.")
        for finding in items:
            url = pack.evidence_url(finding.evidence)
            pdf.paragraph(f"• {finding.text} [{finding.evidence}]", size=10, link=url,
                          colour=LINK if url else None)
    for note in table.notes:
        pdf.paragraph(note, size=9, colour=MUTED)


def pack_to_pdf(pack: Pack) -> bytes:
    """The pack as PDF bytes: cover, one section per table, definitions and assumptions."""
    pdf = PackPdf(pack)
    pdf.add_page()
    pdf.ln(25)
    pdf.heading(pack.title, size=24)
    pdf.paragraph(f"{pack.scope_text} · {pack.period.label}", size=16)
    pdf.paragraph(pack.as_of_text, size=14, colour=MUTED)
    if pack.coverage_note:
        pdf.paragraph(pack.coverage_note, size=12, bold=True, colour="FFFFFF", fill=BANNER_FILL)
    if pack.demo:
        pdf.paragraph("Demo data: every figure in this pack is invented, for trying the dashboard out.", size=12,
                      bold=True, colour="FFFFFF", fill=BANNER_FILL)
    pdf.paragraph(f"Filters: {pack.filters_text}", size=11)
    pdf.paragraph(pack.suppression_note, size=10)
    pdf.paragraph(f"Generated {pack.generated_at:%d %B %Y %H:%M} from the GMIRS commissioning dashboard.", size=9)
    for table in pack.tables:
        if table.style == "findings":
            _findings_section(pdf, pack, table)
        elif table.style == "spc_icons":
            _spc_icons_section(pdf, table)
        elif table.style == "chart":
            _xmr_section(pdf, table)
        elif table.style == "text":
            pdf.add_page()
            pdf.heading(table.headline or table.title)
            evidence = table.frame["Evidence"] if "Evidence" in table.frame else [""] * len(table.frame)
            for line, where in zip(table.frame.iloc[:, 0], evidence):
                url = pack.evidence_url(where) if where else None
                pdf.paragraph(str(line) + (f" [{where}]" if where else ""), size=11, link=url,
                              colour=LINK if url else None)
            for note in table.notes:
                pdf.paragraph(note, size=9, colour=MUTED)
        else:
            _table_section(pdf, table)
    pdf.add_page()
    pdf.heading("Appendix: definitions")
    columns = [c for c in ("Code", "Measure", "Definition", "Target (%)", "Trigger (%)", "Source", "Term")
               if c in pack.definitions.columns]
    pdf.data_table(pack.definitions[columns], size=9)
    pdf.heading("Appendix: assumptions and notes", size=13, level=1)
    for assumption in pack.assumptions:
        pdf.paragraph(f"• {assumption}", size=9)
    pdf.paragraph(f"• {pack.suppression_note}", size=9)
    return bytes(pdf.output())
