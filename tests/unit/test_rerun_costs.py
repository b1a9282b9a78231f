"""What keeps a rerun cheap without changing what is shown: one computation per view at a time,
CSVs that only touch cells that need it, and charts sent without plotly's default template."""

from __future__ import annotations

import threading
import time

import pandas as pd

from domain.export import safe_csv_bytes
from ui import charts
from ui.panel_data import SingleFlight


def test_callers_of_one_key_wait_for_the_first_and_compute_once():
    flight, cache, computed = SingleFlight(), {}, []

    def compute(key: str) -> None:
        with flight(key):
            if key not in cache:  # as the Streamlit cache would answer after the first
                computed.append(key)
                time.sleep(0.2)
                cache[key] = len(computed)

    threads = [threading.Thread(target=compute, args=("board",)) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert computed == ["board"]
    assert flight.keys() == []  # nothing kept once nobody holds or waits for a key


def test_different_keys_do_not_wait_for_each_other():
    flight = SingleFlight()
    inside = threading.Event()
    release = threading.Event()

    def slow() -> None:
        with flight("slow"):
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=slow)
    thread.start()
    inside.wait(5)
    started = time.perf_counter()
    with flight("other"):
        pass
    waited = time.perf_counter() - started
    release.set()
    thread.join()
    assert waited < 1


def test_a_failed_computation_lets_the_next_caller_try():
    flight = SingleFlight()
    try:
        with flight("k"):
            raise RuntimeError("database went away")
    except RuntimeError:
        pass
    with flight("k"):
        pass
    assert flight.keys() == []


def test_a_csv_changes_only_text_cells_that_start_like_a_formula():
    frame = pd.DataFrame({
        "borough": ["Bolton", "=cmd|' /C calc'!A0", "Wigan"],
        "referrals": ["12", "[c]", "40"],
        "change": [-3, 4, 0],  # numbers stay numbers, negative or not
        "mixed": [1, "-x", None],
        "empty": [None, None, None],
    })
    text = safe_csv_bytes(frame).decode("utf-8-sig").splitlines()
    assert text == ["borough,referrals,change,mixed,empty", "Bolton,12,-3,1,", "'=cmd|' /C calc'!A0,[c],4,'-x,",
                    "Wigan,40,0,,"]


def test_charts_are_sent_without_plotly_s_default_template():
    data = pd.DataFrame({"borough": ["Bolton", "Bury"], "referrals": [10, 12]})
    figure = charts.bar_chart(data, "borough", "referrals")
    assert figure.to_dict()["layout"]["template"].get("layout") is None  # plotly's default has one
    assert [list(t["y"]) for t in figure.to_dict()["data"]] == [["Bury", "Bolton"]]  # the data is all there (top down)
    assert len(figure.to_json()) < 2000  # with plotly's default template it is over 7,000 characters
