"""The websocket load generator still works against the real server: a few seconds of a smoke
run (two users, small demo database) signs both in, opens pages and sees no error.

It proves ``benchmarks/load_ws.py`` (the load test, not itself a test) keeps speaking the
protocol the installed Streamlit speaks and keeps finding the sign-in form and the filters.
About 20-30 s on 2 shared cores: building the database, starting the server, 6 s of users.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_two_users_sign_in_and_move_through_pages_without_errors(tmp_path):
    out = tmp_path / "figures.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "load_ws.py"), "--quick", "--seconds", "15",
         "--think", "0.5", "--ramp-up", "0.5", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=150,
    )
    report = result.stdout + result.stderr[-3000:]
    assert out.exists(), report
    figures = json.loads(out.read_text())
    assert figures["errors"] == [], report
    assert figures["sign_ins"] == 2, report
    assert figures["page_opens"] >= 1, report
    assert figures["server_tracebacks"] == 0, report
    rows = {row["interaction"]: row for row in figures["rows"]}
    assert rows["sign in"]["count"] == 2 and rows["all page opens"]["count"] >= 1, report
    assert figures["server_peak_rss_mib"] > 0
    assert result.returncode == 0, report
