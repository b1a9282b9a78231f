"""``python -m metrics`` starts without the pack builders and renderers (PDF, PowerPoint,
Excel) or the page panels: each command imports what only it needs when it runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HEAVY = ("reports.build", "reports.pack_data", "reports.pdf", "reports.slides", "reports.workbook",
         "metrics.panels", "metrics.compare", "fpdf", "pptx", "openpyxl")


def test_parsing_a_command_imports_no_pack_code():
    script = (
        "import sys; import metrics.__main__ as m; "
        "m.build_parser().parse_args(['scorecard', '--from', '2025-01-01', '--to', '2025-03-31']); "
        f"print(','.join(sorted(n for n in {HEAVY!r} if n in sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_compare_choices_are_the_area_kinds():
    from metrics.__main__ import COMPARE_BY
    from metrics.compare import AREA_KINDS

    assert COMPARE_BY == tuple(AREA_KINDS)


def test_pack_kinds_are_the_builders_kinds():
    from reports.build import KINDS
    from reports.kinds import KINDS as OFFERED

    assert KINDS is OFFERED
