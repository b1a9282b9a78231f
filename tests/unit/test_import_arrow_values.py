"""The Arrow fast path of the importers agrees with the pandas reference validators.

Every helper in :mod:`data_access.importers.arrow_values` must either answer exactly what the
reference (:mod:`data_access.validation`) would, or decline (``None``) so the reference runs.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from data_access.importers import arrow_values as av
from data_access.validation import london_day, parse_bools, parse_numbers, parse_timestamps, text_or_none


def reference_timestamps(values: list[str]) -> pd.Series:
    parsed, bad = parse_timestamps(pd.Series(values, dtype="str"))
    assert not bad.any()
    return parsed


def as_utc_micros(parsed: pd.Series) -> list:
    return [None if pd.isna(v) else v.value // 1000 for v in parsed]


def arrow_micros(stamps: pa.Array) -> list:
    return stamps.cast(pa.int64()).to_pylist()


def test_london_dates_match_pandas_across_the_plausible_years_and_every_clock_change():
    rng = np.random.default_rng(7)
    micros = rng.integers(946_684_800, 4_102_444_800, 200_000) * 1_000_000
    changes = av._london_offsets()[0]
    near = np.concatenate([changes + d for d in (-1_000_000, -1, 0, 1, 3_599_999_999, 3_600_000_000)])
    micros = np.concatenate([micros, near[(near >= 946_684_800_000_000) & (near < 4_102_444_800_000_000)]])
    stamps = pa.array(micros, type=av.UTC_MICROS)
    expected = london_day(pd.Series(pd.to_datetime(micros, unit="us", utc=True))).to_numpy(dtype="datetime64[D]")
    got = av.london_dates(stamps).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    assert (got == expected).all()


def test_london_dates_keep_nulls_and_follow_domain_examples():
    stamps = pa.array([dt.datetime(2024, 6, 30, 23, 30), None, dt.datetime(2024, 3, 31, 23, 30)], type=av.UTC_MICROS)
    assert av.london_dates(stamps).to_pylist() == [dt.date(2024, 7, 1), None, dt.date(2024, 4, 1)]


PLAIN = [
    "2024-06-30T23:30:00Z", "2024-07-03T10:05:12.345Z", "2024-07-01T00:30:00+01:00",
    "2024-07-01T00:30:00.123456-05:30", "2099-12-31T23:59:59Z", "2000-01-01T00:00:00Z", "",
    # As Refer and Monitor writes them: OffsetDateTime.toString() drops zero seconds; the
    # NDMIS feed has a space and an hours-only offset.
    "2024-06-30T09:30Z", "2024-06-30T09:30:37.123456Z", "2024-06-30 23:30:00.000000+00", "2024-03-31 10:00:00Z",
]


def test_plain_timestamps_equal_the_reference():
    got = av.plain_timestamps(pa.array(PLAIN))
    assert got is not None
    assert arrow_micros(got) == as_utc_micros(reference_timestamps(PLAIN))


@pytest.mark.parametrize("value", [
    "2024-02-30T10:00:00Z",  # no such day: the reference says so
    "2024-03-31T10:00:00",  # no offset
    "31/03/2024 10:00",
    " 2024-03-31T10:00:00Z",  # spaces: the reference trims them
    "2024-03-31T10:00:00.1234567Z",
    "2024-03-31T10:00:00+0100",
    "1999-12-31T23:59:59Z",  # before the plausible years: the reference refuses it
    "2100-01-01T00:00:00Z",
    "2024-03-31T24:00:00Z",
    "next week",
])
def test_anything_but_plain_timestamps_goes_to_the_reference(value):
    assert av.plain_timestamps(pa.array(["2024-06-30T23:30:00Z", value])) is None


def test_a_required_timestamp_column_with_a_blank_goes_to_the_reference():
    assert av.plain_timestamps(pa.array(["2024-06-30T23:30:00Z", ""]), required=True) is None


@given(st.lists(st.datetimes(min_value=dt.datetime(2000, 1, 2), max_value=dt.datetime(2099, 12, 30)), min_size=1, max_size=30),
       st.sampled_from(["Z", "+01:00", "-05:30", "+00:00"]), st.booleans())
def test_plain_timestamps_agree_with_the_reference_on_generated_values(moments, zone, fraction):
    text = [m.strftime("%Y-%m-%dT%H:%M:%S") + (f".{m.microsecond:06d}" if fraction else "") + zone for m in moments]
    got = av.plain_timestamps(pa.array(text))
    assert got is not None
    assert arrow_micros(got) == as_utc_micros(reference_timestamps(text))


@given(st.lists(st.one_of(st.integers(0, 10**9 - 1).map(str), st.just("")), min_size=1, max_size=30))
def test_plain_whole_numbers_agree_with_the_reference(values):
    got = av.plain_numbers(pa.array(values), whole=True)
    expected, bad = parse_numbers(pd.Series(values, dtype="str"), whole=True)
    assert got is not None and not bad.any()
    assert got.to_pylist() == [None if pd.isna(v) else int(v) for v in expected]


@given(st.lists(st.one_of(
    st.tuples(st.integers(0, 10**6), st.integers(0, 999_999), st.integers(1, 6)).map(
        lambda t: f"{t[0]}.{str(t[1]).zfill(6)[:t[2]]}"),
    st.integers(0, 99).map(str), st.just(""),
), min_size=1, max_size=30))
def test_plain_decimals_agree_with_the_reference_to_the_last_bit(values):
    got = av.plain_numbers(pa.array(values), whole=False)
    expected, bad = parse_numbers(pd.Series(values, dtype="str"), whole=False)
    assert got is not None and not bad.any()
    assert got.to_pylist() == [None if pd.isna(v) else float(v) for v in expected]


@pytest.mark.parametrize("value", ["-1", "2.5", " 3", "1e3", "three", "+4", "0x10"])
def test_anything_but_plain_whole_numbers_goes_to_the_reference(value):
    assert av.plain_numbers(pa.array(["1", value]), whole=True) is None


def test_plain_words_take_any_case_and_decline_anything_else():
    words = {"true": True, "false": False}
    got = av.plain_words(pa.array(["true", "FALSE", " True ", ""]), words, pa.bool_(), trim=True)
    expected, bad = parse_bools(pd.Series(["true", "FALSE", " True ", ""], dtype="str"), words)
    assert got.to_pylist() == [None if pd.isna(v) else bool(v) for v in expected] and not bad.any()
    assert av.plain_words(pa.array(["true", "yes"]), words, pa.bool_(), trim=True) is None
    assert av.plain_words(pa.array(["ended", " ended"]), {"ended": "ended"}, pa.string(), trim=False) is None


def test_trimmed_text_is_the_references_text_or_none():
    values = ["  GM1 ", "", "   ", "\tX123456\n", "Siân Bénard"]
    expected = text_or_none(pd.Series(values, dtype="str"))
    assert av.trimmed_text(pa.array(values)).to_pylist() == [None if pd.isna(v) else v for v in expected]


@pytest.mark.parametrize(("values", "rules", "plain"), [
    (["X123456", "A000001"], dict(max_length=20, required=True, pattern=r"^[A-Z][0-9]{6}$"), True),
    (["X123456", "12345"], dict(max_length=20, required=True, pattern=r"^[A-Z][0-9]{6}$"), False),
    (["abc", None], dict(max_length=5, required=True), False),
    (["abc", None], dict(max_length=5, required=False), True),
    (["abcdef"], dict(max_length=5, required=False), False),
    (["Siân"], dict(max_length=4, required=False), True),  # characters, not bytes
    (["a\x00b"], dict(max_length=5, required=False), False),
])
def test_text_rules(values, rules, plain):
    assert av.text_is_plain(pa.array(values, pa.string()), **rules) is plain


def test_plain_dates_as_refer_and_monitor_writes_them():
    import datetime as dt

    assert av.plain_dates(pa.array(["2024-12-31", "", "2024-02-29"])).to_pylist() == [
        dt.date(2024, 12, 31), None, dt.date(2024, 2, 29)]


@pytest.mark.parametrize("value", ["2024-02-30", "31/12/2024", "2024-12-31T00:00:00Z", "1999-12-31", " 2024-12-31"])
def test_anything_but_a_plain_date_goes_to_the_reference(value):
    assert av.plain_dates(pa.array(["2024-12-31", value])) is None
