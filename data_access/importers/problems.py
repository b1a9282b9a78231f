"""What an import tells its sender: every problem, in plain words, and what it did.

A :class:`Problem` names the row as a spreadsheet shows it (the heading row is row 1, the
first data row is row 2; an Excel sheet's own row numbers), the column, the value as it was
written, and the reason in words a provider's data officer understands.
"""

from __future__ import annotations

import csv
import io
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from domain.export import neutralise_cell

#: Problems kept in memory for the report. Every problem is still counted (and summarised by
#: column and reason); only the listing stops here, so a million-row file of garbage cannot
#: exhaust memory. The report says when the listing was cut short.
MAX_LISTED_PROBLEMS = 100_000


@dataclass(frozen=True, slots=True)
class Problem:
    line: int | None  # spreadsheet row (heading = 1); None for a problem with the whole file
    column: str | None
    value: str | None
    reason: str

    def as_text(self) -> str:
        where = "file" if self.line is None else f"row {self.line}"
        if self.column:
            where += f", column {self.column}"
        shown = "" if self.value in (None, "") else f" (value {self.value!r})"
        return f"{where}: {self.reason}{shown}"


@dataclass
class ProblemLog:
    """Collects problems; counts all of them, lists up to :data:`MAX_LISTED_PROBLEMS`."""

    limit: int = MAX_LISTED_PROBLEMS
    listed: list[Problem] = field(default_factory=list)
    total: int = 0
    by_reason: Counter = field(default_factory=Counter)
    bad_lines: set[int] = field(default_factory=set)

    def add(self, line: int | None, column: str | None, value, reason: str) -> None:
        self.total += 1
        self.by_reason[(column, reason)] += 1
        if line is not None:
            self.bad_lines.add(line)
        if len(self.listed) < self.limit:
            shown = None if value is None else str(value)
            if shown is not None and len(shown) > 200:
                shown = shown[:200] + "…"
            self.listed.append(Problem(line, column, shown, reason))

    def extend(self, problems) -> None:
        for p in problems:
            self.add(p.line, p.column, p.value, p.reason)

    def __bool__(self) -> bool:
        return self.total > 0

    @property
    def truncated(self) -> bool:
        return self.total > len(self.listed)

    def sorted(self) -> list[Problem]:
        return sorted(self.listed, key=lambda p: (p.line or 0, p.column or "", p.reason))


@dataclass
class ImportResult:
    """The outcome of validating (and, if asked and clean, writing) one file."""

    kind: str
    file_name: str
    sha256: str
    rows_read: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    problems: ProblemLog = field(default_factory=ProblemLog)
    #: Things done that an admin should know about (e.g. a new contract registered).
    notices: list[str] = field(default_factory=list)
    batch_id: int | None = None
    written: bool = False
    seconds: float = 0.0
    #: Seconds spent in each phase (reading, validating, loading, indexes, commit…), summed
    #: over chunks, for benchmarks and logs. Reading and validating run in a second thread
    #: while rows are written, so the phases can add up to more than ``seconds``.
    phases: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        """Add the time spent inside the ``with`` block to ``phases[phase]``."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.phases[phase] = self.phases.get(phase, 0.0) + time.perf_counter() - started

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def rows_rejected(self) -> int:
        return len(self.problems.bad_lines)

    def summary(self) -> str:
        if self.ok and self.written:
            return (
                f"{self.kind}: {self.file_name}: imported as batch {self.batch_id}: "
                f"{self.rows_read:,} rows read, {self.rows_inserted:,} inserted, "
                f"{self.rows_updated:,} updated, {self.rows_unchanged:,} unchanged "
                f"in {self.seconds:.1f} s"
            )
        if self.ok:
            return f"{self.kind}: {self.file_name}: {self.rows_read:,} rows read, no problems found (nothing written)"
        more = " (listing cut short; every problem is counted)" if self.problems.truncated else ""
        return (
            f"{self.kind}: {self.file_name}: NOT imported: {self.problems.total:,} problems on "
            f"{self.rows_rejected:,} rows{more}; nothing was written"
        )


REPORT_COLUMNS = ("row", "column", "value", "problem")


def problems_csv(problems: ProblemLog) -> str:
    """The problem list as CSV text (row, column, value, problem), in row order, formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for p in problems.sorted():
        # The value is echoed as uploaded: neutralise it so a spreadsheet opening the problem
        # list never runs it as a formula (the same rule as every other export).
        writer.writerow(["" if p.line is None else p.line, neutralise_cell(p.column or ""),
                         neutralise_cell(p.value or ""), neutralise_cell(p.reason)])
    if problems.truncated:
        writer.writerow(["", "", "", f"... and {problems.total - len(problems.listed):,} more problems not listed"])
    return buffer.getvalue()


def write_problems_csv(problems: ProblemLog, path: str | Path) -> None:
    Path(path).write_text(problems_csv(problems), encoding="utf-8")
