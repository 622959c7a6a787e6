"""Segment runs in the application: carry the stored models and label history from the
previous warehouse into a new build, and say which model scored a run.

The CLI builds into a new file and swaps it in, so the tables that accumulate across runs
(dbt incremental models: stored model versions, their segment names, the runs and the
label history) would start empty every week. Before dbt starts, they are copied from the
previous warehouse, opened read-only (the build lock guarantees no writer), into the new
file; dbt then appends to them as it does in place for a hand-run ``dbt build``. A failed or
killed build only ever wrote the new file, so the previous history stays as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from models_py import warehouse_file

# The incremental models of dbt_project/models/segments (tests/test_segment_model.py checks
# this against dbt's manifest).
CARRIED_TABLES = ("segment_model", "segment_names", "segment_runs", "segment_history")
SCHEMA = "segments"


class PreviousWarehouseUnreadable(RuntimeError):
    """The previous warehouse cannot be opened to carry its history forward (another process
    holds it open for writing, or the file is damaged): the build stops before dbt starts."""


@contextmanager
def carried_and_held(previous: Path, building: Path) -> Iterator[list[str]]:
    """Copy ``CARRIED_TABLES`` that exist in ``previous`` into ``building`` and give their names
    (none when there is no previous warehouse), then hold the previous warehouse open read-only
    until the context ends (the build: until the new file has replaced it). DuckDB lets no
    process open a file for writing while another reads it, so nothing can be written there
    after the history was read: such a write would be lost in the swap, and its write-ahead log
    left beside the new file, which DuckDB then refuses to open. Readers (a SQL shell, couponseg
    report) are not held up. One handle on the file from the copy to the end: DuckDB's locks are
    POSIX record locks, which a process loses on a file whenever it closes any handle on it, so
    a second connection that read and closed the file would end the hold."""
    if not Path(previous).exists():
        yield []
        return
    with duckdb.connect(":memory:", config=warehouse_file.file_config()) as con:
        try:
            con.execute(f"attach '{_quote(previous)}' as previous (read_only)")
        except duckdb.Error as exc:
            raise _unreadable(previous, exc) from exc
        con.execute(f"attach '{_quote(building)}' as building")  # the profile's file format
        present = {row[0] for row in con.execute(
            "select table_name from duckdb_tables() "
            "where database_name = 'previous' and schema_name = ?", [SCHEMA]).fetchall()}
        carried = [t for t in CARRIED_TABLES if t in present]
        if carried:
            con.execute(f"create schema if not exists building.{SCHEMA}")
        for table in carried:
            con.execute(f"create table building.{SCHEMA}.{table} as "
                        f"select * from previous.{SCHEMA}.{table}")
        con.execute("detach building")  # closed before dbt opens it; the hold stays
        yield carried


def _unreadable(previous: Path, exc: Exception) -> PreviousWarehouseUnreadable:
    wal = Path(f"{previous}.wal")
    log = (f" A write-ahead log lies beside it ({wal.name}): if the error says it does not "
           "match the file (a log left by another file, as builds before this version could "
           "leave one), move only that .wal aside and build again; the history is kept."
           if wal.exists() else "")
    return PreviousWarehouseUnreadable(
        f"cannot read the previous warehouse {previous} to carry its segment models "
        f"and history into the new build: {exc}\nIf another program holds it open "
        "for writing (a DuckDB shell, mf, a dbt run by hand), close it and build "
        f"again.{log} If the file is damaged, move it aside: the next build starts anew "
        "(a new segment model and history). The warehouse is unchanged.")


def _quote(path: Path) -> str:
    return str(Path(path).resolve()).replace("'", "''")


def feed_warnings(warehouse: Path) -> list[str]:
    """Warnings on this run's input against the run it is compared with (the latest earlier
    run as of the same or an earlier date, so a backfill is compared with none): the very
    same input (a feed that was not refreshed builds cleanly and shows nobody moving, which
    reads as a quiet week), or fewer customers or kept claims (an appended feed only grows;
    a truncated file would otherwise pass as a week of departures)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not con.execute("select count(*) from duckdb_tables() where schema_name = "
                           "'segments' and table_name = 'segment_runs'").fetchone()[0]:
            return []  # a Spark copy made before the copy held it
        row = con.execute(
            "select this.run_id, this.as_of_date, previous.run_id, previous.as_of_date, "
            "this.input_fingerprint = previous.input_fingerprint, "
            "previous.customers - this.customers, previous.claims - this.claims "
            "from segments.segment_runs as this join segments.segment_runs as previous "
            "on previous.run_id = this.previous_run_id "
            "where this.run_id = (select max(run_id) from segments.segment_runs)").fetchone()
    if row is None:
        return []
    run_id, as_of, previous, previous_as_of, same, fewer_customers, fewer_claims = row
    if same:
        dated = ("" if as_of == previous_as_of
                 else f"; only the as-of date moved, {previous_as_of} -> {as_of}")
        return [f"WARNING: run {run_id} read the same input as run {previous} (identical "
                f"content{dated}): nothing new arrived since that build. If a new feed was "
                "due, check the delivery before sending this week's campaign."]
    lost = [f"{n:,} fewer {what}" for n, what in ((fewer_customers, "customers"),
                                                   (fewer_claims, "kept claims")) if n and n > 0]
    if not lost:
        return []
    return [f"WARNING: run {run_id} (as of {as_of}) holds {' and '.join(lost)} than run "
            f"{previous} (as of {previous_as_of}). A feed that is appended to only grows "
            "(a few erased customers aside): check that the input files are complete "
            "(a truncated file passes every check) before sending this week's campaign; "
            "the rejected rows above say whether the checks turned rows away."]


def describe_run(warehouse: Path) -> str:
    """One line for the CLI: which model version scored this run, when it was trained and
    whether this build trained it."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(
            "select run_id, as_of_date, model_version, trained_as_of, model_trained, "
            "training_reason, algorithm, params from reporting.rpt_segment_run").fetchone()
    run_id, as_of, version, trained_as_of, trained, reason, algorithm, params = row
    how = (f"trained in this build ({reason})" if trained
           else "reused, not retrained (couponseg build --retrain trains a new version)")
    return (f"Segment model v{version} ({algorithm}, {params}; trained on data as of "
            f"{trained_as_of}) scored run {run_id} as of {as_of}: {how}.")
