"""Every view choice kept in the address: one mechanism for the sidebar filters and the pages'
own choices (compare by, SPC chart, breakdown, map shading, tabs ...).

A widget's value round-trips through ``st.query_params`` as a short, stable code (``?period=month
&at=2026-03-01&borough=Salford&complexity=HIGH``), not as its on-screen label. The call comes
just before the widget is created, and the widget is then created with ``key=`` only, never with
a default value (``index=``/``value=``): Streamlit warns, and on a fresh browser sometimes drew
the default while the script used the other value, when a widget had both.

:func:`choice` does three things, in this order:

1. it makes ``st.session_state[key]`` a valid option before the widget exists: the address's
   value when the widget is new to this session (a shared link, after signing in too), else the
   value the person chose, else ``default``; a value that is not one of ``options`` (an old
   link, a hand-edited address, an area outside the user's scope) is dropped, never an error;
2. it writes the value back to the address, so the address always states the view shown;
3. it records the choice under ``label`` for the view statement in downloads (``ui.view``).

Why not Streamlit 1.67's ``bind="query-params"``: it puts the widget's displayed label in the
address (``?at=2025%2F26+Q4+(Jan–Mar+2026)``), uses the session-state key as the parameter's
name, and would break every link already shared in the code form above.

Sign-in: a link opened before signing in shows the sign-in form at that address; ``app.py``
keeps the query string in the session (:func:`stash`) while the form is shown and puts it back
(:func:`unstash`) on the first signed-in run, before any widget is drawn.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

#: session_state key: the query string kept while the sign-in form is shown.
STASH = "url_state_stash"

_recorded = threading.local()


def text_of(value: Any) -> str:
    """A value as it is written in the address: dates ISO, booleans on/off, others as str."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def parse(raw: str | list[str] | None, options: Sequence, text: Callable[[Any], str] = text_of):
    """The option whose address text is ``raw`` (the last one if a parameter is repeated);
    None when ``raw`` is missing or names no option."""
    if isinstance(raw, list):
        raw = raw[-1] if raw else None
    if raw is None:
        return None
    for option in options:
        if text(option) == raw:
            return option
    return None


def parse_date(raw: str | list[str] | None, earliest: dt.date | None = None, latest: dt.date | None = None):
    """An ISO date from the address within [earliest, latest]; None if missing, malformed or out of range."""
    if isinstance(raw, list):
        raw = raw[-1] if raw else None
    try:
        value = dt.date.fromisoformat(raw) if raw else None
    except (TypeError, ValueError):
        return None
    if value is None or (earliest and value < earliest) or (latest and value > latest):
        return None
    return value


def serialise(value: Any, *, omit: Sequence = (), text: Callable[[Any], str] = text_of) -> str | None:
    """What the address holds for ``value``: None (no parameter) for None and the ``omit`` values."""
    if value is None or any(value == o for o in omit):
        return None
    return text(value)


def _valid(value: Any, options: Sequence | None) -> bool:
    return value is not None and (options is None or any(value == o for o in options))


def resolve(current: Any, has_current: bool, raw: str | list[str] | None, options: Sequence | None, default: Any,
            *, text: Callable[[Any], str] = text_of, from_text: Callable | None = None) -> tuple[Any, bool]:
    """The value the widget should show, and whether session state must be set to it.

    ``has_current``: the widget already has a value in this session (the person's choice)."""
    if has_current and _valid(current, options):
        return current, False
    if has_current and current is not None and options is not None:
        same = parse(text(current), options, text)  # the same choice under a new label (e.g. a tab's)
        if same is not None:
            return same, True
    if not has_current:
        found = from_text(raw) if from_text is not None else parse(raw, options or (), text)
        if _valid(found, options):
            return found, True
    return default, True


def publish(param: str, value: Any, *, omit: Sequence = (), text: Callable[[Any], str] = text_of) -> None:
    """Write ``value`` to the address (remove the parameter for None and ``omit`` values)."""
    wanted = serialise(value, omit=omit, text=text)
    if wanted is None:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != wanted:
        st.query_params[param] = wanted


def choice(key: str, param: str, options: Sequence | None, default: Any, *, label: str | None = None,
           omit: Sequence = (), text: Callable[[Any], str] = text_of, from_text: Callable | None = None,
           shown: Callable[[Any], str] | None = None) -> Any:
    """Call just before creating the widget ``key`` (created with ``key=key`` and no default).

    ``options`` are the widget's options as session state holds them (None: any value that
    ``from_text`` accepts, e.g. a date); ``text`` writes one for the address; ``omit`` values
    leave the address (e.g. "All"); ``label``/``shown`` name the choice in the view statement."""
    has_current = key in st.session_state
    value, must_set = resolve(st.session_state.get(key), has_current, st.query_params.get(param), options, default,
                              text=text, from_text=from_text)
    if must_set:
        st.session_state[key] = value
    publish(param, value, omit=omit, text=text)
    if label:
        record(label, (shown or str)(value))
    return value


def forget(*params: str) -> None:
    """Remove parameters of widgets not shown in this run (e.g. the custom dates for a month)."""
    for param in params:
        if param in st.query_params:
            del st.query_params[param]


# --- the page's choices, for the view statement ---------------------------------------------

def record(label: str, shown: str) -> None:
    """Remember a page choice made in this run (reset with the page context on every run)."""
    choices = getattr(_recorded, "choices", None)
    if choices is None:
        choices = _recorded.choices = {}
    choices[label] = shown


def recorded() -> dict[str, str]:
    return dict(getattr(_recorded, "choices", None) or {})


def reset_recorded() -> None:
    _recorded.choices = {}


# --- keeping the address through sign-in -----------------------------------------------------

def stash() -> None:
    """While the sign-in form is shown: keep the address's query string in the session."""
    params = {name: st.query_params.get_all(name) for name in st.query_params}
    if params:
        st.session_state[STASH] = params


def unstash() -> None:
    """On the first signed-in run: put the kept query string back where the address lost it."""
    kept = st.session_state.pop(STASH, None)
    if not kept:
        return
    for name, values in kept.items():
        if name not in st.query_params and values:
            st.query_params[name] = values if len(values) > 1 else values[0]
