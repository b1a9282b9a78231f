"""The settings that change a figure, read in one place for pages, packs and the CLI.

Pages (``ui.panel_data``), packs (``reports.pack_data``) and ``python -m metrics scorecard``
all build their figures from :func:`figure_settings`, so an admin's change reaches every
output at once. They are held in the database, where an admin changes them (audited, so
cached figures are recomputed): the forecast period (Decision 1) on the forecast rows
(``data_access.admin.set_forecast_period``); the DS1 bound (Decision 2), the suppression
threshold, the minimum rate denominator and the distance-travelled scale (Decision 6) in
``figure_settings`` (``data_access.admin.set_figure_setting``), with the SPC rule set and run
length (Decision 11); and the SPC rebases an admin recorded at a known process change
(``spc_rebases``, :func:`spc_rebases`). A setting an admin has not set keeps the deployment's
value (``DASHBOARD_*``, ``data_access.settings.Settings``); the SPC settings default to Making
Data Count 2023 with runs of 7.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from data_access.models import FigureSetting, Forecast, SpcRebase
from data_access.settings import Settings


@dataclass(frozen=True)
class FigureSettings:
    """Every setting a figure depends on (and nothing else: no secrets, no URLs)."""

    suppression_threshold: int = 5
    minimum_rate_denominator: int = 10
    ds1_bound: str = "low"
    forecast_period_days: int = 365
    distance_scale: tuple[int, int] = (1, 5)
    #: SPC rule set (a key of ``metrics.spc.RULE_SETS``) and run length for shifts and trends.
    spc_rule_set: str = "mdc-2023"
    spc_run_length: int = 7


#: The SPC rule sets an admin may choose (``metrics.spc.RULE_SETS``' keys; this layer sits below
#: ``metrics``, and ``tests/unit/test_spc_settings.py`` keeps the two the same).
SPC_RULE_SETS = ("mdc-2023", "nhsr-0.2.2")
#: Run lengths for a shift or trend: 7 (NHSRplotthedots, MDC today) or 6 (the older MDC Excel tool).
SPC_RUN_LENGTHS = (7, 6)


@dataclass(frozen=True)
class Rebase:
    """An SPC rebase an admin recorded at a known process change: from the first month on or
    after ``on``, a measure's chart (``code``; None = every measure) gets a new mean and limits."""

    code: str | None
    on: dt.date
    reason: str


def spc_rebases(db) -> tuple[Rebase, ...]:
    """Every recorded SPC rebase, oldest first (pages, packs and the CLI read them here)."""
    rows = db.execute(select(SpcRebase.kpi_code, SpcRebase.rebase_on, SpcRebase.reason)
                      .order_by(SpcRebase.rebase_on, SpcRebase.id)).all()
    return tuple(Rebase(code, on, reason) for code, on, reason in rows)


def forecast_period_days(db, default: int = 365) -> int:
    """Days the published forecast covers (Decision 1), as an admin set it on the forecasts.

    The admin form sets one period for every forecast row; while rows disagree (a partial
    import) the configured default stands and each band is still restated by its own row.
    """
    values = db.execute(select(Forecast.period_days).distinct()).scalars().all()
    return int(values[0]) if len(values) == 1 and values[0] else default


#: Settings an admin may set in ``figure_settings``: name → (kind, check, what the check says).
EDITABLE: dict[str, tuple[type, object, str]] = {
    "ds1_bound": (str, lambda v: v in ("low", "mid", "high"), "one of low, mid, high"),
    # DOMAIN.md: counts 1–4 are hidden (threshold 5); "commonly under 10, or under 5".
    "suppression_threshold": (int, lambda v: 2 <= v <= 20, "a whole number from 2 to 20"),
    "minimum_rate_denominator": (int, lambda v: 1 <= v <= 100, "a whole number from 1 to 100"),
    "distance_scale_min": (int, lambda v: 0 <= v <= 10, "a whole number from 0 to 10"),
    "distance_scale_max": (int, lambda v: 1 <= v <= 20, "a whole number from 1 to 20"),
    # Decision 11: which SPC rules the charts follow, named under every chart.
    "spc_rule_set": (str, lambda v: v in SPC_RULE_SETS, "one of " + ", ".join(SPC_RULE_SETS)),
    "spc_run_length": (int, lambda v: v in SPC_RUN_LENGTHS, "6 or 7"),
}


def stored_settings(db) -> dict[str, object]:
    """The figure settings an admin has set, by name, as their kind (int or str)."""
    rows = db.execute(select(FigureSetting.name, FigureSetting.value)).all()
    return {name: EDITABLE[name][0](value) for name, value in rows if name in EDITABLE}


def figure_settings(db, settings: Settings) -> FigureSettings:
    """The figure settings in force: an admin's, from the database, else the deployment's."""
    stored = stored_settings(db)
    return FigureSettings(
        suppression_threshold=stored.get("suppression_threshold", settings.suppression_threshold),
        minimum_rate_denominator=stored.get("minimum_rate_denominator", settings.minimum_rate_denominator),
        ds1_bound=stored.get("ds1_bound", settings.ds1_forecast_bound),
        forecast_period_days=forecast_period_days(db, settings.forecast_period_days),
        distance_scale=(stored.get("distance_scale_min", settings.distance_scale_min),
                        stored.get("distance_scale_max", settings.distance_scale_max)),
        spc_rule_set=stored.get("spc_rule_set", FigureSettings.spc_rule_set),
        spc_run_length=stored.get("spc_run_length", FigureSettings.spc_run_length),
    )
