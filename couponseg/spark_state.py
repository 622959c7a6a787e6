"""Whether Spark's tables are still what a snapshot copied, told without starting Spark.

`couponseg report --engine spark` renders a DuckDB copy of the reporting tables. Copying
them again meant a JVM and a query per table: 50-75 s on the real workbook, where the
build had copied the same tables a minute earlier. The copy now records the state of the
files it was read from (every file under spark-warehouse/: its path, size and time of last
change), and the report copies again only when that state differs. Spark writes a table as
new files, and dbt's on-run-start hook on Spark rewrites audit.last_spark_dbt_run on every
build, run, test or seed (dbt_project/macros/spark_state.sql), so a run that only redefines
a view changes the files too. The metastore is left out: Derby rewrites its own files even
when a session only reads.

Only a warehouse in a local folder (or one mounted there) can be checked this way: with
Spark Connect (``spark.remote``) or a warehouse at a URL such as ``hdfs://`` the report
always copies again.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import urlparse

import duckdb

STATE_TABLE = "snapshot_meta.spark_tables_state"


def local_path(location: str) -> Path | None:
    """A folder Spark names by path or ``file:`` URL; None for any other place."""
    parsed = urlparse(location)
    if not location or parsed.scheme not in ("", "file"):
        return None
    return Path(parsed.path if parsed.scheme else location).resolve()


def local_warehouse(settings: dict[str, str]) -> Path | None:
    """The folder of ``spark.sql.warehouse.dir`` in a session's settings (profiles.yml's
    server_side_parameters); None when the tables may live elsewhere."""
    if settings.get("spark.remote"):
        return None
    return local_path(settings.get("spark.sql.warehouse.dir", ""))


def within(locations: list[str], folder: Path) -> bool:
    """Whether every database location is inside ``folder``: the metastore keeps each
    database's absolute location, so in a Spark folder copied or moved elsewhere they still
    name the old one, and the files there, not in ``folder``, are the tables."""
    paths = [local_path(location) for location in locations]
    return all(path is not None and path.is_relative_to(folder) for path in paths)


def fingerprint(folder: Path | None) -> str | None:
    """A digest of every file and folder under ``folder``: its path, size and time of last
    change in nanoseconds. None when there is no such folder or a file vanished while it
    was read (a build is writing: nothing can be reused)."""
    if folder is None or not folder.is_dir():
        return None
    digest = hashlib.sha256()
    try:
        for root, folders, files in os.walk(folder, onerror=_raise):
            folders.sort()
            for name in sorted(files):
                path = os.path.join(root, name)
                stat = os.stat(path)
                digest.update(f"{os.path.relpath(path, folder)}\0{stat.st_size}\0"
                              f"{stat.st_mtime_ns}\n".encode())
            digest.update(f"{os.path.relpath(root, folder)}/\n".encode())
    except OSError:
        return None
    return digest.hexdigest()


def _raise(error: OSError) -> None:
    raise error


def record(con: duckdb.DuckDBPyConnection, state: str) -> None:
    """Write ``state`` into the snapshot being made (the same file, so the copy and the state
    it reflects are replaced together)."""
    con.execute("create schema if not exists snapshot_meta")
    con.execute(f"create or replace table {STATE_TABLE} as select ? as fingerprint, "
                "current_timestamp as copied_at", [state])


def recorded(snapshot: Path) -> str | None:
    """The state a snapshot was copied from; None when it has none or cannot be read."""
    if not snapshot.exists():
        return None
    try:
        with duckdb.connect(str(snapshot), read_only=True) as con:
            row = con.execute(f"select fingerprint from {STATE_TABLE}").fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


def unchanged(snapshot: Path, warehouse: Path | None) -> bool:
    """True when ``snapshot`` was copied from the files ``warehouse`` holds now."""
    state = fingerprint(warehouse)
    return state is not None and recorded(snapshot) == state
