"""Panels the monthly contract pack (and the board pack's data-quality slide) show that no
page shows yet: SL002's a, b and c by end reason, open referrals by deadline band, and the
data-quality checks. Computed here, in ``metrics``, so the packs only arrange panels; a page
that wants them renders the same objects (``ui.panel_data.show``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, or_

from data_access.models import Referral
from data_access.reference import end_reason_classes
from domain.catalogue import KPI_CATALOGUE
from domain.dates import working_day_deadline
from metrics.disclosure import (
    SUPPRESSED,
    WITHHELD_RATE,
    displayable_rate,
    suppress_counts,
)
from metrics.panels import Db, Panel, PanelInputs, figures, period_scorecard, shown_kpi
from metrics.queries import Scorecard, fetch_case_table


def counts_display(result) -> pd.DataFrame:
    """A DisclosureResult's table with shown counts as integers and hidden ones as ``[c]``."""
    hidden = result.suppressed.to_numpy()
    values = result.table.to_numpy()
    out = np.empty(values.shape, dtype=object)
    for index in np.ndindex(values.shape):
        out[index] = SUPPRESSED if hidden[index] else int(values[index])
    return pd.DataFrame(out, index=result.table.index, columns=result.table.columns)


def _rate_or_withheld(numerator: float, denominator: float, inp: PanelInputs, *, protect: bool = False):
    value = displayable_rate(
        int(round(numerator)), int(round(denominator)), minimum_denominator=inp.minimum_rate_denominator,
        threshold=inp.suppression_threshold, protect_numerator=protect,
    )
    return WITHHELD_RATE if value is None else round(value, 1)





def data_quality_checks(db: Db, inp: PanelInputs, *, card: Scorecard | None = None) -> Panel:
    """Counts of records with a problem, among referrals received or ended in the period, and
    the measures left out of the scorecard for want of source data."""
    card = card or period_scorecard(db, inp)
    referrals, start, end = inp.referrals, inp.start, inp.end
    c = Referral.__table__.c
    in_period = or_(c.received_on.between(start, end), c.concluded_on.between(start, end))
    checks = {
        "Borough not recorded": c.borough_id.is_(None),
        "Complexity not recorded": c.complexity.is_(None),
        "Not linked to a contract": c.contract_id.is_(None),
        "Ethnicity not recorded": c.ethnicity.is_(None),
        "Ended but no end state": and_(c.concluded_on.is_not(None), c.referral_end_state.is_(None)),
        "Assessment dated before referral": c.saa_first_attended_on < c.received_on,
        "Action plan approved before assessment": c.action_plan_approved_on < c.saa_first_attended_on,
        "Ended before referral received": c.concluded_on < c.received_on,
    }
    stmt = referrals.with_only_columns(
        func.count(), *(func.sum(case((cond, 1), else_=0)) for cond in checks.values())
    ).where(in_period)
    total, *counts = db.execute(stmt).one()
    reasons = db.execute(
        referrals.with_only_columns(c.end_requested_by_pp_reason, func.count())
        .where(in_period, c.end_requested_by_pp_reason.is_not(None)).group_by(c.end_requested_by_pp_reason)
    ).all()
    classes = end_reason_classes(db)  # the table SL002 itself uses (Decision 9)
    unrecognised = sum(int(n) for reason, n in reasons if classes.find(reason) is None)
    values = {name: int(v or 0) for name, v in zip(checks, counts)}
    values["End reason not recognised (SL002 treats as neutral)"] = unrecognised
    total = int(total or 0)
    rows = []
    for name, n in values.items():
        rows.append({
            "Check": name,
            "Referrals affected": SUPPRESSED if 1 <= n < inp.suppression_threshold else n,
            "Share of referrals (%)": (WITHHELD_RATE if 1 <= n < inp.suppression_threshold
                                       else _rate_or_withheld(n, total, inp)),
        })
    frame = pd.DataFrame(rows)
    reported = {r.code for r in card.kpis}
    missing = [d.code for d in KPI_CATALOGUE if d.code not in reported]
    notes = [f"Referrals received or ended in the period: {total:,}."]
    if missing:
        notes.append("Not reported (no source data for this scope): " + ", ".join(missing) + ".")
    problems = [r["Check"] for r in rows if r["Referrals affected"] not in (0,)]
    headline = ("Data-quality issues to resolve: " + "; ".join(problems) + ".") if problems else "No data-quality issues found."
    return Panel(headline, frame, "referrals", tuple(notes))



AT_RISK_MEASURES = (
    ("DS2 assessment (10 working days from referral)", "received_on", "saa_first_attended_on", 10),
    ("DS3 action plan (5 working days from assessment)", "saa_first_attended_on", "action_plan_submitted_on", 5),
    ("KP6 first session (10 working days from plan approval)", "action_plan_approved_on", "first_session_on", 10),
)
AT_RISK_HORIZON = 3  # working days


def deadlines_by_band(db: Db, inp: PanelInputs) -> Panel:
    """Open referrals whose clock is running, by how close the deadline is (counts only: the
    contract pack's view of ``metrics.panels.cases_at_risk``, which lists the cases)."""
    referrals, as_of = inp.referrals, inp.as_of
    c = Referral.__table__.c
    names = sorted({n for _, start, met, _ in AT_RISK_MEASURES for n in (start, met)})
    rows = db.execute(
        referrals.with_only_columns(*(c[n] for n in names))
        .where(c.received_on <= as_of, or_(c.concluded_on.is_(None), c.concluded_on > as_of))
    ).all()
    cases = pd.DataFrame(rows, columns=names)
    today = np.datetime64(as_of, "D")
    horizon = working_day_deadline([as_of], AT_RISK_HORIZON)[0]
    counts = {}
    for label, start, met, days in AT_RISK_MEASURES:
        started = pd.to_datetime(cases[start]).to_numpy().astype("datetime64[D]")
        done = pd.to_datetime(cases[met]).to_numpy().astype("datetime64[D]")
        running = ~np.isnat(started) & (started <= today) & (np.isnat(done) | (done > today))
        deadline = working_day_deadline(started[running], days) if running.any() else np.array([], dtype="datetime64[D]")
        counts[label] = {
            "Past deadline": int((deadline < today).sum()),
            f"Deadline within {AT_RISK_HORIZON} working days": int(((deadline >= today) & (deadline <= horizon)).sum()),
            "Deadline later": int((deadline > horizon).sum()),
        }
    table = pd.DataFrame.from_dict(counts, orient="index")
    result = suppress_counts(table, threshold=inp.suppression_threshold)
    frame = counts_display(result).reset_index(names="Measure")
    notes = [f"Open referrals on {as_of:%d %B %Y} whose clock has started and measure is not yet met. Working days "
             "exclude weekends and England and Wales bank holidays. Counts only: case lists are on the dashboard "
             "for authorised users."]
    if result.note:
        notes.append(result.note)
    past = int(table["Past deadline"].sum())
    title = (f"{past:,} open referrals are past a DS2, DS3 or KP6 deadline" if past >= inp.suppression_threshold
             else "Open referrals by how close their DS2, DS3 and KP6 deadlines are")
    return Panel(title, frame, "open referrals", tuple(notes))


def sl002_breakdown(db: Db, inp: PanelInputs, *, card: Scorecard | None = None) -> Panel:
    """SL002's a, b, c with the neutral and negative referrals by end reason (technical note v1.4)."""
    card = card or period_scorecard(db, inp)
    referrals = inp.referrals
    result = card.kpi("SL002")
    cases = fetch_case_table(db, referrals, start=card.start, end=card.end, cohort_columns=("concluded_on",))
    concluded = cases.date("concluded_on")
    as_of = np.datetime64(card.as_of or card.end, "D")
    observed = lambda d: np.where(d <= as_of, d, np.datetime64("NaT"))  # noqa: E731 - as the measure does
    concluded = observed(concluded)
    in_month = (concluded >= np.datetime64(card.start)) & (concluded <= np.datetime64(card.end))
    cancelled_on_day = in_month & np.array([str(s).strip().lower() == "cancelled" for s in cases.end_state], dtype=bool) & (
        cases.date("received_on") == concluded)
    b = in_month & ~cancelled_on_day
    first = observed(cases.date("first_session_on"))
    positive = b & (first <= concluded)
    approved = ~np.isnat(observed(cases.date("action_plan_approved_on")))
    classes = end_reason_classes(db)  # the table SL002 itself uses (Decision 9)

    def label(reason) -> str:  # the code alone is ambiguous: MIS, MOV and ACQ are in both vocabularies
        return f"{reason.code}: {reason.description}"

    found = [classes.find(r) for r in cases.end_reason]
    labels = np.array([label(f) if f else ("No end reason" if not r else "Unrecognised end reason")
                       for f, r in zip(found, cases.end_reason)], dtype=object)
    negative = b & ~positive & approved & np.array([f is not None and f.sl002_class == "negative" for f in found], dtype=bool)
    neutral = b & ~positive & ~negative
    why = np.where(~approved, "No approved action plan", labels)
    order = ["No approved action plan"] + [label(r) for r in classes.reasons] + ["No end reason", "Unrecognised end reason"]
    table = pd.DataFrame({
        "Negative": pd.Series(why[negative]).value_counts().reindex(order, fill_value=0),
        "Neutral (c)": pd.Series(why[neutral]).value_counts().reindex(order, fill_value=0),
    }).reindex(order, fill_value=0)
    table = table[(table.sum(axis=1) > 0)]
    notes = []
    if result is not None and (int(positive.sum()), int(b.sum()), int(neutral.sum())) != (
        result.extra.get("a"), result.extra.get("b"), result.extra.get("c")
    ):  # the breakdown must add up to the measure; say so loudly if it ever does not
        notes.append("Warning: the breakdown does not reconcile with SL002's a, b and c; report this.")
    summary = pd.DataFrame({"a: attended (positive)": [int(positive.sum())], "Negative": [int(negative.sum())],
                            "c: neutral": [int(neutral.sum())]}, index=["Referrals"])
    shown_summary = suppress_counts(summary, threshold=inp.suppression_threshold)
    summary_display = counts_display(shown_summary)
    if table.empty:
        frame = pd.DataFrame(columns=["Category", "Negative", "Neutral (c)", "Total"])
    else:
        shown = suppress_counts(table, threshold=inp.suppression_threshold)
        frame = counts_display(shown).reset_index(names="Category")
        if shown.note:
            notes.append(shown.note)
    top = pd.DataFrame([
        {"Category": "b: referrals ended in the month", "Negative": "", "Neutral (c)": "",
         "Total": summary_display.loc["Referrals", "Total"]},
        {"Category": "a: intervention appointment attended", "Negative": "", "Neutral (c)": "",
         "Total": summary_display.loc["Referrals", "a: attended (positive)"]},
        {"Category": "Cancelled on the day referred (not counted)", "Negative": "", "Neutral (c)": "",
         "Total": SUPPRESSED if 1 <= int(cancelled_on_day.sum()) < inp.suppression_threshold else int(cancelled_on_day.sum())},
    ])
    frame = pd.concat([top, frame], ignore_index=True)
    if shown_summary.note:
        notes.append(shown_summary.note)
    headline = None
    if result is not None:
        shown_row = shown_kpi(result, figures(db, inp))
        value = shown_row["value"]
        value_text = f"{value:.1f}%" if isinstance(value, float) else "not shown"
        headline = (f"SL002 = a / (b − c) = {value_text} (target {result.target:.0f}%, trigger "
                    f"{result.trigger:.0f}%): {shown_row['status']}.")
    notes.insert(0, "CRS SL002 technical note v1.4: neutral = no intervention appointment and (no approved action "
                    "plan, or a neutral, blank or unrecognised end reason); negative = DIS or END with an approved plan.")
    return Panel(headline or "SL002: no referrals ended in the period", frame, "referrals", tuple(notes))
