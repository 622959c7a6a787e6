"""Read one CSV file as text columns with DuckDB, and say precisely what is wrong when it
cannot be read: the file is empty, line N has more or fewer fields than the header, the header
names a column twice, the bytes are not UTF-8 or Latin-1.

The dialect is RFC 4180 (double quotes, quotes doubled inside) with the delimiter taken from
the header line; DuckDB parses in strict mode and the whole file is scanned once here, so a
ragged row far down the file stops the run with its line number instead of being cut or padded
silently. DuckDB's strict mode reads a file that ends its lines in CR alone (old Mac files;
the header line is split at CR here) but refuses one that mixes CRLF and LF line endings, or
either with CR alone (a hand edit on another system); such a file is read by Python's csv
module, as strictly (no stray quote, every row as long as the header, and no quote after a
space, which DuckDB reads as opening a quoted value and the csv module as text). Not by
DuckDB's lenient mode: that also relaxes quoting, so one unterminated quote swallowed the
rest of the file into one value, and a quote inside a field vanished, both silently.
UTF-16 text with a byte-order mark (Excel's "Unicode Text") is read by the csv module too.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import sys
from array import array
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    import duckdb

DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("utf-8", "latin-1")  # DuckDB's own; Windows-1252 is read by Python's csv module
WINDOWS_1252 = "cp1252"


class CsvProblem(ValueError):
    """A CSV file that cannot be read; the message names the file and the line."""


@dataclass(frozen=True)
class CsvText:
    """A CSV as a DuckDB relation with columns ``c0 .. cN`` (all text), its header, and the
    SQL expression (over the relation) giving each record's line in the file."""

    relation: object
    header: list[str]
    line_expr: str = "row_number() over () + 1"


def read_csv_text(session: duckdb.DuckDBPyConnection, path: Path, stage: bool = False
                  ) -> CsvText:
    """The file as text columns named by position (the header's own names may repeat).

    ``stage``: parse the file once into a temporary table (in file order) that the caller
    then copies, rather than only checking it and leaving a relation that parses it again.
    Numbering the rows of a parallel CSV scan (a window over every row) made the copy into
    the warehouse single-threaded: 11.3 s against 1.9 + 4.7 s staged at 10M transactions."""
    if path.stat().st_size == 0:
        raise CsvProblem(f"{path.name}: the file is empty (0 bytes), not even a header line")
    header, delimiter = header_and_delimiter(path)
    if _bom_utf16(path):  # Excel's "Unicode Text": DuckDB read a big-endian one as no rows
        relation = _read_with_python(session, path, len(header), delimiter, "utf-16",
                                     "; the file is UTF-16 text")
        return CsvText(relation, header, "_line")
    error = ""
    for encoding in ENCODINGS:
        try:
            return _with_lines(session, path, header, delimiter, encoding, stage)
        except CsvProblem:
            raise
        except Exception as exc:  # duckdb raises InvalidInput / Conversion errors
            error = str(exc)
        if _is_encoding_error(error, path):
            if encoding == "utf-8":  # before reading the file as Latin-1
                _refuse_misreadings(path)
            continue
        endings = None if _ragged(error) else _odd_line_endings(path)
        if endings is not None:
            relation = _read_with_python(session, path, len(header), delimiter,
                                         _text_encoding(path), f"; the file also {endings}")
            return CsvText(relation, header, "_line")
        break
    if _is_encoding_error(error, path) and _first_undecodable_line(path, WINDOWS_1252) is None:
        # Excel's "CSV" on Windows: an en dash or curly quote is a byte Latin-1 has no
        # character for (DuckDB refuses it), Windows-1252 has.
        relation = _read_with_python(session, path, len(header), delimiter, WINDOWS_1252,
                                     "; the file is Windows-1252 text")
        return CsvText(relation, header, "_line")
    raise CsvProblem(_explain(path, delimiter, encoding, error))


def _text_encoding(path: Path) -> str:
    """The encoding the csv module reads a file in, from its bytes: UTF-8 when it is, else (a
    file mixing encodings is refused) Windows-1252, which reads Latin-1 text as Latin-1 does
    (they differ only in bytes 0x80-0x9F, which DuckDB's Latin-1 refuses and Windows-1252
    reads as dashes and quotes); bytes neither reads stop the run naming their line."""
    if _first_undecodable_line(path, "utf-8") is None:
        return "utf-8"
    _refuse_misreadings(path)
    bad = _first_undecodable_line(path, WINDOWS_1252)
    if bad is None:
        return WINDOWS_1252
    raise CsvProblem(f"{path.name}, line {bad}: the text is neither UTF-8, Latin-1 nor "
                     "Windows-1252; save the file as UTF-8")


UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _bom_utf16(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) in UTF16_BOMS


def _first_line(path: Path) -> str:
    with open(path, "rb") as handle:
        first = handle.readline(1 << 20)
    if first[:2] in UTF16_BOMS:
        with open(path, encoding="utf-16", errors="replace", newline="") as handle:
            return re.split(r"\r\n|\r|\n", handle.read(1 << 20), maxsplit=1)[0]
    first = first.split(b"\r", 1)[0] if b"\r" in first.rstrip(b"\r\n") else first  # CR-only
    return _decode(first)


# Files of other kinds by their first bytes: named .csv, they read as a header of noise.
NOT_TEXT = {b"PAR1": "a Parquet file (name it .parquet)",
            b"\x1f\x8b": "gzip-compressed (unpack it)",
            b"PK\x03\x04": "a zip archive, such as an .xlsx workbook (give the workbook itself)"}


def header_and_delimiter(path: Path) -> tuple[list[str], str]:
    """The header's names and the delimiter that splits its line most (both engines read
    a CSV with it)."""
    with open(path, "rb") as handle:
        start = handle.read(64)
        handle.seek(max(0, path.stat().st_size - 4))
        end = handle.read(4)
    for magic, kind in NOT_TEXT.items():
        # Parquet's mark is text (a first column named PAR1_score): it must end the file too
        if start.startswith(magic) and (magic != b"PAR1" or end == magic):
            raise CsvProblem(f"{path.name}: not a CSV text file but {kind}")
    _refuse_utf16_without_mark(path, start)
    text = _first_line(path).lstrip("\ufeff").rstrip("\r\n")
    if not text.strip():
        raise CsvProblem(f"{path.name}, line 1: the header line is empty")
    if EXCEL_SEP_HINT.fullmatch(hint := text.strip(" \u00a0")):
        raise CsvProblem(f"{path.name}, line 1: {hint!r} is Excel's delimiter hint, "
                         "not a header; delete that line (the delimiter is read from the "
                         "header line)")
    delimiter = max(DELIMITERS, key=text.count)
    if _opens_a_quote_it_does_not_close(text, delimiter):  # Alt+Enter in an Excel header
        raise CsvProblem(f"{path.name}, line 1: the header has an unclosed quote, as when a "
                         "column name holds a line break inside its quotes "
                         f"({text.strip()[:120]!r} ...); make the header one line")
    return next(csv.reader(io.StringIO(text), delimiter=delimiter)), delimiter


# Excel's hint line: `sep=;`, also as a spreadsheet re-saves it (`sep=;;`, `"sep=,"`)
EXCEL_SEP_HINT = re.compile(r'"?sep=(.)"?\1*', re.IGNORECASE)


def _refuse_utf16_without_mark(path: Path, start: bytes) -> None:
    """UTF-16 without its byte-order mark (written by some exporters, not by Excel): every
    other byte of the header's ASCII names (the required ones are) is 0, which read as UTF-8
    gave a header of names with NUL characters in them and a message about missing columns
    or ragged lines. Guessing the byte order from the zeros would read most such files
    right, and some wrong: say what it is instead. Judged on the first 64 bytes, so a first
    name in Arabic or Chinese (no zero bytes) does not hide it."""
    if start[:2] in UTF16_BOMS:
        return
    zeros_odd, zeros_even = start[1::2].count(0), start[0::2].count(0)
    if max(zeros_odd, zeros_even) >= 2 and min(zeros_odd, zeros_even) * 4 < max(
            zeros_odd, zeros_even):
        raise CsvProblem(f"{path.name}: UTF-16 text without a byte-order mark (every other "
                         "byte of the header is 0); save the file as UTF-8, or as Excel's "
                         "'Unicode Text', which writes the mark")


def _opens_a_quote_it_does_not_close(line: str, delimiter: str) -> bool:
    """A quoted field that runs past the end of the line (a quote inside an unquoted name,
    screen 5", is text)."""
    try:
        next(csv.reader(io.StringIO(line), delimiter=delimiter, strict=True), None)
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
                            rb"|[\xf0-\xf4][\x80-\xbf]{3}")
CHUNK = 1 << 24


def _refuse_misreadings(path: Path) -> None:
    """Before a file that is not UTF-8 is read as Latin-1 or Windows-1252: refuse it when
    that reading would garble its names (mixed encodings, another code page)."""
    _refuse_mixed_encodings(path)
    _refuse_other_code_pages(path)


def _refuse_mixed_encodings(path: Path) -> None:
    """A file that is not UTF-8 is read as Latin-1, unless it also holds UTF-8 text (an é
    as the two bytes C3 A9): then it mixes encodings, and reading it as either would garble
    every value written in the other ('Café' as 'CafÃ©'), silently. Such Latin-1 byte pairs
    hardly occur in real Latin-1 text."""
    bad_line = _first_undecodable_line(path, "utf-8")  # stops at the first such byte
    if bad_line is not None and _holds_utf8_text(path):
        raise CsvProblem(
            f"{path.name}, line {bad_line}: a byte that is not UTF-8 in a file that "
            "also holds UTF-8 text (mixed encodings: read either way, some names "
            "would change); save the whole file as UTF-8")


# Letters of Windows-1252's upper half (À-ÿ but × and ÷, Š Œ Ž š œ ž Ÿ, ª µ º), and a word
# made of them alone: how words of another script read when their 8-bit code page is taken
# for Windows-1252 (Arabic Windows-1256 'القاهرة' as 'ÇáÞÇåÑÉ', 'من' as 'ãä'; Cyrillic, Greek,
# Hebrew), and what Western names hardly hold: their accented letters stand in words with
# plain ones ('Café', 'Þjóðólfur', 'Jäääär'). A word of one letter ('à') is left alone.
UPPER_LETTERS = rb"\xC0-\xD6\xD8-\xF6\xF8-\xFF\x8A\x8C\x8E\x9A\x9C\x9E\x9F\xAA\xB5\xBA"
FOREIGN_WORD = re.compile(rb"(?<![A-Za-z" + UPPER_LETTERS + rb"])[" + UPPER_LETTERS
                          + rb"]{2,}(?![A-Za-z" + UPPER_LETTERS + rb"])")
LETTER_BYTES = frozenset(re.findall(rb"[A-Za-z" + UPPER_LETTERS + rb"]", bytes(range(256))))
WORD_TAIL = 256  # bytes carried into the next chunk's scan (a word cut at a chunk's end)


def _refuse_other_code_pages(path: Path) -> None:
    """A file that is not UTF-8 is read as Latin-1 or Windows-1252, which give some
    character for nearly every byte: a file saved in another 8-bit code page (Excel's "CSV"
    on Arabic or Cyrillic Windows) would load with every name garbled and no error. Such a
    file holds words made only of upper-half letters (FOREIGN_WORD); it is refused naming
    the first line and the word as Windows-1252 reads it. Code pages of Latin-script
    languages (Central European Windows-1250, Turkish, Baltic) read as Western letters and
    cannot be told apart this way."""
    lines, tail = 1, b""
    with open(path, "rb") as handle:
        chunk = handle.read(CHUNK)
        while chunk:
            following = handle.read(CHUNK)
            data = tail + chunk
            found = FOREIGN_WORD.search(data)
            if found and not (following and found.end() == len(data)):  # else: next chunk
                line = lines + data.count(b"\n", 0, found.start())
                word = found.group().decode(WINDOWS_1252, errors="replace")
                raise CsvProblem(
                    f"{path.name}, line {line}: the file is not UTF-8, and read as Latin-1 or "
                    f"Windows-1252 its text has words such as '{word}', of no Western "
                    "language: it is likely in another code page (Arabic Windows-1256, "
                    "Cyrillic Windows-1251, ...); save the file as UTF-8")
            keep = max(0, len(data) - WORD_TAIL)
            while keep > 0 and data[keep] in LETTER_BYTES:  # the tail starts between words
                keep -= 1
            lines += data.count(b"\n", 0, keep)
            tail, chunk = data[keep:], following


def _holds_utf8_text(path: Path) -> bool:
    """Whether the file holds a UTF-8 encoded character beyond ASCII anywhere."""
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            if UTF8_MULTIBYTE.search(chunk):
                return True
    return False


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _sql(path: Path, columns: int, delimiter: str, encoding: str, strict: bool,
         extra: bool = False) -> str:
    names = [f"c{i}" for i in range(columns)] + (["c_extra"] if extra else [])
    struct = ", ".join(f"'{n}': 'VARCHAR'" for n in names)
    literal = "'" + str(path).replace("'", "''") + "'"
    delim = "\\t" if delimiter == "\t" else delimiter
    return (f"select * from read_csv({literal}, auto_detect = false, header = true, "
            f"delim = '{delim}', quote = '\"', escape = '\"', encoding = '{encoding}', "
            f"columns = {{{struct}}}, strict_mode = {str(strict).lower()}, "
            f"null_padding = {str(extra).lower()})")


def _with_lines(session: duckdb.DuckDBPyConnection, path: Path, header: list[str],
                delimiter: str, encoding: str, stage: bool) -> CsvText:
    """The file read by DuckDB, with each record's line: its position (+1 for the header)
    while the file has one line per record, which its count of line ends proves (counted
    beside DuckDB's scan); else, where blank lines or line breaks inside quotes shift
    records from lines, the lines found by Python's csv module and joined on by position."""
    read = _sql(path, len(header), delimiter, encoding, strict=True)
    with ThreadPoolExecutor(1) as pool:
        lines = pool.submit(_count_lines, path)
        relation, records = (_staged(session, path, read) if stage
                             else (session.sql(read), None))
        records = _scan(relation, len(header)) if records is None else records
        if lines.result() == records + 1:
            return CsvText(relation, header, "_row + 2") if stage else CsvText(relation, header)
    starts = _record_lines(path, delimiter, encoding, blank_is_record=len(header) == 1)
    if len(starts) != records:  # both parse RFC 4180: a difference is a bug, not the file's
        raise CsvProblem(f"{path.name}: {records} records read but {len(starts)} found when "
                         "numbering its lines; please report this file")
    numbered = _temp_name("_csv_lines_", path)
    session.register(numbered, pa.table({"_line": starts}))
    return CsvText(relation.query("src", f"select * from src positional join {numbered}"),
                   header, "_line")


def _staged(session: duckdb.DuckDBPyConnection, path: Path, read: str
            ) -> tuple[duckdb.DuckDBPyRelation, int]:
    """The file in a temporary table, written in file order (so a row's rowid is its
    position), and its number of records. Order is kept for this session only."""
    name = _temp_name("_csv_rows_", path)
    session.execute("set session preserve_insertion_order = true")
    try:
        session.execute(f"create or replace temp table {name} as {read}")
    finally:  # the copy into the warehouse need not keep order (it writes faster without)
        session.execute("reset session preserve_insertion_order")
    relation = session.sql(f"select *, rowid as _row from {name}")
    return relation, session.sql(f"select count(*) from {name}").fetchall()[0][0]


def _temp_name(prefix: str, path: Path) -> str:
    return prefix + hashlib.sha1(str(path).encode()).hexdigest()[:16]


def _count_lines(path: Path) -> int:
    """Lines in the file: line ends (CR for a CR-only file, judged by its first 64 KB, as
    the header is), plus a last line without one; trailing blank lines are not lines
    (DuckDB reads no record from them). One streaming pass, whatever the file's size."""
    with open(path, "rb") as handle:
        first = handle.read(1 << 16)
    end = b"\r" if b"\n" not in first and b"\r" in first else b"\n"
    ends, last = 0, b""
    buffer = bytearray(CHUNK)
    with open(path, "rb", buffering=0) as handle:
        while size := handle.readinto(buffer):
            ends += buffer.count(end, 0, size)
            last = (last + bytes(memoryview(buffer)[max(0, size - (1 << 16)):size]))[-(1 << 16):]
    body = last.rstrip(b"\r\n")
    return ends - last[len(body):].count(end) + (1 if body else 0)


class _UnreadableRecord(Exception):
    """The csv module's error, with the line it was found on."""

    def __init__(self, line: int, error: csv.Error) -> None:
        super().__init__(str(error))
        self.line = line


def _records(path: Path, delimiter: str, encoding: str, strict: bool = False,
             as_duckdb_splits: bool = False) -> Iterator[tuple[int, list[str]]]:
    """Each row after the header with the line it starts on, by Python's csv module (a
    quoted line break continues the row; a blank line is an empty row). ``strict``: a
    stray or unterminated quote raises _UnreadableRecord. ``as_duckdb_splits``: a quote
    after spaces that follow a delimiter opens a quoted value, as in DuckDB's reader (for
    where records start; the values then lose such spaces)."""
    csv.field_size_limit(sys.maxsize)  # DuckDB reads fields of any length
    with open(path, newline="", encoding=encoding) as handle:
        reader = csv.reader(handle, delimiter=delimiter, quotechar='"', doublequote=True,
                            strict=strict, skipinitialspace=as_duckdb_splits)
        try:
            next(reader, None)
            previous_end = reader.line_num
            for row in reader:
                yield previous_end + 1, row
                previous_end = reader.line_num
        except csv.Error as exc:
            raise _UnreadableRecord(reader.line_num, exc) from exc


def _record_lines(path: Path, delimiter: str, encoding: str,
                  blank_is_record: bool = False) -> pa.Array:
    """The line each data record starts on. DuckDB reads a blank line as no record, except
    in a file of one column, where it is a record with a null value."""
    starts = array("q", (start for start, row in _records(path, delimiter, encoding,
                                                          as_duckdb_splits=True)
                         if row or blank_is_record))
    return pa.array(np.frombuffer(starts, dtype=np.int64), pa.int64())


def _line_of(path: Path, delimiter: str, encoding: str, reported: int) -> int:
    """The line a row that DuckDB reports as line ``reported`` starts on: DuckDB counts
    rows and blank lines, not the line breaks inside quotes before it. Read up to that row
    again (an error path: the whole file at worst); DuckDB's number if that fails too."""
    try:
        for number, (start, _) in enumerate(
                _records(path, delimiter, encoding, as_duckdb_splits=True), start=2):
            if number == reported:
                return start
    except (_UnreadableRecord, UnicodeDecodeError):
        pass
    return reported


def _scan(relation: duckdb.DuckDBPyRelation, columns: int) -> int:
    """Parse and decode every value now, not later inside dbt (``count(*)`` alone would let
    DuckDB skip decoding the values); the number of records."""
    counts = ", ".join(f"count(c{i})" for i in range(columns))
    return relation.aggregate(f"count(*), {counts}").fetchall()[0][0]


def _read_with_python(session: duckdb.DuckDBPyConnection, path: Path, columns: int,
                      delimiter: str, encoding: str, also: str):
    """The file through Python's csv module (any mix of CRLF, LF and CR ends a row; a line
    break inside quotes is kept as written), strict about quotes and row lengths. Like
    DuckDB's reader, an empty field is null and a blank line is no row. The whole file is
    held in memory: such files are hand edits, not feeds of millions of rows."""
    rows: list[list[str]] = []
    starts = array("q")
    try:
        for start, row in _records(path, delimiter, encoding, strict=True):
            if not row:
                continue
            if len(row) != columns:
                found = "1 field" if len(row) == 1 else f"{len(row)} fields"
                raise CsvProblem(
                    f"{path.name}, line {start}: {found} where the header has "
                    f"{columns} (a ragged row: a missing value, an extra value or an "
                    f"unquoted '{delimiter}'){also}")
            _refuse_quote_after_space(path, start, row, also)
            rows.append(row)
            starts.append(start)
    except _UnreadableRecord as exc:
        raise CsvProblem(f"{path.name}, line {exc.line}: not a readable CSV file "
                         f"({exc}){also}") from exc
    except UnicodeDecodeError as exc:
        expected = "valid UTF-16" if encoding == "utf-16" else "UTF-8 nor Latin-1"
        raise CsvProblem(f"{path.name}: the text is not {expected}; save the file as "
                         f"UTF-8{also}") from exc
    table = pa.table({**{f"c{i}": pa.array([row[i] or None for row in rows], pa.string())
                         for i in range(columns)},
                      "_line": pa.array(np.frombuffer(starts, dtype=np.int64), pa.int64())})
    return session.from_arrow(table)


def _refuse_quote_after_space(path: Path, line: int, row: list[str], also: str) -> None:
    """A field of spaces then a quote (`5, "Port Said"`): DuckDB's reader takes one space as
    opening a quoted value (Port Said) and splits the line accordingly; the csv module keeps
    the text as written and splits at every delimiter, inside such 'quotes' too, so the
    two would disagree, silently for some lines. Files read here are hand edits: stop and
    say where, rather than guess."""
    for column, value in enumerate(row, start=1):
        if value[:1].isspace() and value.lstrip().startswith('"'):
            raise CsvProblem(
                f"{path.name}, line {line}, field {column}: a quote after a space "
                f"({value[:20]!r}); readers disagree on where such a value ends. Remove the "
                f"space after the delimiter, or quote the whole value{also}")


def differs_for_spark(path: Path) -> bool:
    """Whether Spark's CSV reader (with RFC 4180 quotes, as couponseg.spark_engine sets it)
    would read other values or rows from this file than this module: a field that starts
    with spaces and a quote (`5, "Port Said"`: Spark keeps the text as written and splits
    ' "p,q"' at its comma), a CR alone (Spark ends a record at it, inside quotes too), a
    line of nothing but spaces, tabs and control characters (Spark skips it as blank; here
    it is a row, so raw counts and every later source row would differ), or a file that is
    not UTF-8 throughout (Spark would take its encoding from where it first looks, and a
    Latin-1 'é' further in became U+FFFD there). Bytes, not records: a quoted value holding
    ', "' counts too, which only sends the file to the reader that reads it right. A CR that
    ends a chunk is judged with the next."""
    _, delimiter = header_and_delimiter(path)
    pattern = re.compile(rb'(?:\n|\r|' + re.escape(delimiter.encode()) + rb') +"|\r(?!\n)'
                         rb"|\n[\x00-\x09\x0b-\x20]*\n|\n[\x00-\x09\x0b-\x20]+\Z")
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as handle:
        tail = b""
        while chunk := handle.read(CHUNK):
            text = tail + chunk
            if pattern.search(text, 0, len(text) - text.endswith(b"\r")):
                return True
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return True
            tail = text[-256:]
    try:
        decoder.decode(b"", final=True)  # a character cut off at the file's end
    except UnicodeDecodeError:
        return True
    return False


def _ragged(error: str) -> re.Match | None:
    return re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", error)


# DuckDB's own words for bytes it cannot decode, and the lines of its message that quote the
# input (the file's path, the offending line), which are not searched: a folder named
# 'export-utf-8' or a value 'Unicode Labs' once made a line-ending error read as an encoding
# error, and a UTF-8 file with mixed line endings was read as Windows-1252 ('Café' as 'CafÃ©').
ENCODING_WORDS = ("invalid unicode", "is not utf-8 encoded", "is not latin-1 encoded")
QUOTING_LINES = ("original line:", "file =")


def _is_encoding_error(message: str, path: Path) -> bool:
    """Whether DuckDB stopped on bytes it could not decode: its words for that outside the
    lines quoting the input, and, since a quoted line may run over several lines of the
    message, bytes in the file that are not UTF-8 (every encoding error DuckDB reports here
    is of a file that is not UTF-8: Latin-1 is only tried after UTF-8 failed)."""
    own = [line for line in message.lower().splitlines()
           if not line.strip().startswith(QUOTING_LINES)]
    said = any(words in line for line in own for words in ENCODING_WORDS)
    return said and _first_undecodable_line(path, "utf-8") is not None


def _first_undecodable_line(path: Path, encoding: str) -> int | None:
    """The first line holding bytes that are not text in ``encoding``; None if there is
    none."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 1
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return lines + chunk.count(b"\n", 0, max(exc.start, 0))
            lines += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return lines
    return None


def _explain(path: Path, delimiter: str, encoding: str, error: str) -> str:
    """What is wrong and where, from DuckDB's error text."""
    line = re.search(r"CSV Error on Line: (\d+)", error)
    where = (f"{path.name}, line {_line_of(path, delimiter, encoding, int(line.group(1)))}"
             if line else path.name)
    counts = _ragged(error)
    if counts:
        found = "1 field" if counts.group(2) == "1" else f"{counts.group(2)} fields"
        return (f"{where}: {found} where the header has {counts.group(1)} "
                f"(a ragged row: a missing value, an extra value or an unquoted '{delimiter}')")
    if _is_encoding_error(error, path):
        bad = _first_undecodable_line(path, WINDOWS_1252) or _first_undecodable_line(
            path, "utf-8")
        return (f"{path.name}{f', line {bad}' if bad else ''}: the text is neither UTF-8, "
                "Latin-1 nor Windows-1252; save the file as UTF-8")
    first = next((ln.strip() for ln in error.splitlines() if ln.strip()), "unknown error")
    return f"{where}: not a readable CSV file ({first})"


def _odd_line_endings(path: Path) -> str | None:
    """How the file's line endings defeat DuckDB's strict reader, or None: CRLF and LF mixed
    (from the first line whose ending differs from line 1's), or lines ended by LF (or CRLF)
    and by CR alone in one file (an old Mac edit of a newer file; a CR inside quotes, which
    is text, is read as written either way)."""
    with open(path, "rb") as handle:
        crlf = handle.readline().endswith(b"\r\n")
        handle.seek(0)
        for number, line in enumerate(handle, start=1):
            # a first line without LF is the whole of a CR-only file, where CR is the ending
            if b"\r" in _without_ending(line) and (number > 1 or line.endswith(b"\n")):
                return f"ends some lines in CR alone and others in LF or CRLF (from line {number})"
            if line.endswith(b"\n") and line.endswith(b"\r\n") != crlf:
                return f"mixes CRLF and LF line endings (from line {number})"
    return None


def _without_ending(line: bytes) -> bytes:
    """A line read up to LF without its CRLF or LF (a CR before the CRLF stays)."""
    return line[:-2] if line.endswith(b"\r\n") else line.removesuffix(b"\n")
