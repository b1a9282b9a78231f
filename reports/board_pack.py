"""The quarterly Quality Assurance and Learning Board pack (GMIRS specification §3.2).

Title (period, "data as of"), KPIs against target with variation and assurance, referrals
against the forecast band by borough, complexity mix, distance travelled by need, equalities
(suppressed), spend against profile, the "what changed" findings grouped as successes, gaps
and opportunities, a data-quality note, and the definitions and assumptions appendix. The
tables are gathered by :func:`reports.pack_data.board_pack_data`.
"""

from __future__ import annotations

from reports.build import build


def build_board_pack(engine, fmt: str, **kwargs):
    """``(pack, bytes)`` of the board pack in ``fmt`` (pptx, pdf or xlsx); see :func:`reports.build.gather`."""
    return build(engine, "board", fmt, **kwargs)
