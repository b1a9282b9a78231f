"""Column headings in words: what a reader sees above each column of a panel's table, on the
pages (``ui.tables``) and, where a pack prints the same column, in the packs.

A panel's data keeps short column names (the code reads them); :func:`column_label` gives the
heading. Units go in the heading ("(%)", "(£)", "(points)") so a cell holds only its number.
Columns in :data:`INTERNAL` are workings that the reader does not need (a figure's raw twin, the
icon key behind an icon); tables leave them out.
"""

from __future__ import annotations

import re

#: Headings of the columns panels, admin tables and EPOP views use (lower-case names as in the data).
COLUMN_LABELS: dict[str, str] = {
    # Referrals and forecast
    "borough": "Borough", "pdu": "PDU", "hub": "Hub", "month": "Month", "referrals": "Referrals",
    "expected_low": "Expected (low)", "expected_high": "Expected (high)", "status": "Status", "band": "Band",
    "cumulative_referrals": "Cumulative referrals", "cumulative_expected_low": "Cumulative expected (low)",
    "cumulative_expected_high": "Cumulative expected (high)", "referral_source": "Referral source",
    "share": "Share (%)",
    # Headline tiles
    "figure": "Figure", "value": "Value", "context": "Context",
    # Complexity
    "complexity": "Complexity", "observed": "Referrals", "expected_share": "Reference share (%)",
    "expected": "Expected referrals", "chi_square": "Chi-square", "p_value": "p-value",
    "differs": "Mix against 23/56/21", "Low": "Low (%)", "Medium": "Medium (%)", "High": "High (%)",
    # KPIs
    "code": "Code", "measure": "Measure", "target": "Target", "numerator": "Numerator",
    "denominator": "Denominator", "mitigated": "Mitigated", "excluded": "Excluded", "definition": "Definition",
    "source": "Source", "cases": "Cases", "variation": "Variation", "assurance": "Assurance",
    "referral_ref": "Referral", "clock_started": "Clock started", "deadline": "Deadline",
    "working_days_left": "Working days left", "counted_as": "Counted as", "vocabulary": "Vocabulary",
    "description": "Description", "sl002_class": "SL002 class", "why": "Why", "end_reason": "End reason",
    "contract year": "Contract year", "against target": "Against target", "months met": "Months met",
    "on the year before": "On the year before", "latest month": "Latest month", "latest %": "Latest (%)",
    "process limits %": "Process limits (%)", "variation icon": "Variation icon", "assurance icon": "Assurance icon",
    "kind": "Kind", "finding": "Finding", "evidence": "Evidence (page)",
    # SPC points
    "mean": "Mean (%)", "lower": "Lower process limit (%)", "upper": "Upper process limit (%)",
    "signal": "Signal", "rule": "Rule",
    # Outcomes and equalities
    "need": "Need", "people": "People", "mean_change": "Mean change (points)",
    "ci_lower": "95% interval, lower", "ci_upper": "95% interval, upper", "improved": "Improved (%)",
    "same": "Same (%)", "worse": "Worse (%)", "step": "Step", "reached": "Reached",
    "share_of_referred": "Share of those referred (%)", "dropped_before_next": "Left before the next step",
    "commonest_end_reason": "Commonest end reason", "met": "Met", "not_met": "Not met", "rate": "Rate (%)",
    "compared_with_all": "Compared with all referrals",
    # Compare areas
    "area": "Area", "ci95": "95% interval (%)", "ci998": "99.8% interval (%)", "comparison": "Comparison",
    "trend": "Recent trend",
    # Finance
    "profile": "Profile (£)", "spend": "Spend (£)", "variance": "Variance (£)",
    "cumulative_profile": "Cumulative profile (£)", "cumulative_spend": "Cumulative spend (£)",
    "cumulative_pct_of_profile": "Cumulative spend (% of profile)",
    # Data quality and imports
    "last_import": "Last import", "imports": "Imports", "rows_loaded": "Rows loaded",
    "days_before_as_of": "Days before the as-of date", "fresh": "Fresh", "batch": "Import", "id": "Import",
    "file_name": "File", "received_from": "Referrals received from", "received_to": "Referrals received to",
    "latest_event": "Latest event", "rows": "Rows", "imported_at": "Imported at", "field": "Field",
    "recorded": "Recorded", "complete": "Complete (%)", "on_time": "On time", "events": "Events",
    "imported_by": "Imported by", "started_at": "Started", "finished_at": "Finished", "rows_read": "Rows read",
    "rows_inserted": "Rows added", "rows_updated": "Rows updated", "rows_rejected": "Rows rejected",
    "undone_at": "Undone", "undone_by": "Undone by", "sha256": "File fingerprint (SHA-256)",
    "row": "Row", "column": "Column", "problem": "Problem",
    # EPOP
    "plan_label": "Plan", "plan_status": "Plan status", "rag": "RAG", "printed_code": "Action", "text": "Action text",
    "owner_role": "Owner", "due_date": "Due date", "days_overdue": "Days overdue", "last_percent": "Last % complete",
    "last_update_at": "Last update", "last_update_by": "Updated by", "completed": "Completed", "ongoing": "Ongoing",
    "recommendation": "Recommendation", "earlier_latest": "Latest target, earlier snapshot",
    "later_latest": "Latest target, later snapshot", "later_all_completed": "All completed in the later snapshot",
    "change": "Change", "earlier_key": "Earlier action", "earlier_summary": "Earlier summary",
    "earlier_target": "Earlier target as written", "earlier_date": "Earlier target read as",
    "later_key": "Later action", "later_summary": "Later summary", "later_target": "Later target as written",
    "later_date": "Later target read as", "shared_words": "Shared words", "months_slipped": "Months slipped",
    "dimension": "Dimension", "met_count": "Met", "in progress": "In progress", "not started": "Not started",
    "not assessed": "Not assessed", "title": "Title", "rating": "Self-assessment", "sessions": "Sessions",
    "attendees": "People attending", "as_of": "Month end", "pct_due_complete": "% of due complete",
    "due": "Actions due", "overdue": "Overdue", "not_yet_due": "Not yet due", "no_due_date": "No due date",
    "dropped": "Dropped", "days_to_agreement": "Days to agreement",
    # Admin
    "username": "Username", "display_name": "Name", "role": "Role", "provider": "Provider", "region": "Region",
    "region_code": "Region", "active": "Active", "trigger": "Trigger", "polarity": "Polarity",
    "name": "Name", "postcode": "Postcode", "opened_on": "Opened", "closed_on": "Closed", "reference": "Reference",
    "contract_id": "Contract", "at": "When", "actor": "By", "action": "Action", "entity": "Record",
    "entity_id": "Record id", "detail": "Detail", "reason": "Reason", "valid_from": "From", "valid_to": "To",
}

#: Workings behind a shown column that tables leave out (the packs read them from the panel).
INTERNAL = frozenset({"value_pct", "target_pct", "status_word", "provisional", "lower_computed", "upper_computed",
                      "segment", "variation_icon", "assurance_icon", "explanation"})

_WORDS = re.compile(r"[_\s]+")


def column_label(name) -> str:
    """``name``'s heading: the entry in :data:`COLUMN_LABELS`, else its words with a capital
    first letter (``working_days_left`` → "Working days left"); a heading already in words stays."""
    text = str(name)
    if text in COLUMN_LABELS:
        return COLUMN_LABELS[text]
    words = _WORDS.sub(" ", text).strip()
    return words[:1].upper() + words[1:] if words else text
