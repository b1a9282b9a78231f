"""The settings that change a figure, read in one place for pages, packs and the CLI.

Pages (``ui.panel_data``), packs (``reports.pack_data``) and ``python -m metrics scorecard``
all build their figures from :func:`figure_settings`, so an admin's change reaches every
output at once. The forecast period (Decision 1) is held in the database, on the forecast
rows, where an admin sets it (``data_access.admin.set_forecast_period``); the DS1 bound
(Decision 2), the suppression threshold and the distance-travelled scale (Decision 6) come
from the deployment's environment (``data_access.settings.Settings``) until they too have an
admin form.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from data_access.models import Forecast
from data_access.settings import Settings


@dataclass(frozen=True)
class FigureSettings:
    """Every setting a figure depends on (and nothing else: no secrets, no URLs)."""

    suppression_threshold: int = 5
    minimum_rate_denominator: int = 10
    ds1_bound: str = "low"
    forecast_period_days: int = 365
    distance_scale: tuple[int, int] = (1, 5)


def forecast_period_days(db, default: int = 365) -> int:
    """Days the published forecast covers (Decision 1), as an admin set it on the forecasts.

    The admin form sets one period for every forecast row; while rows disagree (a partial
    import) the configured default stands and each band is still restated by its own row.
    """
    values = db.execute(select(Forecast.period_days).distinct()).scalars().all()
    return int(values[0]) if len(values) == 1 and values[0] else default


def figure_settings(db, settings: Settings) -> FigureSettings:
    """The figure settings in force: the database's where an admin can change them, else the
    environment's."""
    return FigureSettings(
        suppression_threshold=settings.suppression_threshold,
        minimum_rate_denominator=settings.minimum_rate_denominator,
        ds1_bound=settings.ds1_forecast_bound,
        forecast_period_days=forecast_period_days(db, settings.forecast_period_days),
        distance_scale=(settings.distance_scale_min, settings.distance_scale_max),
    )
