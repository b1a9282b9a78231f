"""The websocket load generator's pure parts: reading ForwardMsgs, the message cache, the
rerun request, the cookie component, the figures. (tests/integration/test_load_ws.py runs it against a server.)"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "load_ws.py"


@pytest.fixture(scope="module")
def lw():
    spec = importlib.util.spec_from_file_location("load_ws_under_test", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def new_session() -> ForwardMsg:
    msg = ForwardMsg()
    msg.new_session.page_script_hash = "main"
    msg.new_session.config.max_cached_message_age = 3
    return msg


def navigation(current: str, *pages: tuple[str, str]) -> ForwardMsg:
    msg = ForwardMsg()
    msg.navigation.page_script_hash = current
    for title, page_hash in pages:
        page = msg.navigation.app_pages.add()
        page.page_name, page.page_script_hash = title, page_hash
    return msg


def element(path: list[int], kind: str, **fields) -> ForwardMsg:
    msg = ForwardMsg()
    msg.metadata.delta_path.extend(path)
    proto = getattr(msg.delta.new_element, kind)
    for name, value in fields.items():
        if isinstance(value, list):
            getattr(proto, name).extend(value)
        else:
            setattr(proto, name, value)
    return msg


def finished(status=ForwardMsg.FINISHED_SUCCESSFULLY) -> ForwardMsg:
    msg = ForwardMsg()
    msg.script_finished = status
    return msg


def test_a_sign_in_that_reruns_ends_with_the_second_run(lw):
    cache = lw.MessageCache()
    outcome = lw.Outcome()
    first_run = [
        new_session(),
        navigation("sign-in", ("Sign in", "sign-in")),
        element([0, 3, 0], "text_input", id="u", label="Username"),
        element([0, 3, 1], "text_input", id="p", label="Password"),
        element([0, 3, 2], "button", id="s", label="Sign in"),
        finished(ForwardMsg.FINISHED_EARLY_FOR_RERUN),
    ]
    for msg in first_run:
        outcome.absorb(msg, cache)
    assert not outcome.finished
    assert outcome.find("text_input", "Username").id == "u"

    page_info = ForwardMsg()
    page_info.page_info_changed.query_string = "complexity=HIGH"
    second_run = [
        new_session(),
        navigation("p1", ("Overview", "p1"), ("Maps", "p2")),
        element([1, 4], "selectbox", id="c", label="Complexity", options=["All", "Low", "Medium", "High"],
                raw_value="High", default=0),
        element([0, 1], "selectbox", id="m", label="Complexity", options=["x", "y"], default=1),
        page_info,
        finished(),
    ]
    for msg in second_run:
        outcome.absorb(msg, cache)
    assert outcome.finished and outcome.runs == 2 and not outcome.errors
    assert outcome.find("text_input", "Username") is None  # the first run's widgets are stale
    sidebar = outcome.find("selectbox", "Complexity", root=1)
    assert sidebar.id == "c" and sidebar.options == ("All", "Low", "Medium", "High")
    assert sidebar.value == "High"  # the option the server says is chosen
    assert outcome.find("selectbox", "Complexity", root=0).value == "y"  # else the default
    assert [p.title for p in outcome.pages] == ["Overview", "Maps"] and outcome.page_hash == "p1"
    assert outcome.query_string == "complexity=HIGH"
    assert outcome.max_cached_age == 3


def test_exceptions_error_boxes_and_missing_pages_are_errors(lw):
    outcome = lw.Outcome()
    cache = lw.MessageCache()
    missing = ForwardMsg()
    missing.page_not_found.page_name = "nowhere"
    for msg in [
        new_session(),
        element([0, 0], "exception", type="KeyError", message="'borough'\nmore"),
        element([0, 1], "alert", body="Something broke", format=Alert.ERROR),
        element([0, 2], "alert", body="Demo database", format=Alert.INFO),
        missing,
        finished(ForwardMsg.FINISHED_WITH_COMPILE_ERROR),
    ]:
        outcome.absorb(msg, cache)
    assert outcome.finished
    assert outcome.errors == [
        "exception KeyError: 'borough'",
        "error box: Something broke",
        "page not found: nowhere",
        "script finished with a compile error",
    ]


def test_the_cache_answers_references_until_the_message_is_too_old(lw):
    cache = lw.MessageCache(max_age=2)
    big = element([0, 5], "selectbox", id="big", label="Hub", options=["a"])
    big.hash = "h1"
    big.metadata.cacheable = True
    small = element([0, 6], "markdown", body="hi")
    small.hash = "h2"
    cache.add(big)
    cache.add(small)
    assert cache.hashes() == ["h1"]

    ref = ForwardMsg()
    ref.ref_hash = "h1"
    ref.metadata.delta_path.extend([1, 9])
    outcome = lw.Outcome()
    outcome.absorb(ref, cache)
    widget = outcome.find("selectbox", "Hub")
    assert widget.id == "big" and widget.root == 1  # placed where the reference says
    assert cache.hits == 1 and not outcome.errors

    for _ in range(3):
        cache.script_finished()
    assert cache.hashes() == []
    outcome.absorb(ref, cache)
    assert outcome.errors and "never had" in outcome.errors[0]


def test_the_rerun_request_carries_page_widgets_and_cache(lw):
    msg = lw.rerun_message(page_hash="p2", query_string="period=quarter",
                           widgets=[WidgetState(id="c", string_value="High")], cached_hashes=["h1"],
                           url="http://127.0.0.1:1/")
    state = msg.rerun_script
    assert msg.WhichOneof("type") == "rerun_script"
    assert (state.page_script_hash, state.query_string) == ("p2", "period=quarter")
    assert state.widget_states.widgets[0].string_value == "High"
    assert list(state.cached_message_hashes) == ["h1"]
    assert state.context_info.timezone == "Europe/London"


def test_figures_per_interaction_and_together(lw):
    stats = lw.Stats()
    stats.latencies["sign in"] += [1.0, 3.0]
    stats.latencies["open page: Maps"] += [0.5, 0.7, 0.9]
    stats.latencies["open page: Overview"] += [0.2]
    stats.latencies["change filter: Complexity"] += [0.4]
    stats.error("open page: Maps", "error box: x")
    stats.error("run", "cancelled")
    rows = {r["interaction"]: r for r in lw.summary_rows(stats)}
    assert rows["sign in"]["p50_s"] == pytest.approx(2.0)
    assert rows["open page: Maps"]["errors"] == 1 and rows["open page: Maps"]["max_s"] == 0.9
    assert rows["all page opens"]["count"] == 4 and rows["all page opens"]["errors"] == 1
    assert rows["all interactions"]["count"] == 7 and rows["all interactions"]["errors"] == 2
    assert rows["run"]["count"] == 0 and rows["run"]["errors"] == 1
    assert lw.percentile([1.0], 95) == 1.0
    table = lw.format_table(list(rows.values()))
    assert "all interactions" in table and "p95 s" in table


def test_quick_mode_and_bounds(lw):
    args = lw.parse_args(["--quick", "--seconds", "4"])
    assert (args.users, args.seconds, args.referrals) == (2, 4.0, 500)
    assert lw.parse_args([]).users == 20
    with pytest.raises(SystemExit):
        lw.parse_args(["--users", "1000"])


def test_the_cookie_component_reports_like_a_browser(lw):
    jar = lw.CookieJar()

    def component(widget_id, **args):
        return lw.Widget("component_instance", widget_id, "", 0, (), "cookie_manager", lw.json.dumps(args))

    init = component("init", method="getAll")
    assert jar.reports([init]) == {"init": "{}"}  # the first render reports the (no) cookies
    assert jar.reports([init]) == {}  # nothing changed: no report, no rerun
    setter = component("set", method="set", cookie="auth", value="jwt")
    assert jar.reports([init, setter]) == {"set": "true"}  # drawn first, init read the cookies before
    assert jar.reports([init]) == {"init": '{"auth": "jwt"}'}  # the next render sees the new cookie
    assert jar.reports([init]) == {}
    remover = component("delete", method="delete", cookie="auth")
    assert jar.reports([remover, init]) == {"delete": "true", "init": "{}"}
    assert jar.cookies == {}


def test_users_are_placed_on_replicas_in_turn_and_stay_there(lw):
    urls = ["http://127.0.0.1:1", "http://127.0.0.1:2"]
    assert [lw.server_for(urls, n) for n in range(5)] == [urls[0], urls[1], urls[0], urls[1], urls[0]]
    assert {lw.server_for(urls[:1], n) for n in range(5)} == {urls[0]}


def test_replicas_are_bounded_and_only_for_servers_it_starts(lw):
    assert lw.parse_args(["--replicas", "2"]).replicas == 2
    for argv in (["--replicas", "0"], ["--replicas", "9"], ["--replicas", "2", "--url", "http://127.0.0.1:8501"]):
        with pytest.raises(SystemExit):
            lw.parse_args(argv)
