"""Load the six raw tables, exactly as given, into DuckDB.

Raw tables keep every value as given (text from workbooks and CSV, the file's own types from
Parquet) plus the row's position in its file or sheet (``_source_row``, the spreadsheet row
number: the header is row 1). Typing and validation
happen in dbt's staging layer, where a value that fails a check sends its row to
``audit_rejected_rows`` instead of disappearing. Only problems that make a run impossible stop
here: a missing file or sheet, a missing column, or a file that cannot be read at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from models_py.csv_text import CsvProblem, CsvText, differs_for_spark, read_csv_text
from models_py.paths import DEFAULT_INPUT, INPUT_ENV, REPO_ROOT
from models_py.xlsx_errors import CellError, error_cells, readable_copy, uncalculated_cells

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id", "join_date", "city_id", "gender_id"),
    "genders": ("gender_id", "gender_name"),
    "cities": ("city_id", "city_name"),
    "transactions": (
        "transaction_id", "customer_id", "transaction_date", "transaction_status",
        "coupon_name", "burn_date", "branch_id",
    ),
    "branches": ("branch_id", "merchant_id"),
    "merchants": ("merchant_id", "merchant_name"),
}
TABLES = tuple(REQUIRED_COLUMNS)
DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("join_date",),
    "transactions": ("transaction_date", "burn_date"),
}


class InputError(Exception):
    """Input that makes a run impossible; the message names file, sheet/table and column."""


@dataclass(frozen=True)
class InputSource:
    """Where one run's six tables come from."""

    path: Path
    kind: str  # "xlsx" or "folder"

    def table_files(self) -> dict[str, Path]:
        """The file holding each table (the workbook itself for every table of an xlsx)."""
        if self.kind == "xlsx":
            return dict.fromkeys(TABLES, self.path)
        return {t: _table_file(self.path, t) for t in TABLES}

    def fingerprint(self) -> str:
        """sha256 over the input's bytes, so a report says exactly which data it shows."""
        digest = hashlib.sha256()
        for path in dict.fromkeys(self.table_files().values()):
            with open(path, "rb") as handle:
                for block in iter(lambda h=handle: h.read(1 << 20), b""):
                    digest.update(block)
        return digest.hexdigest()


def _input_in_environment() -> str:
    return (os.environ.get(INPUT_ENV) or "").strip()  # blank: not set


def named_by(path: str | Path | None) -> str:
    """" ($COUPONSEG_INPUT)" when the input comes from that variable (no path given), so a
    message about it says where it came from; else nothing."""
    return f" (${INPUT_ENV})" if not path and _input_in_environment() else ""


def resolve_input(path: str | Path | None) -> InputSource:
    """Find the input: the given path, else $COUPONSEG_INPUT, else the shipped sample.

    Relative paths are tried from the current folder, then the repo root. The couponseg CLI
    passes the input by environment rather than as a dbt var, so a new input file does not
    make dbt re-parse the whole project.
    """
    raw = Path(path or _input_in_environment() or DEFAULT_INPUT).expanduser()
    candidates = [raw] if raw.is_absolute() else [Path.cwd() / raw, REPO_ROOT / raw]
    found = next((c for c in candidates if c.exists()), None)
    if found is None:
        raise InputError(f"Input not found: {raw}{named_by(path)} (looked in "
                         f"{', '.join(map(str, candidates))})")
    found = found.resolve()
    if found.is_dir():
        return InputSource(found, "folder")
    if found.suffix.lower() in (".xlsx", ".xlsm"):
        return InputSource(found, "xlsx")
    raise InputError(
        f"Input {found}: expected an .xlsx workbook or a folder of <table>.csv / <table>.parquet"
    )


def _table_file(folder: Path, table: str) -> Path:
    """The one file holding ``table``; two candidates (``Genders.csv`` and ``genders.csv``,
    or ``genders.csv`` and ``genders.parquet``) stop the run rather than one being ignored."""
    found = [entry for entry in sorted(folder.iterdir())
             if _normalise_header(entry.stem) == table
             and entry.suffix.lower() in (".csv", ".parquet")]
    if len(found) > 1:
        raise InputError(
            f"Input folder {folder}: {len(found)} files for table '{table}' "
            f"({', '.join(entry.name for entry in found)}); keep exactly one"
        )
    if found and not found[0].is_file():  # a folder, or a link to nothing
        raise InputError(f"Input folder {folder}: {found[0].name} (table '{table}') is not a "
                         "readable file")
    if found:
        return found[0]
    raise InputError(
        f"Input folder {folder}: missing file for table '{table}' "
        f"(expected {table}.csv or {table}.parquet)"
    )


def _normalise_header(name: object) -> str:
    return str(name).strip().lower().lstrip("\ufeff")


def column_map(found: list[str], table: str, where: str) -> dict[str, str]:
    """Map required column -> column as spelled in the file; extra columns are ignored.
    A required column found twice (also after case and space normalisation) stops the run:
    which of the two holds the data is not ours to guess."""
    by_name: dict[str, str] = {}
    for column in found:
        name = _normalise_header(column)
        if name in REQUIRED_COLUMNS[table] and name in by_name:
            raise InputError(
                f"{where}: column '{name}' appears twice ({by_name[name]!r} and {column!r}); "
                "keep exactly one"
            )
        by_name.setdefault(name, column)
    missing = [c for c in REQUIRED_COLUMNS[table] if c not in by_name]
    if missing:
        raise InputError(
            f"{where}: missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(map(_shown, found)) or 'no columns'})"
        )
    return {c: by_name[c] for c in REQUIRED_COLUMNS[table]}


def _shown(name: object) -> str:
    """A found column's name as the message shows it: quoted with escapes when it holds a
    character a terminal would not show (a NUL, a control or format character), which would
    otherwise read as a blank or as a required name that is missing for no visible reason."""
    text = str(name)
    return text if text.isprintable() else repr(text)


# ---------------------------------------------------------------- xlsx
@dataclass(frozen=True)
class Workbook:
    """A workbook's sheets as rows (by trimmed lower-case name), and each sheet's formula
    cells without a stored result (models_py/xlsx_errors.py), which no table may hold."""
    sheets: dict[str, list[list[object]]]
    uncalculated: dict[str, dict[tuple[int, int], str]]


_WORKBOOK_CACHE: dict[tuple[str, float, int], Workbook] = {}
EPOCH_1904 = dt.date(1904, 1, 1)
SERIAL_TEXT = re.compile(r"[0-9]{5}([.]0+)?")  # staging's rule for a day number (parse_date)


_WORKBOOK_LOCK = threading.Lock()


def _read_workbook(path: Path) -> Workbook:
    """All sheets as rows, read once per file version (dbt loads six tables from one file,
    possibly from several threads at once: the lock makes the others wait for the one read)."""
    stat = path.stat()
    key = (str(path), stat.st_mtime, stat.st_size)
    with _WORKBOOK_LOCK:
        return _WORKBOOK_CACHE.get(key) or _load_workbook(path, key)


def _load_workbook(path: Path, key: tuple[str, float, int]) -> Workbook:
    try:
        try:
            sheets = _calamine_sheets(path)
        except Exception as exc:  # an error value calamine does not know (#SPILL!, #NV)
            if "cell error value" not in str(exc):
                raise
            with tempfile.TemporaryDirectory() as folder:
                sheets = _calamine_sheets(readable_copy(path, Path(folder) / path.name))
    except InputError:
        raise
    except Exception as exc:  # calamine raises several types for damaged files
        raise InputError(f"{path.name}: not a readable .xlsx workbook ({exc})") from exc
    sheets = _with_error_cells(path, sheets)
    if _uses_1904_dates(path):
        sheets = {name: _serials_as_dates(name, rows) for name, rows in sheets.items()}
    book = Workbook(sheets, _scan_xml(uncalculated_cells, path,
                                      {name for name in sheets if name in TABLES}))
    _WORKBOOK_CACHE.clear()
    _WORKBOOK_CACHE[key] = book
    return book


def _scan_xml(scan: Callable[[Path, set[str]], dict], path: Path, sheets: set[str]) -> dict:
    """A scan of the sheets' XML (models_py/xlsx_errors.py), or nothing to report when the
    file has none of the usual parts: calamine read it, so it is a workbook of another
    layout, where neither error cells nor formulas without results were seen."""
    try:
        return scan(path, sheets)
    except (KeyError, OSError, zipfile.BadZipFile):
        return {}


def _calamine_sheets(path: Path) -> dict[str, list[list[object]]]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    names = list(book.sheet_names)
    _refuse_twin_sheets(path, names)
    # Only the six tables' sheets are read: a notes sheet with one cell far out (XFD1048576)
    # would otherwise be laid out as a grid of a million rows by 16,384 columns.
    sheets = {
        name.strip().lower(): book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        for name in names if name.strip().lower() in TABLES
    }
    sheets.update({name.strip().lower(): [] for name in names
                   if name.strip().lower() not in TABLES})
    return sheets


def _with_error_cells(path: Path, sheets: dict[str, list[list[object]]]
                      ) -> dict[str, list[list[object]]]:
    """The sheets with each error cell's text (``#N/A``, ``#REF!``) in its place: the reader
    gives an empty string, which would make a row of errors vanish as a blank row and an
    error read as a missing value (models_py/xlsx_errors.py)."""
    errors = _scan_xml(error_cells, path, {name for name in sheets if name in TABLES})
    for name, cells in errors.items():
        rows = sheets[name]
        for (row, column), text in cells.items():
            while len(rows) <= row:
                rows.append([])
            if len(rows[row]) <= column:
                rows[row] = list(rows[row]) + [None] * (column + 1 - len(rows[row]))
            rows[row][column] = text
    return sheets


def _uses_1904_dates(path: Path) -> bool:
    """Whether the workbook counts day numbers from 1904 (Excel for Mac's old default, still
    a workbook option). Date-formatted cells arrive as dates either way; a bare number typed
    into a date column does not, and staging would count it from 1899-12-30, four years and
    a day early, silently."""
    try:
        with zipfile.ZipFile(path) as archive:
            workbook = archive.read("xl/workbook.xml")[:1 << 16]
    except (KeyError, OSError, zipfile.BadZipFile):
        return False  # calamine read the sheets, so whatever this is, it is not 1904
    flag = re.search(rb"<(?:\w+:)?workbookPr\b[^>]*\bdate1904\s*=\s*[\"'](1|true)[\"']",
                     workbook)
    return flag is not None


def _serials_as_dates(table: str, rows: list[list[object]]) -> list[list[object]]:
    """A 1904 workbook's day numbers in date columns (whole, five digits, as a number or as
    text: staging's rule), as the dates they mean there; other values stay as given."""
    header = next((row for row in rows if not all(_no_content(v) for v in row)), [])
    wanted = {i for i, name in enumerate(header)
              if _normalise_header(name) in DATE_COLUMNS.get(table, ())}
    if not wanted:
        return rows

    def as_date(value: object) -> object:
        text = _cell_text(value) if isinstance(value, float | int | str) else None
        serial = text is not None and SERIAL_TEXT.fullmatch(text.strip())
        return EPOCH_1904 + dt.timedelta(days=int(float(text))) if serial else value

    return [[as_date(v) if i in wanted and row is not header else v
             for i, v in enumerate(row)] for row in rows]


def _refuse_twin_sheets(path: Path, names: list[str]) -> None:
    """Two sheets for one table ('Genders' and 'genders ') stop the run, naming both."""
    for table in TABLES:
        twins = [name for name in names if name.strip().lower() == table]
        if len(twins) > 1:
            raise InputError(
                f"{path.name}: {len(twins)} sheets for table '{table}' "
                f"({', '.join(repr(n) for n in twins)}); keep exactly one"
            )


# A number cell is a double: from 2^53 on it need not be the number typed (9007199254740993
# is stored as ...992), so it is written in exponent form, which no id parses as (staging's
# rule for a Parquet DOUBLE id column), rather than as digits that look exact.
EXACT_DOUBLE_LIMIT = 2 ** 53


def _cell_text(value: object) -> str | None:
    """Cell -> text as a person would type it; dates as ISO, whole floats without '.0'."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < EXACT_DOUBLE_LIMIT else f"{value:.16e}"
    return str(value)


def _no_content(value: object) -> bool:
    """Blank, or an error cell: outside the table's columns (a helper formula filled down
    past the data) an error is no row of data; in them it is the row's value."""
    return value in (None, "") or isinstance(value, CellError)


def _xlsx_table(path: Path, table: str) -> pa.Table:
    book = _read_workbook(path)
    sheets = book.sheets
    if table not in sheets:
        raise InputError(
            f"{path.name}: missing sheet '{table}' (found sheets: {', '.join(sheets) or 'none'})"
        )
    rows = sheets[table]
    skipped = 0  # blank rows above the header: source rows are the sheet's own row numbers
    while rows and all(_no_content(v) for v in rows[0]):  # an error-only title row too
        rows, skipped = rows[1:], skipped + 1
    header = [str(v) if v not in (None, "") else "" for v in rows[0]] if rows else []
    cols = column_map([h for h in header if h], table, f"{path.name}, sheet '{table}'")
    data: dict[str, list] = {name: [] for name in cols}
    source_rows: list[int] = []
    wanted = {header.index(spelled) for spelled in cols.values()}
    _refuse_uncalculated(path, table, book.uncalculated.get(table, {}), skipped, header, wanted)
    for number, row in enumerate(rows[1:], start=skipped + 2):
        if all(v in (None, "") or (i not in wanted and _no_content(v))
               for i, v in enumerate(row)):
            continue
        source_rows.append(number)
        for name, spelled in cols.items():
            i = header.index(spelled)
            data[name].append(_cell_text(row[i]) if i < len(row) else None)
    arrays = {name: pa.array(values, pa.string()) for name, values in data.items()}
    arrays["_source_row"] = pa.array(source_rows, pa.int64())
    return pa.table(arrays)


def _refuse_uncalculated(path: Path, table: str, cells: dict[tuple[int, int], str],
                         header_row: int, header: list[str], wanted: set[int]) -> None:
    """Stop on a table's formula cells without a stored result: their values are unknown
    (the reader gives them as empty), so neither keeping nor rejecting their rows is right.
    Helper formulas outside the table's columns are no concern."""
    found = sorted((row, column) for row, column in cells
                   if row > header_row and column in wanted)
    if not found:
        return
    shown = "; ".join(f"{_cell_name(row, column)} ({header[column]}) {cells[(row, column)]}"
                      for row, column in found[:5])
    more = f" and {len(found) - 5:,} more" if len(found) > 5 else ""
    raise InputError(
        f"{path.name}, sheet '{table}': {len(found):,} cell(s) hold a formula with no stored "
        f"result (or one the workbook marks as stale): {shown}{more}. The workbook was saved "
        "by a program that does not calculate formulas (pandas, openpyxl and xlsxwriter write "
        "any text starting with '=' as one): open it in Excel or LibreOffice and save it, or "
        "give the tables as CSV files")


def _cell_name(row: int, column: int) -> str:
    """A 0-based grid position as the sheet names it (B7)."""
    letters, number = "", column + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"{letters}{row + 1}"


# ---------------------------------------------------------------- csv / parquet
def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _folder_relation(session: duckdb.DuckDBPyConnection, path: Path, table: str, stage: bool):
    """The file's relation (columns renamed, ``_source_row`` added), and whether a reader
    that numbers rows by their position and takes text as UTF-8 (Spark's) reads the file as
    this loader does: not a CSV with blank lines, line breaks inside quotes, mixed line
    endings or UTF-16 text (rows or values would differ), nor a Parquet file whose text is
    plain BINARY."""
    where = f"{path.name} (table '{table}')"
    if path.suffix.lower() == ".parquet":
        names = _parquet_names(path)
        cols = column_map(names, table, where)
        try:
            base = _numbered_parquet(session, path, names)
        except Exception as exc:
            raise InputError(f"{path.name}: not a readable Parquet file ({exc})") from exc
        row_expr = "file_row_number + 2"
        binary = _binary_columns(base, cols)
        try:
            _refuse_undecodable(base, path, binary)
        except duckdb.Error as exc:  # a damaged page in a BINARY column
            raise _unreadable(where, exc) from exc
        select = ", ".join((f'decode("{spelled}")' if name in binary else f'"{spelled}"')
                           + f" as {name}" for name, spelled in cols.items())
        by_position = not binary
    else:
        try:
            text = read_csv_text(session, path, stage)
        except CsvProblem as exc:
            raise InputError(f"{exc} (table '{table}')") from exc
        base, row_expr = text.relation, text.line_expr
        cols = column_map(text.header, table, where)
        select = ", ".join(f"c{text.header.index(spelled)} as {name}"
                           for name, spelled in cols.items())
        by_position = text.line_expr == CsvText.line_expr
    # Parquet keeps its own column types (staging takes typed ids and dates as they are and
    # parses anything else); CSV is read as text.
    relation = base.query("src", f"select {select}, {row_expr} as _source_row from src")
    return relation, by_position


def _numbered_parquet(session: duckdb.DuckDBPyConnection, path: Path,
                      names: list[str]) -> duckdb.DuckDBPyRelation:
    """The file's columns and ``file_row_number`` (0 for its first row). DuckDB's reader adds
    that column itself, and refuses a file that already has one (a column the table does
    not need, written by an earlier DuckDB export, say): such a file is read by pyarrow,
    without that column, and numbered in its order."""
    if "file_row_number" not in {name.lower() for name in names}:  # DuckDB ignores case
        return session.sql(
            f"select * from read_parquet({_quote(str(path))}, file_row_number = true)")
    import pyarrow.parquet as pq

    rows = pq.read_table(path, columns=[n for n in names if n.lower() != "file_row_number"])
    numbered = rows.append_column("file_row_number", pa.array(range(rows.num_rows), pa.int64()))
    return session.from_arrow(numbered)


def _binary_columns(base: duckdb.DuckDBPyRelation, cols: dict[str, str]) -> dict[str, str]:
    """Required columns stored as plain BINARY (text written without its UTF-8 annotation,
    as some writers do): read as they are, a name such as 'القاهرة' would reach the
    warehouse as escaped bytes ('\\xD8\\xA7...'), so they are decoded as UTF-8 text."""
    types = {name: str(kind) for name, kind in zip(base.columns, base.types, strict=True)}
    return {name: spelled for name, spelled in cols.items() if types.get(spelled) == "BLOB"}


def _refuse_undecodable(base: duckdb.DuckDBPyRelation, path: Path,
                        binary: dict[str, str]) -> None:
    """Bytes in a BINARY column that are not UTF-8 stop the run, naming column and rows:
    no reading of them (Latin-1, escapes) would be the text the writer meant."""
    for name, spelled in binary.items():
        bad = base.query("src", f'select file_row_number + 2 from src where "{spelled}" is '
                                f'not null and try(decode("{spelled}")) is null '
                                "order by 1 limit 6").fetchall()
        if bad:
            raise InputError(not_utf8_message(path.name, name, [row[0] for row in bad],
                                              " (a BINARY column is read as UTF-8)"))


def not_utf8_message(where: str, column: str, rows: list[int], why: str = "") -> str:
    """The one wording, on either engine, for text whose bytes are not UTF-8: the column
    and its first five rows (``, ...`` when there are more)."""
    shown = ", ".join(map(str, rows[:5])) + (", ..." if len(rows) > 5 else "")
    return (f"{where}, column '{column}': bytes that are not UTF-8 text in row(s) {shown}"
            f"{why}; write the column as UTF-8 text")


def _parquet_names(path: Path) -> list[str]:
    """Column names as written in the file (DuckDB renames a repeated name, which would hide
    a second 'city_id' from the check for repeated columns)."""
    import pyarrow.parquet as pq

    try:
        return list(pq.read_schema(path).names)
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for damaged files
        raise InputError(f"{path.name}: not a readable Parquet file ({exc})") from exc


def read_by_position(path: Path, table: str) -> bool:
    """Whether a reader that numbers rows by their position (Spark's) reads this file of a
    folder input as this loader does (``_folder_relation``), for a caller that has not
    checked the input with ``check_input``, which answers it for every table."""
    with duckdb.connect() as session:
        return _folder_relation(session, path, table, stage=False)[1] \
            and not _spark_misreads(path)


def check_input(input_path: str | Path | None, for_spark: bool = False) -> dict[str, bool]:
    """Open every table as the raw models will (bad input stops here, with the loader's
    message); for each, whether a reader that numbers rows by their position reads it as
    this loader does (``_folder_relation``; always False for a workbook's sheets), and, with
    ``for_spark``, whether Spark's CSV reader also reads its values as this loader does
    (``_spark_misreads``: a scan of each CSV file the DuckDB engine need not pay for)."""
    with duckdb.connect() as session:
        found = {table: _checked_table(session, input_path, table, stage=False)[1]
                 for table in TABLES}
    source = resolve_input(input_path)
    if for_spark and source.kind != "xlsx":
        found = {table: positional and not _spark_misreads(_table_file(source.path, table))
                 for table, positional in found.items()}
    return found


def _spark_misreads(path: Path) -> bool:
    """Whether Spark's readers would read other values or rows from this file than the
    loader, or refuse it: a CSV as ``csv_text.differs_for_spark`` finds (a quote after a
    space, a CR alone, a blank-looking line, text not UTF-8 throughout), a Parquet file with
    a column type Spark's reader refuses (``spark_refuses_parquet_types``)."""
    if path.suffix.lower() == ".parquet":
        return bool(spark_refuses_parquet_types(path))
    return differs_for_spark(path)


def spark_refuses_parquet_types(path: Path) -> list[str]:
    """The file's columns Spark 4 refuses to read: timestamps in nanoseconds (what pandas
    writes for its datetime columns) and times of day. The loader reads them; handed to
    Spark from it, a time of day goes as its text (couponseg.spark_engine)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    refused = (lambda t: pa.types.is_timestamp(t) and t.unit == "ns", pa.types.is_time)
    return [field.name for field in pq.read_schema(path)
            if any(test(field.type) for test in refused)]


def load_table(session: duckdb.DuckDBPyConnection, input_path: str | Path | None, table: str,
               stage: bool = False) -> pa.Table | duckdb.DuckDBPyRelation:
    """The raw table for one dbt Python model: an Arrow table or a DuckDB relation.

    ``stage`` (the raw models): a CSV is parsed once into a temporary table of ``session``
    that the model's table is copied from; without it (the CLI's check before dbt starts,
    tests) the file is only checked and the relation reads it again.

    An empty table stops the run: without customers, transactions or any lookup row nothing
    downstream can be valid, and an empty dashboard would look like a real result.
    """
    return _checked_table(session, input_path, table, stage)[0]


def _checked_table(session: duckdb.DuckDBPyConnection, input_path: str | Path | None,
                   table: str, stage: bool):
    """``load_table``'s table, and whether it can be read by position (``_folder_relation``)."""
    source = resolve_input(input_path)
    _refuse_zero_bytes(source.table_files()[table] if source.kind == "xlsx"
                       else _table_file(source.path, table))
    by_position = False
    if source.kind == "xlsx":
        loaded = _xlsx_table(source.path, table)
        empty, where = loaded.num_rows == 0, f"{source.path.name}, sheet '{table}'"
    else:
        path = _table_file(source.path, table)
        loaded, by_position = _folder_relation(session, path, table, stage)
        where = f"{path.name} (table '{table}')"
        try:
            empty = not loaded.limit(1).fetchall()
        except Exception as exc:  # duckdb: a damaged page (decompression, thrift) and kin
            raise _unreadable(where, exc) from exc
    if empty:
        raise InputError(f"{where}: no data rows (only a header or nothing at all)")
    return loaded, by_position


def _unreadable(where: str, exc: Exception) -> InputError:
    """A reader's failure on a damaged file, as one line: the first line of its message."""
    first = next((ln for ln in str(exc).splitlines() if ln.strip()), "unknown error")
    return InputError(f"{where}: not a readable file ({first})")


def _refuse_zero_bytes(path: Path) -> None:
    """A 0-byte file is empty, whatever its kind: say so rather than what it lacks."""
    if path.stat().st_size == 0:
        raise InputError(f"{path.name}: the file is empty (0 bytes)")


def input_manifest(input_path: str | Path | None) -> pa.Table:
    """One row describing the input, for the report's title page."""
    source = resolve_input(input_path)
    files = source.table_files()
    return pa.table(
        {
            "input_name": [source.path.name],
            "input_kind": [source.kind],
            "input_fingerprint": [source.fingerprint()],
            "input_files": [", ".join(sorted({p.name for p in files.values()}))],
        }
    )
