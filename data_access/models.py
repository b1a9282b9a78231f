"""The schema: SQLAlchemy 2.x typed models.

Conventions
-----------
* Facts are stored at the finest level the data has (a referral's borough and demand unit,
  never a PDU typed in again); PDUs and regions are reached through the crosswalk tables.
* Timestamps (``*_at``) are stored as naive UTC. Each event that a KPI counts also has its
  calendar date in Europe/London (``*_on``), taken once at the boundary when data comes in
  (DOMAIN.md "Dates": ``2024-06-30T23:30:00Z`` is 1 July), so SQL can aggregate by date.
* People on probation are held pseudonymously only: a CRN or a provider's case id, never a
  name, date of birth or address.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from geo.pdu_sets import ANNEX_C_SET

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# --------------------------------------------------------------------------------------------
# Geography
# --------------------------------------------------------------------------------------------


class Region(Base):
    """One of the 12 probation regions, letter codes A–L (HMPPS TOM, Figure 19)."""

    __tablename__ = "regions"
    code: Mapped[str] = mapped_column(String(1), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)


class Pdu(Base):
    """A Probation Delivery Unit: the 108 of HMPPS TOM Annex C (numbered 1–108 as printed) and
    those created since (numbered from 109: our key, not an HMPPS number), each with the dates
    it is in force (``geo.pdu_sets``; DOMAIN.md Decision 8)."""

    __tablename__ = "pdus"
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    annex_c_note: Mapped[str | None] = mapped_column(Text)
    #: The published set it belongs to (``geo.pdu_sets.SET_LABELS``).
    pdu_set: Mapped[str] = mapped_column(String(40), default=ANNEX_C_SET)
    #: First day in force (None: from the start of the records) and first day no longer in
    #: force (None: still in force).
    in_force_from: Mapped[dt.date | None] = mapped_column(Date)
    in_force_to: Mapped[dt.date | None] = mapped_column(Date)


class LocalAuthority(Base):
    """A local authority as Annex C names it (upper or lower tier)."""

    __tablename__ = "local_authorities"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    gss_code: Mapped[str | None] = mapped_column(String(9))


class PduLocalAuthority(Base):
    """Crosswalk: which authorities make up a PDU; ``is_part`` when the PDU takes only part."""

    __tablename__ = "pdu_local_authorities"
    pdu_number: Mapped[int] = mapped_column(ForeignKey("pdus.number"), primary_key=True)
    local_authority_id: Mapped[int] = mapped_column(
        ForeignKey("local_authorities.id"), primary_key=True
    )
    is_part: Mapped[bool] = mapped_column(Boolean, default=False)


class Borough(Base):
    """One of the ten Greater Manchester boroughs (local authority districts)."""

    __tablename__ = "boroughs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    gss_code: Mapped[str] = mapped_column(String(9), unique=True)
    local_authority_id: Mapped[int] = mapped_column(ForeignKey("local_authorities.id"))


class DemandUnit(Base):
    """The finest unit of the GM demand table (GMIRS spec §1.12): a borough, or Manchester N/S.

    Each unit lies in one borough and one PDU; this is the borough ↔ PDU crosswalk for GM.
    """

    __tablename__ = "demand_units"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    borough_id: Mapped[int] = mapped_column(ForeignKey("boroughs.id"), index=True)
    pdu_number: Mapped[int] = mapped_column(ForeignKey("pdus.number"), index=True)

    borough: Mapped[Borough] = relationship()


class PduArea(Base):
    """The dated borough ↔ PDU crosswalk for Greater Manchester: a referral belongs to the PDU
    whose row covers its borough (and, for a borough split between PDUs, its demand unit) on
    its referral date. ``demand_unit_id`` is set only where the borough is split (Manchester
    North/South); every other row is for the whole borough (DOMAIN.md Decision 8).
    ``in_force_to`` is exclusive; None = open. ``DemandUnit.pdu_number`` stays the Annex C
    (2021) PDU of the demand table."""

    __tablename__ = "pdu_areas"
    id: Mapped[int] = mapped_column(primary_key=True)
    pdu_number: Mapped[int] = mapped_column(ForeignKey("pdus.number"), index=True)
    borough_id: Mapped[int] = mapped_column(ForeignKey("boroughs.id"), index=True)
    demand_unit_id: Mapped[int | None] = mapped_column(ForeignKey("demand_units.id"))
    in_force_from: Mapped[dt.date | None] = mapped_column(Date)
    in_force_to: Mapped[dt.date | None] = mapped_column(Date)


class RamRegion(Base):
    """Refer and Monitor's own region letters (``nps_region``), which differ from the TOM's:
    R&M's L is Greater Manchester (TOM J) and its J is London (TOM L). R&M data is joined to
    regions only through this table, never by letter."""

    __tablename__ = "ram_regions"
    ram_code: Mapped[str] = mapped_column(String(1), primary_key=True)
    ram_name: Mapped[str] = mapped_column(String(80))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), unique=True)


class Hub(Base):
    """A physical GMIRS hub (spec §2.1: at least one in each of the ten boroughs)."""

    __tablename__ = "hubs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    borough_id: Mapped[int] = mapped_column(ForeignKey("boroughs.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(250))
    postcode: Mapped[str | None] = mapped_column(String(10))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    co_located_services: Mapped[str | None] = mapped_column(Text)
    opening_pattern: Mapped[str | None] = mapped_column(String(250))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    borough: Mapped[Borough] = relationship()


# --------------------------------------------------------------------------------------------
# Providers, contracts, money
# --------------------------------------------------------------------------------------------


class Provider(Base):
    __tablename__ = "providers"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The organisation id Refer and Monitor writes (``organisation_id``).
    organisation_code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    #: Registered automatically from an import and not yet reviewed by an admin.
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)


class Contract(Base):
    __tablename__ = "contracts"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(60), unique=True)
    service: Mapped[str] = mapped_column(String(160))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    #: Registered from an import with no geography yet: an admin must map it.
    needs_mapping: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Subcontractors' organisation codes (``;``-separated), as R&M's contract file lists them.
    subcontractors: Mapped[str | None] = mapped_column(String(250))
    #: Where the contract's mapping comes from when it was not entered by an admin (e.g.
    #: inferred from a Refer and Monitor contract file, shipped as reference data).
    source: Mapped[str | None] = mapped_column(Text)

    provider: Mapped[Provider] = relationship()


class ContractBorough(Base):
    """The geography a contract covers, at borough level."""

    __tablename__ = "contract_boroughs"
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), primary_key=True)
    borough_id: Mapped[int] = mapped_column(ForeignKey("boroughs.id"), primary_key=True)


class FundingPeriod(Base):
    """A funding period and amount (GMIRS spec §1.11)."""

    __tablename__ = "funding_periods"
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    label: Mapped[str] = mapped_column(String(60))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    #: "guaranteed" or "anticipated", as the specification words it.
    status: Mapped[str] = mapped_column(String(20))


class SpendRecord(Base):
    __tablename__ = "spend_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    month: Mapped[dt.date] = mapped_column(Date)  # first day of the month
    category: Mapped[str] = mapped_column(String(60), default="delivery")
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))


# --------------------------------------------------------------------------------------------
# Forecasts
# --------------------------------------------------------------------------------------------


class Forecast(Base):
    """A published 40–60% forecast range for a demand unit, stored as published."""

    __tablename__ = "forecasts"
    id: Mapped[int] = mapped_column(primary_key=True)
    demand_unit_id: Mapped[int] = mapped_column(ForeignKey("demand_units.id"), index=True)
    base_count: Mapped[int] = mapped_column(Integer)  # people in the community on base_date
    base_date: Mapped[dt.date] = mapped_column(Date)
    pct_of_community: Mapped[float | None] = mapped_column(Float)
    predicted_low: Mapped[int] = mapped_column(Integer)
    predicted_high: Mapped[int] = mapped_column(Integer)
    #: Decision 1: the published figures have no period; default annual, pro-rated by days.
    period_days: Mapped[int] = mapped_column(Integer, default=365)
    source_note: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("demand_unit_id", "base_date"),)


class FigureSetting(Base):
    """A setting that changes figures, as an admin set it (``data_access.admin.set_figure_setting``):
    the DS1 bound (Decision 2), the suppression threshold and minimum rate denominator, the
    distance-travelled scale (Decision 6). A setting with no row keeps the deployment's value
    (``DASHBOARD_*``); the forecast period lives on the forecasts (``Forecast.period_days``)."""

    __tablename__ = "figure_settings"
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(60))
    updated_by: Mapped[str | None] = mapped_column(String(60))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class SpcRebase(Base):
    """A known process change an admin recorded (``data_access.admin.add_spc_rebase``): the SPC
    chart of ``kpi_code`` (NULL = every measure) starts a new mean and limits from the first
    month on or after ``rebase_on`` (Making Data Count: recalculate limits only after a
    sustained change with a known cause). Drawn on the chart with its reason, and in packs."""

    __tablename__ = "spc_rebases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kpi_code: Mapped[str | None] = mapped_column(String(10))
    rebase_on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300))
    recorded_by: Mapped[str] = mapped_column(String(60))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)


# --------------------------------------------------------------------------------------------
# Reference lists
# --------------------------------------------------------------------------------------------


class CalendarDay(Base):
    """England and Wales working-day calendar, one row per day (``data_access.calendar``).

    Filled and refreshed by ``data_access.setup.initialise`` from ``domain.dates`` (the
    maintained ``holidays`` package), so SQL can apply DOMAIN.md "Working days" exactly: with
    c(x) = ``working_days_to_date`` and p(x) = ``working_days_before``, an event is "within N
    working days of D" if and only if p(event) < c(D) + N; equivalently, it is on or before
    the working day whose ``working_days_to_date`` is c(D) + N.
    """

    __tablename__ = "calendar_days"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_working: Mapped[bool] = mapped_column(Boolean)
    #: Working days on or before ``day`` (counted from the calendar's first day).
    working_days_to_date: Mapped[int] = mapped_column(Integer, index=True)
    #: Working days strictly before ``day``.
    working_days_before: Mapped[int] = mapped_column(Integer)


class Need(Base):
    """The 12 categories of need (GMIRS spec §1.9)."""

    __tablename__ = "needs"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    ordinal: Mapped[int] = mapped_column(Integer)


class EndReason(Base):
    """Refer and Monitor end reasons (2021) and withdrawal reasons (2024) with their CRS SL002
    class (neutral / negative): the admin's editable copy of ``assets/reference/ram_end_reasons.csv``
    (Decision 9). Codes repeat across the two vocabularies (MIS, MOV, ACQ); descriptions do not."""

    __tablename__ = "end_reasons"
    vocabulary: Mapped[str] = mapped_column(String(4), primary_key=True)
    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    description: Mapped[str] = mapped_column(String(120), unique=True)
    grouping: Mapped[str | None] = mapped_column(String(20))
    sl002_class: Mapped[str] = mapped_column(String(10))
    why: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(60))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class KpiDefinition(Base):
    """Editable copy of the KPI catalogue (``domain.catalogue``): targets can be changed."""

    __tablename__ = "kpi_definitions"
    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    target: Mapped[float | None] = mapped_column(Float)
    trigger: Mapped[float | None] = mapped_column(Float)
    updated_by: Mapped[str | None] = mapped_column(String(60))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


# --------------------------------------------------------------------------------------------
# Referrals (case level, pseudonymous)
# --------------------------------------------------------------------------------------------


class Referral(Base):
    """One referral: every Refer and Monitor performance-report field, plus GMIRS fields."""

    __tablename__ = "referrals"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Refer and Monitor identity
    referral_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    referral_ref: Mapped[str] = mapped_column(String(40), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"), index=True)
    #: A keyed pseudonym (HMAC-SHA-256, ``data_access.pseudonyms``) of the Refer and Monitor
    #: caseworker's user name or e-mail (personal data): never the clear value.
    caseworker_id: Mapped[str | None] = mapped_column(String(60))
    service_user_crn: Mapped[str | None] = mapped_column(String(20), index=True)
    # Refer and Monitor timestamps (naive UTC)
    referral_received_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    saa_first_arranged_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    saa_first_scheduled_for: Mapped[dt.datetime | None] = mapped_column(DateTime)
    saa_first_not_attended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    saa_first_attended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # ``date_saa_first_completed`` (performance report from March 2024; blank in older layouts)
    saa_first_completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: Refer and Monitor writes "false" also when no assessment was attended; stored only
    #: beside a first attended assessment (null otherwise), never a fact on its own.
    saa_attended_on_time: Mapped[bool | None] = mapped_column(Boolean)
    first_action_plan_submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    first_action_plan_approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    first_attended_session_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    outcomes_to_be_achieved_count: Mapped[int | None] = mapped_column(Integer)
    outcomes_achieved: Mapped[float | None] = mapped_column(Float)
    count_of_sessions_expected: Mapped[int | None] = mapped_column(Integer)
    count_of_sessions_attended: Mapped[int | None] = mapped_column(Integer)
    end_requested_by_pp_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    end_requested_by_pp_reason: Mapped[str | None] = mapped_column(String(160))
    eosr_submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    concluded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    referral_end_state: Mapped[str | None] = mapped_column(String(20))
    # Plain dates in the report: completion deadline (from May 2024) and end of sentence
    # (from August 2024); blank in older layouts.
    intervention_to_be_completed_by: Mapped[dt.date | None] = mapped_column(Date)
    end_of_sentence_date: Mapped[dt.date | None] = mapped_column(Date)
    # The same events as Europe/London calendar dates (taken at the boundary)
    received_on: Mapped[dt.date | None] = mapped_column(Date)
    saa_first_not_attended_on: Mapped[dt.date | None] = mapped_column(Date)
    saa_first_attended_on: Mapped[dt.date | None] = mapped_column(Date)
    action_plan_submitted_on: Mapped[dt.date | None] = mapped_column(Date)
    action_plan_approved_on: Mapped[dt.date | None] = mapped_column(Date)
    first_session_on: Mapped[dt.date | None] = mapped_column(Date)
    eosr_submitted_on: Mapped[dt.date | None] = mapped_column(Date)
    concluded_on: Mapped[dt.date | None] = mapped_column(Date)
    # GMIRS case fields (provider case extract)
    borough_id: Mapped[int | None] = mapped_column(ForeignKey("boroughs.id"), index=True)
    demand_unit_id: Mapped[int | None] = mapped_column(ForeignKey("demand_units.id"), index=True)
    hub_id: Mapped[int | None] = mapped_column(ForeignKey("hubs.id"), index=True)
    referral_source: Mapped[str | None] = mapped_column(String(60))
    complexity: Mapped[str | None] = mapped_column(String(6))  # LOW / MEDIUM / HIGH
    risk_level: Mapped[str | None] = mapped_column(String(10))  # LOW / MEDIUM / HIGH / VERY HIGH
    crime_type: Mapped[str | None] = mapped_column(String(60))
    age_band: Mapped[str | None] = mapped_column(String(10))
    sex: Mapped[str | None] = mapped_column(String(20))
    gender_identity: Mapped[str | None] = mapped_column(String(40))
    ethnicity: Mapped[str | None] = mapped_column(String(60))
    disability: Mapped[str | None] = mapped_column(String(30))
    religion: Mapped[str | None] = mapped_column(String(40))
    sexual_orientation: Mapped[str | None] = mapped_column(String(40))
    consent_to_share: Mapped[bool | None] = mapped_column(Boolean)
    suitable: Mapped[bool | None] = mapped_column(Boolean)  # assessed as suitable (KP6)
    distance_tool_completed_on: Mapped[dt.date | None] = mapped_column(Date)  # DS4
    exit_reason: Mapped[str | None] = mapped_column(String(60))
    exit_survey_offered_on: Mapped[dt.date | None] = mapped_column(Date)  # KP5
    exit_survey_completed: Mapped[bool | None] = mapped_column(Boolean)
    # Provenance
    source: Mapped[str] = mapped_column(String(20), default="demo")
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    row_hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        # DS1 (referrals received in a period) for any scope or filter, from the index alone:
        # every column data_access.scoping tests beside the date (PDU and region reach
        # referrals through borough_id and demand_unit_id).
        Index("ix_referrals_received_scope", "received_on", "borough_id", "provider_id", "contract_id",
              "hub_id", "demand_unit_id", "complexity"),
        # Whether any case-extract (or demo) referral is loaded, asked by every scorecard
        # (metrics.support.case_extract_loaded): partial, so it holds only those rows and an
        # R&M-only database answers "none" without reading every referral.
        Index("ix_referrals_case_extract_source", "source",
              sqlite_where=text("source IN ('case_extract', 'demo')"),
              postgresql_where=text("source IN ('case_extract', 'demo')")),
        # One covering index per cohort date (the event that starts a KPI's clock), holding
        # every column that cohort's measures read, so the scorecard's aggregates
        # (metrics.queries) are answered from the index without visiting table rows.
        Index(
            "ix_referrals_received_on", "received_on", "saa_first_attended_on",
            "saa_first_not_attended_on", "concluded_on",
        ),  # DS2
        Index(
            "ix_referrals_saa_first_attended_on", "saa_first_attended_on", "action_plan_submitted_on",
            "distance_tool_completed_on", "concluded_on",
        ),  # DS3, DS4
        Index(
            "ix_referrals_action_plan_approved_on", "action_plan_approved_on", "first_session_on",
            "suitable", "concluded_on",
        ),  # KP6
        Index(
            "ix_referrals_concluded_on", "concluded_on", "received_on", "eosr_submitted_on",
            "outcomes_achieved", "exit_survey_offered_on", "first_session_on", "action_plan_approved_on",
            "referral_end_state", "end_requested_by_pp_reason",
        ),  # DS5, KP5, SL002
    )


class ReferralNeed(Base):
    """A need identified for a referral (one of the 12)."""

    __tablename__ = "referral_needs"
    referral_pk: Mapped[int] = mapped_column(ForeignKey("referrals.id"), primary_key=True)
    need_code: Mapped[str] = mapped_column(ForeignKey("needs.code"), primary_key=True)


class Appointment(Base):
    __tablename__ = "appointments"
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_pk: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # assessment / delivery
    scheduled_at: Mapped[dt.datetime] = mapped_column(DateTime)  # naive UTC
    scheduled_on: Mapped[dt.date] = mapped_column(Date)  # Europe/London
    attended: Mapped[str | None] = mapped_column(String(4))  # YES / LATE / NO
    method: Mapped[str | None] = mapped_column(String(20))  # in person / phone / video
    recorded_on: Mapped[dt.date | None] = mapped_column(Date)  # KP3: attendance recorded
    shared: Mapped[bool | None] = mapped_column(Boolean)


class NeedScore(Base):
    """A distance-travelled score: one need at one stage (Decision 6: 1 high need … 5 none)."""

    __tablename__ = "need_scores"
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_pk: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    need_code: Mapped[str] = mapped_column(ForeignKey("needs.code"))
    stage: Mapped[str] = mapped_column(String(10))  # baseline / review / exit
    scored_on: Mapped[dt.date] = mapped_column(Date)
    score: Mapped[int] = mapped_column(Integer)


class RecordEvent(Base):
    """Record-keeping timeliness (KP1–KP4): when something happened and when it was recorded."""

    __tablename__ = "record_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_pk: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    #: contact (KP1), action_plan (KP2), attendance (KP3), evidence_request (KP4)
    kind: Mapped[str] = mapped_column(String(20))
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    recorded_on: Mapped[dt.date | None] = mapped_column(Date)
    shared: Mapped[bool | None] = mapped_column(Boolean)
    method: Mapped[str | None] = mapped_column(String(20))
    successful: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = (
        # Covering index for KP1–KP4 (metrics.queries): cohort = kind + occurred_on in the period.
        Index("ix_record_events_occurred_on", "occurred_on", "kind", "recorded_on", "shared", "referral_pk"),
    )


class ReferralOutcome(Base):
    __tablename__ = "referral_outcomes"
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_pk: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    need_code: Mapped[str | None] = mapped_column(ForeignKey("needs.code"))
    description: Mapped[str] = mapped_column(String(250))
    achievement: Mapped[str] = mapped_column(String(10))  # ACHIEVED / PARTLY / NOT


class OnwardReferral(Base):
    __tablename__ = "onward_referrals"
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_pk: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    service: Mapped[str] = mapped_column(String(120))
    referred_on: Mapped[dt.date] = mapped_column(Date)


# --------------------------------------------------------------------------------------------
# Derived: the per-day KPI summary (rebuilt by data_access.kpi_summary, never edited)
# --------------------------------------------------------------------------------------------


class KpiDailyCount(Base):
    """Per clock day, measure and filter dimensions: the counts the scorecard's numpy step sums.

    Written only by ``data_access.kpi_summary.refresh_kpi_summary`` from the same grouped
    queries the live scorecard runs (``data_access.measure_sql``), for the one as-of date in
    :class:`KpiSummaryState`; read by ``metrics.queries`` when that state is current. The
    dimension columns are those the sidebar filters and access scopes test, copied from the
    referral (NULL where the referral has none), with no foreign keys: the table is derived
    and must never stop reference data being edited.

    ``measure`` is DS2, DS3, DS4 or KP6 (deadline flags), ``concluded`` (DS5, KP5 and SL002
    share the cohort "concluded that day"; ``cancelled`` and ``negative_reason`` hold the end
    state and end reason already classified) or ``record_events`` (KP1–KP4, by ``event_kind``).
    A flag column a measure does not use is 0.

    ``grain`` is "dimension" for those rows, or "all" for the same counts already summed over
    every dimension (dimension columns NULL): a query with no scope or filter restriction
    reads a thirtieth as many rows. The two grains never mix in one query.
    """

    __tablename__ = "kpi_daily_counts"
    id: Mapped[int] = mapped_column(primary_key=True)
    grain: Mapped[str] = mapped_column(String(10))
    measure: Mapped[str] = mapped_column(String(16))
    day: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date] = mapped_column(Date)
    event_kind: Mapped[str | None] = mapped_column(String(20))
    cancelled: Mapped[bool | None] = mapped_column(Boolean)
    negative_reason: Mapped[bool | None] = mapped_column(Boolean)
    # The filter dimensions (data_access.scoping): a summary row answers any filter on these.
    demand_unit_id: Mapped[int | None] = mapped_column(Integer)
    borough_id: Mapped[int | None] = mapped_column(Integer)
    hub_id: Mapped[int | None] = mapped_column(Integer)
    contract_id: Mapped[int | None] = mapped_column(Integer)
    provider_id: Mapped[int | None] = mapped_column(Integer)
    complexity: Mapped[str | None] = mapped_column(String(6))
    # The counts (metrics.queries: _DEADLINE_FLAGS, _CONCLUDED_FLAGS, record-event flags).
    n: Mapped[int] = mapped_column(Integer, default=0)
    met: Mapped[int] = mapped_column(Integer, default=0)
    mitigable: Mapped[int] = mapped_column(Integer, default=0)
    ended_if_due: Mapped[int] = mapped_column(Integer, default=0)
    ended_if_not_due: Mapped[int] = mapped_column(Integer, default=0)
    same_day: Mapped[int] = mapped_column(Integer, default=0)
    positive: Mapped[int] = mapped_column(Integer, default=0)
    positive_same_day: Mapped[int] = mapped_column(Integer, default=0)
    negative_if_reason: Mapped[int] = mapped_column(Integer, default=0)
    negative_if_reason_same_day: Mapped[int] = mapped_column(Integer, default=0)
    eosr: Mapped[int] = mapped_column(Integer, default=0)
    eosr_outcome: Mapped[int] = mapped_column(Integer, default=0)
    met_shared: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_kpi_daily_counts_grain_day", "grain", "day", "measure"),)


class KpiSummaryState(Base):
    """What ``kpi_daily_counts`` holds: one row (id 1), or none when there is no summary.

    The summary answers a query only when ``as_of`` is the query's as-of date and
    ``data_version`` still equals ``data_access.kpi_summary.data_version`` of the database.
    """

    __tablename__ = "kpi_summary_state"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    as_of: Mapped[dt.date] = mapped_column(Date)
    data_version: Mapped[str] = mapped_column(String(400))
    first_day: Mapped[dt.date | None] = mapped_column(Date)
    last_day: Mapped[dt.date | None] = mapped_column(Date)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    refreshed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    seconds: Mapped[float | None] = mapped_column(Float)


# --------------------------------------------------------------------------------------------
# EPOP action plans and inspection responses
# --------------------------------------------------------------------------------------------


class EpopOutcomeCode(Base):
    """An outcome / role code as printed in the EPOP service description; our own key."""

    __tablename__ = "epop_outcome_codes"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    printed_code: Mapped[str] = mapped_column(String(40))
    group: Mapped[str] = mapped_column(String(80))
    level: Mapped[str] = mapped_column(String(40))
    section: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(Text)


class EpopAnnex2Expectation(Base):
    __tablename__ = "epop_annex2_expectations"
    id: Mapped[int] = mapped_column(primary_key=True)
    dimension: Mapped[str] = mapped_column(String(20))  # Capability / Opportunity / Motivation
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    expectation: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("dimension", "year", "seq"),)


class EpopStandard(Base):
    """Service User Involvement Standards of Excellence (1.1 … 3.3)."""

    __tablename__ = "epop_standards"
    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    title: Mapped[str] = mapped_column(Text)


class EpopPlan(Base):
    """An action plan: a region's, the Approved Premises plan, national, or an inspection response."""

    __tablename__ = "epop_plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))  # region / approved_premises / national / inspection
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    commencement_date: Mapped[dt.date | None] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    submitted_on: Mapped[dt.date | None] = mapped_column(Date)
    agreed_by_region_on: Mapped[dt.date | None] = mapped_column(Date)
    agreed_centrally_on: Mapped[dt.date | None] = mapped_column(Date)
    #: Annex 2 year the region started at ("region's maturity"): 0 = starts at year 1.
    annex2_year_offset: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(20), default="demo")


class InspectionRecommendation(Base):
    __tablename__ = "inspection_recommendations"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("epop_plans.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    response: Mapped[str | None] = mapped_column(String(20))  # Agreed / Partly Agreed / Not Agreed


class EpopAction(Base):
    __tablename__ = "epop_actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("epop_plans.id"), index=True)
    printed_code: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    com_b: Mapped[str | None] = mapped_column(String(12))  # capability / opportunity / motivation
    owner_role: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    #: not started / in progress / complete / blocked / dropped (Decision 7)
    status: Mapped[str] = mapped_column(String(12), default="not started")
    recommendation_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_recommendations.id"))
    target_date_raw: Mapped[str | None] = mapped_column(String(120))
    snapshot: Mapped[str | None] = mapped_column(String(40))
    #: Optimistic concurrency: an update must name the version it was made against.
    version: Mapped[int] = mapped_column(Integer, default=1)


class EpopActionOutcome(Base):
    __tablename__ = "epop_action_outcomes"
    action_id: Mapped[int] = mapped_column(ForeignKey("epop_actions.id"), primary_key=True)
    outcome_key: Mapped[str] = mapped_column(ForeignKey("epop_outcome_codes.key"), primary_key=True)


class EpopActionUpdate(Base):
    """A dated progress update; never deleted, only superseded by a later one."""

    __tablename__ = "epop_action_updates"
    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("epop_actions.id"), index=True)
    author: Mapped[str] = mapped_column(String(60))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    status: Mapped[str] = mapped_column(String(12))
    percent_complete: Mapped[int | None] = mapped_column(Integer)
    narrative: Mapped[str | None] = mapped_column(Text)
    evidence_link: Mapped[str | None] = mapped_column(String(400))


class EpopAnnex2Coverage(Base):
    """Whether a plan covers an Annex 2 expectation, as of a date."""

    __tablename__ = "epop_annex2_coverage"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("epop_plans.id"), index=True)
    expectation_id: Mapped[int] = mapped_column(ForeignKey("epop_annex2_expectations.id"))
    status: Mapped[str] = mapped_column(String(12))  # not started / in progress / met
    assessed_on: Mapped[dt.date] = mapped_column(Date)


class EpopStandardAssessment(Base):
    """A region's self-assessment against a Standard of Excellence (no scale is given: text)."""

    __tablename__ = "epop_standard_assessments"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("epop_plans.id"), index=True)
    standard_code: Mapped[str] = mapped_column(ForeignKey("epop_standards.code"))
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    rating: Mapped[str] = mapped_column(String(30))
    narrative: Mapped[str | None] = mapped_column(Text)


class EpopSession(Base):
    """An engagement session (EPOP-15 record fields: date, location, length, attendance)."""

    __tablename__ = "epop_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("epop_plans.id"), index=True)
    held_on: Mapped[dt.date] = mapped_column(Date)
    location: Mapped[str | None] = mapped_column(String(120))
    length_minutes: Mapped[int | None] = mapped_column(Integer)
    staff_present: Mapped[int | None] = mapped_column(Integer)
    attendees: Mapped[int] = mapped_column(Integer)
    attendees_women: Mapped[int | None] = mapped_column(Integer)
    attendees_men: Mapped[int | None] = mapped_column(Integer)
    attendees_other_or_unknown: Mapped[int | None] = mapped_column(Integer)


# --------------------------------------------------------------------------------------------
# Users, imports, audit
# --------------------------------------------------------------------------------------------


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(160))
    password_hash: Mapped[str] = mapped_column(String(100))  # bcrypt
    #: commissioner / provider / epop_spoc / epop_national / admin
    role: Mapped[str] = mapped_column(String(20))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Raised by sign-out, a password change or disabling the account: every sign-in cookie and
    #: session issued with an older value stops working on its next run (issue 14).
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The user's latest activity (written at most once a minute): a cookie of someone idle for
    #: longer than the idle timeout is refused.
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class SignInThrottle(Base):
    """Failed sign-ins counted per username and per address, whether or not the user exists
    (so the answer never tells which usernames exist). An attempt is counted before its password
    is checked, in one conditional update, so simultaneous guesses are counted too; after
    ``max_failed`` the next attempt waits a delay that doubles with each further failure, up to a
    cap: never a lock that someone else can hold indefinitely (data_access/accounts.py)."""

    __tablename__ = "sign_in_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # "user:<name>" / "address:<ip>"
    failures: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: Bumped by every change: the compare-and-set that makes counting atomic on both databases.
    revision: Mapped[int] = mapped_column(Integer, default=0)


class ImportBatch(Base):
    __tablename__ = "import_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # ram-performance / case-extract / epop-plan / demo
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    imported_by: Mapped[str] = mapped_column(String(60))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(12), default="running")  # running / done / failed / undone
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_inserted: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # What a Refer and Monitor download covers (issue 13 part 6): the first and last London
    # date of ``date_referral_received`` among its rows (R&M cuts a download by the date a
    # referral was sent), and the latest event timestamp it holds (naive UTC), a lower bound
    # on when it was downloaded. Null for other kinds and for batches imported before.
    received_from: Mapped[dt.date | None] = mapped_column(Date)
    received_to: Mapped[dt.date | None] = mapped_column(Date)
    data_as_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class UnrecordedFirstSession(Base):
    """A Refer and Monitor download that held an ended referral with no attended session.

    R&M's ``date_of_first_attended_session`` is the appointment's time, recorded only when the
    attendance is fed back, so a later download can show a session dated before an earlier
    download was made. A download made after SL002's official cut that still had no session
    proves the session was recorded after the cut (``metrics.official``, DOMAIN.md Decision 10).
    Written by the R&M importer, one row per such referral per batch; undone with its batch.
    """

    __tablename__ = "unrecorded_first_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    import_batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    referral_id: Mapped[str] = mapped_column(String(40), index=True)


class ImportChange(Base):
    """What an import batch changed, so the batch can be undone: inserted keys, prior values."""

    __tablename__ = "import_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    table_name: Mapped[str] = mapped_column(String(60))
    row_pk: Mapped[str] = mapped_column(String(60))
    operation: Mapped[str] = mapped_column(String(10))  # insert / update
    before: Mapped[str | None] = mapped_column(Text)  # JSON of the row before an update


class AuditLog(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(60))
    detail: Mapped[str | None] = mapped_column(Text)  # JSON


class BoardCommentary(Base):
    """Commentary, new learning and early warnings entered for a board period and scope (issue
    16; GMIRS spec §3.2: the quarterly report gives "success, gaps, new learning, and
    opportunities" and early warnings). Dated and signed by its author; the packs for the same
    period and scope print it. ``scope_label`` is the pack's filter line, so the page and the
    pack name the same view the same way."""

    __tablename__ = "board_commentary"
    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[dt.date] = mapped_column(Date, index=True)
    period_end: Mapped[dt.date] = mapped_column(Date)
    scope_label: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))  # commentary | learning | early_warning
    text: Mapped[str] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(120))
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    author: Mapped[str] = mapped_column(String(60))
    entered_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)


class DatasetMeta(Base):
    """Key/value facts about the loaded data (e.g. whether it is demo data)."""

    __tablename__ = "dataset_meta"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
