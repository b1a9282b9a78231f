"""Refer and Monitor end reasons and their CRS SL002 class, as data.

Refer and Monitor writes the *description* of the reason a referral ended in the
performance report's ``end_requested_by_pp_reason``: one of the 2021 end (cancellation)
reasons, or, since the withdrawal of referrals was introduced in 2024, one of the 13
withdrawal reasons (``assets/reference/ram_end_reasons.csv``, sources in its README).

The SL002 class of each reason is a stated decision (DOMAIN.md Decision 9), not a fact: the
reviewed file holds the default, the ``end_reasons`` table holds the copy an admin may
change, and both the importer's notice and SL002 read the same :class:`EndReasonClasses`.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

#: The reviewed file (``assets/reference``), found from this package so the project runs
#: without the shared folder it was first transcribed from.
END_REASONS_FILE = Path(__file__).resolve().parent.parent / "assets" / "reference" / "ram_end_reasons.csv"

SL002_CLASSES = ("neutral", "negative")
VOCABULARIES = ("2021", "2024")

#: What the KPI page says beside SL002 (DOMAIN.md Decision 9).
SL002_REASON_DECISION = (
    "SL002 and the 2024 withdrawal reasons (Decision 9): the technical note neutralises a "
    "practitioner's withdrawal without an intervention commencement appointment for any reason "
    "except sentence expiry, and makes disengagement (DIS) negative. So \"Not engaged\" (NOT) and "
    "\"Sentence expired\" (SEE) count as negative, like DIS and END; every other withdrawal reason "
    "is neutral; a reason the table does not know is neutral and reported at import. This "
    "classification needs the commissioner's sign-off; an admin can change it."
)


@dataclass(frozen=True)
class EndReason:
    vocabulary: str  # "2021" (end reasons) or "2024" (withdrawal reasons)
    code: str
    description: str
    sl002_class: str  # "neutral" or "negative"
    grouping: str = ""
    why: str = ""
    source: str = ""


_SPACES = re.compile(r"\s+")


def reason_key(text: str) -> str:
    """Case- and space-insensitive key (DOMAIN.md), tolerant of the curly apostrophe in
    "practitioner's"."""
    return _SPACES.sub("", str(text).replace("\u2019", "'")).lower()


@dataclass(frozen=True)
class EndReasonClasses:
    """The one classification of end reasons that every SL002 path and the importer use."""

    reasons: tuple[EndReason, ...]

    def __post_init__(self) -> None:
        by_key: dict[str, EndReason] = {}
        for reason in self.reasons:
            if reason.sl002_class not in SL002_CLASSES:
                raise ValueError(f"{reason.code}: SL002 class must be one of {SL002_CLASSES}, not {reason.sl002_class!r}")
            by_key[reason_key(reason.description)] = reason
        # A bare code is accepted too; where both vocabularies use one (MIS, MOV, ACQ) the
        # classes agree, and the 2021 meaning is kept (the 2024 reasons are always written
        # as descriptions).
        for reason in sorted(self.reasons, key=lambda r: r.vocabulary, reverse=True):
            by_key[reason_key(reason.code)] = reason
        object.__setattr__(self, "_by_key", by_key)

    def find(self, written: str | None) -> EndReason | None:
        """The reason a written description (or code) stands for; None if blank or unknown."""
        if written is None or (isinstance(written, float) and math.isnan(written)):
            return None
        return self._by_key.get(reason_key(written))  # type: ignore[attr-defined]

    def code(self, written: str | None) -> str | None:
        reason = self.find(written)
        return reason.code if reason else None

    def sl002_class(self, written: str | None) -> str:
        """"negative" or "neutral"; a blank or unrecognised reason is neutral (the technical
        note: an unknown code is excluded like a neutral one)."""
        reason = self.find(written)
        return reason.sl002_class if reason else "neutral"

    def is_negative(self, written: Iterable) -> list[bool]:
        return [self.sl002_class(w) == "negative" for w in written]

    def negative_descriptions(self) -> tuple[str, ...]:
        return tuple(r.description for r in self.reasons if r.sl002_class == "negative")

    def fingerprint(self) -> tuple:
        """What a stored SL002 count depends on (changes when an admin reclassifies)."""
        return tuple(sorted((r.vocabulary, r.code, r.description, r.sl002_class) for r in self.reasons))


def read_end_reasons(path: Path = END_REASONS_FILE) -> tuple[EndReason, ...]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return tuple(
        EndReason(
            vocabulary=r["vocabulary"], code=r["code"], description=r["description"],
            sl002_class=r["sl002_class"], grouping=r.get("grouping", ""), why=r.get("why", ""),
            source=r.get("source", ""),
        )
        for r in rows
    )


@cache
def default_end_reasons() -> EndReasonClasses:
    """The reviewed file's classification (used until the database holds an admin's copy)."""
    return EndReasonClasses(read_end_reasons())
