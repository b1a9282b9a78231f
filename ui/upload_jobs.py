"""Imports started from the upload page run in a worker thread, not in the script run.

A large file checked inside the page's script run held that session's run (and, through the GIL
and the database, everyone's) for minutes. Here the page starts an :class:`ImportJob` and
returns at once; a fragment redraws the progress bar every second from the job's counters, and
when the job ends the page shows its result. One import runs at a time per server process
(others wait their turn), so several big uploads cannot exhaust the server's memory together.
The worker touches no Streamlit API: it only updates the job object.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time

from sqlalchemy import Engine

from data_access.cli_import import run_import
from data_access.scoping import AccessScope

LOG = logging.getLogger(__name__)
#: Imports running at once in this process.
_RUNNING = threading.BoundedSemaphore(1)


@dataclasses.dataclass
class ImportJob:
    kind: str
    file_name: str
    write: bool
    #: Rows the file holds, roughly (its line count; None for a workbook): for the bar only.
    expected_rows: int | None = None
    rows: int = 0
    phase: str = "waiting for another import to finish"
    result: object | None = None
    error: str | None = None
    finished: bool = False
    started: float = dataclasses.field(default_factory=time.monotonic)

    def report(self, rows: int, phase: str) -> None:
        self.rows, self.phase = rows, phase

    @property
    def fraction(self) -> float:
        if self.finished:
            return 1.0
        if not self.expected_rows:
            return 0.5 if self.rows else 0.05
        return min(0.95, 0.05 + 0.9 * self.rows / self.expected_rows)

    @property
    def text(self) -> str:
        return f"{self.phase}: {self.rows:,} rows ({time.monotonic() - self.started:,.0f} s)"


def start(kind: str, engine: Engine, data: bytes, *, user: str, scope: AccessScope, write: bool,
          file_name: str) -> ImportJob:
    """Start checking (``write=False``) or importing a file in a worker thread, as ``scope``
    (the uploader's: ``data_access.importers.ownership`` decides what it may write)."""
    expected = data.count(b"\n") if not data.startswith(b"PK") else None
    job = ImportJob(kind=kind, file_name=file_name, write=write, expected_rows=expected)

    def work() -> None:
        with _RUNNING:
            job.phase = "reading"
            try:
                job.result = run_import(kind, engine, data, user=user, scope=scope, progress=job.report,
                                        write=write, file_name=file_name)
            except Exception:  # the sender gets a sentence; the details go to the server's log
                LOG.exception("import of %s (%s) failed", file_name, kind)
                job.error = "The import stopped unexpectedly and nothing was written; the details are in the server log."
            finally:
                job.finished = True

    threading.Thread(target=work, name=f"import-{kind}", daemon=True).start()
    return job
