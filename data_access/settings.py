"""One settings object for the whole product.

Values come from the environment (``DASHBOARD_*``), with defaults that make a fresh clone
run on an embedded SQLite file under ``data/``. Secrets (the sign-in cookie key) come from
the environment or ``.streamlit/secrets.toml``; never from git.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from geo.pdu_sets import DEFAULT_GM_PDU_CHANGE_DATE

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


def _env_date(name: str, default: dt.date) -> dt.date:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError as exc:
        raise ValueError(f"{name} must be a date (YYYY-MM-DD), got {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_optional_bool(name: str) -> bool | None:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    return _env_bool(name, False)


def is_sqlite_url(url: str) -> bool:
    return url.strip().lower().startswith("sqlite")


@dataclass(frozen=True)
class Settings:
    """Everything configurable, read once from the environment."""

    database_url: str = field(default_factory=default_database_url)
    #: Counts from 1 to ``suppression_threshold - 1`` are shown as ``[c]`` (DOMAIN.md: 1–4).
    suppression_threshold: int = 5
    #: A rate whose denominator is below this is not shown (DOMAIN.md: under 10).
    minimum_rate_denominator: int = 10
    #: DASHBOARD_SEED_DEMO as the operator set it: True (1), False (0) or None (not set).
    #: Use :meth:`demo_requested`, which decides the unset case.
    seed_demo_on_first_run: bool | None = None
    demo_referrals: int = 10_000
    #: Which bound of the published 40–60% band is DS1's monthly target (Decision 2).
    ds1_forecast_bound: str = "low"
    #: Days in the period the published forecast covers (Decision 1: annual, pro-rated by days).
    forecast_period_days: int = 365
    #: Distance-travelled scale (Decision 6): 1 = high need … 5 = no need.
    distance_scale_min: int = 1
    distance_scale_max: int = 5
    #: First day of Greater Manchester's eight PDUs (Salford and Trafford; Stockport and
    #: Tameside). No public source states the day it took effect (assets/reference/README.md:
    #: the default is the day HMPPS's probation estate service was reconfigured), so it is a setting;
    #: ``python -m data_access init`` writes it into the dated crosswalk (geo.pdu_sets).
    gm_pdu_change_date: dt.date = DEFAULT_GM_PDU_CHANGE_DATE
    #: Basemap for maps; off by default because the dashboard must work with no internet.
    map_basemap: bool = False
    cookie_key: str | None = None
    #: Secret key of the caseworker pseudonyms (HMAC-SHA-256, ``data_access.pseudonyms``).
    #: Unset: a random key is made once and kept in the database (``dataset_meta``).
    pseudonym_key: str | None = None
    cookie_expiry_days: float = 1.0
    #: Failed sign-ins per username before the first delay (issue 14: a growing delay, not a lock).
    max_failed_sign_ins: int = 5
    #: Failed sign-ins per client address before its first delay.
    max_failed_sign_ins_per_address: int = 20
    #: The first delay; it doubles with each further failure …
    sign_in_delay_seconds: int = 30
    #: … up to this longest delay.
    sign_in_lockout_seconds: int = 900
    #: Failures older than this are forgotten.
    sign_in_window_seconds: int = 86_400
    #: A signed-in session (and its cookie) with no activity for this long must sign in again.
    idle_timeout_minutes: int = 60
    #: Sign-in cookie "Secure": None = when the request came over HTTPS (directly or per the
    #: proxy's X-Forwarded-Proto); True/False to force (DASHBOARD_COOKIE_SECURE).
    cookie_secure: bool | None = None
    #: Proxies in front of the app that append to X-Forwarded-For (0: use the socket's address).
    trusted_proxy_hops: int = 0

    #: An organisation's PowerPoint template (.potx or .pptx) the board packs are built on;
    #: None: python-pptx's plain default template, set to 16:9.
    pack_template: str | None = None
    #: The dashboard's address (e.g. https://dashboard.example.gov.uk/): evidence links in the
    #: packs become real hyperlinks to the page; None: printed as the page and query.
    base_url: str | None = None
    #: Where people report an accessibility problem (an email address or web page), shown on the
    #: accessibility statement; None: the statement says to ask the dashboard's administrator.
    accessibility_contact: str | None = None

    def demo_requested(self, *, cookie_key_configured: bool) -> bool:
        """Whether the operator asked for the demo (demo data and demo accounts) on first run.

        An explicit DASHBOARD_SEED_DEMO decides. Unset, only the two-command local run asks for it:
        an embedded SQLite file and no real cookie key. A PostgreSQL URL or a configured cookie key
        says "this is a real deployment", and a real deployment never gets invented referrals or
        the demo accounts (whose password is printed in the README) by default.
        """
        if self.seed_demo_on_first_run is not None:
            return self.seed_demo_on_first_run
        return is_sqlite_url(self.database_url) and not cookie_key_configured

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
            seed_demo_on_first_run=_env_optional_bool("DASHBOARD_SEED_DEMO"),
            demo_referrals=_env_int("DASHBOARD_DEMO_REFERRALS", base.demo_referrals),
            ds1_forecast_bound=bound,
            forecast_period_days=_env_int("DASHBOARD_FORECAST_PERIOD_DAYS", base.forecast_period_days),
            gm_pdu_change_date=_env_date("DASHBOARD_GM_PDU_CHANGE_DATE", base.gm_pdu_change_date),
            map_basemap=_env_bool("DASHBOARD_MAP_BASEMAP", base.map_basemap),
            cookie_key=os.environ.get("DASHBOARD_COOKIE_KEY") or None,
            pseudonym_key=os.environ.get("DASHBOARD_PSEUDONYM_KEY") or None,
            max_failed_sign_ins=_env_int("DASHBOARD_MAX_FAILED_SIGN_INS", base.max_failed_sign_ins),
            sign_in_lockout_seconds=_env_int(
                "DASHBOARD_SIGN_IN_LOCKOUT_SECONDS", base.sign_in_lockout_seconds
            ),
            max_failed_sign_ins_per_address=_env_int(
                "DASHBOARD_MAX_FAILED_SIGN_INS_PER_ADDRESS", base.max_failed_sign_ins_per_address
            ),
            sign_in_delay_seconds=_env_int("DASHBOARD_SIGN_IN_DELAY_SECONDS", base.sign_in_delay_seconds),
            sign_in_window_seconds=_env_int("DASHBOARD_SIGN_IN_WINDOW_SECONDS", base.sign_in_window_seconds),
            idle_timeout_minutes=_env_int("DASHBOARD_IDLE_TIMEOUT_MINUTES", base.idle_timeout_minutes),
            cookie_secure=_env_optional_bool("DASHBOARD_COOKIE_SECURE"),
            trusted_proxy_hops=_env_int("DASHBOARD_TRUSTED_PROXY_HOPS", base.trusted_proxy_hops),
            pack_template=os.environ.get("DASHBOARD_PACK_TEMPLATE") or None,
            base_url=os.environ.get("DASHBOARD_BASE_URL") or None,
            accessibility_contact=os.environ.get("DASHBOARD_ACCESSIBILITY_CONTACT") or None,
        )
