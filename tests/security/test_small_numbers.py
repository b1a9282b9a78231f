"""The attacker's test of disclosure control (issue 14 part 2; DOMAIN.md "Suppression").

On small databases (the demo generator with 60 and 150 referrals: a dozen or so referrals a
quarter over two or three boroughs, a few successes each), every panel the pages compute on
first view (``ui.warm.first_views`` lists them; the same ``metrics.panels`` objects the packs
print), for a commissioner and for a provider, over the latest quarter and the contract year,
is read as a reader sees it (``Panel.shown()`` and the title), and everything that can be
worked out from what is shown is worked out:

- a shown count of 1 to 4 people;
- a rate × its shown denominator (a count, and the denominator less it);
- a shown denominator less a shown numerator (the complement);
- a published total less the shown parts of a column (one hidden cell);
- an overall rate × the shown people of all groups, less the groups' shown successes;
- a step of the journey less the next (those who left), and a share × the first step;
- "N of M" and "X% of N" in titles.

The test fails if any of them gives back a count of 1 to 4 people, and it asserts that
suppression happened on this data (so it cannot pass by finding nothing to attack).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from pptx import Presentation
from pypdf import PdfReader
from sqlalchemy import select

from data_access.db import make_engine, session_scope
from data_access.models import User
from data_access.scoping import ReferralFilters, referrals_select, scope_for_user
from data_access.settings import Settings
from metrics import contract_panels, panels, periods
from metrics.disclosure import SUPPRESSED, WITHHELD_RATE
from tests.browser.server import make_demo_database

ROOT = Path(__file__).resolve().parents[2]
SMALL = range(1, 5)  # counts of 1 to 4 people are never shown or recoverable (threshold 5)


@pytest.fixture(scope="module", params=[60, 150], ids=["60-referrals", "150-referrals"])
def engine(request, tmp_path_factory):
    url = make_demo_database(tmp_path_factory.mktemp("smallnumbers") / "small.db", request.param)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def number(value) -> float | None:
    """A shown value as a number; None where it is hidden, withheld or not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    text = str(value).strip().rstrip("%").replace(",", "")
    try:
        return float(text)
    except ValueError:
        return None


def count_from_rate(rate: float | None, denominator: float | None, digits: int = 1) -> int | None:
    """The numerator a rate (to ``digits`` places) and its denominator give back, if unique."""
    if rate is None or denominator is None or denominator <= 0 or denominator != int(denominator):
        return None
    n = int(denominator)
    candidates = [k for k in range(n + 1) if round(100.0 * k / n, digits) == round(rate, digits)]
    return candidates[0] if len(candidates) == 1 else None


class Attacker:
    def __init__(self) -> None:
        self.leaks: list[str] = []
        self.hidden_seen = 0

    def small(self, where: str, n, how: str) -> None:
        if n is not None and not math.isnan(n) and round(n) in SMALL and abs(n - round(n)) < 1e-6:
            self.leaks.append(f"{where}: {how} gives {int(round(n))}")

    def counts(self, where: str, frame: pd.DataFrame, columns) -> None:
        for column in columns:
            if column not in frame:
                continue
            self.hidden_seen += int((frame[column].astype(str) == SUPPRESSED).sum())
            for i, value in frame[column].items():
                self.small(where, number(value), f"{column} of row {i} shown")

    def complement(self, where: str, frame: pd.DataFrame, part: str, whole: str) -> None:
        for i, row in frame.iterrows():
            p, w = number(row[part]), number(row[whole])
            if p is not None and w is not None:
                self.small(where, w - p, f"{whole} − {part} of row {i}")

    def rate(self, where: str, frame: pd.DataFrame, rate: str, whole: str, digits: int = 1) -> None:
        for i, row in frame.iterrows():
            w = number(row[whole])
            k = count_from_rate(number(row[rate]), w, digits)
            if k is not None:
                self.small(where, k, f"{rate} × {whole} of row {i}")
                self.small(where, w - k, f"{whole} − {rate} × {whole} of row {i}")

    def column_total(self, where: str, frame: pd.DataFrame, column: str, total: float | None) -> None:
        if total is None or column not in frame or frame.empty:
            return
        values = frame[column].map(number)
        if values.isna().sum() == 1:
            self.small(where, total - values.sum(), f"the published total {total:g} less the shown {column}")

    def title(self, where: str, text: str) -> None:
        people = r"(?:referrals|people|cases|service users)"
        # "Page 3 of 31" is a page number, not people.
        for n, m in re.findall(rf"(?<!Page )(?<![\d,])(\d[\d,]*) (?:met )?(?:of|out of) (?:all |the )?(\d[\d,]*)(?:$| {people}\b)",
                               text):
            n, m = int(n.replace(",", "")), int(m.replace(",", ""))
            self.small(where, n, f"title '{text}'")
            self.small(where, m - n, f"title '{text}' (complement)")
        for x, m in re.findall(r"(\d+(?:\.\d+)?)% of (?:all |the |its )?(\d[\d,]*) (?:referrals|people|cases)", text):
            m = int(m.replace(",", ""))
            k = count_from_rate(float(x), m, len(x.split(".")[1]) if "." in x else 0)
            if k is not None:
                self.small(where, k, f"title '{text}'")
                self.small(where, m - k, f"title '{text}' (complement)")
        for x, m in re.findall(r"(\d+(?:\.\d+)?)% \((\d[\d,]*) cases\)", text):  # findings: "87.0% (23 cases)"
            m = int(m.replace(",", ""))
            k = count_from_rate(float(x), m, len(x.split(".")[1]) if "." in x else 0)
            if k is not None:
                self.small(where, k, f"'{text}'")
                self.small(where, m - k, f"'{text}' (complement)")
        for n in re.findall(r"(?<!to )(?<![\d,.])(\d[\d,]*) (?:referrals|people|cases)\b", text):  # not "1 to 4 people"
            self.small(where, int(n.replace(",", "")), f"title '{text}'")


    def propagate(self, where: str, known: dict, equations: list[dict]) -> None:
        """Work out every hidden value (None in ``known``) that the linear ``equations`` ({name:
        coefficient}, summing to 0) determine from the shown ones, by linear algebra as an
        attacker with a spreadsheet would (``_solve``), and report those that are counts of 1 to 4."""
        for name, value in _solve(known, equations).items():
            if known.get(name) is None:
                self.small(where, value, f"{name} worked out through the totals")


def sl002_breakdown_attack(where: str, frame: pd.DataFrame, denominator, rate, a: Attacker) -> None:
    """The contract pack's SL002 table: a, b, the reasons' negative and neutral counts with their
    totals, and what the scorecard publishes (the denominator b − c and the rate a / (b − c))."""
    frame = frame.set_index("Category")
    a.counts(where, frame, ["Negative", "Neutral (c)", "Total"])
    known = {"b": number(frame.iloc[0]["Total"]), "a": number(frame.iloc[1]["Total"]), "D": number(denominator)}
    attended = count_from_rate(number(rate), known["D"])
    if known["a"] is None and attended is not None:
        known["a"] = float(attended)
        a.small(where, attended, "SL002's rate × its denominator")
    body = frame.iloc[3:]
    equations = [{"b": 1, "a": -1, "N": -1, "C": -1}, {"D": 1, "a": -1, "N": -1}]
    if not body.empty:
        reasons = [r for r in body.index if r != "Total"]
        for column, total in (("Negative", "N"), ("Neutral (c)", "C"), ("Total", "G")):
            known[total] = number(body.loc["Total", column])
            for r in reasons:
                known[(r, column)] = number(body.loc[r, column])
            equations.append({**{(r, column): 1 for r in reasons}, total: -1})
        for r in reasons:
            equations.append({(r, "Negative"): 1, (r, "Neutral (c)"): 1, (r, "Total"): -1})
        equations.append({"N": 1, "C": 1, "G": -1})
    a.propagate(where, known, equations)


def views(engine):
    """(where, panels) for each user and period: the panels the pages show on first view."""
    for username in ("commissioner", "provider"):
        with session_scope(engine) as session:
            scope = scope_for_user(session.scalar(select(User).where(User.username == username)))
            as_of = panels.data_as_of(session)
            for period in (periods.quarter(as_of), periods.contract_year(as_of)):
                inputs = panels.inputs_for(session, scope, ReferralFilters(), referrals_select(scope, ReferralFilters()),
                                           period, as_of, Settings.from_env())
                card = panels.period_scorecard(session, inputs)
                shown = {
                    "headline": panels.headline(session, inputs),
                    "tiles": panels.tiles_from(card, panels.spc_charts(session, inputs), panels.figures(session, inputs)),
                    "scorecard": panels.scorecard_panel(session, inputs),
                    "sl002_official": panels.sl002_official_panel(session, inputs),
                    "forecast_bands": panels.forecast_bands(session, inputs, by="borough"),
                    "referral_sources": panels.referral_sources(session, inputs),
                    "complexity_mix": panels.complexity_mix(session, inputs),
                    "complexity_by_borough": panels.complexity_by_borough(session, inputs),
                    "distance": panels.distance_travelled(session, inputs, by=next(iter(panels.BREAKDOWNS))),
                    "journey": panels.journey(session, inputs),
                    "field_completeness": panels.field_completeness(session, inputs),
                    "compare": panels.compare_areas_panel(session, inputs, **panels.COMPARE_FIRST_VIEW),
                    "what_changed": panels.what_changed(session, inputs),
                    "monthly": panels.monthly_against_expectation(session, inputs),
                    "complexity_over_time": panels.complexity_over_time(session, inputs),
                    "readiness": panels.extension_readiness(session, inputs),
                    "by_hub": panels.measures_by_hub(session, inputs),
                    "sl002_projection": panels.sl002_projection(session, inputs),
                }
                shown["sl002_breakdown"] = contract_panels.sl002_breakdown(session, inputs, card=card)
                for strand in panels.EQUALITY_STRANDS:
                    for outcome in panels.EQUALITY_OUTCOMES:
                        shown[f"equalities {strand} {outcome}"] = panels.equality_rates(
                            session, inputs, strand=strand, outcome=outcome)
                yield f"{username} {period.label}", shown


def notes_explain(where: str, table: pd.DataFrame, notes, a: Attacker) -> None:
    """Every suppressed table says so underneath, with its symbols explained (issue 14 part 1)."""
    text = " ".join(str(n) for n in notes)
    cells = table.astype(str).to_numpy().ravel() if not table.empty else []
    if SUPPRESSED in cells and SUPPRESSED not in text:
        a.leaks.append(f"{where}: a table with {SUPPRESSED} has no note saying what it means")
    if WITHHELD_RATE in cells and WITHHELD_RATE not in text and "fewer than" not in text:
        a.leaks.append(f"{where}: a table with {WITHHELD_RATE} has no note saying what it means")


def attack(where: str, p: dict[str, panels.Panel], a: Attacker) -> None:
    for name, panel in p.items():
        a.title(f"{where} {name}", panel.title)
        if name != "headline":  # the headline is figures, not a table (its tiles carry the notes)
            notes_explain(f"{where} {name}", panel.shown(), panel.notes, a)
    for i, finding in p["what_changed"].data["finding"].items():  # board and packs print them
        a.title(f"{where} what_changed {i}", finding)
    # The headline: referrals received is the total every breakdown of referrals received adds up to.
    head = p["headline"].shown().set_index("figure")
    received = number(head.loc["Referrals received", "value"])
    a.small(f"{where} headline", received, "referrals received shown")
    a.small(f"{where} headline", number(head.loc["Open referrals", "value"]), "open referrals shown")
    # KPIs: tiles and the KPIs page's scorecard (numerator, denominator, rate); the headline's
    # rates against the scorecard's denominators.
    for name in ("tiles", "scorecard", "sl002_official"):
        frame = p[name].shown()
        frame = frame[frame.get("code", pd.Series("", index=frame.index)) != "DS1"]  # DS1's denominator is a forecast
        a.counts(f"{where} {name}", frame, ["numerator", "denominator", "mitigated", "excluded", "not_yet_due"])
        a.complement(f"{where} {name}", frame, "numerator", "denominator")
        a.rate(f"{where} {name}", frame, "value", "denominator")
    card = p["scorecard"].shown().set_index("code")
    for figure, row in head.iterrows():
        code = str(figure).split(" ")[0]
        if code in card.index:
            k = count_from_rate(number(row["value"]), number(card.loc[code, "denominator"]))
            if k is not None:
                den = number(card.loc[code, "denominator"])
                a.small(f"{where} headline", k, f"{code}'s rate × the KPIs page's denominator")
                a.small(f"{where} headline", den - k, f"{code}'s denominator less rate × denominator")
    sl002 = card.loc["SL002"] if "SL002" in card.index else None
    if sl002 is not None:
        sl002_breakdown_attack(f"{where} sl002_breakdown", p["sl002_breakdown"].shown(), sl002["denominator"], sl002["value"], a)
    # Breakdowns of referrals received: counts, shares, the total less the shown parts.
    for name, column, share in (("forecast_bands", "referrals", None), ("referral_sources", "referrals", "share"),
                                ("complexity_mix", "observed", "share")):
        frame = p[name].shown()
        a.counts(f"{where} {name}", frame, [column])
        a.column_total(f"{where} {name}", frame, column, received)
        if share and received:
            a.rate(f"{where} {name}", frame.assign(total=received), share, "total")
    mix = p["complexity_by_borough"].shown()
    a.counts(f"{where} complexity_by_borough", mix, ["referrals", "Low", "Medium", "High"])
    a.column_total(f"{where} complexity_by_borough", mix, "referrals", received)
    distance = p["distance"].shown()
    a.counts(f"{where} distance", distance, ["people"])
    for column in ("improved", "same", "worse"):
        if column in distance:
            a.rate(f"{where} distance", distance, column, "people", 0)
    completeness = p["field_completeness"].shown()
    a.counts(f"{where} field_completeness", completeness, ["recorded"])
    a.rate(f"{where} field_completeness", completeness.assign(total=received), "complete", "total")
    if received:
        for i, value in completeness["recorded"].items():
            if number(value) is not None:
                a.small(f"{where} field_completeness", received - number(value), f"referrals less recorded, row {i}")
    compare = p["compare"].shown()
    a.counts(f"{where} compare", compare, ["met", "cases"])
    a.complement(f"{where} compare", compare, "met", "cases")
    # Cases due: every measure by hub ("rate% (n/N)"), each hub against the scorecard's whole view.
    by_hub = p["by_hub"].shown()
    for code in [c for c in by_hub.columns if c not in ("hub", "DS1")]:
        cells = [re.search(r"^(.*?) \((.+?)/(.+?)\)$", str(v)) for v in by_hub[code]]
        frame = pd.DataFrame([{"value": m.group(1) if m else None, "met": m.group(2) if m else None,
                               "cases": m.group(3) if m else None} for m in cells])
        a.counts(f"{where} by_hub {code}", frame, ["met", "cases"])
        a.complement(f"{where} by_hub {code}", frame, "met", "cases")
        a.rate(f"{where} by_hub {code}", frame, "value", "cases")
        if code in card.index:
            a.column_total(f"{where} by_hub {code}", frame, "cases", number(card.loc[code, "denominator"]))
            a.column_total(f"{where} by_hub {code}", frame, "met", number(card.loc[code, "numerator"]))
    projection = p["sl002_projection"].shown()
    a.counts(f"{where} sl002_projection", projection, ["cases"])
    a.rate(f"{where} sl002_projection", projection.iloc[:1], "value", "cases")
    # Monthly referrals and their running total: a month, or any two running totals' difference.
    monthly = p["monthly"].shown()
    a.counts(f"{where} monthly", monthly, ["referrals", "cumulative_referrals"])
    if not monthly.empty:
        running = [number(v) for v in monthly["cumulative_referrals"]]
        months = [number(v) for v in monthly["referrals"]]
        for j in range(len(running)):
            for i in range(j):
                if running[i] is not None and running[j] is not None:
                    a.small(f"{where} monthly", running[j] - running[i], f"running total {j} less {i}")
            if j and running[j] is not None and months[j] is not None:
                a.small(f"{where} monthly", running[j] - months[j], f"running total {j} less its month")
    # Extension readiness: each contract year's rate against that year's scorecard denominator
    # (the contract-year view publishes it); checked where this view is the year itself.
    if "Contract year" in where:
        ready = p["readiness"].shown()
        year = ready[ready["contract year"] == ready["contract year"].max()].set_index("code")
        for code, row in year.iterrows():
            if code in card.index and code != "DS1":
                den = number(card.loc[code, "denominator"])
                k = count_from_rate(number(row["value"]), den)
                if k is not None:
                    a.small(f"{where} readiness", k, f"{code}'s year rate × the year's denominator")
                    a.small(f"{where} readiness", den - k, f"{code}'s year denominator less rate × it")
    over_time = p["complexity_over_time"].shown()
    a.counts(f"{where} complexity_over_time", over_time, ["referrals"])
    if not over_time.empty:
        for month, rows in over_time.groupby("month"):
            counts = rows["referrals"].map(number)
            total = counts.sum() if counts.notna().all() else None  # the month's total, if every part is shown
            if total is not None:
                a.rate(f"{where} complexity_over_time {month}", rows.assign(total=total), "share", "total")
            shares = rows["share"].map(number)
            if (shares.notna() & counts.isna()).any():  # a share beside a hidden count: share × total
                a.leaks.append(f"{where} complexity_over_time {month}: a share beside a hidden count")
            if (shares > 0).any() and counts.isna().any():  # a shown count ÷ its share gives the total
                a.leaks.append(f"{where} complexity_over_time {month}: shares beside a hidden count give the total")
    # The journey: each step = the next + those who left before it; shares of the first step.
    journey = p["journey"].shown()
    a.counts(f"{where} journey", journey, ["reached", "dropped_before_next"])
    if not journey.empty:
        reached = [number(v) for v in journey["reached"]]
        dropped = [number(v) for v in journey["dropped_before_next"]]
        for i in range(len(reached) - 1):
            r, nxt, d = reached[i], reached[i + 1], dropped[i]
            if r is not None and nxt is not None:
                a.small(f"{where} journey", r - nxt, f"step {i} less step {i + 1}")
            if r is not None and d is not None:
                a.small(f"{where} journey", r - d, f"step {i} less those who left (step {i + 1})")
            if nxt is not None and d is not None:
                a.small(f"{where} journey", nxt + d, f"step {i + 1} + those who left before it (step {i})")
            for j in range(i + 2, len(reached)):  # those who left between any two shown steps
                if r is not None and reached[j] is not None:
                    a.small(f"{where} journey", r - reached[j], f"step {i} less step {j}")
        a.rate(f"{where} journey", journey.assign(first=reached[0]), "share_of_referred", "first")
        if received and reached[0] is not None:
            a.small(f"{where} journey", received - reached[0], "referrals received less those ended (in progress)")
    # Equalities: counts, rates × people, complements, and the overall rate in the title.
    for name, panel in p.items():
        if not name.startswith("equalities"):
            continue
        frame = panel.shown()
        a.counts(f"{where} {name}", frame, ["people", "met", "not_met"])
        a.complement(f"{where} {name}", frame, "met", "people")
        a.complement(f"{where} {name}", frame, "not_met", "people")
        a.rate(f"{where} {name}", frame, "rate", "people")
        overall = re.search(r"overall (\d+\.\d)%", panel.title)
        people = frame["people"].map(number) if "people" in frame else pd.Series(dtype=float)
        if overall and not frame.empty and people.notna().all():
            total_met = count_from_rate(float(overall.group(1)), people.sum())
            if total_met is not None:
                a.small(f"{where} {name}", total_met, "overall rate × all people")
                a.small(f"{where} {name}", people.sum() - total_met, "all people less overall rate × all people")
                met = frame["met"].map(number)
                if met.isna().sum() == 1:
                    a.small(f"{where} {name}", total_met - met.sum(), "overall met less the groups' shown met")


def test_no_count_of_one_to_four_people_can_be_worked_out_from_any_panel(engine):
    attacker = Attacker()
    seen = 0
    for where, shown in views(engine):
        attack(where, shown, attacker)
        seen += 1
    assert seen == 4
    # The data is small enough that the rules had work to do: the test attacked something.
    assert attacker.hidden_seen >= 10, attacker.hidden_seen
    assert not attacker.leaks, "\n".join(attacker.leaks)


# --------------------------------------------------------------------------------------------
# Packs (read back from the files) and the scorecard CLI
# --------------------------------------------------------------------------------------------

#: Pack columns that count people (referrals are people), and rates with their denominators.
PACK_COUNTS = ["Numerator", "Denominator", "Referrals", "People", "Referrals ended", "Attended", "Did not attend",
               "Negative", "Neutral (c)", "Total", "Past deadline", "Deadline within 3 working days",
               "Deadline later", "Referrals affected"]
PACK_RATES = [("Value (%)", "Denominator"), ("Attended (%)", "Referrals ended"), ("Improved (%)", "People"),
              ("Same (%)", "People"), ("Worse (%)", "People")]
PACK_COMPLEMENTS = [("Numerator", "Denominator"), ("Attended", "Referrals ended"), ("Did not attend", "Referrals ended")]


def workbook_tables(content: bytes) -> dict[str, tuple[pd.DataFrame, list[str]]]:
    """Each sheet's table (as printed) and the text lines under it."""
    from reports.workbook import TABLE_START_ROW

    book = openpyxl.load_workbook(io.BytesIO(content))
    out = {}
    for ws in book.worksheets[1:]:
        rows = list(ws.iter_rows(min_row=TABLE_START_ROW + 1, values_only=True))
        if not rows:
            continue
        header, body, below = list(rows[0]), [], []
        for k, row in enumerate(rows[1:]):
            if all(v is None for v in row):
                below = [str(v) for r in rows[k + 2:] for v in r if v is not None]
                break
            body.append(row)
        out[ws.title] = (pd.DataFrame(body, columns=header), below)
    return out


def attack_pack(where: str, files: dict[str, bytes], a: Attacker, month_denominators: dict | None = None) -> None:
    tables = workbook_tables(files["xlsx"])
    for sheet, (frame, _) in tables.items():  # the XmR charts' data: rates only, against each month's cases
        if sheet.startswith("SPC ") and "Month" in frame:
            attack_spc_points(f"{where} {sheet}", sheet.split(" ", 1)[1], frame["Month"],
                              frame["Value (%)"], frame, month_denominators or {}, a)
    kpis = tables["KPI summary"][0].set_index("Code")
    # The pack's About sheet explains [c] and [low] once for every table (Suppression row).
    about = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))["About"]
    about_notes = [str(row[1]) for row in about.iter_rows(values_only=True) if row[0] == "Suppression"]
    for sheet, (frame, below) in tables.items():
        if sheet == "Definitions":
            continue
        if sheet == "KPI summary":
            frame = frame[frame["Code"] != "DS1"]  # DS1's denominator is a forecast
        here = f"{where} {sheet}"
        a.counts(here, frame, [c for c in PACK_COUNTS if c in frame and sheet != "SL002 breakdown"])
        for part, whole in PACK_COMPLEMENTS:
            if part in frame and whole in frame:
                a.complement(here, frame, part, whole)
        for rate, whole in PACK_RATES:
            if rate in frame and whole in frame:
                a.rate(here, frame, rate, whole)
        # "Months met" counts months of a contract year ("7 of 12"), not people.
        cells = frame.drop(columns=[c for c in ("Months met",) if c in frame])
        for text in [*below, *(v for v in cells.to_numpy().ravel() if isinstance(v, str))]:
            a.title(here, text)
        notes_explain(here, frame, [*below, *about_notes], a)
        if sheet == "Data quality":
            total = next((int(m.group(1).replace(",", "")) for t in below
                          if (m := re.search(r"in the period: (\d[\d,]*)", t))), None)
            if total:
                a.rate(here, frame.assign(total=total), "Share of referrals (%)", "total")
                for value in frame["Referrals affected"]:
                    if number(value) is not None:
                        a.small(here, total - number(value), "referrals less those affected")
    if "SL002 breakdown" in tables and "SL002" in kpis.index:
        sl002 = kpis.loc["SL002"]
        sl002_breakdown_attack(f"{where} SL002 breakdown", tables["SL002 breakdown"][0], sl002["Denominator"],
                               sl002["Value (%)"], a)
    for slide in Presentation(io.BytesIO(files["pptx"])).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                a.title(f"{where} pptx", shape.text_frame.text)
    for page in PdfReader(io.BytesIO(files["pdf"])).pages:
        for line in (page.extract_text() or "").splitlines():
            a.title(f"{where} pdf", line)


def test_no_count_of_one_to_four_people_can_be_worked_out_from_any_pack(engine):
    from reports.build import build

    attacker = Attacker()
    with session_scope(engine) as session:
        scopes = {u: scope_for_user(session.scalar(select(User).where(User.username == u)))
                  for u in ("commissioner", "provider")}
        as_of = panels.data_as_of(session)
    packs = [("board", "commissioner"), ("contract", "provider")]
    for period in (periods.quarter(as_of), periods.contract_year(as_of)):
        for kind, username in packs:
            files = {fmt: build(engine, kind, fmt, period=period, scope=scopes[username], settings=Settings.from_env(),
                                filters=ReferralFilters())[1] for fmt in ("xlsx", "pptx", "pdf")}
            attack_pack(f"{kind} pack ({username}) {period.label}", files, attacker,
                        month_denominators(engine, username, period))
    assert attacker.hidden_seen >= 10, attacker.hidden_seen
    assert not attacker.leaks, "\n".join(attacker.leaks)


def test_no_count_of_one_to_four_people_can_be_worked_out_from_the_scorecard_cli(engine):
    attacker = Attacker()
    with session_scope(engine) as session:
        as_of = panels.data_as_of(session)
    env = {**os.environ, "DASHBOARD_DATABASE_URL": str(engine.url), "DASHBOARD_SEED_DEMO": "0"}
    for period in (periods.quarter(as_of), periods.contract_year(as_of)):
        run = subprocess.run([sys.executable, "-m", "metrics", "scorecard", "--from", period.start.isoformat(),
                              "--to", period.end.isoformat(), "--suppress", "--format", "csv"],
                             capture_output=True, text=True, env=env, cwd=ROOT, timeout=600, check=True)
        frame = pd.read_csv(io.StringIO(run.stdout), dtype=str, keep_default_na=False)
        frame = frame[frame["code"] != "DS1"]
        where = f"scorecard CLI {period.label}"
        attacker.counts(where, frame, ["numerator", "denominator"])
        attacker.complement(where, frame, "numerator", "denominator")
        attacker.rate(where, frame, "value", "denominator")
    assert attacker.hidden_seen >= 2, attacker.hidden_seen
    assert not attacker.leaks, "\n".join(attacker.leaks)


def test_the_attacker_finds_what_it_should():
    """The recovery rules themselves, on hand-made tables (so a silent attacker is caught)."""
    a = Attacker()
    a.counts("t", pd.DataFrame({"n": ["12", SUPPRESSED, "3"]}), ["n"])
    a.complement("t", pd.DataFrame({"met": ["10"], "people": ["12"]}), "met", "people")
    a.rate("t", pd.DataFrame({"rate": [25.0], "people": ["12"]}), "rate", "people")  # 3 of 12
    a.column_total("t", pd.DataFrame({"n": ["6", SUPPRESSED, "7"]}), "n", 15)  # 15 − 13 = 2
    a.title("t", "10 met of 12")
    a.title("t", "Probation practitioner made 75% of 4 referrals")
    a.title("t", "DS2 fell below its 95.0% target: 87.0% (23 cases), down")  # 20 of 23: 3 not
    assert len(a.leaks) == 9, a.leaks  # 75% of 4: the 3, the 1 and the 4
    a.leaks.clear()
    a.propagate("t", {"b": 159, "a": 132, "D": 136, "N": None, "C": None},
                [{"b": 1, "a": -1, "N": -1, "C": -1}, {"D": 1, "a": -1, "N": -1}])  # the a, b and 97.1%
    assert a.leaks == ["t: N worked out through the totals gives 4"], a.leaks
    a.leaks.clear()  # b and the denominator b − c alone give c, with a, N and G all hidden
    a.propagate("t", {"b": 22, "D": 20, "a": None, "N": None, "C": None, "G": None},
                [{"b": 1, "a": -1, "G": -1}, {"D": 1, "a": -1, "N": -1}, {"N": 1, "C": 1, "G": -1}])
    assert a.leaks == ["t: C worked out through the totals gives 2"], a.leaks
    assert count_from_rate(97.1, 35) == 34 and count_from_rate(50.0, 0) is None


# --------------------------------------------------------------------------------------------
# SPC charts: the points, their hover, the data behind them (page and pack)
# --------------------------------------------------------------------------------------------


def _inputs(session, username: str, period, filters: ReferralFilters | None = None):
    filters = filters or ReferralFilters()
    scope = scope_for_user(session.scalar(select(User).where(User.username == username)))
    return panels.inputs_for(session, scope, filters, referrals_select(scope, filters), period,
                             panels.data_as_of(session), Settings.from_env())


_MONTH_DENOMINATORS: dict = {}


def month_denominators(engine, username: str, period) -> dict:
    """{(code, "Mon YYYY"): the month's cases as its own scorecard shows them} over the SPC window
    ending with ``period``: what an attacker reads off the month views to turn a plotted rate
    into a count."""
    key = (str(engine.url), username, period.end)
    if key not in _MONTH_DENOMINATORS:
        out = {}
        with session_scope(engine) as session:
            for month in periods.periods_between(panels.spc_window_start(period.end), period.end, "month"):
                inputs = _inputs(session, username, month)
                for r in panels.period_scorecard(session, inputs).kpis:
                    out[(r.code, f"{month.start:%b %Y}")] = panels.shown_kpi(r, panels.figures(session, inputs))["denominator"]
        _MONTH_DENOMINATORS[key] = out
    return _MONTH_DENOMINATORS[key]


def attack_spc_points(where: str, code: str, months, values, frame: pd.DataFrame, denominators: dict,
                      a: Attacker) -> None:
    """No count beside a point; each plotted rate × that month's published cases; the centre
    line against the mean of the points shown (a hidden month in it would come back)."""
    a.counts(where, frame, [c for c in frame.columns if c.lower() in ("numerator", "denominator", "met", "cases")])
    for month, value in zip(months, values):
        label = month if isinstance(month, str) else f"{pd.Timestamp(month):%b %Y}"
        den = number(denominators.get((code, label)))
        k = count_from_rate(number(value), den)
        if k is not None:
            a.small(where, k, f"{label}'s plotted rate × the month's published cases")
            a.small(where, den - k, f"{label}'s published cases less rate × cases")


def attack_spc_panel(where: str, code: str, chart: panels.Panel, denominators: dict, a: Attacker) -> None:
    from ui import charts as ui_charts

    data = chart.data
    a.title(where, chart.title)
    if data.empty:
        return
    attack_spc_points(where, code, data["month"], data["value"], data, denominators, a)
    # The centre line is the mean of the points shown in its segment, nothing else.
    for _, part in data.groupby("segment"):
        if abs(round(float(part["value"].mean()), 1) - float(part["mean"].iloc[0])) > 0.051:
            a.leaks.append(f"{where}: the centre line {part['mean'].iloc[0]} is not the mean of the points shown")
    # The hover: the rate and the rule only, never "n of N".
    figure = ui_charts.spc_chart.uncached(data, chart.extra.get("target"), chart.extra.get("rebases", ()),
                                          suppressed=tuple(chart.extra.get("suppressed_months", ())))
    for trace in figure.data:
        for row in (trace.customdata if trace.customdata is not None else []):
            for value in row:
                if not isinstance(value, str):
                    a.small(where, number(value), "a number in the hover")
        if re.search(r"customdata\[\d\] of", trace.hovertemplate or ""):
            a.leaks.append(f"{where}: the hover prints 'n of N'")


def test_no_count_of_one_to_four_people_can_be_worked_out_from_the_spc_charts(engine):
    attacker = Attacker()
    gaps = 0
    with session_scope(engine) as session:
        as_of = panels.data_as_of(session)
    for username in ("commissioner", "provider"):
        for period in (periods.quarter(as_of), periods.contract_year(as_of)):
            denominators = month_denominators(engine, username, period)
            with session_scope(engine) as session:
                inputs = _inputs(session, username, period)
                charts = panels.spc_charts(session, inputs)
                summary = panels.spc_summary(charts)
                overview = panels.spc_overview(panels.period_scorecard(session, inputs), charts,
                                               panels.figures(session, inputs))
            for code, chart in charts.items():
                gaps += len(chart.extra.get("suppressed_months", ()))
                attack_spc_panel(f"{username} {period.label} SPC {code}", code, chart, denominators, attacker)
            for name, table in (("summary", summary.data), ("overview", overview.data)):
                for _, row in table.iterrows():
                    month = row.get("latest month")
                    if month and month != "no data":
                        attack_spc_points(f"{username} {period.label} SPC {name} {row['code']}", row["code"],
                                          [month], [row.get("latest %")], pd.DataFrame(), denominators, attacker)
    assert gaps >= 10, gaps  # the data is small enough that months were left out
    assert not attacker.leaks, "\n".join(attacker.leaks)


# --------------------------------------------------------------------------------------------
# Across views: Greater Manchester against its boroughs and providers, a quarter against its months
# --------------------------------------------------------------------------------------------


def _solve(known: dict, equations: list[dict]) -> dict:
    """Every value the equations fix, the shown ones included (an attacker's spreadsheet)."""
    unknown = sorted({n for eq in equations for n in eq if known.get(n) is None}, key=str)
    out = {n: v for n, v in known.items() if v is not None}
    if not unknown:
        return out
    index = {n: k for k, n in enumerate(unknown)}
    rows, rhs = [], []
    for equation in equations:
        row = np.zeros(len(unknown))
        constant = 0.0
        for name, coefficient in equation.items():
            if name in index:
                row[index[name]] += coefficient
            else:
                constant += coefficient * known[name]
        if row.any():
            rows.append(row)
            rhs.append(-constant)
    if not rows:
        return out
    matrix, rhs = np.array(rows), np.array(rhs)
    solution = np.linalg.lstsq(matrix, rhs, rcond=None)[0]
    rank = np.linalg.matrix_rank(matrix)
    for name, k in index.items():
        unit = np.zeros(len(unknown))
        unit[k] = 1.0
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            out[name] = round(float(solution[k]), 6)
    return out


def cross_view_attack(engine, username: str, kind: str, a: Attacker) -> int:
    """Open the whole view and every member (borough or provider) for every month, quarter and
    the contract year to date, as shown; then solve whole = members + the rest and quarter =
    its months, year = its quarters, for numerators and denominators; report any 1-4 count, met
    or not met, that follows. Returns how many figures the views hid."""
    from data_access.models import Borough, Provider, Referral
    from metrics.queries import scorecard

    with session_scope(engine) as session:
        as_of = panels.data_as_of(session)
        year = periods.contract_year(as_of, panels.SERVICE_START)
        months = periods.periods_between(year.start, as_of, "month")
        quarters = periods.periods_between(year.start, as_of, "quarter")
        if kind == "borough":
            members = [(name, ReferralFilters(borough_id=int(i))) for i, name in
                       session.execute(select(Borough.id, Borough.name)).all()]
            column = Referral.borough_id
        else:
            members = [(name, ReferralFilters(provider_id=int(i))) for i, name in
                       session.execute(select(Provider.id, Provider.name)).all()]
            column = Referral.provider_id
        scope = scope_for_user(session.scalar(select(User).where(User.username == username)))
        # What is in no member is not published on its own; the attacker is granted it anyway
        # (the rules treat it as shown, so this is the stronger attack).
        rest = referrals_select(scope).where(column.is_(None))
        known, hidden = {}, 0
        by_column = {**{("m", m.start): m for m in months}, **{("q", q.start): q for q in quarters},
                     ("y", year.start): year}
        columns = list(by_column)
        for col_kind, start in columns:
            period = by_column[(col_kind, start)]
            for area, filters in [("whole", ReferralFilters()), *members]:
                inputs = _inputs(session, username, period, filters)
                figures_ = panels.figures(session, inputs)
                for r in panels.period_scorecard(session, inputs).kpis:
                    if r.code == "DS1":
                        continue
                    shown = panels.shown_kpi(r, figures_)
                    n, d = number(shown["numerator"]), number(shown["denominator"])
                    hidden += int(n is None) + int(d is None)
                    known[("n", r.code, area, col_kind, start)] = n
                    known[("d", r.code, area, col_kind, start)] = d
            for r in scorecard(session, rest, start=period.start, end=period.end, as_of=as_of).kpis:
                known[("n", r.code, "rest", col_kind, start)] = float(r.numerator)
                known[("d", r.code, "rest", col_kind, start)] = float(r.denominator)
    codes = sorted({key[1] for key in known})
    areas = ["whole", "rest", *(name for name, _ in members)]
    for code in codes:
        for what in ("n", "d"):
            eqs = []
            for col_kind, start in columns:
                eqs.append({**{(what, code, m, col_kind, start): 1.0 for m in areas if m != "whole"},
                            (what, code, "whole", col_kind, start): -1.0})
            for area in areas:
                for q in quarters:
                    eqs.append({**{(what, code, area, "m", m.start): 1.0 for m in months if q.start <= m.start <= q.end},
                                (what, code, area, "q", q.start): -1.0})
                eqs.append({**{(what, code, area, "q", q.start): 1.0 for q in quarters},
                            (what, code, area, "y", year.start): -1.0})
            values = {k: v for k, v in known.items() if k[0] == what and k[1] == code}
            solved = _solve(values, eqs)
            for key, value in solved.items():
                if known.get(key) is None:
                    a.small(f"{username} by {kind} {key}", value, "worked out across views")
            if what == "d":
                numerators = _solve({k: v for k, v in known.items() if k[0] == "n" and k[1] == code},
                                    [{("n",) + tuple(k[1:]) if k[0] == "d" else k: c for k, c in eq.items()}
                                     for eq in eqs])
                for key, den in solved.items():
                    num = numerators.get(("n",) + key[1:])
                    if num is not None and (known.get(key) is None or known.get(("n",) + key[1:]) is None):
                        a.small(f"{username} by {kind} {key}", den - num, "cases less met, worked out across views")
    return hidden


@pytest.mark.parametrize("username, kind", [("commissioner", "borough"), ("commissioner", "provider"),
                                            ("provider", "borough")])
def test_no_count_of_one_to_four_people_can_be_worked_out_across_views(engine, username, kind):
    attacker = Attacker()
    hidden = cross_view_attack(engine, username, kind, attacker)
    assert hidden >= 10, hidden  # the rules had work to do
    assert not attacker.leaks, "\n".join(attacker.leaks[:40]) + f"\n({len(attacker.leaks)} in all)"


def test_the_cross_view_attacker_finds_what_it_should():
    """Greater Manchester 20 met, Bolton 3 hidden, Bury 17 shown: 3 comes back."""
    a = Attacker()
    solved = _solve({"gm": 20.0, "bolton": None, "bury": 17.0}, [{"bolton": 1, "bury": 1, "gm": -1}])
    a.small("t", solved["bolton"], "worked out across views")
    assert a.leaks == ["t: worked out across views gives 3"]


def test_case_lists_are_exempt_and_their_titles_count_only_their_own_rows(engine):
    """docs/DISCLOSURE.md "Case lists" (decision): the KPIs page's drill-down lists the referrals
    behind a figure to roles that may see referral references (commissioner, provider, admin); the
    rows are the cases, so counting them gives what the title says. The title counts the rows
    and nothing more; a role without case lists gets no rows and no counts."""
    with session_scope(engine) as session:
        as_of = panels.data_as_of(session)
        for username in ("commissioner", "provider"):
            inputs = _inputs(session, username, periods.quarter(as_of))
            for code in panels.scorecard_panel(session, inputs).extra["drill_codes"]:
                panel = panels.kpi_cases(session, inputs, code=code)
                rows = panel.data
                cohort = int((rows["counted_as"] != "left out (rule)").sum())
                met = int((rows["counted_as"] == "met").sum())
                assert panel.title == f"{code}: {cohort:,} referrals in the cohort, {met:,} met", panel.title
                assert any("not suppressed" in note for note in panel.notes)
        scope = scope_for_user(session.scalar(select(User).where(User.username == "national")))
        assert not scope.sees_case_ids
        national = panels.inputs_for(session, scope, ReferralFilters(), referrals_select(scope, ReferralFilters()),
                                     periods.quarter(as_of), as_of, Settings.from_env())
        panel = panels.kpi_cases(session, national, code="DS2")
        assert panel.data.empty and panel.title == "DS2: no cases to list"


# --------------------------------------------------------------------------------------------
# The EPOP pack (docs/DISCLOSURE.md "EPOP pack"): its sessions table counts people
# --------------------------------------------------------------------------------------------

EPOP_ROWS = {"People on probation attending": "total", "Women": "women", "Men": "men",
             "Other or not known": "other", "Gender not recorded": "not recorded"}


def test_no_count_of_one_to_four_people_can_be_worked_out_from_the_epop_pack(engine):
    """The regional EPOP report's sessions table, read back from the workbook for every month,
    quarter and the financial year of the demo's sessions (July 2025 to March 2026), for two
    regions: each count shown, the attendees less their parts (women, men, other or not known,
    gender not recorded), a quarter less its months and the year less its quarters, solved
    together as linear equations; the slides' and the PDF's text as titles."""
    from data_access.demo import DEMO_END
    from reports.build import build
    from reports.pack_data import EpopReader

    attacker = Attacker()
    year = periods.contract_year(DEMO_END)
    months = periods.periods_between(dt.date(2025, 7, 1), DEMO_END, "month")
    quarters = periods.periods_between(year.start, year.end, "quarter")
    for region in ("A", "B"):
        known, equations = {}, []
        for period in (*months, *quarters, year):
            content = build(engine, "epop", "xlsx", period=period, scope=None, settings=Settings.from_env(),
                            epop_user=EpopReader("attacker", "admin"), region_code=region)[1]
            frame, below = workbook_tables(content)["Sessions"]
            where = f"EPOP pack {region} {period.label}"
            notes_explain(where, frame, below, attacker)
            values = frame.set_index("Measure")["Value"]
            attacker.counts(where, frame[frame["Measure"] != "Sessions held"], ["Value"])
            for label, name in EPOP_ROWS.items():
                known[(period.start, period.end, name)] = number(values[label])
            key = (period.start, period.end)
            equations.append({(*key, "total"): -1, **{(*key, n): 1 for n in EPOP_ROWS.values() if n != "total"}})
        for name in EPOP_ROWS.values():
            for q in quarters:
                inside = [m for m in months if q.start <= m.start <= q.end]
                if len(inside) == 3:  # (April to June 2025 held no sessions: its zeros are shown)
                    equations.append({(q.start, q.end, name): -1, **{(m.start, m.end, name): 1 for m in inside}})
            equations.append({(year.start, year.end, name): -1, **{(q.start, q.end, name): 1 for q in quarters}})
        attacker.propagate(f"EPOP pack {region}", known, equations)
    files = {fmt: build(engine, "epop", fmt, period=quarters[-1], scope=None, settings=Settings.from_env(),
                        epop_user=EpopReader("attacker", "admin"), region_code="A")[1] for fmt in ("pptx", "pdf")}
    for slide in Presentation(io.BytesIO(files["pptx"])).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                attacker.title("EPOP pack pptx", shape.text_frame.text)
    for page in PdfReader(io.BytesIO(files["pdf"])).pages:
        for line in (page.extract_text() or "").splitlines():
            attacker.title("EPOP pack pdf", line)
    assert attacker.hidden_seen >= 5, attacker.hidden_seen
    assert not attacker.leaks, "\n".join(attacker.leaks)
