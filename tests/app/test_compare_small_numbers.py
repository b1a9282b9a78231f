"""Compare areas on a small database, where most areas hold 1–4 people: nothing of 1–4 people
can be recovered from the page's data frames (DOMAIN.md "Suppression"): not a count, not a
complement (cases − met), not a rate × cases, not the whole view's total (published on the
KPIs page) less the counts shown, and the matrix shows no value its measure's table withholds."""

from __future__ import annotations

import pandas as pd
import pytest

from data_access.db import make_engine
from domain.catalogue import KPI_CODES
from metrics import panels
from metrics.disclosure import SUPPRESSED
from tests.app.test_compare_page import frames, open_compare
from tests.app.test_pages import expected_panel
from tests.browser.server import make_demo_database


@pytest.fixture(scope="module")
def demo_db_url(tmp_path_factory) -> str:
    """Overrides tests/app/conftest.py's 3,000 referrals with 150: small counts everywhere."""
    return make_demo_database(tmp_path_factory.mktemp("smalldb") / "small.db", referrals=150)


@pytest.fixture()
def env(app_env):
    return make_engine(app_env)


def _number(text: str) -> int | None:
    return None if text in (SUPPRESSED, "not shown", "–", "no data") else int(text.replace(",", ""))


def _nothing_small_recoverable(table: pd.DataFrame, whole_met: int, whole_cases: int, comparator_shown: bool) -> None:
    met, cases = table["met"].map(_number), table["cases"].map(_number)
    not_met = cases - met
    for column in (met, not_met, cases):
        known = column.dropna()
        assert not ((known >= 1) & (known <= 4)).any(), table
    for _, row in table.iterrows():  # a rate shown beside a hidden count gives the count back
        if row["value"] not in ("not shown", "no data"):
            assert _number(row["met"]) is not None and _number(row["cases"]) is not None, row
    # The whole view's counts are published (KPIs page) unless they are 1–4 people themselves:
    # one unknown cell in a column would be the published total less the others.
    small = lambda n: 1 <= n <= 4  # noqa: E731
    published = {"met": not small(whole_met), "not met": not (small(whole_met) or small(whole_cases)
                                                              or small(whole_cases - whole_met)),
                 "cases": not small(whole_cases)}
    for name, column, total in (("met", met, whole_met), ("not met", not_met, whole_cases - whole_met),
                                ("cases", cases, whole_cases)):
        if published[name]:
            assert column.isna().sum() != 1, (name, column, total)
        if column.isna().sum() == 0:
            assert column.sum() == total  # every case belongs to a row (no unlisted remainder)
    # The whole view's rate is shown only where it gives back no count of 1–4 people.
    if comparator_shown:
        assert published["met"] and published["not met"]


@pytest.mark.parametrize("by", ["borough", "hub"])
def test_nothing_of_one_to_four_people_is_recoverable_from_the_page(env, by):
    at = open_compare("commissioner", query={"by": by})
    card = expected_panel(env, "commissioner", panels.period_scorecard)
    hidden_somewhere = False
    for code in KPI_CODES:
        if code == "DS1":
            continue
        at.selectbox(key="compare_code").set_value(code).run()
        assert not at.exception
        table = frames(at)[0]
        result = card.kpi(code)
        notes = " ".join(c.value for c in at.caption)
        comparator_shown = f"({panels.compare.NOT_SHOWN})" not in notes and "(no data)" not in notes
        _nothing_small_recoverable(table, int(result.numerator), int(result.denominator), comparator_shown)
        hidden_somewhere |= (table["met"] == SUPPRESSED).any()
        # The matrix (second frame) shows a value only where this measure's table does.
        matrix = frames(at)[1].set_index("area")
        shown = table.set_index("area")["value"]
        for area, cell in matrix[code].items():
            assert cell.split(" ")[0] == shown.get(area, "–").split(" ")[0], (code, area, cell)
    assert hidden_somewhere  # the crafted small numbers did reach the disclosure rules


def test_ds1_referral_counts_of_one_to_four_are_not_shown(env):
    at = open_compare("commissioner", query={"measure": "DS1", "by": "hub"})
    table = frames(at)[0]
    counts = table["met"].map(_number).dropna()
    assert not ((counts >= 1) & (counts <= 4)).any(), table
    hidden = table["met"] == SUPPRESSED
    assert (table.loc[hidden, "value"] == "not shown").all()
