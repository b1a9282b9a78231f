"""The import benchmark's generated Refer and Monitor report is a valid file for today's
importer (it once fell out of step with the columns and every row was refused, so the benchmark
timed a refusal), and its "later" file changes only the rows it says it changes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from data_access.importers.ram import import_ram_performance
from data_access.setup import initialise

PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_import.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_import_under_test", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_the_generated_report_imports_whole_and_the_later_one_changes_what_it_says(bench, engine, tmp_path):
    initialise(engine)
    first = bench.write_ram_csv(tmp_path / "ram.csv", 120)
    result = import_ram_performance(engine, first, user="test")
    assert result.ok, result.summary()
    assert (result.rows_inserted, result.rows_updated) == (120, 0)
    later = bench.write_later_csv(first, tmp_path / "later.csv", changed=12, added=5)
    result = import_ram_performance(engine, later, user="test")
    assert result.ok, result.summary()
    assert (result.rows_inserted, result.rows_updated) == (5, 12)
