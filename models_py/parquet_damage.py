"""Where a Parquet input file is damaged, asked only after a build failed reading it.

The check before a build reads each Parquet file's schema and first rows, not every page:
decoding all of a 50M-row file would cost seconds on every build. A page damaged further on
then fails its raw model inside dbt, with the reader's message and no file name (exit 1, as
if the project were at fault). After such a failure the CLI asks this module which column and
rows of the file cannot be read, so the user gets the file, the column and the rows, and
exit 2: bad input, nothing built, the previous warehouse unchanged. Only the columns a build
reads are looked at, and any doubt (the file gone, memory short) leaves the build's own
message standing: a sound file is never blamed for another failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from models_py.loader import InputError, column_map, not_utf8_message

# Failures that say nothing about the file: the diagnosis gives up rather than blame it.
NOT_THE_FILES = (MemoryError, pa.ArrowMemoryError, duckdb.OutOfMemoryException,
                 duckdb.InterruptException, KeyboardInterrupt)


@dataclass(frozen=True)
class Damage:
    """The first unreadable part of a file: a required column and either the row group
    that cannot be read and why (``unreadable``) or the rows whose text is not UTF-8."""

    column: str
    unreadable: str = ""
    not_utf8_rows: tuple[int, ...] = ()


def failed_parquet_tables(table_files: dict[str, Path],
                          failures: list[str]) -> list[tuple[str, Path]]:
    """The tables whose raw model failed (``raw_<table>: ...`` in the build's failures) and
    whose file is Parquet: the only failures this module can explain."""
    return [(table, path) for table, path in table_files.items()
            if path.suffix.lower() == ".parquet"
            and any(f.startswith(f"raw_{table}:") for f in failures)]


def refusal(path: Path, table: str, by_duckdb: bool = True) -> str | None:
    """The message naming file, column and rows when ``path`` is a Parquet file with a part
    the build cannot read; None otherwise, or when the diagnosis itself fails. ``by_duckdb``:
    whether the reader that failed was DuckDB's (the loader's), which also refuses text that
    is not UTF-8; Spark's reader takes such text as it is."""
    if path.suffix.lower() != ".parquet":
        return None
    try:
        damage = damaged_parquet(path, table, by_duckdb)
    except Exception:  # noqa: BLE001 - a failed diagnosis leaves the build's own message
        return None
    if damage is None:
        return None
    where = f"{path.name} (table '{table}')"
    if damage.not_utf8_rows:
        return not_utf8_message(where, damage.column, list(damage.not_utf8_rows))
    return (f"{where}: not a readable Parquet file: column '{damage.column}', "
            f"{damage.unreadable}")


def damaged_parquet(path: Path, table: str, by_duckdb: bool = True) -> Damage | None:
    """The first unreadable part among the columns the build reads of ``table``, in the
    order of its required columns and named as they are (rows as the loader numbers them:
    the first is 2, as in a spreadsheet under its header), or None when they all read.
    pyarrow reads one row group and column at a time, which finds the rows. After DuckDB
    failed (``by_duckdb``), DuckDB must fail on that column too before it is blamed, and
    reads each column whole when pyarrow finds nothing (its decoders may refuse what
    pyarrow's accept); Spark's reader failing is confirmed by pyarrow alone."""
    if not path.is_file():
        return None
    with pq.ParquetFile(path) as parquet:
        try:
            columns = column_map(parquet.schema_arrow.names, table, path.name)
        except InputError:  # the file changed since the check: not this module's to judge
            return None
        for name, spelled in columns.items():
            damage = _column_damage(parquet, name, spelled, utf8=by_duckdb)
            if damage and (not by_duckdb or damage.not_utf8_rows
                           or _duckdb_damage(path, {name: spelled})):
                return damage
    return _duckdb_damage(path, columns) if by_duckdb else None


def _column_damage(parquet: pq.ParquetFile, name: str, spelled: str,
                   utf8: bool) -> Damage | None:
    """The first row group of required column ``name`` (``spelled`` so in the file) that
    cannot be read, or its rows whose text is not UTF-8 (up to five, from every row group),
    or None."""
    groups, first, bad = parquet.metadata.num_row_groups, 0, []
    for group in range(groups):
        rows = parquet.metadata.row_group(group).num_rows
        try:
            column = parquet.read_row_group(group, columns=[spelled]).column(0)
        except NOT_THE_FILES:
            raise
        except Exception as exc:  # noqa: BLE001 - pyarrow's errors for a damaged page vary
            return Damage(name, f"{_rows(first, rows)} (row group {group + 1} of {groups}) "
                                f"cannot be read ({_first_line(exc)})")
        if utf8:
            bad += _not_utf8(column, first)
        if len(bad) > 5:
            break
        first += rows
    return Damage(name, not_utf8_rows=tuple(bad)) if bad else None


def _rows(first: int, count: int) -> str:
    """A row group's rows as the loader numbers them."""
    return f"row {first + 2:,}" if count <= 1 else f"rows {first + 2:,}-{first + count + 1:,}"


def _not_utf8(column: pa.ChunkedArray, first: int) -> list[int]:
    """Rows of a text column whose bytes are not UTF-8, which pyarrow reads without looking
    and DuckDB refuses; none for any other column or clean text."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return []
    try:
        column.validate(full=True)
        return []
    except pa.ArrowInvalid:
        pass
    raw = column.cast(pa.large_binary() if pa.types.is_large_string(column.type)
                      else pa.binary()).to_pylist()
    return [first + 2 + i for i, value in enumerate(raw)
            if value is not None and not _decodes(value)]


def _decodes(value: bytes) -> bool:
    """Whether the bytes are UTF-8 (Python's decoder refuses what DuckDB's refuses:
    surrogates, overlong forms, values past U+10FFFF)."""
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _duckdb_damage(path: Path, columns: dict[str, str]) -> Damage | None:
    """The first required column (name: spelling in the file) DuckDB cannot decode every
    value of, with its message, else None."""
    quoted = "'" + str(path).replace("'", "''") + "'"
    with duckdb.connect() as session:
        for name, spelled in columns.items():
            column = spelled.replace('"', '""')
            try:  # a hash of the column reads every page of it
                session.sql(f'select max(hash("{column}")) from read_parquet({quoted})') \
                    .fetchall()
            except NOT_THE_FILES:
                raise
            except duckdb.Error as exc:
                return Damage(name, f"a page cannot be read ({_first_line(exc)})")
    return None


def _first_line(exc: BaseException) -> str:
    """A reader's message as one line: its first non-blank one."""
    return next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), type(exc).__name__)
