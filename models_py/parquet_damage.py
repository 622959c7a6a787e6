"""Where a Parquet input file is damaged, asked only after a build failed reading it.

The check before a build reads each Parquet file's schema and first row, not every page:
decoding all of a 50M-row file would cost seconds on every build. A page damaged further on
then fails its raw model inside dbt, with the reader's message and no file name (exit 1, as
if the project were at fault). After such a failure the CLI asks this module which column and
rows of the file cannot be read, so the user gets the file, the column and the rows, and
exit 2: bad input, nothing built, the previous warehouse unchanged.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa


def damaged_parquet(path: Path) -> str | None:
    """The first unreadable part of ``path`` as a phrase (column, rows as the loader numbers
    them: the first row is 2, as in a spreadsheet under its header), or None when every page
    reads, in which case the failure was not the file's and the build's own message stands.
    pyarrow reads one row group and column at a time, which finds the rows; DuckDB (the
    loader's reader, whose decoders may refuse what pyarrow's accept) reads the whole file
    when pyarrow finds nothing."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is the answer here
        return f"the file's footer cannot be read ({_first_line(exc)})"
    groups, first = parquet.metadata.num_row_groups, 0
    for group in range(groups):
        rows = parquet.metadata.row_group(group).num_rows
        for name in parquet.schema_arrow.names:
            try:
                column = parquet.read_row_group(group, columns=[name]).column(0)
            except Exception as exc:  # noqa: BLE001
                return (f"column '{name}', rows {first + 2:,}-{first + rows + 1:,} (row group "
                        f"{group + 1} of {groups}) cannot be read ({_first_line(exc)})")
            if bad := _not_utf8(column, first):
                return f"column '{name}': text that is not UTF-8 in row(s) {bad}"
        first += rows
    return _duckdb_refuses(path)


def _not_utf8(column: pa.ChunkedArray, first: int) -> str:
    """Rows (up to five) of a text column whose bytes are not UTF-8, which pyarrow reads
    without looking and DuckDB refuses; '' for any other column or clean text."""
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        return ""
    try:
        column.validate(full=True)
        return ""
    except pa.ArrowInvalid:
        pass
    raw = column.cast(pa.large_binary() if pa.types.is_large_string(column.type)
                      else pa.binary()).to_pylist()
    bad = [first + 2 + i for i, value in enumerate(raw) if value is not None
           and not _decodes(value)]
    return ", ".join(f"{row:,}" for row in bad[:5]) + (", ..." if len(bad) > 5 else "")


def _decodes(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _duckdb_refuses(path: Path) -> str | None:
    """DuckDB's message when it cannot decode every value of the file, else None."""
    quoted = "'" + str(path).replace("'", "''") + "'"
    try:
        with duckdb.connect() as session:  # a hash of every column reads every page
            session.sql(f"select max(hash(columns(*))) from read_parquet({quoted})").fetchall()
    except duckdb.Error as exc:
        return f"a page cannot be read ({_first_line(exc)})"
    return None


def _first_line(exc: BaseException) -> str:
    return next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), type(exc).__name__)
