"""The regional EPOP progress report (one region) with the national summary of all 13 plans
(000 §7, §15; Decision 7). Gathered by :func:`reports.pack_data.epop_report_data` from the EPOP
read models in :mod:`data_access.epop`, which refuse roles that may not read EPOP plans.
"""

from __future__ import annotations

from reports.build import build


def build_epop_report(engine, fmt: str, **kwargs):
    """``(pack, bytes)``; pass ``epop_user`` (who is asking) and ``region_code`` (None: national only)."""
    return build(engine, "epop", fmt, **kwargs)
