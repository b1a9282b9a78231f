"""EPOP vocabulary and calendar rules (DOMAIN.md Decision 7; seed 000 §15.1, seed 004).

The status vocabulary, the COM-B dimensions of Annex 2, the plan-agreement window, the
contract- and Annex 2-year arithmetic and the reading of free-text target dates. Importers,
the tracker and the progress measures (``metrics.epop``) all use these, so they live at the
bottom of the house.
"""

from __future__ import annotations

import datetime as dt
import re
from calendar import monthrange
from dataclasses import dataclass

#: Decision 7 status vocabulary, in workflow order.
ACTION_STATUSES: tuple[str, ...] = ("not started", "in progress", "complete", "blocked", "dropped")
COM_B_DIMENSIONS: tuple[str, ...] = ("capability", "opportunity", "motivation")
#: 000 §15.1: plans "completed within 90 days of the service commencement date".
PLAN_AGREEMENT_WINDOW_DAYS = 90
#: An open action due within this many days of the as-of date is "at risk" (our setting).
AT_RISK_WITHIN_DAYS = 14
#: RAG categories; only the first three are ratings, the others say why an action is unrated.
RAG_LABELS: tuple[str, ...] = ("overdue", "at risk", "on track", "no due date", "complete", "dropped")


MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], start=1)}
_MONTH_YEAR = re.compile(r"\b(" + "|".join(MONTHS) + r")\s+(\d{4})\b")
_ONGOING = re.compile(r"\b(ongoing|monthly|reviewed)\b")


@dataclass(frozen=True)
class TargetDate:
    """A target date as written, and what we read from it."""

    original: str
    date: dt.date | None  # a month means its last day
    is_completed: bool
    is_ongoing: bool  # continuing or recurring work ("and ongoing", "monthly", "reviewed monthly")
    recognised: bool  # False when the wording matched no rule: shown as written, never guessed


def parse_target_date(raw: str | None) -> TargetDate:
    """Read a free-text target date from an inspection-response plan.

    Parameters
    ----------
    raw : str or None
        As published, e.g. "Completed", "Completed and monthly", "Completed (to be reviewed
        monthly)", "Completed and ongoing.", "January 2021 and ongoing", "December 2022".

    Returns
    -------
    TargetDate
        "Month YYYY" → the last day of that month; "Completed…" → completed, no date;
        "ongoing" / "monthly" / "reviewed" → ongoing. Anything else: ``recognised=False``.
    """
    original = "" if raw is None else str(raw)
    text = " ".join(original.lower().replace(".", " ").split())
    if not text:
        return TargetDate(original, None, False, False, False)
    completed = text.startswith("completed")
    ongoing = bool(_ONGOING.search(text))
    match = _MONTH_YEAR.search(text)
    date = None
    if match:
        year, month = int(match.group(2)), MONTHS[match.group(1)]
        date = dt.date(year, month, monthrange(year, month)[1])
    # What is left once the parts we understand are removed must be only joining words.
    rest = _MONTH_YEAR.sub(" ", text)
    rest = re.sub(r"\b(completed|and|ongoing|monthly|to|be|reviewed)\b|[()]", " ", rest).strip()
    recognised = (completed or date is not None) and not rest
    return TargetDate(original, date, completed, ongoing, recognised)



def contract_year(commencement_date: dt.date, as_of: dt.date) -> int:
    """1 in the first 12 months from commencement, 2 in the next 12, and so on (0 before)."""
    if as_of < commencement_date:
        return 0
    years = as_of.year - commencement_date.year
    if (as_of.month, as_of.day) < (commencement_date.month, commencement_date.day):
        years -= 1
    return years + 1


def annex2_year(commencement_date: dt.date, as_of: dt.date, year_offset: int, last_year: int = 3) -> int:
    """The region's current Annex 2 year: contract year + offset, between 1 and ``last_year``.

    Parameters
    ----------
    commencement_date, as_of : date
    year_offset : int
        The region's maturity setting (0: starts at year 1).
    last_year : int
        Annex 2 describes three years.

    Returns
    -------
    int
    """
    return max(1, min(last_year, contract_year(commencement_date, as_of) + year_offset))
