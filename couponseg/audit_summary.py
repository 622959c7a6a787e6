"""The input's audit as the CLI prints it, read from a warehouse file: rows raw -> kept +
rejected per table, and the rejected rows by reason.

Also read from a failed build's file just before it is discarded: when every customer (or
every gender, and with it every customer) is rejected, the build fails on a test far
downstream (the run has no as-of date), and without this the reasons would be deleted with
the file. The rejected rows themselves are not kept; the reasons, counts and first source
rows are printed, which is what is needed to fix the input.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from models_py.loader import TABLES


@dataclass(frozen=True)
class Audit:
    """What one warehouse file says about its input."""

    reconciliation: list[tuple[str, int, int, int, int]]  # table, raw, kept, rejected, after
    reasons: list[tuple[str, str, int, int]]  # table, reason, rows, first source row
    raw_rows: dict[str, int]

    def emptied(self) -> list[str]:
        """Tables that had rows and kept none: every row rejected."""
        rejected: dict[str, int] = {}
        for table, _, rows, _ in self.reasons:
            rejected[table] = rejected.get(table, 0) + rows
        return [table for table, raw in sorted(self.raw_rows.items())
                if raw and rejected.get(table, 0) >= raw]

    def reason_lines(self) -> list[str]:
        return [f"  {table:<13} {reason:<34} {rows:>9,}  (first at row {first})"
                for table, reason, rows, first in self.reasons]


def read(warehouse: Path) -> Audit | None:
    """The audit of ``warehouse``; None when the file cannot be opened or has no rejection
    summary (a build that failed before it)."""
    with contextlib.suppress(duckdb.Error, OSError), \
            duckdb.connect(str(warehouse), read_only=True) as con:
        return read_from(con)
    return None


def read_from(con: duckdb.DuckDBPyConnection) -> Audit | None:
    """The audit of the warehouse ``con`` has open; None without a rejection summary."""
    present = {row[0] for row in con.execute(
        "select table_name from information_schema.tables "
        "where table_schema = 'audit'").fetchall()}
    if "audit_rejection_summary" not in present:
        return None
    reasons = con.execute(
        "select source_table, reason, rejected_rows, first_source_row "
        "from audit.audit_rejection_summary order by source_table, priority"
    ).fetchall()
    reconciliation = con.execute(
        "select source_table, raw_rows, kept_rows, rejected_rows, after_as_of_rows "
        "from audit.audit_row_reconciliation order by source_table"
    ).fetchall() if "audit_row_reconciliation" in present else []
    return Audit(reconciliation, reasons, _raw_rows(con, reconciliation))


def _raw_rows(con: duckdb.DuckDBPyConnection,
              reconciliation: list[tuple[str, int, int, int, int]]) -> dict[str, int]:
    """Raw rows per table: the reconciliation's, else (a failed build, which stopped before
    it) counted in the raw tables; a Spark snapshot has the reconciliation but no raw
    tables."""
    if reconciliation:
        return {table: raw for table, raw, *_ in reconciliation}
    present = {row[0] for row in con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw'"
    ).fetchall()}
    return {table: con.execute(f"select count(*) from raw.raw_{table}").fetchone()[0]
            for table in sorted(TABLES) if f"raw_{table}" in present}


def emptied_warning(tables: list[str]) -> str:
    """The warning for tables that kept no rows: whatever depends on them is empty."""
    return (f"WARNING: every row of {', '.join(tables)} was rejected (reasons below); "
            "nothing of it reaches the marts, segments or report.")
