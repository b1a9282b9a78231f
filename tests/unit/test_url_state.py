"""The address helper's pure parts: reading a value from the address against the widget's
options, writing it back, and the view statement and file name built from the filters."""

from __future__ import annotations

import datetime as dt

from data_access.scoping import ReferralFilters
from metrics import periods
from ui import url_state
from ui.view import file_name, statement, view_link

KINDS = ["month", "quarter", "contract_year", "custom"]


def test_parse_finds_the_option_by_its_address_text():
    assert url_state.parse("month", KINDS) == "month"
    assert url_state.parse(["quarter", "month"], KINDS) == "month"  # a repeated parameter: the last wins
    assert url_state.parse("Month", KINDS) is None  # the label is not the code
    assert url_state.parse("", KINDS) is None
    assert url_state.parse(None, KINDS) is None
    assert url_state.parse([], KINDS) is None


def test_parse_uses_the_widgets_own_text_for_booleans_and_dates():
    assert url_state.parse("on", (False, True)) is True
    assert url_state.parse("off", (False, True)) is False
    assert url_state.parse("true", (False, True)) is None
    day = dt.date(2026, 3, 1)
    assert url_state.parse("2026-03-01", [dt.date(2026, 2, 1), day]) == day


def test_parse_date_drops_malformed_and_out_of_range_dates():
    lo, hi = dt.date(2023, 9, 4), dt.date(2026, 3, 31)
    assert url_state.parse_date("2026-01-15", lo, hi) == dt.date(2026, 1, 15)
    assert url_state.parse_date("2026-13-01", lo, hi) is None
    assert url_state.parse_date("yesterday", lo, hi) is None
    assert url_state.parse_date("2023-09-03", lo, hi) is None  # before the service began
    assert url_state.parse_date("2026-04-01", lo, hi) is None  # after the data
    assert url_state.parse_date(None, lo, hi) is None


def test_serialise_leaves_out_none_and_the_omitted_values():
    assert url_state.serialise("All", omit=("All",)) is None
    assert url_state.serialise(None) is None
    assert url_state.serialise("Salford", omit=("All",)) == "Salford"
    assert url_state.serialise(True) == "on"
    assert url_state.serialise(dt.date(2026, 3, 1)) == "2026-03-01"


def test_round_trip_of_every_option():
    options = ["All", "Bolton", "Salford", "Wigan & Leigh", "Name with spaces / slash"]
    for option in options:
        assert url_state.parse(url_state.serialise(option), options) == option


def test_resolve_prefers_the_persons_choice_then_the_address_then_the_default():
    boroughs = ["All", "Bolton", "Salford"]
    # New widget (a shared link): the address's value, set into session state.
    assert url_state.resolve(None, False, "Salford", boroughs, "All") == ("Salford", True)
    # New widget, address names no option (old link, hand edit, outside the user's scope): default.
    assert url_state.resolve(None, False, "Atlantis", boroughs, "All") == ("All", True)
    assert url_state.resolve(None, False, None, boroughs, "All") == ("All", True)
    # The person's current choice wins over the address, and session state is left alone.
    assert url_state.resolve("Bolton", True, "Salford", boroughs, "All") == ("Bolton", False)
    # A choice no longer valid (its parent filter changed) goes back to the default, not to the address.
    assert url_state.resolve("Wigan", True, "Salford", boroughs, "All") == ("All", True)


def test_resolve_with_a_parser_for_open_ended_values():
    parse = lambda raw: url_state.parse_date(raw, dt.date(2023, 9, 4), dt.date(2026, 3, 31))  # noqa: E731
    assert url_state.resolve(None, False, "2026-01-01", None, dt.date(2026, 3, 1), from_text=parse) == (
        dt.date(2026, 1, 1), True)
    assert url_state.resolve(None, False, "2030-01-01", None, dt.date(2026, 3, 1), from_text=parse) == (
        dt.date(2026, 3, 1), True)


def _filters(**extra):
    base = {"Region": "All", "PDU": "All", "Borough": "All", "Hub": "All", "Contract": "All", "Complexity": "All"}
    return ReferralFilters(extra={**base, **extra})


def test_the_view_statement_names_period_areas_complexity_and_choices():
    quarter = periods.quarter(dt.date(2026, 3, 20))
    assert statement(_filters(), quarter) == f"{quarter.label} · All areas"
    assert statement(_filters(Borough="Salford", Complexity="High"), quarter) == (
        f"{quarter.label} · Salford · High complexity")
    month = periods.month(dt.date(2026, 3, 1))
    assert statement(_filters(PDU="Manchester", Hub="Hub A", Contract="GMIRS-1"), month,
                     choices={"Compare by": "Hub"}) == (
        "March 2026 · Manchester · Hub A · Contract GMIRS-1 · Compare by: Hub")
    assert statement(_filters(), quarter, everywhere="All areas of your contract") == (
        f"{quarter.label} · All areas of your contract")
    # A role that sees no referrals has no referral filters to state.
    assert statement(_filters(), quarter, sees_referrals=False, choices={"Plan": "Region A"}) == "Plan: Region A"


def test_file_names_carry_the_view_and_stay_safe():
    name = file_name("kpis_scorecard", "2025/26 Q4 (Jan–Mar 2026) · Salford · High complexity")
    assert name == "kpis_scorecard - 2025-26 Q4 (Jan-Mar 2026) - Salford - High complexity.csv"
    assert file_name("x", "") == "x.csv"
    assert "/" not in file_name("x", "a/b\\c:d*e?f\"g<h>i|j")
    assert len(file_name("x", "y" * 500)) <= 154


def test_the_view_link_is_relative_unless_a_base_url_is_set():
    params = {"period": ["month"], "at": ["2026-03-01"], "borough": ["Wigan & Leigh"]}
    assert view_link(None, "kpis", params) == "/kpis?period=month&at=2026-03-01&borough=Wigan+%26+Leigh"
    assert view_link("https://dash.example.gov.uk/", "kpis", {}) == "https://dash.example.gov.uk/kpis"


def test_resolve_keeps_a_choice_whose_label_changed():
    # Compare areas' tabs are labelled by the measure; the address says "every" whichever measure.
    text = lambda t: "every" if t.startswith("Every") else "one"  # noqa: E731
    tabs = ["DS3 by hub", "Every measure by hub"]
    assert url_state.resolve("Every measure by borough", True, None, tabs, tabs[0], text=text) == (tabs[1], True)
    assert url_state.resolve(None, False, "every", tabs, tabs[0], text=text) == (tabs[1], True)
