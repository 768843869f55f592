"""Collecting data problems and reporting them all at once.

Loaders and checks never raise on the first problem they meet. They add a
:class:`Problem` to a :class:`ProblemLog`; when loading is finished the log raises
one :class:`DataError` that lists every problem, each naming the file, the column,
the rows, the offending values and what to do about it.

Row numbers in messages are *file* row numbers as a spreadsheet shows them: the
header is row 1 and the first data row is row 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

Severity = Literal["error", "warning"]

__all__ = [
    "DataError",
    "Problem",
    "ProblemLog",
    "did_you_mean",
    "format_rows",
    "format_values",
    "plural",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the user's data or configuration.

    Attributes
    ----------
    message : str
        What is wrong, in plain words.
    file : str or None
        The file the problem is in, as the user named it.
    column : str or None
        The column concerned.
    rows : tuple of int
        File row numbers (header = row 1) concerned, possibly a sample.
    fix : str or None
        What the user should do.
    severity : {"error", "warning"}
        Errors stop a run; warnings are reported and the run goes on.
    """

    message: str
    file: str | None = None
    column: str | None = None
    rows: tuple[int, ...] = ()
    fix: str | None = None
    severity: Severity = "error"

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"{self.file}")
        if self.column:
            where.append(f"column '{self.column}'")
        if self.rows:
            where.append(format_rows(self.rows))
        head = f"[{self.severity}] " + (
            ": ".join([", ".join(where), self.message]) if where else self.message
        )
        if self.fix:
            head += f"\n    → {self.fix}"
        return head


class DataError(Exception):
    """Raised once, after loading, when the data has one or more fatal problems.

    The message lists every problem found (errors first, then warnings) so a user
    can fix them all in one pass. ``problems`` holds the :class:`Problem` objects.
    """

    def __init__(self, problems: Sequence[Problem], context: str | None = None):
        self.problems = list(problems)
        self.context = context
        super().__init__(self._render())

    def _render_traceback_(self) -> list[str]:
        """What IPython/Jupyter shows for this error: the list of problems, not a traceback."""
        return [f"DataError: {self}"]

    def _render(self) -> str:
        errors = [p for p in self.problems if p.severity == "error"]
        warnings = [p for p in self.problems if p.severity == "warning"]
        head = f"{len(errors)} problem{'s' if len(errors) != 1 else ''} must be fixed"
        if self.context:
            head += f" in {self.context}"
        lines = [head + ":"]
        lines += [f"  {i}. {str(p)}" for i, p in enumerate(errors, 1)]
        if warnings:
            lines.append(
                f"and {len(warnings)} warning{'s' if len(warnings) != 1 else ''}:"
            )
            lines += [f"  - {str(p)}" for p in warnings]
        return "\n".join(lines)


@dataclass
class ProblemLog:
    """An ordered collection of problems found while loading or checking data.

    Examples
    --------
    >>> log = ProblemLog()
    >>> log.error("Counts must not be negative.", file="deaths.csv", column="deaths",
    ...           rows=[4, 9], fix="Correct or remove these rows.")
    >>> log.has_errors
    True
    """

    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        """Add a problem."""
        self.problems.append(problem)

    def error(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        column: str | None = None,
        rows: Iterable[int] = (),
        fix: str | None = None,
    ) -> None:
        """Record a fatal problem."""
        self.add(
            Problem(
                message, _name(file), column, tuple(int(r) for r in rows), fix, "error"
            )
        )

    def warning(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        column: str | None = None,
        rows: Iterable[int] = (),
        fix: str | None = None,
    ) -> None:
        """Record a problem that does not stop the run."""
        self.add(
            Problem(
                message,
                _name(file),
                column,
                tuple(int(r) for r in rows),
                fix,
                "warning",
            )
        )

    def extend(self, other: ProblemLog | Iterable[Problem]) -> None:
        """Append all problems from another log."""
        self.problems.extend(other.problems if isinstance(other, ProblemLog) else other)

    @property
    def errors(self) -> list[Problem]:
        """The fatal problems."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """The non-fatal problems."""
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def has_errors(self) -> bool:
        """Whether any problem is fatal."""
        return bool(self.errors)

    def raise_if_errors(self, context: str | None = None) -> None:
        """Raise one :class:`DataError` listing every problem if any is fatal."""
        if self.has_errors:
            raise DataError(self.problems, context)

    def __len__(self) -> int:
        return len(self.problems)

    def __str__(self) -> str:
        if not self.problems:
            return "No problems found."
        return (
            DataError(self.problems)._render()
            if self.has_errors
            else "\n".join(f"- {p}" for p in self.problems)
        )


def _name(file: str | Path | None) -> str | None:
    return None if file is None else str(file)


def format_rows(rows: Sequence[int], limit: int = 8) -> str:
    """Describe file row numbers compactly: ``"rows 2, 5, 9 and 3 more"``.

    Examples
    --------
    >>> format_rows([3])
    'row 3'
    >>> format_rows(list(range(2, 14)))
    'rows 2, 3, 4, 5, 6, 7, 8, 9 and 4 more'
    """
    rows = list(rows)
    if len(rows) == 1:
        return f"row {rows[0]}"
    shown = ", ".join(str(r) for r in rows[:limit])
    more = len(rows) - limit
    return f"rows {shown}" + (f" and {more} more" if more > 0 else "")


def format_values(values: Iterable[object], limit: int = 5) -> str:
    """Quote a sample of offending values: ``"'E01', 'x' and 7 more"``."""
    values = list(dict.fromkeys(values))
    shown = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values[:limit])
    more = len(values) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Suggest the closest candidate to a misspelt name, or ``""`` if none is close.

    Examples
    --------
    >>> did_you_mean("lsoa21_cod", ["lsoa21_code", "imd_score"])
    " (did you mean 'lsoa21_code'?)"
    """
    lowered = {str(c).lower(): str(c) for c in candidates}
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean '{lowered[match[0]]}'?)" if match else ""


def file_rows(index: pd.Index | Sequence[int], header_rows: int = 1) -> list[int]:
    """Convert 0-based data-row positions to file row numbers (header = row 1)."""
    return [int(i) + header_rows + 1 for i in index]


def plural(n: int, word: str, words: str | None = None) -> str:
    """``"1 row"``, ``"3 rows"``: a count with its noun in the right number.

    Examples
    --------
    >>> plural(1, "LSOA code"), plural(2, "LSOA code"), plural(2, "country", "countries")
    ('1 LSOA code', '2 LSOA codes', '2 countries')
    """
    return f"{n:,} {word if n == 1 else (words or word + 's')}"
