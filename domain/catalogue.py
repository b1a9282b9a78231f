"""The KPI catalogue: every measure declared once, as data.

Pages, packs and the CLI render definitions from here. Targets and triggers here are the
defaults; the database's ``kpi_definitions`` table holds the values an admin has set, and
:func:`with_targets` applies them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from domain.end_reasons import default_end_reasons

Polarity = Literal["increase", "decrease", "neutral"]

GMIRS_SPEC = "GMIRS Well-being Support Service specification (GMCA, 2023)"
SL002_NOTE = "CRS SL002 technical note v1.4 (in the GMIRS specification)"


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
    ),
)

KPI_CODES: tuple[str, ...] = tuple(k.code for k in KPI_CATALOGUE)
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

#: Refer and Monitor end reasons (2021) and withdrawal reasons (2024) as (code, description,
#: SL002 class), read from the one reviewed file (``domain.end_reasons``, Decision 9).
END_REASONS: tuple[tuple[str, str, str], ...] = tuple(
    (r.code, r.description, r.sl002_class) for r in default_end_reasons().reasons
)

#: Complexity reference mix across GMIRS (spec §2.4): Low 23%, Medium 56%, High 21%.
COMPLEXITY_REFERENCE: dict[str, float] = {"LOW": 0.23, "MEDIUM": 0.56, "HIGH": 0.21}
