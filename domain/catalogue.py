"""The KPI catalogue: every measure declared once, as data.

Each entry says what the measure means (title, definition, source, polarity, target and
trigger) and how it is counted (:class:`Measure`: the date that starts its clock and fixes its
cohort, the event that meets it, the deadline in working days, the mitigation, the cohort
filter). A change to a measure is made here, once:

* the SQL the scorecard and the stored per-day summary run is generated from these entries
  (``data_access.measure_sql``, written to ``kpi_daily_counts`` by ``data_access.kpi_summary``,
  combined by ``metrics.queries``);
* the pandas rules in ``metrics.kpis`` read the same entries; they are the executable
  specification the tests compare the SQL and the summary with.

Pages, packs and the CLI render definitions from here. Targets and triggers here are the
defaults; the database's ``kpi_definitions`` table holds the values an admin has set, and
:func:`with_targets` applies them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

Polarity = Literal["increase", "decrease", "neutral"]

GMIRS_SPEC = "GMIRS Well-being Support Service specification (GMCA, 2023)"
SL002_NOTE = "CRS SL002 technical note v1.4 (in the GMIRS specification)"


MeasureKind = Literal["forecast", "deadline", "record_event", "outcome", "sl002"]


@dataclass(frozen=True)
class CohortFilter:
    """Cases whose referral ``column`` is recorded as ``excluded`` are outside the cohort; a
    value not recorded keeps the case in. Text is compared case- and space-insensitively."""

    column: str
    excluded: bool | str
    reason: str

    def excludes(self, value: object) -> bool:
        if value is None or (isinstance(value, float) and value != value):  # not recorded
            return False
        if isinstance(self.excluded, bool):
            return bool(value) == self.excluded
        return str(value).strip().lower() == self.excluded


@dataclass(frozen=True)
class Measure:
    """How a measure is counted (DOMAIN.md "Exact rules"), MetricFlow-style.

    ``kind``:

    * ``"deadline"``: cohort = cases whose ``clock`` date is in the period; met = ``event`` on
      or before the ``working_days``-th working day after it (by the as-of date); a case is
      counted once due or met; ``mitigation`` (DS2) = a missed appointment on or before the
      deadline, counted as met once due; with ``excludes_ended`` a referral that ended on or
      before its deadline without meeting the measure is left out.
    * ``"record_event"``: the same deadline rule over ``record_events`` rows of ``event_kind``
      (``clock`` = occurred_on, ``event`` = recorded_on), with ``requires_shared`` for KP2/KP3.
    * ``"outcome"`` (DS5), ``"sl002"`` (CRS SL002's a / (b − c)), ``"forecast"`` (DS1): rules
      with no deadline, written out in ``metrics.kpis``; ``clock`` still fixes the cohort.
    """

    kind: MeasureKind
    clock: str
    event: str | None = None
    working_days: int | None = None
    mitigation: str | None = None
    cohort_filter: CohortFilter | None = None
    excludes_ended: bool = True
    event_kind: str | None = None
    requires_shared: bool = False
    #: Shown beside the figure wherever it appears (a decision or a cohort rule worth saying).
    note: str | None = None


@dataclass(frozen=True)
class KpiDefinition:
    code: str
    title: str
    definition: str
    source: str
    cohort_event: str
    numerator: str
    denominator: str
    target: float | None
    trigger: float | None = None
    polarity: Polarity = "increase"
    unit: str = "%"
    frequency: str = "monthly"
    #: True where the documents leave room and DOMAIN.md records the decision taken.
    assumption: str | None = None
    #: How it is counted; the SQL, the stored summary and the pandas rules all read this.
    measure: Measure | None = None


#: KP6: "suitable referrals"; a referral recorded as not suitable is outside the cohort.
NOT_SUITABLE = CohortFilter("suitable", False, "recorded as not suitable")
#: KP5 (and SL002's same-day rule): a cancelled referral completed no service.
CANCELLED = CohortFilter("referral_end_state", "cancelled", "cancelled")


def _record_keeping(event_kind: str, *, shared: bool) -> Measure:
    """KP1–KP4: a ``record_events`` row of ``event_kind`` recorded (and shared) by the next
    working day."""
    return Measure("record_event", clock="occurred_on", event="recorded_on", working_days=1,
                   excludes_ended=False, event_kind=event_kind, requires_shared=shared)


KPI_CATALOGUE: tuple[KpiDefinition, ...] = (
    KpiDefinition(
        code="DS1",
        title="Monthly referrals received against contractual target",
        definition=(
            "Referrals received in the period as a percentage of the contractual target. The "
            "target is the lower bound of the published 40–60% forecast, pro-rated by days."
        ),
        source=f"{GMIRS_SPEC} §2.6 DS1; demand table §1.12",
        cohort_event="referral received",
        numerator="referrals received in the period",
        denominator="contractual target for the period (pro-rated forecast bound)",
        target=95.0,
        assumption=(
            "Decision 2: the contract gives no monthly target; the published 40–60% range's "
            "lower bound, pro-rated by days from an annual forecast, is used (configurable)."
        ),
        measure=Measure("forecast", clock="received_on"),
    ),
    KpiDefinition(
        code="DS2",
        title="Referrals assessed within 10 working days",
        definition=(
            "Referrals received in the period whose first supplier assessment was attended on or "
            "before the 10th working day after referral, inclusive of mitigation (an assessment "
            "appointment on or before the deadline that the person did not attend)."
        ),
        source=f"{GMIRS_SPEC} §2.6 DS2",
        cohort_event="referral received",
        numerator="referrals assessed by the deadline, plus mitigated referrals",
        denominator="referrals received in the period that are due or met, less those ended "
        "on or before the deadline without an assessment",
        target=95.0,
        measure=Measure("deadline", clock="received_on", event="saa_first_attended_on", working_days=10,
                        mitigation="saa_first_not_attended_on"),
    ),
    KpiDefinition(
        code="DS3",
        title="Action plan within 5 working days of the initial assessment",
        definition=(
            "Referrals whose first supplier assessment was attended in the period and whose first "
            "action plan was submitted on or before the 5th working day after it."
        ),
        source=f"{GMIRS_SPEC} §2.6 DS3",
        cohort_event="first supplier assessment attended",
        numerator="action plan submitted by the deadline",
        denominator="assessments attended in the period that are due or met",
        target=90.0,
        measure=Measure("deadline", clock="saa_first_attended_on", event="action_plan_submitted_on", working_days=5),
    ),
    KpiDefinition(
        code="DS4",
        title="Distance-travelled tool completed within 10 working days of assessment",
        definition=(
            "Referrals whose first supplier assessment was attended in the period and whose "
            "distance-travelled baseline was completed on or before the 10th working day after it."
        ),
        source=f"{GMIRS_SPEC} §2.6 DS4",
        cohort_event="first supplier assessment attended",
        numerator="distance-travelled tool completed by the deadline",
        denominator="assessments attended in the period that are due or met",
        target=95.0,
        assumption=(
            "Decision 3: DS4's title says 'from starting intervention' but its definition says "
            "'within 10 working days of completing assessment'; the definition is implemented."
        ),
        measure=Measure("deadline", clock="saa_first_attended_on", event="distance_tool_completed_on", working_days=10,
                        note="Decision 3: measured from the assessment (the definition), not from starting "
                        "the intervention (the title)."),
    ),
    KpiDefinition(
        code="DS5",
        title="People achieving an outcome against actions on the referral",
        definition=(
            "Referrals concluded in the period with an end-of-service report where at least one "
            "desired outcome was achieved or partly achieved (achievement score above 0)."
        ),
        source=f"{GMIRS_SPEC} §2.6 DS5",
        cohort_event="referral concluded with an end-of-service report",
        numerator="outcome achieved or partly achieved",
        denominator="referrals concluded in the period with an end-of-service report",
        target=85.0,
        measure=Measure("outcome", clock="concluded_on", event="eosr_submitted_on"),
    ),
    KpiDefinition(
        code="KP1",
        title="Records created or updated within 1 business day of contact",
        definition="Contacts in the period recorded on or before the next working day.",
        source=f"{GMIRS_SPEC} §2.6 KP1",
        cohort_event="contact",
        numerator="contacts recorded within 1 working day",
        denominator="contacts in the period that are due or met",
        target=100.0,
        measure=_record_keeping("contact", shared=False),
    ),
    KpiDefinition(
        code="KP2",
        title="Action plans created or updated within 1 business day and shared",
        definition="Action-plan changes in the period recorded and shared by the next working day.",
        source=f"{GMIRS_SPEC} §2.6 KP2",
        cohort_event="action plan created or updated",
        numerator="recorded within 1 working day and shared",
        denominator="action-plan changes in the period that are due or met",
        target=100.0,
        measure=_record_keeping("action_plan", shared=True),
    ),
    KpiDefinition(
        code="KP3",
        title="Attendance recorded within 1 business day of the appointment and shared",
        definition="Appointments in the period whose attendance was recorded and shared by the "
        "next working day.",
        source=f"{GMIRS_SPEC} §2.6 KP3",
        cohort_event="appointment",
        numerator="attendance recorded within 1 working day and shared",
        denominator="appointments in the period that are due or met",
        target=100.0,
        measure=_record_keeping("attendance", shared=True),
    ),
    KpiDefinition(
        code="KP4",
        title="Evidence sent within 1 working day of request",
        definition="Evidence requests in the period answered by the next working day.",
        source=f"{GMIRS_SPEC} §2.6 KP4",
        cohort_event="evidence requested",
        numerator="evidence sent within 1 working day",
        denominator="evidence requests in the period that are due or met",
        target=100.0,
        measure=_record_keeping("evidence_request", shared=False),
    ),
    KpiDefinition(
        code="KP5",
        title="Exit survey offered within 1 business day of completion",
        definition="Referrals concluded in the period whose exit survey was offered by the next "
        "working day.",
        source=f"{GMIRS_SPEC} §2.6 KP5",
        cohort_event="referral concluded",
        numerator="exit survey offered within 1 working day",
        denominator="referrals concluded in the period that are due or met",
        target=90.0,
        measure=Measure("deadline", clock="concluded_on", event="exit_survey_offered_on", working_days=1,
                        cohort_filter=CANCELLED, excludes_ended=False,
                        note="Cancelled referrals are outside KP5's cohort (no service was completed)."),
    ),
    KpiDefinition(
        code="KP6",
        title="Suitable referrals attending an intervention appointment within 10 working days",
        definition=(
            "Referrals whose first action plan was approved in the period and whose first "
            "attended session is on or before the 10th working day after approval."
        ),
        source=f"{GMIRS_SPEC} §2.6 KP6",
        cohort_event="first action plan approved",
        numerator="first session attended by the deadline",
        denominator="action plans approved in the period that are due or met",
        target=90.0,
        assumption="Decision 4: KP6 (10 working days) and SL002 (no time limit) are both computed.",
        measure=Measure("deadline", clock="action_plan_approved_on", event="first_session_on", working_days=10,
                        cohort_filter=NOT_SUITABLE,
                        note="An approved action plan with suitability not recorded is taken as suitable."),
    ),
    KpiDefinition(
        code="SL002",
        title="Intervention appointment attended by service user",
        definition=(
            "a / (b − c) × 100: b = referrals that ended in the month (not one cancelled on the "
            "day it was received); a = those with an intervention commencement appointment "
            "attended (YES or LATE) before the end date; c = those without one that are neutral "
            "(no approved action plan, or a neutral, blank or unrecognised end reason)."
        ),
        source=SL002_NOTE,
        cohort_event="referral ended (concluded)",
        numerator="a: intervention commencement appointment attended",
        denominator="b − c: ended referrals less neutral ones",
        target=90.0,
        trigger=80.0,
        measure=Measure("sl002", clock="concluded_on", event="first_session_on"),
    ),
)

KPI_CODES: tuple[str, ...] = tuple(k.code for k in KPI_CATALOGUE)
#: The deadline measures and KP1–KP4, in catalogue order (what the per-day SQL counts).
DEADLINE_CODES: tuple[str, ...] = tuple(k.code for k in KPI_CATALOGUE if k.measure and k.measure.kind == "deadline")
RECORD_EVENT_CODES: tuple[str, ...] = tuple(k.code for k in KPI_CATALOGUE if k.measure and k.measure.kind == "record_event")
_BY_CODE = {k.code: k for k in KPI_CATALOGUE}


def kpi(code: str) -> KpiDefinition:
    """The catalogue entry for ``code`` (e.g. ``"DS2"``); KeyError for an unknown code."""
    return _BY_CODE[code.upper()]


def with_targets(
    overrides: dict[str, tuple[float | None, float | None]],
) -> tuple[KpiDefinition, ...]:
    """The catalogue with targets/triggers an admin has set (``{code: (target, trigger)}``)."""
    result = []
    for definition in KPI_CATALOGUE:
        if definition.code in overrides:
            target, trigger = overrides[definition.code]
            definition = replace(definition, target=target, trigger=trigger)
        result.append(definition)
    return tuple(result)


# Reference lists the rules depend on -------------------------------------------------------

#: The 12 categories of need (GMIRS spec §1.9), in the order the specification lists them.
NEEDS: tuple[tuple[str, str], ...] = (
    ("emotional_mental_health", "Emotional and mental health"),
    ("physical_health", "Physical health"),
    ("accommodation", "Shelter and accommodation"),
    ("family_friends_children", "Family, friends and children"),
    ("education_skills_employment", "Education, skills and employment"),
    ("drugs_alcohol", "Drugs and alcohol"),
    ("finance_benefits", "Finance and benefits"),
    ("outlook_attitudes", "Outlook and attitudes"),
    ("social_interactions", "Social interactions and networks"),
    ("meaningful_use_of_time", "Meaningful use of time"),
    ("motivation_to_desist", "Motivation to desist from offending"),
    ("self_care_living_skills", "Self-care and living skills"),
)

#: CRS SL002 technical note: Refer and Monitor end-reason descriptions, codes and class.
END_REASONS: tuple[tuple[str, str, str], ...] = (
    ("MIS", "Referral was made by mistake", "neutral"),
    ("MOV", "Service user has moved out of service area", "neutral"),
    ("DIE", "Service user died", "neutral"),
    ("ACQ", "Service user has been acquitted on appeal", "neutral"),
    ("DIS", "Service user has been disengaged", "negative"),
    ("REC", "Service user has been recalled", "neutral"),
    ("END", "Sentence has ended", "negative"),
    ("REV", "Sentence has been revoked", "neutral"),
    ("DUP", "Duplication of referral", "neutral"),
    ("PPJ", "Probation practitioner's professional judgement", "neutral"),
)

_SPACES = re.compile(r"\s+")


def _reason_key(text: str) -> str:
    # Case- and space-insensitive, and tolerant of the curly apostrophe in "practitioner's".
    return _SPACES.sub("", text.replace("\u2019", "'")).lower()


_REASON_CODE_BY_KEY: dict[str, str] = {}
for _code, _description, _class in END_REASONS:
    _REASON_CODE_BY_KEY[_reason_key(_description)] = _code
    _REASON_CODE_BY_KEY[_reason_key(_code)] = _code
SL002_CLASS_BY_CODE: dict[str, str] = {code: cls for code, _, cls in END_REASONS}


def end_reason_code(reason: str | None) -> str | None:
    """The SL002 end-reason code for a Refer and Monitor description (or a code).

    Case- and space-insensitive ("service user  has been RECALLED" → "REC"). ``None`` for a
    blank or unrecognised reason.
    """
    if reason is None or (isinstance(reason, float) and reason != reason):
        return None
    return _REASON_CODE_BY_KEY.get(_reason_key(str(reason)))


def end_reason_class(reason: str | None) -> str:
    """"negative" for DIS and END; "neutral" for every other code, a blank or an unknown reason.

    CRS SL002 technical note: neutral MIS, MOV, DIE, ACQ, REC, REV, DUP, PPJ; negative DIS,
    END; an unknown code is excluded like a neutral one. Sentence expiry is not neutral.
    The one classification every path uses (pandas rules, live SQL, stored summary).
    """
    code = end_reason_code(reason)
    return SL002_CLASS_BY_CODE.get(code, "neutral") if code else "neutral"


#: Complexity reference mix across GMIRS (spec §2.4): Low 23%, Medium 56%, High 21%.
COMPLEXITY_REFERENCE: dict[str, float] = {"LOW": 0.23, "MEDIUM": 0.56, "HIGH": 0.21}
