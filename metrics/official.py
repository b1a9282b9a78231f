"""CRS SL002 as at its official cut (issue 13 part 7, DOMAIN.md Decision 10).

The SL002 technical note extracts each month's figure "on the 16th working day of the following
month" (:func:`domain.dates.sl002_official_cut`). The figure as at that cut ignores every event
after it; the latest figure, computed from everything imported since, may differ.

What the data can show of the cut. A Refer and Monitor report row holds, per referral, the
*time of each first event*, not when it was recorded, and a later download replaces the row
(``data_access.importers.ram``). For SL002 this matters for one field only:

* ``concluded_at``, ``date_of_first_action_plan_approval`` and ``end_requested_by_pp_at`` are
  stamped by R&M when the action happens, so an event dated after the cut was not known at it,
  and one dated before was: ignoring events dated after the cut reproduces the cut.
* ``date_of_first_attended_session`` is the appointment's time; attendance is fed back later,
  so a session held before the cut may have been recorded after it. The dashboard knows this
  only when a download made after the cut (its latest event is after the cut day) still showed
  the ended referral without a session (``unrecorded_first_sessions``): such a case is counted,
  as the official extract counted it, without its session. Without such a download, a session
  recorded late is counted as if recorded on time, so the official-cut figure can be higher
  than the extract's was; the note on the result says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Select, and_, exists, select

from data_access.models import ImportBatch, Referral, UnrecordedFirstSession
from domain.dates import LONDON, sl002_official_cut
from metrics import periods
from metrics.kpis import end_reason_class
from metrics.queries import kpi_definitions, scorecard
from metrics.results import KpiResult

SL002_COUNTS = ("a", "b", "c", "negative", "cancelled_on_referral_day")

BASIS_LATEST = "latest"
BASIS_OFFICIAL = "official cut"


def _start_of_day_utc(day: dt.date) -> dt.datetime:
    """London midnight at the start of ``day``, as naive UTC (how ``data_as_at`` is stored)."""
    return dt.datetime.combine(day, dt.time(), LONDON).astimezone(dt.UTC).replace(tzinfo=None)


def sessions_recorded_after_cut(db, referrals: Select, *, start: dt.date, end: dt.date, cut: dt.date) -> list[dict]:
    """Referrals that ended ``start``–``end`` with a first session dated by the cut, which a
    download made after the cut still showed without a session (so recorded after the cut)."""
    r, u, b = Referral.__table__.c, UnrecordedFirstSession.__table__.c, ImportBatch.__table__.c
    later_download = exists(
        select(u.id).join_from(UnrecordedFirstSession.__table__, ImportBatch.__table__, b.id == u.import_batch_id)
        .where(u.referral_id == r.referral_id, b.status == "done", b.data_as_at >= _start_of_day_utc(cut + dt.timedelta(days=1)))
    )
    stmt = referrals.with_only_columns(
        r.referral_ref, r.received_on, r.concluded_on, r.action_plan_approved_on,
        r.end_requested_by_pp_reason, r.referral_end_state,
    ).where(r.concluded_on.between(start, end), r.first_session_on <= r.concluded_on, r.first_session_on <= cut,
            and_(later_download))
    return [dict(row._mapping) for row in db.execute(stmt)]


def _without_late_sessions(counts: dict[str, int], late: list[dict], cut: dt.date) -> int:
    """Move each late-recorded case from a (positive) to negative or neutral, as the rule
    classifies a case with no session; returns how many moved."""
    moved = 0
    for case in late:
        cancelled = str(case["referral_end_state"] or "").strip().lower() == "cancelled"
        if cancelled and case["received_on"] == case["concluded_on"]:
            continue  # not in b at all (cancelled on the day it was received)
        approved = case["action_plan_approved_on"] is not None and case["action_plan_approved_on"] <= cut
        counts["a"] -= 1
        if approved and end_reason_class(case["end_requested_by_pp_reason"]) == "negative":
            counts["negative"] += 1
        else:
            counts["c"] += 1
        moved += 1
    return moved


def sl002_official(
    db, referrals: Select, *, start: dt.date, end: dt.date, as_of: dt.date | None = None, definitions=None,
) -> KpiResult:
    """SL002 for ``start``–``end``, each month as at its official cut, summed over the months.

    ``as_of`` (the latest date the data reaches) only marks months whose cut has not come yet:
    their figure is what is known now, and ``extra["pending"]`` names them.
    """
    definitions = tuple(definitions) if definitions is not None else kpi_definitions(db)
    definition = next(d for d in definitions if d.code == "SL002")
    totals = dict.fromkeys(SL002_COUNTS, 0)
    cuts: dict[str, dt.date] = {}
    pending: list[str] = []
    late_recorded = 0
    for month in periods.periods_between(start, end, "month"):
        first, last = max(month.start, start), min(month.end, end)
        cut = sl002_official_cut(month.start)
        label = f"{month.start:%b %Y}"
        cuts[label] = cut
        if as_of is not None and as_of < cut:
            pending.append(label)
        card = scorecard(db, referrals, start=first, end=last, as_of=cut, definitions=definitions,
                         forecast=False, codes=["SL002"])
        result = card.kpi("SL002")
        if result is None:
            continue
        counts = {k: int(result.extra.get(k, 0)) for k in SL002_COUNTS}
        late_recorded += _without_late_sessions(
            counts, sessions_recorded_after_cut(db, referrals, start=first, end=last, cut=cut), cut)
        for key in SL002_COUNTS:
            totals[key] += counts[key]
    a, negative = totals["a"], totals["negative"]
    note = describe_cuts(cuts, pending, late_recorded)
    return KpiResult.for_definition(
        definition, numerator=a, denominator=a + negative,
        excluded=totals["c"] + totals["cancelled_on_referral_day"], note=note,
        extra={**totals, "basis": BASIS_OFFICIAL, "cuts": cuts, "pending": pending, "late_recorded": late_recorded},
    )


def describe_cuts(cuts: dict[str, dt.date], pending: Sequence[str], late_recorded: int) -> str:
    """One sentence: which cut each month is taken at, what is not yet cut, and what the data cannot show."""
    parts = [f"SL002 as at the official cut, the 16th working day of the following month "
             f"({'; '.join(f'{m}: {d:%d %b %Y}' for m, d in cuts.items())}); events after the cut are ignored."]
    if pending:
        parts.append(f"The cut for {', '.join(pending)} has not come yet: that figure is provisional.")
    if late_recorded:
        parts.append(f"{late_recorded} case{'s' if late_recorded != 1 else ''} counted without the session a later "
                     "download shows, because a download made after the cut did not have it yet.")
    parts.append("Refer and Monitor does not say when a session's attendance was recorded: a session recorded "
                 "after the cut is left out only when a download made after the cut shows it missing.")
    return " ".join(parts)


# --------------------------------------------------------------------------------------------
# Panel (exposed through metrics.panels for ui.panel_data)
# --------------------------------------------------------------------------------------------


def sl002_official_panel(db, inp):
    """KPIs page: SL002 as at its official cut beside the latest figure, each row saying which."""
    from metrics.panels import Panel, period_scorecard, symbols_note

    latest = period_scorecard(db, inp, codes=["SL002"]).kpi("SL002")
    official = sl002_official(db, inp.referrals, start=inp.start, end=inp.end, as_of=inp.as_of)
    # Across views (docs/DISCLOSURE.md "SL002 on the official cut", decision): both rows follow the
    # decision taken for SL002 over the view's grids (metrics.partitions, read through
    # period_scorecard): where the grids hide the latest numerator or denominator, the official
    # one is hidden too, as well as on its own small numbers.
    across = (latest.extra.get("hidden_across_views", (False, False)) if latest is not None
              else panels_hidden_sl002(db, inp))
    rows = []
    for basis, result in ((f"{BASIS_LATEST} (data as of {inp.as_of:%d %b %Y})", latest),
                          (f"{BASIS_OFFICIAL} ({', '.join(f'{d:%d %b %Y}' for d in official.extra['cuts'].values())})",
                           official)):
        if result is None:
            continue
        shown = _shown(result, inp, across)
        rows.append({"figure": basis, "value": shown["value"], "numerator": shown["numerator"],
                     "denominator": shown["denominator"], "status": result.status if shown["value"].endswith("%")
                     or shown["value"] == "no data" else "not shown (small numbers)"})

    title = (f"SL002 as at the official cut: {rows[-1]['value']}; latest figure: {rows[0]['value']}"
             if latest is not None else f"SL002 as at the official cut: {rows[-1]['value']}")
    data = pd.DataFrame(rows)
    return Panel(title, data, "% of referrals ended in the period", (
        "The scorecard above shows the latest figure; the official cut is how the CRS SL002 technical note "
        "extracts it.", official.note or "", *symbols_note(data, inp.suppression_threshold, inp.minimum_rate_denominator)))


def panels_hidden_sl002(db, inp) -> tuple[bool, bool]:
    """SL002's (numerator hidden, denominator hidden) over the view's grids."""
    from metrics.panels import hidden_across_views

    if not inp.partitions:
        return (False, False)
    return hidden_across_views(db, inp.partitions, inp.period, inp.as_of, inp.suppression_threshold).get(
        "SL002", (False, False))


def _shown(result: KpiResult, inp, across: tuple[bool, bool] = (False, False)) -> dict:
    """Value, numerator and denominator as they may be shown: counts of 1 to threshold − 1 as
    [c], and no rate on a denominator under the minimum (DOMAIN.md "Suppression"); ``across``:
    SL002's numerator and denominator hidden across views (metrics.partitions), as
    ``metrics.panels.shown_kpi`` applies it (a hidden denominator takes its numerator and the rate
    with it)."""
    from metrics.disclosure import SUPPRESSED, displayable_rate
    from metrics.panels import pct

    numerator, denominator = int(result.numerator), int(result.denominator)
    across_numerator, across_denominator = across
    value = displayable_rate(numerator, denominator, minimum_denominator=inp.minimum_rate_denominator,
                             threshold=inp.suppression_threshold, protect_numerator=True)
    if across_numerator or across_denominator:
        value = None
    shown = {"value": pct(value) if value is not None or denominator == 0 else "not shown (small numbers)"}
    for key, count in (("numerator", numerator), ("denominator", denominator)):
        shown[key] = SUPPRESSED if 1 <= count < inp.suppression_threshold else f"{count:,}"
    if 1 <= denominator - numerator < inp.suppression_threshold:  # the complement would give a hidden count back
        shown["numerator"] = SUPPRESSED
    if across_numerator or (across_denominator and numerator > 0):
        shown["numerator"] = SUPPRESSED
    if across_denominator:
        shown["denominator"] = SUPPRESSED
    return shown
