"""Warm a replica before it takes traffic, and say when it is ready.

A new server process has imported nothing and cached nothing: its first visitors wait while it
imports the pages' libraries (plotly, pydeck, scipy, pandas; ~2 s) and computes each view's
panels, and when twenty people open the board's link at once they all wait on that. ``serve.py``
runs :func:`warm_up` in a background thread as the server starts and answers ``GET /api/ready``
with 503 until it has finished, so a load balancer sends people to a replica only once it is warm.

The warm-up:

1. imports every module a page imports (read from the page files, so a new page is covered),
   except those that declare a custom component (IMPORTED_IN_A_PAGE_RUN);
2. opens the database through the same cached engine the pages use (creating and seeding it on
   a first run);
3. for every distinct access scope of the active users (role, provider, region: what the panel
   cache is keyed on, so colleagues share it), computes the panels each page the role may use
   shows on its first view, at the default filters (all areas, the latest quarter), into the
   same cache the pages read;
4. then keeps the replica warm: when the data version changes (an import, an undo or an audited
   edit, on any replica), it computes the new version's first views the same way.

:func:`first_views` mirrors what each page computes on first view; ``tests/app/test_warm_up.py``
opens every page after a warm-up and fails if any of them still had to compute a panel.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import importlib.util
import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, select

from data_access.db import session_scope
from data_access.models import User
from data_access.scoping import AccessScope, ReferralFilters, scope_for_user
from data_access.settings import PROJECT_ROOT, Settings
from ui import navigation

LOG = logging.getLogger(__name__)

#: Filter labels of the default view, as the sidebar reports them (for captions; not in cache keys).
DEFAULT_FILTER_LABELS = {"Region": "All", "PDU": "All", "Borough": "All", "Hub": "All", "Contract": "All",
                         "Complexity": "All"}


@dataclasses.dataclass
class Readiness:
    """The warm-up's progress, read by the readiness endpoint (one per process)."""

    state: str = "starting"  # starting, warming, ready, failed
    started: float | None = None
    seconds: float | None = None
    scopes: int = 0  # access scopes warmed so far
    panels: int = 0  # panel views warmed (a panel two pages show counts twice; computed once)
    error: str | None = None
    version: str | None = None  # the data version warmed last
    rewarms: int = 0  # times the data changed and was warmed again
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)

    def update(self, **changes) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self, name, value)

    def as_dict(self) -> dict:
        with self._lock:
            return {"ready": self.state == "ready", "state": self.state, "seconds": self.seconds,
                    "scopes": self.scopes, "panels": self.panels, "rewarms": self.rewarms, "error": self.error}


readiness = Readiness()


def page_imports() -> list[str]:
    """Every module imported by ``app.py`` or a page file (read from the files, not run)."""
    files = [PROJECT_ROOT / "app.py", *(PROJECT_ROOT / spec.path for spec in navigation.PAGES)]
    modules: list[str] = []
    for path in files:
        if not path.exists():
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                modules.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.append(node.module)
                # ``from metrics import panels``: the name may be a module of its own
                modules.extend(f"{node.module}.{alias.name}" for alias in node.names
                               if _is_module(f"{node.module}.{alias.name}"))
    return sorted(set(modules) - {"__future__"})


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # the parent is a module, not a package
        return False


#: Modules left for the first page run to import: a Streamlit custom component is registered
#: only if it is declared inside a page run, so importing the sign-in's cookie component
#: (extra-streamlit-components, via streamlit-authenticator) here would leave it unregistered
#: for the life of the process (its files answer 404 and no sign-in cookie is ever stored).
IMPORTED_IN_A_PAGE_RUN = frozenset({"ui.auth"})


def import_page_libraries() -> int:
    """Import what the pages import (but IMPORTED_IN_A_PAGE_RUN); returns how many modules."""
    names = [name for name in page_imports() if name not in IMPORTED_IN_A_PAGE_RUN]
    for name in names:
        importlib.import_module(name)
    return len(names)


def active_scopes(engine: Engine) -> list[AccessScope]:
    """One scope per distinct (role, provider, region) of the active users who see referral data,
    without usernames (as panel caches are keyed), most common first."""
    from ui.panel_data import shared_scope

    with session_scope(engine) as session:
        users = session.scalars(select(User).where(User.active.is_(True))).all()
        scopes = [scope_for_user(user) for user in users]
    counts: dict[AccessScope, int] = {}
    for scope in scopes:
        if scope.sees_referrals:
            shared = shared_scope(scope)
            counts[shared] = counts.get(shared, 0) + 1
    return sorted(counts, key=lambda s: (-counts[s], s.role, s.provider_id or 0, s.region_code or ""))


def first_views(scope: AccessScope, url_paths: set[str]) -> list[tuple[str, Callable[..., list[tuple]]]]:
    """What each page in ``url_paths`` computes on its first view, as (page, views) where
    ``views(ctx)`` lists (panel function, options). A page's later views (another filter, another
    tab) are computed when someone asks for them."""
    from metrics import panels

    def overview(ctx):
        at_risk = [(panels.cases_at_risk, {})] if ctx.scope.role == "provider" else []
        return [(panels.headline, {}), *at_risk, (panels.monthly_against_expectation, {})]

    def board(ctx):
        return [(panels.period_scorecard, {}), (panels.spc_charts, {}), (panels.figures, {}),
                (panels.extension_readiness, {}), (panels.what_changed, {}),
                (panels.forecast_bands, {"by": "borough"}), (panels.complexity_mix, {}), _distance(ctx)]

    def kpis(ctx):
        from ui.panel_data import panel_data

        views = [(panels.cases_at_risk, {})] if ctx.scope.sees_case_ids else []
        card = panel_data(ctx, panels.scorecard_panel)
        drill = [(panels.kpi_cases, {"code": card.extra["drill_codes"][0]})] if card.extra["drill_codes"] else []
        return [*views, (panels.scorecard_panel, {}), (panels.sl002_official_panel, {}),
                (panels.sl002_end_reason_decision, {}), *drill, (panels.spc_charts, {}), (panels.figures, {})]

    def cases_due(ctx):
        return [(panels.cases_due, {"lookback_working_days": 20}), (panels.sl002_projection, {}),
                (panels.measures_by_hub, {})]

    def referrals(ctx):
        return [(panels.figures, {}), (panels.forecast_bands, {"by": "borough"}), (panels.monthly_against_expectation, {}),
                (panels.referral_sources, {})]

    def complexity(ctx):
        return [(panels.complexity_mix, {}), (panels.complexity_over_time, {}), (panels.complexity_by_borough, {})]

    def outcomes(ctx):
        return [_distance(ctx), (panels.journey, {})]

    def equalities(ctx):
        outcome = next(iter(panels.EQUALITY_OUTCOMES))
        return [(panels.equality_rates, {"strand": strand, "outcome": outcome}) for strand in panels.EQUALITY_STRANDS]

    def finance(ctx):
        return [(panels.spend_against_funding, {})]

    def data_quality(ctx):
        if ctx.scope.role == "provider":  # a provider's import lists are its own user's: not shared
            return [(panels.field_completeness, {}), (panels.sl002_ends_at_sentence_expiry, {}),
                    (panels.record_keeping, {})]
        return [(panels.import_freshness, {"imported_by": None}), (panels.ram_download_windows, {"imported_by": None}),
                (panels.sl002_coverage, {"imported_by": None}), (panels.field_completeness, {}),
                (panels.sl002_ends_at_sentence_expiry, {}), (panels.record_keeping, {}),
                (panels.last_imports, {"imported_by": None})]

    def compare(ctx):
        first = panels.COMPARE_FIRST_VIEW
        return [(panels.compare_areas_panel, dict(first)), (panels.compare_matrix_panel, {"by": first["by"]})]

    def _distance(ctx):
        by = next(iter(panels.BREAKDOWNS))
        return (panels.distance_travelled, {"by": by})  # the scale comes with the view's inputs

    pages = {"overview": overview, "board": board, "kpis": kpis, "cases-due": cases_due, "referrals": referrals,
             "complexity": complexity, "outcomes": outcomes, "equalities": equalities, "finance": finance,
             "data-quality": data_quality, "compare": compare}
    return [(page, views) for page, views in pages.items() if page in url_paths and scope.sees_referrals]


def warm_scope(engine: Engine, settings: Settings, scope: AccessScope) -> int:
    """Compute ``scope``'s first views into the shared panel cache; returns how many panels."""
    from ui.context import PageContext, SignedInUser, data_as_of, data_version
    from ui.filters import default_period
    from ui.panel_data import panel_data

    version = data_version(engine, settings.database_url)
    as_of = data_as_of(engine, settings.database_url, version)
    if as_of is None:
        return 0  # no referral data: the pages say so and compute nothing
    user = SignedInUser(username="", display_name="warm-up", role=scope.role, provider_id=scope.provider_id,
                        region_code=scope.region_code)
    ctx = PageContext(engine=engine, settings=settings, user=user, scope=scope,
                      filters=ReferralFilters(extra=dict(DEFAULT_FILTER_LABELS)), period=default_period(as_of),
                      as_of=as_of, data_version=version)
    url_paths = {spec.url_path for specs in navigation.pages_for(scope.role).values() for spec in specs}
    count = 0
    for _page, views in first_views(scope, url_paths):
        for compute, options in views(ctx):
            panel_data(ctx, compute, **options)
            count += 1
    return count


def _warm_reach(engine: Engine) -> None:
    """The open hubs' reach, as saving or importing hubs works it out (for a replica that
    starts on a database whose hubs were saved by another process)."""
    from data_access.db import session_scope
    from data_access.map_data import open_hub_positions
    from geo.reach import precompute_reach

    with session_scope(engine) as session:
        precompute_reach(open_hub_positions(session))


def warm_all(engine: Engine, settings: Settings, status: Readiness) -> str:
    """Every active scope's first views at the current data version; returns that version."""
    from ui.context import data_version

    version = data_version(engine, settings.database_url)
    _warm_reach(engine)
    panels_done = 0
    scopes = active_scopes(engine)
    for number, scope in enumerate(scopes, 1):
        panels_done += warm_scope(engine, settings, scope)
        status.update(scopes=number, panels=panels_done)
    return version


def warm_up(settings: Settings | None = None, *, status: Readiness = readiness) -> Readiness:
    """Warm this process once (imports, database, every active scope's first views). Never raises:
    a failure is logged and recorded in ``status``."""
    from ui.context import engine_for

    settings = settings or Settings.from_env()
    started = time.perf_counter()
    status.update(state="warming", started=time.time(), error=None)
    try:
        import_page_libraries()
        version = warm_all(engine_for(settings), settings, status)
        status.update(state="ready", seconds=round(time.perf_counter() - started, 2), version=version)
        LOG.info("warm-up done in %.1f s: %d scopes, %d panels", time.perf_counter() - started, status.scopes,
                 status.panels)
    except Exception as exc:  # noqa: BLE001 - reported by the readiness check, retried by the caller
        LOG.exception("warm-up failed")
        status.update(state="failed", seconds=round(time.perf_counter() - started, 2),
                      error=f"{type(exc).__name__}: {exc}")
    return status


#: Seconds between attempts after a failed warm-up (the database may still be starting).
RETRY_SECONDS = (5, 10, 20, 40, 60)


def warm_up_until_ready(settings: Settings | None = None, *, status: Readiness = readiness,
                        sleep: Callable[[float], None] = time.sleep) -> Readiness:
    """:func:`warm_up`, retried after a failure (waits from RETRY_SECONDS, then every minute)
    until it succeeds: a replica whose database is unreachable stays out of the load balancer."""
    attempt = 0
    while warm_up(settings, status=status).state != "ready":
        sleep(RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)])
        attempt += 1
    return status


def keep_warm(settings: Settings | None = None, *, status: Readiness = readiness,
              sleep: Callable[[float], None] = time.sleep, stop: Callable[[], bool] = lambda: False) -> None:
    """After the warm-up, until ``stop()``: when the data changes (an import, an undo or an audited
    edit on any replica: the data version every cache key holds), compute the new version's first
    views before people ask for them. Checked as often as the pages check the version. A failed
    round is logged; the pages compute on demand meanwhile."""
    from ui.context import VERSION_CHECK_SECONDS, data_version, engine_for

    settings = settings or Settings.from_env()
    while not stop():
        sleep(VERSION_CHECK_SECONDS)
        try:
            engine = engine_for(settings)
            if data_version(engine, settings.database_url) != status.version:
                version = warm_all(engine, settings, status)
                status.update(version=version, rewarms=status.rewarms + 1)
        except Exception:  # noqa: BLE001 - keep the thread alive for the next change
            LOG.exception("warming the new data version failed")


def run(settings: Settings | None = None) -> None:
    """The warm-up thread: warm until ready, then keep warm."""
    warm_up_until_ready(settings)
    keep_warm(settings)


#: The database is probed at most this often by the readiness check (the load balancer may ask
#: every second), and a probe that takes longer than PROBE_TIMEOUT counts as unreachable.
PROBE_EVERY_SECONDS = 5.0
PROBE_TIMEOUT_SECONDS = 3.0


@dataclasses.dataclass
class _Probe:
    at: float = float("-inf")
    ok: bool = False
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)


_probe = _Probe()


def database_reachable(settings: Settings) -> bool:
    """One cheap query on the schema's own table (on SQLite a missing file would otherwise be
    created empty and "answer"). Failures are logged here, never shown to the caller."""
    from sqlalchemy import text

    from ui.session_cookie import server_engine

    try:
        with server_engine(settings.database_url).connect() as connection:
            connection.execute(text("SELECT 1 FROM alembic_version LIMIT 1")).first()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        LOG.warning("readiness: the database did not answer", exc_info=True)
        return False


async def _database_ok() -> bool:
    import asyncio

    from starlette.concurrency import run_in_threadpool

    now = time.monotonic()
    if now - _probe.at < PROBE_EVERY_SECONDS or not _probe.lock.acquire(blocking=False):
        return _probe.ok  # a recent answer, or a probe already under way
    try:
        try:
            ok = await asyncio.wait_for(run_in_threadpool(database_reachable, Settings.from_env()),
                                        PROBE_TIMEOUT_SECONDS)
        except asyncio.TimeoutError:
            ok = False
        _probe.at, _probe.ok = time.monotonic(), ok
        return ok
    finally:
        _probe.lock.release()


async def ready_endpoint(_request) -> "JSONResponse":
    """``GET /api/ready``: 200 once the warm-up is done and the database answers, 503 otherwise.

    Anyone can call it, so it says only whether and at what stage: never the database's host,
    user or error text (those go to the server log), nor counts of scopes or panels."""
    from starlette.responses import JSONResponse

    state = readiness.as_dict()["state"]
    if state == "ready" and not await _database_ok():
        state = "database unreachable"
    body = {"ready": state == "ready", "state": state}
    return JSONResponse(body, status_code=200 if body["ready"] else 503, headers={"Cache-Control": "no-store"})


THREAD_NAME = "dashboard-warm-up"


def _not_from_warm_up(record: logging.LogRecord) -> bool:
    """Drop Streamlit's "missing ScriptRunContext" warnings of the warm-up thread: it uses the
    caches outside any page run on purpose."""
    return record.threadName != THREAD_NAME


def start_in_background(settings: Settings | None = None) -> threading.Thread:
    """Run :func:`run` in a daemon thread (the server answers health checks meanwhile)."""
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_not_from_warm_up)
    thread = threading.Thread(target=run, args=(settings,), name=THREAD_NAME, daemon=True)
    thread.start()
    return thread
