"""Where a provider's case extract and its Refer and Monitor report disagree (the Reconciliation page).

Both sources write the same ``referrals`` row (``data_access.models.Referral``): the Refer and
Monitor (R&M) importer its performance-report columns, keyed by ``referral_id``; the case
extract the GMIRS columns (borough, complexity, equality, exit …) and the child tables
(appointments, needs, scores, contacts, outcomes, onward referrals), keyed by ``referral_ref``.
Neither source overwrites the other's columns, so the comparison reads each source's own
columns of the row:

* **held by R&M**: ``referral_id`` is set (only the R&M importer writes it);
* **held by the case extract**: any case-extract field or record: ``borough_id`` (every
  ``referral`` record gives one), the distance-tool or exit fields, or a row in a child table.
  A referral a case extract named before R&M knew it is a placeholder with no ``referral_id``.

What both carry, and so what is compared (:data:`KINDS`):

* presence: a referral held by one source and not the other;
* the first attended assessment: R&M ``date_saa_first_attended`` (its London date) against the
  earliest assessment appointment the case extract records as attended (YES or LATE);
* the first attended session: R&M ``date_of_first_attended_session`` against the earliest
  attended delivery appointment;
  (a date held by one source only is a disagreement when the case extract lists appointments
  for that referral, or when the case extract's is the date held);
* the end state: R&M ``referral_end_state`` (completed / cancelled / ended; blank while open)
  against the case extract's exit record (``exit_reason``): an exit recorded for a referral
  R&M holds as open, an R&M end with no exit record, or an exit reason written as an R&M end
  state that is a different one;
* the end date and the referral date, as far as the case extract carries them: an appointment
  attended after R&M's end date (``concluded_at``), or any appointment dated before R&M's
  referral date (``date_referral_received``).

What cannot be compared: the case extract has no referral date, no end date (its exit record's
date is when the exit survey was offered) and no action-plan dates; R&M has no appointments
after the first of each kind. An exit reason that is not an R&M end state (free text such as
"Completed programme") is not compared with R&M's end state; the panel counts them.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from data_access.models import (
    Appointment, NeedScore, OnwardReferral, RecordEvent, Referral, ReferralNeed, ReferralOutcome,
)

Db = Connection | Session

#: Kinds of disagreement, in the order the page lists them: code → label.
KINDS: dict[str, str] = {
    "case_extract_only": "In the case extract, not in Refer and Monitor",
    "ram_only": "In Refer and Monitor, not in the case extract",
    "assessment_date": "First attended assessment on a different date",
    "session_date": "First attended session on a different date",
    "end_state": "End state differs",
    "after_end": "Appointment attended after the Refer and Monitor end date",
    "before_referral": "Appointment dated before the Refer and Monitor referral date",
}
END_STATES = ("completed", "cancelled", "ended")
NONE = "not recorded"  # words, not "none": tables show an empty-looking cell as "–"
COLUMNS = ["referral_ref", "referral_id", "disagreement", "refer_and_monitor", "case_extract"]


def _facts(db: Db, referrals: Select) -> pd.DataFrame:
    """One row per referral in ``referrals`` (the view, already scoped): each source's values."""
    c, a = Referral.__table__.c, Appointment.__table__.c
    attended = a.attended.in_(("YES", "LATE"))
    appts = (
        select(
            a.referral_pk,
            func.min(case((and_(a.kind == "assessment", attended), a.scheduled_on))).label("ce_assessed_on"),
            func.min(case((and_(a.kind == "delivery", attended), a.scheduled_on))).label("ce_first_session_on"),
            func.max(case((attended, a.scheduled_on))).label("ce_last_attended_on"),
            func.min(a.scheduled_on).label("ce_first_appointment_on"),
        )
        .group_by(a.referral_pk)
        .subquery()
    )
    children = (ReferralNeed.referral_pk, NeedScore.referral_pk, RecordEvent.referral_pk,
                ReferralOutcome.referral_pk, OnwardReferral.referral_pk)
    ce_exit = or_(c.exit_reason.is_not(None), c.exit_survey_offered_on.is_not(None),
                  c.exit_survey_completed.is_not(None))
    ce_holds = or_(c.borough_id.is_not(None), c.distance_tool_completed_on.is_not(None), ce_exit,
                   appts.c.referral_pk.is_not(None), *(exists().where(child == c.id) for child in children))
    stmt = referrals.with_only_columns(
        c.id, c.referral_ref, c.referral_id, c.received_on, c.saa_first_attended_on, c.first_session_on,
        c.concluded_on, c.referral_end_state, c.exit_reason,
        case((ce_holds, True), else_=False).label("ce_holds"), case((ce_exit, True), else_=False).label("ce_exit"),
        appts.c.ce_assessed_on, appts.c.ce_first_session_on, appts.c.ce_last_attended_on,
        appts.c.ce_first_appointment_on,
    ).outerjoin(appts, appts.c.referral_pk == c.id)
    result = db.execute(stmt)
    facts = pd.DataFrame(result.all(), columns=list(result.keys()))
    for column in ("received_on", "saa_first_attended_on", "first_session_on", "concluded_on", "ce_assessed_on",
                   "ce_first_session_on", "ce_last_attended_on", "ce_first_appointment_on"):
        facts[column] = pd.to_datetime(facts[column]).dt.date
    for column in ("ce_holds", "ce_exit"):
        facts[column] = facts[column].astype(bool)
    return facts


def _text(value) -> str:
    return NONE if value is None or pd.isna(value) else str(value)


def disagreements(db: Db, referrals: Select) -> tuple[pd.DataFrame, dict[str, int]]:
    """Every disagreement in the view (one row per referral and kind; :data:`COLUMNS` plus
    ``kind``), sorted by kind then reference, and counts of what was compared."""
    facts = _facts(db, referrals)
    rows: list[dict] = []

    def add(frame: pd.DataFrame, kind: str, ram, extract) -> None:
        for record in frame.itertuples(index=False):
            rows.append({"kind": kind, "referral_ref": record.referral_ref, "referral_id": record.referral_id,
                         "disagreement": KINDS[kind], "refer_and_monitor": ram(record), "case_extract": extract(record)})

    in_ram = facts["referral_id"].notna()
    in_ce = facts["ce_holds"]
    add(facts[in_ce & ~in_ram], "case_extract_only", lambda r: "not held", lambda r: "held")
    add(facts[in_ram & ~in_ce], "ram_only", lambda r: "held", lambda r: "not held")
    both = facts[in_ram & in_ce]
    lists_appointments = both["ce_first_appointment_on"].notna()
    for kind, ram_col, ce_col in (("assessment_date", "saa_first_attended_on", "ce_assessed_on"),
                                  ("session_date", "first_session_on", "ce_first_session_on")):
        ram, ce = both[ram_col], both[ce_col]
        differ = (ram.notna() & ce.notna() & (ram != ce)) | (ram.isna() & ce.notna()) | (
            ram.notna() & ce.isna() & lists_appointments)
        add(both[differ], kind, lambda r, col=ram_col: _text(getattr(r, col)),
            lambda r, col=ce_col: _text(getattr(r, col)))
    ram_state = both["referral_end_state"].where(both["referral_end_state"].notna(), None)
    ram_open = ram_state.isna() & both["concluded_on"].isna()
    reason = both["exit_reason"].map(lambda v: " ".join(str(v).lower().split()) if isinstance(v, str) else None)
    comparable = reason.isin(END_STATES)
    end_differs = (both["ce_exit"] & ram_open) | (~ram_open & ~both["ce_exit"]) | (
        ~ram_open & comparable & (reason != ram_state.fillna("ended")))
    add(both[end_differs], "end_state",
        lambda r: "open" if r.referral_end_state is None and pd.isna(r.concluded_on) else _text(r.referral_end_state),
        lambda r: ("no exit record" if not r.ce_exit else f"exit recorded ({_text(r.exit_reason)})"))
    after = both["ce_last_attended_on"].notna() & both["concluded_on"].notna() & (
        both["ce_last_attended_on"] > both["concluded_on"])
    add(both[after.astype(bool)], "after_end", lambda r: f"ended {r.concluded_on}",
        lambda r: f"attended {r.ce_last_attended_on}")
    before = both["ce_first_appointment_on"].notna() & both["received_on"].notna() & (
        both["ce_first_appointment_on"] < both["received_on"])
    add(both[before.astype(bool)], "before_referral", lambda r: f"received {r.received_on}",
        lambda r: f"appointment {r.ce_first_appointment_on}")
    listing = pd.DataFrame(rows, columns=["kind", *COLUMNS])
    order = {kind: i for i, kind in enumerate(KINDS)}
    listing = listing.sort_values(["kind", "referral_ref"], key=lambda s: s.map(order) if s.name == "kind" else s)
    compared = {
        "referrals": len(facts), "in_both": len(both), "ram_only": int((in_ram & ~in_ce).sum()),
        "case_extract_only": int((in_ce & ~in_ram).sum()),
        "exit_reasons_not_compared": int((both["ce_exit"] & ~ram_open & both["exit_reason"].notna() & ~comparable).sum()),
    }
    return listing.reset_index(drop=True), compared


def counts_by_kind(listing: pd.DataFrame) -> pd.DataFrame:
    """Referrals with each kind of disagreement, every kind listed (0 where none)."""
    per_kind = listing.groupby("kind")["referral_ref"].nunique() if not listing.empty else pd.Series(dtype=int)
    return pd.DataFrame({"disagreement": list(KINDS.values()),
                         "referrals": [int(per_kind.get(kind, 0)) for kind in KINDS]})
