"""Small frozen result types shared by the measures, and the status-against-target rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["met", "below target", "below trigger", "no data", "no target"]


def percentage(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator × 100``, or ``None`` (not 0) when the denominator is 0."""
    if denominator == 0:
        return None
    return 100.0 * numerator / denominator


def status_against_target(
    value: float | None, target: float | None, trigger: float | None = None
) -> Status:
    """DOMAIN.md "Status against target".

    met when value ≥ target; below trigger when a trigger exists and value < trigger;
    otherwise below target; no data when there is no value (denominator 0). A measure with
    no target set reports "no target" rather than pretending to be met.
    """
    if value is None:
        return "no data"
    if target is None:
        return "no target"
    # Compare with a tolerance so 95.0000000001 / 94.99999999 float noise does not flip it.
    if value >= target - 1e-9:
        return "met"
    if trigger is not None and value < trigger - 1e-9:
        return "below trigger"
    return "below target"


@dataclass(frozen=True)
class MeasureOutcome:
    """Per-case arrays behind a result, so a monthly series bins one computation.

    ``clock`` is the date that places each case in a period (the cohort event); ``counted``
    and ``met`` are the denominator and numerator masks.
    """

    clock: Any
    counted: Any
    met: Any


@dataclass(frozen=True)
class KpiResult:
    """One measure for one period and scope.

    ``case_ids`` are the referral references in the denominator (drill-down, for authorised
    users only); ``numerator_case_ids`` those counted as met; ``excluded_case_ids`` those left
    out by an exclusion rule (ended before the deadline, SL002 neutral, cancelled on the day).
    They are ``None`` when the caller did not ask for case ids.
    """

    code: str
    title: str
    numerator: int | float
    denominator: int | float
    value: float | None
    target: float | None
    trigger: float | None
    status: Status
    definition: str
    mitigated: int | None = None
    excluded: int = 0
    not_yet_due: int = 0
    case_ids: tuple[str, ...] | None = None
    numerator_case_ids: tuple[str, ...] | None = None
    excluded_case_ids: tuple[str, ...] | None = None
    note: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    outcome: MeasureOutcome | None = field(default=None, repr=False, compare=False)

    def as_dict(self, *, with_case_ids: bool = False) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "outcome"}
        if not with_case_ids:
            for key in ("case_ids", "numerator_case_ids", "excluded_case_ids"):
                data.pop(key)
        return data

    @classmethod
    def for_definition(cls, definition, *, numerator: int | float, denominator: int | float, **details) -> "KpiResult":
        """A result worded and judged by ``definition``: value = numerator ÷ denominator × 100
        (no value when the denominator is 0) and its status against target and trigger."""
        value = percentage(numerator, denominator)
        return cls(
            code=definition.code,
            title=definition.title,
            numerator=numerator,
            denominator=denominator,
            value=value,
            target=definition.target,
            trigger=definition.trigger,
            status=status_against_target(value, definition.target, definition.trigger),
            definition=definition.definition,
            **details,
        )
