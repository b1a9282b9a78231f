"""Duplicate keys are found across chunks, each repeat naming the row where the key first appears."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from data_access.importers.problems import ProblemLog
from data_access.importers.ram import DuplicateKeys


def found(keys: list[str | None], chunk: int) -> list[tuple[int, str, str]]:
    duplicates, log = DuplicateKeys("referral_id"), ProblemLog()
    for start in range(0, len(keys), chunk):
        part = keys[start:start + chunk]
        duplicates.check(np.array(part, dtype=object), np.arange(start + 2, start + 2 + len(part)), log)
    return sorted((p.line, p.value, p.reason) for p in log.listed)


def expected(keys: list[str | None]) -> list[tuple[int, str, str]]:
    first: dict[str, int] = {}
    out = []
    for row, key in enumerate(keys, start=2):
        if key is None:
            continue
        if key in first:
            out.append((row, key, f"appears more than once in the file (first on row {first[key]})"))
        else:
            first[key] = row
    return sorted(out)


@given(st.lists(st.one_of(st.none(), st.sampled_from([f"id-{i}" for i in range(12)])), max_size=60),
       st.integers(1, 20))
def test_every_repeat_is_reported_against_the_first_row_whatever_the_chunks(keys, chunk):
    assert found(keys, chunk) == expected(keys)


def test_a_key_repeated_within_a_later_chunk_names_its_row_in_an_earlier_chunk():
    keys = ["a", "b", "c", "a", "a"]
    assert found(keys, 3) == [
        (5, "a", "appears more than once in the file (first on row 2)"),
        (6, "a", "appears more than once in the file (first on row 2)"),
    ]
