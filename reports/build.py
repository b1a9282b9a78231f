"""Build any pack in any format: the one entry point the CLI and the Board packs page use."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import replace

from sqlalchemy import Engine

from data_access.db import session_scope
from data_access.scoping import AccessScope, ReferralFilters
from data_access.settings import Settings
from metrics.periods import Period
from reports.pack_data import (
    Pack,
    PackKind,
    PackRequest,
    Progress,
    _noop,
    board_pack_data,
    contract_pack_data,
    epop_report_data,
)
from reports.kinds import KINDS  # noqa: F401 - re-exported: reports.build.KINDS
from reports.pdf import pack_to_pdf
from reports.slides import pack_to_pptx
from reports.workbook import pack_to_xlsx

RENDERERS: dict[str, Callable[[Pack], bytes]] = {"pptx": pack_to_pptx, "pdf": pack_to_pdf, "xlsx": pack_to_xlsx}
MIME_TYPES = {
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def format_for(path: str) -> str:
    """The format a file name asks for (.pptx, .pdf or .xlsx)."""
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if suffix not in RENDERERS:
        raise ValueError(f"Choose a .pptx, .pdf or .xlsx file name (got {path!r}).")
    return suffix


def render(pack: Pack, fmt: str) -> bytes:
    return RENDERERS[fmt](pack)


def gather(
    engine: Engine,
    kind: PackKind,
    *,
    period: Period,
    scope: AccessScope,
    settings: Settings,
    filters: ReferralFilters | None = None,
    as_of: dt.date | None = None,
    epop_user=None,
    region_code: str | None = None,
    progress: Progress = _noop,
) -> Pack:
    """Gather one pack's data in a read-only session (access rules applied by the gatherers)."""
    request = PackRequest(period=period, scope=scope, filters=filters or ReferralFilters(), as_of=as_of)
    with session_scope(engine) as session:
        if kind == "board":
            pack = board_pack_data(session, request, settings, progress)
        elif kind == "contract":
            if request.filters.contract_id is None and scope.role != "provider":
                raise ValueError("A contract pack is for one contract: choose the contract.")
            pack = contract_pack_data(session, request, settings, progress)
        elif kind == "epop":
            pack = epop_report_data(session, period, epop_user, settings, region_code, progress)
        else:
            raise ValueError(f"Unknown pack kind {kind!r}; choose one of {', '.join(KINDS)}.")
    return replace(pack, template=settings.pack_template, base_url=settings.base_url)


def build(engine: Engine, kind: PackKind, fmt: str, *, progress: Progress = _noop, **kwargs) -> tuple[Pack, bytes]:
    """Gather and render: returns the pack (for its context) and the file's bytes."""
    pack = gather(engine, kind, progress=progress, **kwargs)
    progress(0.8, f"Writing the {fmt.upper()} file")
    content = render(pack, fmt)
    progress(1.0, "Done")
    return pack, content


def file_name(pack: Pack, fmt: str) -> str:
    scope = "-".join(re.sub(r"[^A-Za-z0-9]+", "-", value).strip("-") for label, value in pack.filters
                     if label in ("Contract", "Region", "Provider", "Borough"))
    parts = [pack.kind, pack.period.start.isoformat(), pack.period.end.isoformat()] + ([scope[:40]] if scope else [])
    return "_".join(parts) + f".{fmt}"
