"""Run a ``metrics.panels`` function for the signed-in user's view, cached per view.

The cache key is the database and its data version, the panel, the user's scope, the filters, the period, the
as-of date and the settings, so two users with different scopes never share a result, and a
changed filter recomputes. The scope is the user's without the username (role, provider,
region): panels are computed from that, so colleagues who may see the same data share results
(eight commissioners no longer compute every panel eight times) and no result can depend on
who asked first. The engine is passed unhashed; a connection is opened per call.
(Added for issue 5's pages so each page does not repeat its own cache wrapper.)
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections import Counter
from collections.abc import Callable, Iterator

import streamlit as st
from sqlalchemy import Engine

from data_access.scoping import AccessScope, ReferralFilters, referrals_select
from data_access.settings import Settings
from metrics import panels
from metrics.periods import Period
from ui.context import PageContext

#: Results are keyed on the data version (imports, undo, audited edits), so they need no short
#: expiry to stay right; the limit only returns memory from views nobody has opened for a day.
CACHE_SECONDS = 24 * 3600

#: Panels computed (cache misses) in this process, by panel name: how the warm-up's tests see
#: that a page's first view found everything in the cache.
computed: Counter[str] = Counter()


#: The settings that change a figure (the cookie key and the like stay out of cache keys).
FIGURE_SETTINGS = ("suppression_threshold", "minimum_rate_denominator", "ds1_forecast_bound",
                   "forecast_period_days", "distance_scale_min", "distance_scale_max")


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False, max_entries=1000)
def _compute(key: str, _engine: Engine, _scope: AccessScope, _filters: ReferralFilters, _period: Period, _as_of,
             _settings: Settings, _name: str, _options: dict):
    # ``key`` (a plain string) stands for every other argument: Streamlit's hashing of the
    # dataclasses cost ~40 ms a panel, more than the cached panel itself takes to load.
    compute = getattr(panels, _name)
    computed[_name] += 1
    with _engine.connect() as db:
        inputs = panels.inputs_for(db, _scope, _filters, referrals_select(_scope, _filters), _period, _as_of, _settings)
        return compute(db, inputs, **_options)


def shared_scope(scope: AccessScope) -> AccessScope:
    """``scope`` without the username: everything a panel may depend on (role, provider, region)."""
    return dataclasses.replace(scope, username="")


def cache_key(ctx: PageContext, name: str, options: dict) -> str:
    """Everything a panel depends on, as text: database and data version, panel, scope, filters,
    period, as-of, settings."""
    settings = {field: getattr(ctx.settings, field) for field in FIGURE_SETTINGS}
    scope = shared_scope(ctx.scope)
    return repr((ctx.settings.database_url, ctx.data_version, name, scope, ctx.filters.describe(), ctx.period,
                 ctx.as_of, settings, sorted(options.items())))


class SingleFlight:
    """One computation per key at a time: callers asking for a key that is being computed wait
    for it, then read the cache, instead of computing it again. Without this, twenty people
    opening the board's link at once each computed every panel (Streamlit's cache does not
    hold back a second caller while the first is still computing)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, list] = {}  # key -> [lock, callers holding or waiting]

    @contextlib.contextmanager
    def __call__(self, key: str) -> Iterator[None]:
        with self._guard:
            entry = self._locks.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._guard:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._locks[key]

    def keys(self) -> list[str]:
        with self._guard:
            return list(self._locks)


_single_flight = SingleFlight()


def panel_data(ctx: PageContext, compute: Callable, **options):
    """``compute(db, inputs, **options)`` for ``ctx``'s view (a function of metrics.panels)."""
    if getattr(panels, compute.__name__, None) is not compute:
        raise ValueError(f"{compute.__name__} is not a metrics.panels function")
    key = cache_key(ctx, compute.__name__, options)
    with _single_flight(key):
        return _compute(key, ctx.engine, shared_scope(ctx.scope), ctx.filters, ctx.period, ctx.as_of,
                        ctx.settings, compute.__name__, options)


def clear() -> None:
    """Forget cached panels (after an admin changes targets, forecasts or hubs)."""
    _compute.clear()


def _shown_columns(data):
    """Replace each numeric column that has a ``<name>_shown`` twin (suppressed strings) by the twin."""
    return panels.Panel("", data).shown()


def show(ctx: PageContext, result: panels.Panel, key: str, *, figure=None, columns: list[str] | None = None,
         table: bool = False, empty_message: str | None = None, column_config: dict | None = None) -> None:
    """Render a ``metrics.panels.Panel`` with ui.panels.panel: the table and CSV hold what is shown
    (suppressed counts as ``[c]``), optionally only ``columns``."""
    from ui.panels import panel

    data = _shown_columns(result.data)
    if columns is not None:
        data = data[[c for c in columns if c in data.columns]]
    kwargs = {"empty_message": empty_message} if empty_message else {}
    panel(result.title, data, key=key, as_of=ctx.as_of, figure=figure if not result.data.empty else None,
          unit=result.unit, notes=result.notes, show_table=table, column_config=column_config, **kwargs)


def distance_panels(ctx: PageContext, by: str | None = None) -> tuple[panels.Panel, panels.Panel]:
    """Distance travelled per need, and broken down ``by`` (default: the first breakdown), from
    one cached query shared by every page that shows them, on the configured score scale."""
    by = by or next(iter(panels.BREAKDOWNS))
    grouped = panel_data(ctx, panels.distance_travelled, by=by)  # on the configured scale (PanelInputs)
    return grouped.extra["overall"], grouped
