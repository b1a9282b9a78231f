"""Which measures the loaded data can support (issue 17 finding 2).

Refer and Monitor's performance report has no distance-travelled tool, exit survey or
record-keeping events: DS4, KP5 and KP1–KP4 come only from the provider's case extract (or the
demo data, which stands in for it). With only R&M reports loaded their cohorts exist but
nothing can meet them, so they would show 0.0% "below target". Instead such a measure is "no
data: needs the case extract", counted neither as met nor as missed (DOMAIN.md: a number that
cannot be computed from the data loaded is "no data", never 0).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, select

from data_access.models import ImportBatch, RecordEvent, Referral
from metrics.results import KpiResult

#: What a measure that cannot be computed needs, as the scorecard words it.
NEEDS_CASE_EXTRACT = "the case extract"

#: Measures only the case extract's columns feed (GMIRS spec §2.6 sources; R&M has none of them).
CASE_EXTRACT_MEASURES: tuple[str, ...] = ("DS4", "KP1", "KP2", "KP3", "KP4", "KP5")

#: Import kinds that carry the case extract's columns.
CASE_EXTRACT_KINDS = ("case-extract", "demo")


def case_extract_loaded(db) -> bool:
    """True once any case extract (or the demo data) has been loaded."""
    b, r = ImportBatch.__table__.c, Referral.__table__.c
    # One question at a time, cheapest first, stopping at the first yes: SQLite evaluates every
    # EXISTS of one SELECT, and this is asked by every scorecard. The referrals question reads
    # the partial index ix_referrals_case_extract_source (only such rows), never the table.
    checks = (
        select(b.id).where(b.kind.in_(CASE_EXTRACT_KINDS), b.status == "done"),
        select(RecordEvent.__table__.c.id),
        select(r.id).where(r.source.in_(("case_extract", "demo"))),
    )
    return any(db.execute(select(exists(check))).scalar() for check in checks)


def unmeasurable_codes(db) -> tuple[str, ...]:
    """The measures the loaded data cannot support (none once a case extract is loaded)."""
    return () if case_extract_loaded(db) else CASE_EXTRACT_MEASURES


def not_measurable(definition) -> KpiResult:
    """A measure's result when the loaded data cannot support it: no value, status "no data"."""
    return KpiResult.for_definition(
        definition, numerator=0, denominator=0,
        note=f"Not measurable from the data loaded: {definition.code} needs {NEEDS_CASE_EXTRACT}.",
        extra={"needs": NEEDS_CASE_EXTRACT},
    )


def with_unmeasurable(results: Sequence[KpiResult], definitions, unmeasurable: Sequence[str],
                      wanted: set[str] | None = None) -> list[KpiResult]:
    """``results`` in catalogue order, each unmeasurable measure (wanted, if ``wanted`` is given)
    as :func:`not_measurable` in place of whatever was computed (or left out) for it."""
    by_code = {r.code: r for r in results}
    out = []
    for definition in definitions:
        code = definition.code
        if code in unmeasurable and (wanted is None or code in wanted):
            out.append(not_measurable(definition))
        elif code in by_code:
            out.append(by_code[code])
    return out
