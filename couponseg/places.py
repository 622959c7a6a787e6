"""Check the places a command will write before it starts working.

A build takes seconds to minutes: finding only at the end that ``--warehouse`` is a folder or
that ``--out`` sits on a read-only disk wastes the run and ends in a traceback. These checks
run first and say in one sentence what is wrong (the CLI exits 2).
"""

from __future__ import annotations

import tempfile
from pathlib import Path


class UnusablePlace(ValueError):
    """A path given on the command line cannot be written as the command needs."""


def check_warehouse(path: Path, option: str = "--warehouse") -> None:
    """The warehouse is a file (existing or not) in a folder we can create files in: the
    build writes ``<warehouse>.building/``, a lock and its dbt folder beside it."""
    path = Path(path)
    if path.is_dir():
        raise UnusablePlace(f"{option} {path} is a folder; give a file path such as "
                            f"{path / 'warehouse.duckdb'}")
    _writable_folder(path.parent, f"{option} {path}")
    if path.exists():  # the build would replace it: never someone's spreadsheet
        _duckdb_file(path, option)


def check_existing_warehouse(path: Path, option: str = "--warehouse") -> None:
    """The warehouse a report reads: an existing file."""
    path = Path(path)
    if path.is_dir():
        raise UnusablePlace(f"{option} {path} is a folder, not a warehouse file")
    if not path.exists():
        raise UnusablePlace(f"{option} {path} does not exist; run `couponseg build` first")
    _duckdb_file(path, option, reading=True)


DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


def _duckdb_file(path: Path, option: str, reading: bool = False) -> None:
    """An existing warehouse must be a DuckDB file: a typo such as ``--warehouse data.xlsx``
    would otherwise be read as a warehouse (a traceback) or replaced by the build."""
    try:
        with open(path, "rb") as file:
            head = file.read(12)
    except OSError as exc:
        raise UnusablePlace(f"{option} {path}: cannot read it ({exc.strerror})") from exc
    if head[8:12] != DUCKDB_MAGIC:
        raise UnusablePlace(f"{option} {path} exists but is not a DuckDB warehouse; "
                            "give a new path or a warehouse built by couponseg")
    _couponseg_or_empty(path, option, reading)


# Every warehouse couponseg has built holds its run context, and so does the Spark engine's
# reporting copy; a schema named marts alone is any dbt project's convention.
WAREHOUSE_MARK = ("marts", "run_context")


def _couponseg_or_empty(path: Path, option: str, reading: bool = False) -> None:
    """A DuckDB file holding other data (a finance database, a typo'd path) is no warehouse:
    the build would swap its new file over it, and that data would be gone. One without any
    table is nothing to lose; one that cannot be opened (a stale WAL, another writer) is
    for the command itself to explain."""
    import duckdb

    try:
        with duckdb.connect(str(path), read_only=True) as con:
            objects = set(con.execute(
                "select schema_name, table_name from duckdb_tables() union "
                "select schema_name, view_name from duckdb_views() where not internal"
            ).fetchall())
    except duckdb.Error:
        return
    schemas = sorted({schema for schema, _ in objects})
    if objects and WAREHOUSE_MARK not in objects:
        raise UnusablePlace(
            f"{option} {path} is a DuckDB database with other data (schemas "
            f"{', '.join(schemas)}) and no couponseg warehouse; "
            + ("nothing in it is couponseg's to read: give a warehouse built by couponseg"
               if reading else "a build would replace it: give a new path or a warehouse "
               "built by couponseg"))


def check_output_folder(path: Path, option: str = "--out") -> None:
    """The report's output folder: a folder (created if missing) we can create files in."""
    _writable_folder(Path(path), f"{option} {path}")


def _writable_folder(folder: Path, what: str) -> None:
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        where = "" if what.endswith(f" {existing}") else f": {existing}"
        raise UnusablePlace(f"{what}{where} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".couponseg-probe-"):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UnusablePlace(f"{what}: cannot write in {folder} ({reason})") from exc
