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
    suppress_linked,
    with_totals,
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


def _sl002_hidden(table: pd.DataFrame, a: int, negative: int, neutral: int, b: int, threshold: int) -> dict:
    """Which of the SL002 breakdown's figures are hidden (DOMAIN.md "Suppression"; issue 14: the
    pack printed a = 132, b = 159 and 97.1%, which give c = 23 and so the hidden negative cell).

    The figures are linked: each reason's negative + neutral = its total; the columns add up to
    the negative and neutral totals, which add up to b − a; and the scorecard publishes SL002's
    denominator b − c = a + negative (shown there unless it is 1 to threshold − 1). No hidden
    figure may follow from the shown ones and these links. Keys: (reason or "Total", column),
    "a" and "b"."""
    body = with_totals(table) if not table.empty else pd.DataFrame(
        [[negative, neutral, negative + neutral]], index=["Total"], columns=["Negative", "Neutral (c)", "Total"])
    keys = [(row, column) for row in body.index for column in body.columns]
    values = [float(body.loc[row, column]) for row, column in keys]
    position = {key: i for i, key in enumerate(keys)}
    equations = []
    for row in body.index:
        equations.append({position[(row, "Negative")]: 1.0, position[(row, "Neutral (c)")]: 1.0,
                          position[(row, "Total")]: -1.0})
    for column in body.columns:
        rows = [r for r in body.index if r != "Total"]
        if rows:
            equation = {position[(r, column)]: 1.0 for r in rows}
            equation[position[("Total", column)]] = -1.0
            equations.append(equation)
    keys += ["a", "b", "denominator"]
    position.update({"a": len(values), "b": len(values) + 1, "denominator": len(values) + 2})
    values += [float(a), float(b), float(a + negative)]
    equations.append({position["b"]: 1.0, position["a"]: -1.0, position[("Total", "Total")]: -1.0})
    equations.append({position["denominator"]: 1.0, position["a"]: -1.0, position[("Total", "Negative")]: -1.0})
    # The scorecard's denominator is not printed here but is published there: it may not be
    # hidden to protect this table (only where it is itself 1 to threshold − 1).
    fixed = [False] * len(values)
    fixed[position["denominator"]] = True
    hidden = suppress_linked(values, equations, threshold=threshold, fixed=fixed)
    return {key: bool(hidden[i]) for i, key in enumerate(keys)}


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
    a, neg, neu, b_n = int(positive.sum()), int(negative.sum()), int(neutral.sum()), int(b.sum())
    hidden_at = _sl002_hidden(table, a, neg, neu, b_n, inp.suppression_threshold)
    shown_text = lambda key, n: SUPPRESSED if hidden_at[key] else int(n)  # noqa: E731
    if table.empty:
        frame = pd.DataFrame(columns=["Category", "Negative", "Neutral (c)", "Total"])
    else:
        body = with_totals(table)
        frame = pd.DataFrame({column: [shown_text((row, column), body.loc[row, column]) for row in body.index]
                              for column in body.columns}, index=body.index).reset_index(names="Category")
    cancelled = int(cancelled_on_day.sum())
    top = pd.DataFrame([
        {"Category": "b: referrals ended in the month", "Negative": "", "Neutral (c)": "", "Total": shown_text("b", b_n)},
        {"Category": "a: intervention appointment attended", "Negative": "", "Neutral (c)": "", "Total": shown_text("a", a)},
        {"Category": "Cancelled on the day referred (not counted)", "Negative": "", "Neutral (c)": "",
         "Total": SUPPRESSED if 1 <= cancelled < inp.suppression_threshold else cancelled},
    ])
    frame = pd.concat([top, frame], ignore_index=True)
    if any(hidden_at.values()) or 1 <= cancelled < inp.suppression_threshold:
        notes.append(f"{SUPPRESSED}: counts of 1 to {inp.suppression_threshold - 1} referrals are not shown, to protect "
                     "confidentiality, with further figures hidden where a, b, the table's totals or SL002's "
                     "denominator on the scorecard (b − c) would give them back.")
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
