"""One settings object for the whole product.

Values come from the environment (``DASHBOARD_*``), with defaults that make a fresh clone
run on an embedded SQLite file under ``data/``. Secrets (the sign-in cookie key) come from
the environment or ``.streamlit/secrets.toml``; never from git.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = PROJECT_ROOT / "assets"
REFERENCE_DIR = ASSETS_DIR / "reference"
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"

#: Cookie key used only when the database holds demo data (documented in the README).
DEMO_COOKIE_KEY = "demo-only-cookie-key-not-for-production-use-000000"


def default_database_url() -> str:
    return f"sqlite:///{DEFAULT_DATA_DIR / 'dashboard.db'}"


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything configurable, read once from the environment."""

    database_url: str = field(default_factory=default_database_url)
    #: Counts from 1 to ``suppression_threshold - 1`` are shown as ``[c]`` (DOMAIN.md: 1–4).
    suppression_threshold: int = 5
    #: A rate whose denominator is below this is not shown (DOMAIN.md: under 10).
    minimum_rate_denominator: int = 10
    #: Seed demo data into an empty database on first run of the app.
    seed_demo_on_first_run: bool = True
    demo_referrals: int = 10_000
    #: Which bound of the published 40–60% band is DS1's monthly target (Decision 2).
    ds1_forecast_bound: str = "low"
    #: Days in the period the published forecast covers (Decision 1: annual, pro-rated by days).
    forecast_period_days: int = 365
    #: Distance-travelled scale (Decision 6): 1 = high need … 5 = no need.
    distance_scale_min: int = 1
    distance_scale_max: int = 5
    #: Basemap for maps; off by default because the dashboard must work with no internet.
    map_basemap: bool = False
    cookie_key: str | None = None
    cookie_expiry_days: float = 1.0
    max_failed_sign_ins: int = 5
    sign_in_lockout_seconds: int = 300
    #: An organisation's PowerPoint template (.potx or .pptx) the board packs are built on;
    #: None: python-pptx's plain default template, set to 16:9.
    pack_template: str | None = None
    #: The dashboard's address (e.g. https://dashboard.example.gov.uk/): evidence links in the
    #: packs become real hyperlinks to the page; None: printed as the page and query.
    base_url: str | None = None

    @classmethod
    def from_env(cls) -> "Settings":
        base = cls()
        bound = os.environ.get("DASHBOARD_DS1_FORECAST_BOUND", base.ds1_forecast_bound).strip().lower()
        if bound not in {"low", "high", "mid"}:
            raise ValueError("DASHBOARD_DS1_FORECAST_BOUND must be one of low, mid, high")
        return cls(
            database_url=os.environ.get("DASHBOARD_DATABASE_URL") or base.database_url,
            suppression_threshold=_env_int("DASHBOARD_SUPPRESSION_THRESHOLD", base.suppression_threshold),
            minimum_rate_denominator=_env_int(
                "DASHBOARD_MINIMUM_RATE_DENOMINATOR", base.minimum_rate_denominator
            ),
            seed_demo_on_first_run=_env_bool("DASHBOARD_SEED_DEMO", base.seed_demo_on_first_run),
            demo_referrals=_env_int("DASHBOARD_DEMO_REFERRALS", base.demo_referrals),
            ds1_forecast_bound=bound,
            forecast_period_days=_env_int("DASHBOARD_FORECAST_PERIOD_DAYS", base.forecast_period_days),
            map_basemap=_env_bool("DASHBOARD_MAP_BASEMAP", base.map_basemap),
            cookie_key=os.environ.get("DASHBOARD_COOKIE_KEY") or None,
            max_failed_sign_ins=_env_int("DASHBOARD_MAX_FAILED_SIGN_INS", base.max_failed_sign_ins),
            sign_in_lockout_seconds=_env_int(
                "DASHBOARD_SIGN_IN_LOCKOUT_SECONDS", base.sign_in_lockout_seconds
            ),
            pack_template=os.environ.get("DASHBOARD_PACK_TEMPLATE") or None,
            base_url=os.environ.get("DASHBOARD_BASE_URL") or None,
        )
