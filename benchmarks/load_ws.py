"""Load test over Streamlit's own websocket protocol: N simulated users against a real server.

Each simulated user is one websocket connection to the server's ``/_stcore/stream`` endpoint
speaking the protocol a browser tab speaks (protobuf ``BackMsg`` up, ``ForwardMsg`` down), so
twenty users cost the load generator a few per cent of one core instead of twenty Chromiums.
A user opens the app (and reports its cookies, as the browser's cookie component does), signs
in through the real sign-in form (the Username/Password inputs and the Sign in button are found
in the server's deltas by their labels), then until the time is up walks the pages its role's
navigation offers and changes the sidebar's Complexity filter, pausing a think time between
interactions like a person reading (and --typing seconds on the sign-in form, like a person
entering a username and password).

An interaction's latency is the time from sending the ``rerun_script`` BackMsg to receiving the
``script_finished`` that ends the run it asked for (a sign-in includes the ``st.rerun()`` it
triggers). Errors: an ``exception`` element, an error box (``st.error``), a compile error, a
page-not-found, a failed sign-in, a timeout or a dropped connection; after a timeout or a
dropped connection the user reconnects and signs in again, as a person would reload.

Bounded: at most --users users (1-100), each starts no interaction after --seconds, each
interaction gives up after --timeout, the whole run is cancelled at seconds + ramp-up +
2 × timeout + 30 s, and the server this script started is stopped at the end. Prints requests,
errors, p50/p95/max latency per interaction and the server's peak memory (RSS of the server
process and its children, sampled every 0.25 s).

    python benchmarks/load_ws.py                       # 20 users, 120 s, first-run demo database
    python benchmarks/load_ws.py --referrals 12500 --seconds 180 --think 10
    python benchmarks/load_ws.py --accounts own       # one account per user, as in a deployment
    python benchmarks/load_ws.py --server-env STREAMLIT_RUNNER_POST_SCRIPT_GC=true   # try a server option
    python benchmarks/load_ws.py --quick               # smoke run: 2 users, 10 s, small database
    python benchmarks/load_ws.py --url http://127.0.0.1:8501   # a server already running
    python benchmarks/load_ws.py --replicas 2          # two servers, users placed on them in turn
    python benchmarks/load_ws.py --entry app.py        # a cold server (no warm-up before users arrive)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil  # noqa: E402
from streamlit.proto.Alert_pb2 import Alert  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.RootContainer_pb2 import RootContainer  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidHandshake  # noqa: E402

from data_access.settings import Settings  # noqa: E402
from data_access.demo import DEMO_PASSWORD  # noqa: E402
from data_access.demo import DEMO_USERS as _DEMO_ACCOUNTS  # noqa: E402

#: A board meeting's audience, per 20 people: mostly commissioners, some providers, the EPOP
#: leads, one admin.
ROLE_WEIGHTS = {"commissioner": 8, "provider": 6, "epop_spoc": 3, "epop_national": 2, "admin": 1}
FILTER_LABEL = "Complexity"
SIGN_IN_PAGE = "Sign in"
GOAL_P95_S = 2.0
#: The demo account of each role (data_access.demo): username by role.
DEMO_USERS = {role: username for username, _display, role in _DEMO_ACCOUNTS}
#: Script-run statuses that end the run a request asked for (FINISHED_EARLY_FOR_RERUN does not:
#: the server goes on with the rerun the script asked for).
FINAL_STATUSES = frozenset({
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
})
#: What a browser in Manchester says about itself with every rerun request.
CONTEXT = {"timezone": "Europe/London", "timezone_offset": 0, "locale": "en-GB", "color_scheme": "light"}


def role_mix(users: int, weights: dict[str, int] = ROLE_WEIGHTS) -> list[str]:
    """Roles for ``users`` users in the proportions of ``weights``, interleaved (smooth weighted
    round robin) so that a handful of users already covers several roles."""
    total = sum(weights.values())
    current = dict.fromkeys(weights, 0)
    roles = []
    for _ in range(users):
        for role, weight in weights.items():
            current[role] += weight
        chosen = max(current, key=current.get)
        current[chosen] -= total
        roles.append(chosen)
    return roles


class Interrupted(Exception):
    """The connection is no good any more (timeout, dropped, protocol trouble): reconnect."""


class SignInFailed(Exception):
    """The demo account did not sign in: retrying would only lock it."""


# --------------------------------------------------------------------------------------------
# What one request produced: the pure part, fed ForwardMsgs one at a time.


@dataclass(frozen=True)
class Widget:
    kind: str  # the element type, e.g. "selectbox", "text_input", "button", "component_instance"
    id: str
    label: str
    root: int  # RootContainer: MAIN 0, SIDEBAR 1
    options: tuple[str, ...] = ()
    component_name: str = ""
    json_args: str = ""  # a custom component's arguments
    value: str | None = None  # a selectbox's option as drawn (the server's value, else its default)


@dataclass(frozen=True)
class Page:
    title: str
    script_hash: str
    is_default: bool = False


class MessageCache:
    """The browser's ForwardMsg cache: big deltas the server may later send as a ``ref_hash``.

    A message's age counts the script runs finished since it was last seen; it is dropped once
    older than ``max_age`` (the server's ``global.maxCachedMessageAge``, sent in new_session).
    """

    def __init__(self, max_age: int = 2) -> None:
        self.max_age = max_age
        self._messages: dict[str, tuple[ForwardMsg, int]] = {}
        self.hits = 0

    def hashes(self) -> list[str]:
        return list(self._messages)

    def add(self, msg: ForwardMsg) -> None:
        if msg.metadata.cacheable and msg.hash:
            self._messages[msg.hash] = (msg, 0)

    def resolve(self, ref: ForwardMsg) -> ForwardMsg | None:
        found = self._messages.get(ref.ref_hash)
        if found is None:
            return None
        self.hits += 1
        self._messages[ref.ref_hash] = (found[0], 0)
        msg = ForwardMsg()
        msg.CopyFrom(found[0])
        msg.metadata.CopyFrom(ref.metadata)  # the reference carries this run's delta path
        return msg

    def script_finished(self) -> None:
        self._messages = {h: (m, age + 1) for h, (m, age) in self._messages.items() if age + 1 <= self.max_age}


def widget_from_element(element, root: int) -> Widget | None:
    kind = element.WhichOneof("type")
    if kind is None:
        return None
    proto = getattr(element, kind)
    widget_id = getattr(proto, "id", "")
    if not widget_id or not isinstance(widget_id, str):
        return None
    options = tuple(proto.options) if kind in ("selectbox", "radio", "multiselect") else ()
    value = None
    if kind == "selectbox":
        if proto.HasField("raw_value"):
            value = proto.raw_value
        elif proto.HasField("default") and 0 <= proto.default < len(options):
            value = options[proto.default]
    return Widget(kind, widget_id, getattr(proto, "label", ""), root, options,
                  getattr(proto, "component_name", ""), getattr(proto, "json_args", ""), value)


@dataclass
class Outcome:
    """What the client saw between sending one rerun request and the end of the run it caused."""

    widgets: dict[str, Widget] = field(default_factory=dict)  # the final run's widgets, by id
    errors: list[str] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)  # from the latest navigation message
    page_hash: str = ""  # the page the final run ran (navigation.page_script_hash)
    query_string: str | None = None  # the latest the server set (page_info_changed)
    runs: int = 0  # script runs started (new_session messages)
    messages: int = 0
    finished: bool = False
    max_cached_age: int | None = None

    def absorb(self, msg: ForwardMsg, cache: MessageCache) -> None:
        """Take one ForwardMsg into account; ``finished`` turns true at the run's end."""
        self.messages += 1
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            resolved = cache.resolve(msg)
            if resolved is None:
                self.errors.append(f"server referred to a cached message the client never had ({msg.ref_hash[:12]})")
                return
            msg, kind = resolved, resolved.WhichOneof("type")
        else:
            cache.add(msg)
        if kind == "new_session":
            self.runs += 1
            self.widgets = {}  # a new run: what the last one showed is stale
            if self.max_cached_age is None and msg.new_session.config.max_cached_message_age:
                self.max_cached_age = msg.new_session.config.max_cached_message_age
        elif kind == "navigation":
            nav = msg.navigation
            self.page_hash = nav.page_script_hash
            self.pages = [Page(p.page_name, p.page_script_hash, p.is_default) for p in nav.app_pages]
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            element_kind = element.WhichOneof("type")
            if element_kind == "exception":
                exc = element.exception
                self.errors.append(f"exception {exc.type}: {exc.message.splitlines()[0][:160] if exc.message else ''}")
            elif element_kind == "alert" and element.alert.format == Alert.ERROR:
                self.errors.append(f"error box: {element.alert.body.splitlines()[0][:160]}")
            else:
                path = msg.metadata.delta_path
                widget = widget_from_element(element, path[0] if path else RootContainer.MAIN)
                if widget is not None:
                    self.widgets[widget.id] = widget
        elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
            exc = msg.session_event.script_compilation_exception
            self.errors.append(f"compile error {exc.type}: {exc.message[:160]}")
        elif kind == "page_not_found":
            self.errors.append(f"page not found: {msg.page_not_found.page_name}")
        elif kind == "script_finished":
            cache.script_finished()
            if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                self.errors.append("script finished with a compile error")
            if msg.script_finished in FINAL_STATUSES:
                self.finished = True

    def find(self, kind: str, label: str, root: int | None = None) -> Widget | None:
        for widget in self.widgets.values():
            if widget.kind == kind and widget.label == label and (root is None or widget.root == root):
                return widget
        return None

    def components(self, name_part: str) -> list[Widget]:
        return [w for w in self.widgets.values() if w.kind == "component_instance" and name_part in w.component_name]


class CookieJar:
    """What the sign-in's cookie component (extra-streamlit-components' CookieManager) does in a
    browser: each instance runs its method (getAll, get, set, delete) against the browser's
    cookies and reports the result as its value, with a rerun, when the result is truthy and
    differs from what that instance last reported."""

    def __init__(self) -> None:
        self.cookies: dict[str, object] = {}
        self._reported: dict[str, str] = {}  # component id -> JSON of the value it last reported

    def reports(self, components: list[Widget]) -> dict[str, str]:
        """Run the components drawn by a finished run; return {component id: JSON value to report}."""
        self._reported = {k: v for k, v in self._reported.items() if any(c.id == k for c in components)}
        out = {}
        for component in components:
            try:
                args = json.loads(component.json_args or "{}")
            except ValueError:
                continue
            method, name = args.get("method"), args.get("cookie")
            if method == "getAll":
                result = dict(self.cookies)
            elif method == "get":
                result = self.cookies.get(name)
            elif method == "set" and name:
                self.cookies[name] = args.get("value")
                result = True
            elif method == "delete" and name:
                self.cookies.pop(name, None)
                result = True
            else:
                continue
            encoded = json.dumps(result, sort_keys=True)
            if result is not None and result is not False and self._reported.get(component.id) != encoded:
                self._reported[component.id] = encoded
                out[component.id] = encoded
        return out


# --------------------------------------------------------------------------------------------
# One browser tab's worth of protocol.


def rerun_message(*, page_hash: str, query_string: str, widgets: list[WidgetState],
                  cached_hashes: list[str], url: str) -> BackMsg:
    msg = BackMsg()
    state = msg.rerun_script
    state.query_string = query_string
    state.page_script_hash = page_hash
    state.widget_states.widgets.extend(widgets)
    state.cached_message_hashes.extend(cached_hashes)
    for key, value in CONTEXT.items():
        setattr(state.context_info, key, value)
    state.context_info.url = url
    return msg


def string_state(widget_id: str, value: str) -> WidgetState:
    return WidgetState(id=widget_id, string_value=value)


class Tab:
    """One websocket session, remembering what a browser tab remembers between reruns: the
    widget values the user set, the URL's query string, the page and the message cache."""

    def __init__(self, base_url: str, stats: Stats, timeout_s: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.ws_url = self.base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + "/_stcore/stream"
        self.stats = stats
        self.timeout_s = timeout_s
        self.ws = None
        self.values: dict[str, WidgetState] = {}
        self.query_string = ""
        self.page_hash = ""
        self.cache = MessageCache()
        self.jar = CookieJar()
        self.last: Outcome = Outcome()

    async def open(self) -> None:
        try:
            self.ws = await connect(self.ws_url, subprotocols=["streamlit"], max_size=None,
                                    open_timeout=self.timeout_s, ping_interval=20, ping_timeout=self.timeout_s)
        except (OSError, InvalidHandshake, TimeoutError) as exc:
            raise Interrupted(f"could not connect: {type(exc).__name__}: {exc}") from exc
        self.stats.connections += 1

    async def close(self) -> None:
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 5)
            except Exception:  # noqa: BLE001 - closing a broken connection: nothing to save
                pass
            self.ws = None

    async def components_report(self) -> None:
        """Send what the cookie components drawn by the last run report, as a browser's do
        straight after they render (each report is a rerun of its own, timed and counted)."""
        for _ in range(4):  # set, then getAll sees the new cookie, ... : a browser settles in two
            reports = self.jar.reports(self.last.components("cookie_manager"))
            if not reports:
                return
            started = time.perf_counter()
            outcome, _ = await self.request(set_values={k: WidgetState(id=k, json_value=v) for k, v in reports.items()})
            self.stats.latencies["cookie component report"].append(time.perf_counter() - started)
            self.stats.component_reports += 1
            for message in outcome.errors:
                self.stats.error("cookie component report", message)

    async def request(self, *, page_hash: str | None = None, query_string: str | None = None,
                      set_values: dict[str, WidgetState] | None = None,
                      triggers: list[WidgetState] | None = None) -> tuple[Outcome, float]:
        """Send one rerun request as the browser would; wait for the run it causes to end."""
        self.values.update(set_values or {})
        page_hash = self.page_hash if page_hash is None else page_hash
        query_string = self.query_string if query_string is None else query_string
        msg = rerun_message(page_hash=page_hash, query_string=query_string,
                            widgets=[*self.values.values(), *(triggers or [])],
                            cached_hashes=self.cache.hashes(), url=f"{self.base_url}/")
        outcome = Outcome(pages=self.last.pages)
        started = time.perf_counter()
        try:
            await self.ws.send(msg.SerializeToString())
            self.stats.requests += 1
            async with asyncio.timeout(self.timeout_s):
                while not outcome.finished:
                    data = await self.ws.recv()
                    self.stats.bytes_received += len(data)
                    forward = ForwardMsg()
                    forward.ParseFromString(data)
                    outcome.absorb(forward, self.cache)
                    if outcome.max_cached_age:
                        self.cache.max_age = outcome.max_cached_age
        except TimeoutError as exc:
            raise Interrupted(f"no script_finished within {self.timeout_s:.0f} s") from exc
        except ConnectionClosed as exc:
            raise Interrupted(f"connection closed: {exc}") from exc
        seconds = time.perf_counter() - started
        self.stats.runs += outcome.runs
        self.stats.messages += outcome.messages
        # As the browser does after a run: forget the state of widgets no longer on the page.
        self.values = {k: v for k, v in self.values.items() if k in outcome.widgets}
        self.page_hash = outcome.page_hash or page_hash
        if outcome.query_string is not None:
            self.query_string = outcome.query_string
        self.last = outcome
        return outcome, seconds


# --------------------------------------------------------------------------------------------
# Simulated people.


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[tuple[str, str]] = field(default_factory=list)
    requests: int = 0  # rerun requests sent (one per interaction)
    runs: int = 0  # script runs the server started for them
    messages: int = 0
    bytes_received: int = 0
    connections: int = 0
    sign_ins: int = 0
    page_opens: int = 0
    filter_changes: int = 0
    cache_hits: int = 0
    component_reports: int = 0
    users_started: int = 0

    def error(self, kind: str, message: str) -> None:
        self.errors.append((kind, message))


def page_kind(title: str) -> str:
    return f"open page: {title}"


async def timed(stats: Stats, tab: Tab, kind: str, **request) -> Outcome:
    try:
        outcome, seconds = await tab.request(**request)
    except Interrupted as exc:
        stats.error(kind, str(exc))
        raise
    stats.latencies[kind].append(seconds)
    for message in outcome.errors:
        stats.error(kind, message)
    return outcome


async def think(rng: random.Random, think_s: float, deadline: float) -> bool:
    """Pause like a person reading (0.5-1.5 × think_s); False if the time is up."""
    pause = think_s * rng.uniform(0.5, 1.5)
    if time.monotonic() + pause >= deadline:
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))
        return False
    await asyncio.sleep(pause)
    return True


async def sign_in(stats: Stats, tab: Tab, username: str, typing_s: float = 0.0) -> list[Page]:
    """Open the app, report the cookies, type for ``typing_s`` seconds (a person entering a
    username and password), sign in through the form; return the role's pages."""
    started = time.perf_counter()
    await tab.open()
    first, _ = await tab.request(page_hash="", query_string="")
    stats.latencies["open sign-in page"].append(time.perf_counter() - started)
    for message in first.errors:
        stats.error("open sign-in page", message)
    await tab.components_report()  # the cookie component reports the (no) cookies it found
    first = tab.last

    username_box = first.find("text_input", "Username")
    password = first.find("text_input", "Password")
    submit = first.find("button", "Sign in")
    if not (username_box and password and submit):
        stats.error("sign in", "sign-in form not found")
        raise SignInFailed("no sign-in form")
    await asyncio.sleep(typing_s)
    outcome = await timed(stats, tab, "sign in", set_values={
        username_box.id: string_state(username_box.id, username),
        password.id: string_state(password.id, DEMO_PASSWORD),
    }, triggers=[WidgetState(id=submit.id, trigger_value=True)])
    pages = [p for p in outcome.pages if p.title != SIGN_IN_PAGE]
    if not pages:
        stats.error("sign in", f"{username} did not get past the sign-in page")
        raise SignInFailed(username)
    stats.sign_ins += 1
    await tab.components_report()  # the sign-in cookie is stored and confirmed
    return pages


async def filter_change(stats: Stats, tab: Tab, choices) -> bool:
    box = tab.last.find("selectbox", FILTER_LABEL, RootContainer.SIDEBAR)
    if box is None or len(box.options) < 2:
        return False
    sent = tab.values.get(box.id)
    current = sent.string_value if sent is not None else box.value
    choice = next(choices)
    if choice == current:  # a person picks another option: choosing the same one sends nothing
        choice = next(choices)
    if choice not in box.options:
        choice = next(o for o in box.options if o != current)
    await timed(stats, tab, f"change filter: {FILTER_LABEL}", set_values={box.id: string_state(box.id, choice)})
    await tab.components_report()
    stats.filter_changes += 1
    return True


async def user(n: int, username: str, base_url: str, deadline: float, stats: Stats, *, think_s: float,
               timeout_s: float, seed: int, typing_s: float = 0.0) -> None:
    rng = random.Random(seed * 1000 + n)
    stats.users_started += 1
    while time.monotonic() < deadline:
        tab = Tab(base_url, stats, timeout_s)
        try:
            pages = await sign_in(stats, tab, username, typing_s)
            order = pages[n % len(pages):] + pages[: n % len(pages)]
            walk = itertools.cycle(order)
            choices = itertools.cycle(rng.sample(["High", "Low", "Medium", "All"], 4))
            while await think(rng, think_s, deadline):
                page = next(walk)
                if page.script_hash == tab.page_hash:
                    page = next(walk)
                # A page change drops the URL's query string (the browser keeps only parameters
                # bound to widgets; this app binds none): the app writes its filters back.
                outcome = await timed(stats, tab, page_kind(page.title), page_hash=page.script_hash, query_string="")
                stats.page_opens += 1
                await tab.components_report()
                if outcome.page_hash and outcome.page_hash != page.script_hash:
                    stats.error(page_kind(page.title), "the server ran a different page")
                if rng.random() < 0.5 and await think(rng, think_s, deadline):
                    await filter_change(stats, tab, choices)
        except Interrupted:
            await asyncio.sleep(min(1.0, max(0.0, deadline - time.monotonic())))  # then reload and sign in again
        except SignInFailed:
            return
        finally:
            stats.cache_hits += tab.cache.hits
            await tab.close()


def server_for(base_urls: list[str], n: int) -> str:
    """The replica user ``n`` talks to for the whole run, as a load balancer with sticky
    sessions would place it: users in turn across the replicas."""
    return base_urls[n % len(base_urls)]


async def run_users(base_urls: list[str], *, users: int, seconds: float, think_s: float, timeout_s: float,
                    ramp_s: float, seed: int = 1, accounts: list[str] | None = None, typing_s: float = 0.0) -> Stats:
    """Run ``users`` simulated users against ``base_urls`` (one server, or replicas of it);
    ``accounts`` are their usernames (default: the demo account of each one's role, so several
    users share an account)."""
    stats = Stats()
    deadline = time.monotonic() + ramp_s + seconds
    tasks = []
    accounts = accounts or [DEMO_USERS[role] for role in role_mix(users)]
    for n, username in enumerate(accounts[:users]):
        tasks.append(asyncio.create_task(user(n, username, server_for(base_urls, n), deadline, stats, think_s=think_s,
                                              typing_s=typing_s,
                                              timeout_s=timeout_s, seed=seed)))
        if n < users - 1:
            await asyncio.sleep(ramp_s / max(1, users - 1))
    done, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - time.monotonic()) + 2 * timeout_s + 30)
    for task in pending:
        task.cancel()
        stats.error("run", "a user was still busy at the hard stop and was cancelled")
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        if task.exception() is not None:
            stats.error("run", f"user crashed: {type(task.exception()).__name__}: {task.exception()}")
    return stats


# --------------------------------------------------------------------------------------------
# The server, its memory, the report.


class MemorySampler(threading.Thread):
    """Peak RSS of processes (the replicas) and their children together, sampled every
    ``interval`` seconds; their CPU time together."""

    def __init__(self, pids: list[int], interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.processes = [psutil.Process(pid) for pid in pids]
        self.interval = interval
        self.peak_mib = 0.0
        self.first_mib: float | None = None
        self._stop_event = threading.Event()

    def sample(self) -> float:
        processes = [q for p in self.processes for q in (p, *p.children(recursive=True))]
        return sum(p.memory_info().rss for p in processes) / 2**20

    def cpu_seconds(self) -> float:
        try:
            return sum(t.user + t.system for t in (p.cpu_times() for p in self.processes))
        except psutil.Error:
            return float("nan")

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                mib = self.sample()
                self.first_mib = mib if self.first_mib is None else self.first_mib
                self.peak_mib = max(self.peak_mib, mib)
            except psutil.Error:
                pass
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


def add_own_accounts(database_url: str, roles: list[str]) -> list[str]:
    """One account per simulated user, as in a real deployment: user n of role r gets ``r-n``,
    a copy of that role's demo account (same provider, region and password)."""
    from sqlalchemy import select

    from data_access.db import make_engine, session_scope
    from data_access.models import User

    engine = make_engine(database_url)
    usernames = []
    with session_scope(engine) as session:
        demo = {u.username: u for u in session.scalars(select(User)).all()}
        for n, role in enumerate(roles):
            template = demo[DEMO_USERS[role]]
            username = f"{template.username}-{n}"
            session.add(User(username=username, display_name=f"{template.display_name} {n}",
                             password_hash=template.password_hash, role=template.role,
                             provider_id=template.provider_id, region_code=template.region_code, is_demo=True))
            usernames.append(username)
    engine.dispose()
    return usernames


def percentile(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def summary_rows(stats: Stats) -> list[dict]:
    """One row per kind of interaction, then all page opens together and everything together."""
    errors = Counter(kind for kind, _ in stats.errors)
    rows = []
    kinds = sorted(stats.latencies, key=lambda k: (not k.startswith("open sign-in"), k != "sign in",
                                                   k.startswith("change filter"), k))
    for kind in kinds:
        rows.append(_row(kind, stats.latencies[kind], errors.get(kind, 0)))
    for kind in errors:
        if kind not in stats.latencies:
            rows.append(_row(kind, [], errors[kind]))
    pages = [v for k, values in stats.latencies.items() if k.startswith("open page:") for v in values]
    if pages:
        rows.append(_row("all page opens", pages, sum(c for k, c in errors.items() if k.startswith("open page:"))))
    everything = [v for values in stats.latencies.values() for v in values]
    rows.append(_row("all interactions", everything, len(stats.errors)))
    return rows


def _row(kind: str, values: list[float], errors: int) -> dict:
    return {"interaction": kind, "count": len(values), "errors": errors, "p50_s": percentile(values, 50),
            "p95_s": percentile(values, 95), "max_s": max(values) if values else float("nan")}


def format_table(rows: list[dict]) -> str:
    width = max([len(r["interaction"]) for r in rows] + [12]) + 2
    lines = [f"{'interaction':<{width}}{'count':>7}{'errors':>8}{'p50 s':>8}{'p95 s':>8}{'max s':>8}"]
    for r in rows:
        if r["interaction"] in ("all page opens", "all interactions"):
            lines.append("-" * (width + 39))
        lines.append(f"{r['interaction']:<{width}}{r['count']:>7}{r['errors']:>8}{r['p50_s']:>8.2f}"
                     f"{r['p95_s']:>8.2f}{r['max_s']:>8.2f}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20, help="concurrent simulated users (1-100)")
    parser.add_argument("--seconds", type=float, default=120.0,
                        help="how long every user keeps going once all have started (1-3600)")
    parser.add_argument("--ramp-up", type=float, default=10.0, help="seconds over which the users start")
    parser.add_argument("--think", type=float, default=3.0,
                        help="mean pause between a user's interactions, seconds (each is 0.5-1.5 × this)")
    parser.add_argument("--timeout", type=float, default=60.0, help="give up on one interaction after this")
    parser.add_argument("--typing", type=float, default=0.0,
                        help="seconds a user spends typing a username and password before signing in (0-60; "
                             "default 0: the form is submitted as soon as it is drawn)")
    parser.add_argument("--referrals", type=int, default=Settings().demo_referrals,
                        help="demo database size (default: the size the app seeds on first run)")
    parser.add_argument("--seed", type=int, default=1, help="seeds each user's choices")
    parser.add_argument("--accounts", choices=("shared", "own"), default="shared",
                        help="shared: every user signs in with its role's demo account; own: each user "
                             "gets an account of its own (a copy of its role's demo account; not with --url)")
    parser.add_argument("--url", help="use this running server instead of starting one (no memory figure)")
    parser.add_argument("--replicas", type=int, default=1,
                        help="start this many servers on the same database and place users on them in turn, "
                             "as a load balancer with sticky sessions would (1-8; not with --url)")
    parser.add_argument("--entry", choices=("serve.py", "app.py"), default="serve.py",
                        help="what the servers run: serve.py (as deployed: users arrive once its warm-up is "
                             "done, as a load balancer's readiness check waits) or app.py (a cold server, "
                             "users arrive once it answers its health check); not with --url")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the server this script starts, e.g. "
                             "STREAMLIT_RUNNER_POST_SCRIPT_GC=false (repeatable)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2 users, 10 s, 1 s think, 2 s ramp-up, 500 referrals (flags given win)")
    args = parser.parse_args(argv)
    if args.quick:
        given = set(a.split("=")[0] for a in (argv if argv is not None else sys.argv[1:]))
        for flag, value in (("--users", 2), ("--seconds", 10.0), ("--think", 1.0), ("--ramp-up", 2.0),
                            ("--referrals", 500)):
            if flag not in given:
                setattr(args, flag.lstrip("-").replace("-", "_"), value)
    if not 1 <= args.users <= 100 or not 1 <= args.seconds <= 3600 or not 0 <= args.ramp_up <= 600:
        parser.error("keep it bounded: 1-100 users, 1-3600 seconds, 0-600 s ramp-up")
    if not 1 <= args.replicas <= 8 or (args.url and args.replicas != 1):
        parser.error("--replicas 1-8, and only for servers this script starts (not --url)")
    if args.url and args.accounts == "own":
        parser.error("--accounts own needs the database this script builds (not --url)")
    if any("=" not in item for item in args.server_env):
        parser.error("--server-env takes NAME=VALUE")
    if args.think < 0 or not 1 <= args.timeout <= 600 or args.referrals < 1 or not 0 <= args.typing <= 60:
        parser.error("--think ≥ 0, --timeout 1-600 s, --referrals ≥ 1, --typing 0-60 s")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    servers: list = []
    sampler = accounts = None
    tracebacks = None
    with tempfile.TemporaryDirectory(prefix="load_ws_") as tmp:
        try:
            if args.url:
                base_urls = [args.url]
            else:
                from tests.browser.server import make_demo_database, start_server

                print(f"building a demo database of {args.referrals:,} referrals…", flush=True)
                database_url = make_demo_database(Path(tmp) / "demo.db", args.referrals)
                if args.accounts == "own":
                    accounts = add_own_accounts(database_url, role_mix(args.users))
                for replica in range(args.replicas):
                    started = time.perf_counter()
                    servers.append(start_server(database_url, Path(tmp) / f"server{replica}.log", entry=args.entry,
                                                extra_env=dict(item.split("=", 1) for item in args.server_env)))
                    print(f"server {replica + 1} ({args.entry}) ready after {time.perf_counter() - started:.1f} s",
                          flush=True)
                base_urls = [server.base_url for server in servers]
                sampler = MemorySampler([server.pid for server in servers])
                sampler.start()
            print(f"{args.users} users, ramp-up {args.ramp_up:.0f} s, then {args.seconds:.0f} s, think "
                  f"{args.think:g} s, typing {args.typing:g} s, against {', '.join(base_urls)}", flush=True)
            cpu_before = sampler.cpu_seconds() if sampler else float("nan")
            load_before = os.getloadavg()[0]
            psutil.cpu_percent()  # starts the machine-wide measurement
            own_cpu = time.process_time()
            wall = time.perf_counter()
            stats = asyncio.run(run_users(base_urls, users=args.users, seconds=args.seconds, think_s=args.think,
                                          typing_s=args.typing,
                                          timeout_s=args.timeout, ramp_s=args.ramp_up, seed=args.seed,
                                          accounts=accounts))
            wall = time.perf_counter() - wall
            own_cpu = time.process_time() - own_cpu
            server_cpu = (sampler.cpu_seconds() - cpu_before) if sampler else float("nan")
            machine_busy = psutil.cpu_percent() / 100 * (psutil.cpu_count() or 1)
            load_after = os.getloadavg()[0]
        finally:
            if sampler is not None:
                sampler.stop()
            for server in servers:
                server.stop()
            if servers:
                tracebacks = sum(server.log_path.read_text(errors="replace").count("Traceback") for server in servers)
                if tracebacks and os.environ.get("LOAD_WS_KEEP_LOG"):
                    for server in servers:
                        print(server.log_path.read_text(errors="replace")[-6000:])

    rows = summary_rows(stats)
    print()
    print(f"users {args.users} ({', '.join(f'{n} {r}' for r, n in Counter(role_mix(args.users)).items())})"
          f" · database {'(external server)' if args.url else f'{args.referrals:,} referrals'} · wall time {wall:.0f} s"
          + f" · accounts {args.accounts}" + (f" · {args.replicas} replicas" if args.replicas > 1 else "")
          + (f" · server env {' '.join(args.server_env)}" if args.server_env else ""))
    print(f"requests {stats.requests} (sign-ins {stats.sign_ins}, page opens {stats.page_opens}, filter changes "
          f"{stats.filter_changes}, cookie component reports {stats.component_reports}) · script runs {stats.runs} · connections {stats.connections} · "
          f"received {stats.messages:,} messages, {stats.bytes_received / 2**20:,.1f} MiB · cache hits {stats.cache_hits}")
    print(f"errors {len(stats.errors)} · server tracebacks in log {tracebacks if tracebacks is not None else 'n/a'}")
    if sampler is not None:
        print(f"server peak memory (RSS, every replica and its children) {sampler.peak_mib:,.0f} MiB "
              f"(at start {sampler.first_mib or 0:,.0f} MiB) · server CPU {server_cpu:,.0f} s "
              f"({server_cpu / wall:.0%} of one core) · load generator CPU {own_cpu:,.1f} s")
    else:
        print("server peak memory: not measured (--url)")
    print(f"machine: {psutil.cpu_count()} cores, {machine_busy:.1f} of them busy on average during the run (everything "
          f"on the machine) · load average {load_before:.1f} at start, {load_after:.1f} at the end")
    print()
    print(format_table(rows))
    worst = max((r["p95_s"] for r in rows if r["count"]), default=float("nan"))
    met = not stats.errors and worst <= GOAL_P95_S
    print(f"\ngoal (p95 ≤ {GOAL_P95_S:g} s for every interaction, no errors): {'met' if met else 'not met'}"
          f" · worst p95 {worst:.2f} s")
    for (kind, message), count in Counter(stats.errors).most_common(15):
        print(f"  error ×{count}: {kind}: {message}")
    if args.json:
        args.json.write_text(json.dumps({
            "users": args.users, "seconds": args.seconds, "think_s": args.think, "typing_s": args.typing, "ramp_up_s": args.ramp_up,
            "referrals": None if args.url else args.referrals,
            "entry": None if args.url else args.entry, "wall_s": wall, "requests": stats.requests,
            "sign_ins": stats.sign_ins, "page_opens": stats.page_opens, "filter_changes": stats.filter_changes,
            "component_reports": stats.component_reports,
            "script_runs": stats.runs, "connections": stats.connections, "errors": [list(e) for e in stats.errors],
            "server_tracebacks": tracebacks, "server_peak_rss_mib": sampler.peak_mib if sampler else None,
            "server_cpu_s": server_cpu, "generator_cpu_s": own_cpu, "machine_busy_cores": machine_busy,
            "load_average": [load_before, load_after], "server_env": args.server_env, "replicas": args.replicas, "accounts": args.accounts, "rows": rows, "goal_met": met,
        }, indent=2, default=str))
    return 0 if not stats.errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
