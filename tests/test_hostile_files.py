"""Hostile files and places: ragged, empty and mixed-line-ending CSVs, two files or columns for
one thing, unusable --warehouse / --out, very long names and emoji in the PDF. Each ends in a
one-line message naming file and line (exit 2, before any work) or in a correct result."""

from __future__ import annotations

import codecs
import copy
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pypdf
import pytest
from conftest import REPO, couponseg, processes_with, query
from damage import parquet_damaged_in_row_group_4, read_tables, write_folder, write_workbook

from models_py import csv_text, xlsx_errors
from models_py.loader import InputError, load_table


@pytest.fixture(scope="module")
def clean(generated) -> dict[str, pd.DataFrame]:
    return read_tables(generated)


def _refused(tmp_path: Path, *args: object) -> str:
    """Run a command that must stop before any work: exit 2, one line, no traceback. (dbt may
    have started beside the input check, for an .xlsx or a large input, and been killed:
    nothing of a build is said either way.)"""
    result = couponseg(*args, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "Building warehouse" not in result.stdout  # no build reported
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def _build_error(tmp_path: Path, folder: Path) -> str:
    message = _refused(tmp_path, "build", "--input", folder, "--warehouse",
                       tmp_path / "w.duckdb")
    assert not (tmp_path / "w.duckdb").exists()
    return message


def _folder(clean: dict[str, pd.DataFrame], tmp_path: Path) -> Path:
    return write_folder(copy.deepcopy(clean), tmp_path / "in")


# ------------------------------------------------------------------ CSV contents
def test_ragged_row_names_its_line(clean, tmp_path):
    folder = _folder(clean, tmp_path)
    path = folder / "merchants.csv"
    lines = path.read_text().splitlines()
    lines[4] += ",surplus"  # line 5 of the file
    path.write_text("\n".join(lines) + "\n")
    message = _build_error(tmp_path, folder)
    assert "merchants.csv, line 5: 3 fields where the header has 2" in message
    assert "missing column" not in message


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_a_line_break_inside_a_quoted_header_name_is_named(tmp_path, newline):
    """A header cell typed with Alt+Enter in Excel is saved as a quoted name over two lines:
    it was refused for a ragged line 3 ("3 fields where the header has 2", when it has 3) or
    for a record count that did not match its lines. The header is the problem, and it is
    named."""
    path = tmp_path / "merchants.csv"
    path.write_bytes(newline.join(['merchant_id,"Notes', '(internal)",merchant_name',
                                   "1,,Rivas Group", "2,,Shah Ltd", ""]).encode())
    with duckdb.connect() as con, pytest.raises(InputError) as error:
        load_table(con, tmp_path, "merchants")
    assert "merchants.csv, line 1: the header has an unclosed quote" in str(error.value)


def test_a_quote_inside_an_unquoted_header_name_and_a_par1_column_are_text(tmp_path):
    """Neither is a broken file: a quote inside an extra column's name (screen 5") is text
    (only a quoted name that never closes is refused), and a file whose first column is
    named PAR1_score is a CSV (a Parquet file also ends with PAR1)."""
    (tmp_path / "merchants.csv").write_text('merchant_id,merchant_name,screen 5"\n1,Rivas,x\n')
    (tmp_path / "cities.csv").write_text("PAR1_score,city_id,city_name\n7,1,Cairo\n")
    with duckdb.connect() as con:
        assert load_table(con, tmp_path, "merchants").df()["merchant_name"].tolist() == ["Rivas"]
        assert load_table(con, tmp_path, "cities").df()["city_name"].tolist() == ["Cairo"]


def test_a_file_of_another_kind_named_csv_says_what_it_is(tmp_path):
    """A Parquet file, a gzip archive or a workbook saved as cities.csv read as a header of
    binary noise ("missing column(s) ... (found: PAR1 ...)"): the message says what it is."""
    import gzip

    path = tmp_path / "cities.csv"
    pq.write_table(pa.table({"city_id": [1], "city_name": ["Cairo"]}), path)
    kinds = {"a Parquet file": path.read_bytes(),
             "gzip-compressed": gzip.compress(b"city_id,city_name\n1,Cairo\n")}
    for kind, data in kinds.items():
        path.write_bytes(data)
        with duckdb.connect() as con, pytest.raises(InputError) as error:
            load_table(con, tmp_path, "cities")
        assert f"cities.csv: not a CSV text file but {kind}" in str(error.value)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("first", ["", "مدينة,"])
def test_utf16_without_a_byte_order_mark_is_named(tmp_path, codec, first):
    """Some exporters write UTF-16 without the mark Excel writes: read as UTF-8, its header
    was names with NUL characters between the letters, refused as "missing column(s)
    city_id, city_name (found: c\x00i\x00t\x00y ...)", or, after a first name in Arabic
    (no zero bytes in it), as a ragged line 3."""
    text = f"{first}city_id,city_name\n{'x,' if first else ''}1,Cairo\n"
    (tmp_path / "cities.csv").write_bytes(text.encode(codec))
    with duckdb.connect() as con, pytest.raises(InputError) as error:
        load_table(con, tmp_path, "cities")
    assert "cities.csv: UTF-16 text without a byte-order mark" in str(error.value)
    (tmp_path / "cities.csv").write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    with duckdb.connect() as con:  # with the mark, it is read
        assert load_table(con, tmp_path, "cities").df()["city_name"].tolist() == ["Cairo"]


@pytest.mark.parametrize("hint", ["sep=,", "SEP=;", "sep=\t", "sep=;;", '"sep=,"'])
def test_excels_delimiter_hint_line_is_named(tmp_path, hint):
    """A first line `sep=,` (written for Excel to split the file) stood where the header
    should: the header was one column named 'sep=' and the message listed missing columns."""
    (tmp_path / "cities.csv").write_text(f"{hint}\ncity_id,city_name\n1,Cairo\n")
    with duckdb.connect() as con, pytest.raises(InputError) as error:
        load_table(con, tmp_path, "cities")
    assert f"cities.csv, line 1: {hint!r} is Excel's delimiter hint, not a header" in str(
        error.value)


def test_short_row_deep_in_the_file_names_its_line(clean, tmp_path):
    folder = _folder(clean, tmp_path)
    path = folder / "transactions.csv"
    lines = path.read_text().splitlines()
    number = len(lines) - 3
    lines[number - 1] = ",".join(lines[number - 1].split(",")[:4])
    path.write_text("\n".join(lines) + "\n")
    message = _build_error(tmp_path, folder)
    assert f"transactions.csv, line {number}: 4 fields where the header has 7" in message


def test_large_input_checked_beside_dbt_is_refused_the_same_way(clean, tmp_path):
    """An input of 16 MB or more is checked while dbt starts: a short row at its end still
    ends in the check's one-line message, exit 2, nothing said of a build, no warehouse and
    no dbt process left running."""
    from couponseg.cli import CHECK_BESIDE_DBT_BYTES

    folder = _folder(clean, tmp_path)
    path = folder / "transactions.csv"
    header, *rows = path.read_text().splitlines()
    copies = CHECK_BESIDE_DBT_BYTES // len("\n".join(rows)) + 1
    lines = [header] + rows * copies + ["1,2,2024-01-01"]
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size >= CHECK_BESIDE_DBT_BYTES
    message = _build_error(tmp_path, folder)
    assert f"transactions.csv, line {len(lines)}: 3 fields where the header has 7" in message
    assert not list(tmp_path.glob("w.duckdb.building*"))
    assert processes_with("couponseg.dbt_runner", str(tmp_path)) == []
    # dbt was started beside the check (its folder exists) and killed when the check failed,
    # not left to fail on its own at the raw model and finish its run.
    log = tmp_path / "w.duckdb.dbt" / "logs" / "dbt.log"
    assert (tmp_path / "w.duckdb.dbt").is_dir()
    assert not log.exists() or "Done." not in log.read_text()


@pytest.mark.parametrize("name", ["cities.csv", "cities.parquet", "in.xlsx"])
def test_zero_byte_file_says_it_is_empty(clean, tmp_path, name):
    folder = _folder(clean, tmp_path)
    (folder / "cities.csv").unlink()
    (folder / name).write_bytes(b"")
    message = _build_error(tmp_path, folder / name if name.endswith(".xlsx") else folder)
    assert f"{name}: the file is empty (0 bytes)" in message
    assert "missing column" not in message


def test_mixed_line_endings_load_every_row(clean, tmp_path):
    folder = _folder(clean, tmp_path)
    path = folder / "merchants.csv"
    lines = path.read_text().splitlines()
    mixed = "".join(line + ("\r\n" if i % 2 else "\n") for i, line in enumerate(lines))
    path.write_bytes(mixed.encode())
    with duckdb.connect() as con:
        loaded = load_table(con, folder, "merchants").df()
    expected = clean["merchants"]
    assert len(loaded) == len(expected)
    assert list(loaded["merchant_name"]) == list(expected["merchant_name"])  # no stray \r
    assert list(loaded["merchant_id"]) == list(expected["merchant_id"].astype(str))


def test_mixed_line_endings_with_a_surplus_field_names_the_row(tmp_path):
    path = tmp_path / "merchants.csv"
    path.write_bytes(b"merchant_id,merchant_name\r\n1,A\n2,B\r\n3,C,surplus\n4,D\n")
    with duckdb.connect() as con, pytest.raises(InputError) as error:
        load_table(con, tmp_path, "merchants")
    assert "merchants.csv, line 4: 3 fields where the header has 2" in str(error.value)
    assert "mixes CRLF and LF" in str(error.value)


@pytest.mark.parametrize("body", [
    b'1,"A\n2,B\r\n3,C\n',  # an unterminated quote: must not swallow the rows after it
    b'1,"50% off "Summer" deal"\n2,B\r\n',  # bare quotes inside a quoted field
], ids=["unterminated_quote", "bare_inner_quotes"])
def test_mixed_line_endings_with_bad_quoting_names_the_line(tmp_path, body):
    """A file that mixes line endings is read as strictly as any other: a quoting mistake
    stops the run with its line, where a lenient reader lost rows or quotes silently."""
    path = tmp_path / "merchants.csv"
    path.write_bytes(b"merchant_id,merchant_name\r\n" + body)
    with duckdb.connect() as con, pytest.raises(InputError) as error:
        load_table(con, tmp_path, "merchants")
    assert "merchants.csv, line" in str(error.value)
    assert "not a readable CSV file" in str(error.value)


def test_cr_only_line_endings_load_every_row(tmp_path):
    """Old Mac files end lines in CR alone; quoted line breaks stay as written, an empty
    field is null as in every other CSV."""
    path = tmp_path / "merchants.csv"
    path.write_bytes(b'merchant_id,merchant_name\r1,A\r2,"B\rC"\r3,\r')
    with duckdb.connect() as con:
        loaded = load_table(con, tmp_path, "merchants").df()
    assert loaded["merchant_id"].tolist() == ["1", "2", "3"]
    assert loaded["merchant_name"].tolist()[:2] == ["A", "B\rC"]
    assert pd.isna(loaded["merchant_name"].iloc[2])
    assert loaded["_source_row"].tolist() == [2, 3, 5]  # the line each row starts on


def test_mixed_line_endings_build_end_to_end(clean, long_names):
    """long_names' transactions.csv ends its lines in CRLF and LF, mixed."""
    recon = query(long_names / "w.duckdb", "select raw_rows from audit.audit_row_reconciliation"
                                           " where source_table = 'transactions'")
    assert recon["raw_rows"][0] == len(clean["transactions"])


# ------------------------------------------------------------------ two of one thing
@pytest.mark.parametrize("twin", ["Genders.csv", "genders.parquet"])
def test_two_files_for_one_table_are_refused(clean, tmp_path, twin):
    folder = _folder(clean, tmp_path)
    if twin.endswith(".parquet"):
        clean["genders"].to_parquet(folder / twin)
    else:
        (folder / twin).write_text((folder / "genders.csv").read_text())
    message = _build_error(tmp_path, folder)
    assert "2 files for table 'genders'" in message
    assert twin in message and "genders.csv" in message


@pytest.mark.parametrize("second", ["city_id", "City_ID ", " CITY_id"])
def test_a_column_twice_is_refused_in_csv(clean, tmp_path, second):
    tables = copy.deepcopy(clean)
    customers = tables["customers"]
    tables["customers"] = pd.concat(
        [customers, customers[["city_id"]].set_axis([second], axis=1)], axis=1)
    folder = write_folder(tables, tmp_path / "in")
    message = _build_error(tmp_path, folder)
    assert "column 'city_id' appears twice" in message
    assert "'city_id'" in message and repr(second) in message


def test_a_header_name_with_a_character_no_terminal_shows_is_quoted(clean, tmp_path):
    """A NUL (or another control character) inside a header name: the missing column is
    named, and the name found is shown with its escape, not as a blank."""
    folder = _folder(clean, tmp_path)
    path = folder / "cities.csv"
    path.write_bytes(path.read_bytes().replace(b"city_name", b"city\x00name", 1))
    assert _build_error(tmp_path, folder).endswith(
        "cities.csv (table 'cities'): missing column(s) city_name "
        "(found: city_id, 'city\\x00name')")


def test_a_column_twice_is_refused_in_parquet(clean, tmp_path):
    folder = _folder(clean, tmp_path)
    cities = clean["cities"]
    table = pa.Table.from_arrays(
        [pa.array(cities["city_id"]), pa.array(cities["city_name"]), pa.array(cities["city_id"])],
        names=["city_id", "city_name", "CITY_ID"])
    (folder / "cities.csv").unlink()
    pq.write_table(table, folder / "cities.parquet")
    message = _build_error(tmp_path, folder)
    assert "cities.parquet" in message and "column 'city_id' appears twice" in message


def test_two_sheets_for_one_table_are_refused(clean, tmp_path):
    path = write_workbook(copy.deepcopy(clean), tmp_path / "in.xlsx",
                          extra_sheets={"Genders ": clean["genders"]})
    message = _build_error(tmp_path, path)
    assert "in.xlsx: 2 sheets for table 'genders'" in message
    assert "'genders'" in message and "'Genders '" in message


def test_a_column_twice_is_refused_in_a_workbook(clean, tmp_path):
    tables = copy.deepcopy(clean)
    tables["cities"] = tables["cities"].assign(**{"City_Name": tables["cities"]["city_name"]})
    message = _build_error(tmp_path, write_workbook(tables, tmp_path / "in.xlsx"))
    assert "sheet 'cities'" in message and "column 'city_name' appears twice" in message


# ------------------------------------------------------------------ unusable places
def _read_only_folder(tmp_path: Path) -> Path:
    """A folder nobody may create files in: permissions for a user, /sys for root (root
    ignores permissions, and sysfs refuses new files)."""
    if os.geteuid() == 0:
        return Path("/sys")
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


def test_out_in_a_read_only_folder(built, tmp_path):
    out = _read_only_folder(tmp_path) / "report"
    message = _refused(tmp_path, "report", "--warehouse", built.warehouse, "--out", out)
    assert f"--out {out}: cannot write in {out}" in message
    message = _refused(tmp_path, "run", "--input", built.input, "--warehouse",
                       tmp_path / "w.duckdb", "--out", out)
    assert f"--out {out}" in message and not (tmp_path / "w.duckdb").exists()


def test_out_pointing_at_a_file(built, tmp_path):
    out = tmp_path / "dashboard.pdf"
    out.write_text("not a folder")
    message = _refused(tmp_path, "run", "--input", built.input, "--warehouse",
                       tmp_path / "w.duckdb", "--out", out)
    assert message.endswith(f"--out {out} is a file, not a folder")
    assert out.read_text() == "not a folder"


def test_warehouse_pointing_at_a_folder(built, tmp_path):
    message = _refused(tmp_path, "build", "--input", built.input, "--warehouse", tmp_path)
    assert f"--warehouse {tmp_path} is a folder" in message
    message = _refused(tmp_path, "report", "--warehouse", tmp_path, "--out", tmp_path / "o")
    assert f"--warehouse {tmp_path} is a folder" in message


def test_warehouse_held_open_for_writing_is_a_message_not_a_traceback(built, tmp_path):
    """Another program (a DuckDB shell, mf, a dbt run by hand) holds the warehouse open for
    writing: build and report stop with one line and exit 2, and the warehouse is as it
    was."""
    import hashlib
    import shutil

    warehouse = tmp_path / "w.duckdb"
    shutil.copy(built.warehouse, warehouse)
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    with duckdb.connect(str(warehouse)):
        build = couponseg("build", "--input", built.input, "--warehouse", warehouse,
                          check=False)
        report = couponseg("report", "--warehouse", warehouse, "--out", tmp_path / "out",
                           check=False)
    assert build.returncode == 2 and "Traceback" not in build.stderr
    assert "close it and build again" in build.stderr
    assert "The warehouse is unchanged." in build.stderr
    assert report.returncode == 2 and "Traceback" not in report.stderr
    assert f"cannot open warehouse {warehouse} read-only" in report.stderr
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before


def test_warehouse_in_an_unwritable_place(built, tmp_path):
    warehouse = _read_only_folder(tmp_path) / "w.duckdb"
    message = _refused(tmp_path, "build", "--input", built.input, "--warehouse", warehouse)
    assert f"--warehouse {warehouse}: cannot write in {warehouse.parent}" in message
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    message = _refused(tmp_path, "build", "--input", built.input,
                       "--warehouse", blocker / "w.duckdb")
    assert f"{blocker} is a file, not a folder" in message


# ------------------------------------------------------------------ names in the PDF
LONG_NAME = "Merchant " + "x" * 10_000
EMOJI_CITY = "Alexandria \U0001F31F\U0001F389"


@pytest.fixture(scope="module")
def long_names(generated, tmp_path_factory):
    """A run whose busiest merchant has a 10,000-character name, whose first city ends in
    emoji, and whose transactions.csv mixes CRLF and LF line endings."""
    tables = read_tables(generated)
    busiest = tables["branches"]["merchant_id"].value_counts().index[0]
    merchants = tables["merchants"]
    merchants.loc[merchants["merchant_id"] == busiest, "merchant_name"] = LONG_NAME
    tables["cities"].loc[0, "city_name"] = EMOJI_CITY
    work = tmp_path_factory.mktemp("long_names")
    folder = write_folder(tables, work / "in")
    path = folder / "transactions.csv"
    lines = path.read_text().splitlines()
    path.write_bytes("".join(ln + ("\r\n" if i % 3 else "\n")
                             for i, ln in enumerate(lines)).encode())
    couponseg("run", "--input", folder, "--warehouse", work / "w.duckdb", "--out", work / "out")
    return work


def test_long_names_are_cut_with_an_ellipsis(long_names):
    reader = pypdf.PdfReader(long_names / "out" / "dashboard.pdf")
    performers = reader.pages[3].extract_text()  # page 4: top performers
    assert "Merchant xxxxxxxxxxxxxxxxxxxxxx\u2026" in performers
    assert "x" * 40 not in performers.replace("\n", "")


def test_long_names_leave_the_charts_their_width(long_names, tmp_path):
    """Page 4's branch chart (upper right) and merchant chart (bottom) name the long-named
    merchant: their orange bars must keep a real length, not be squeezed to a few pixels."""
    subprocess.run(["pdftoppm", "-f", "4", "-l", "4", "-r", "50", str(long_names / "out" /
                    "dashboard.pdf"), str(tmp_path / "p")], check=True)
    (width, height), pixels = _ppm(next(tmp_path.glob("p-*.ppm")))

    def widest_bar(x0: float, x1: float, y0: float, y1: float) -> int:
        widest = 0
        for y in range(int(y0 * height), int(y1 * height)):
            row = pixels[3 * width * y: 3 * width * (y + 1)]
            widest = max(widest, sum(1 for x in range(int(x0 * width), int(x1 * width))
                                     if _orange(row[3 * x: 3 * x + 3])))
        return widest

    # Bands of the page as laid out now: the branch chart in the upper right (its bars start
    # left of the middle), the merchant chart across the page below it.
    assert widest_bar(0.4, 1.0, 0.12, 0.42) > width // 10, "branch chart squeezed"
    assert widest_bar(0.0, 1.0, 0.42, 0.7) > width // 5, "merchant chart squeezed"


def _ppm(path: Path) -> tuple[tuple[int, int], bytes]:
    data = path.read_bytes()
    magic, size, _maxval, pixels = data.split(b"\n", 3)
    assert magic == b"P6"
    w, h = (int(v) for v in size.split())
    return (w, h), pixels


def _orange(rgb: bytes) -> bool:
    r, g, b = rgb
    return r > 200 and 100 < g < 170 and b < 80  # the burnt colour #F58518


def test_emoji_print_in_colour(long_names, tmp_path):
    """Page 2 (demographics) has only blue and red charts: yellow pixels there come from the
    star emoji in a city's name, drawn by a colour emoji font instead of an empty box."""
    pdf = long_names / "out" / "dashboard.pdf"
    assert "\U0001F31F" in pypdf.PdfReader(pdf).pages[1].extract_text()
    subprocess.run(["pdftoppm", "-f", "2", "-l", "2", "-r", "60", str(pdf),
                    str(tmp_path / "p")], check=True)
    _, pixels = _ppm(next(tmp_path.glob("p-*.ppm")))
    yellow = sum(1 for i in range(0, len(pixels), 3)
                 if pixels[i] > 200 and pixels[i + 1] > 150 and pixels[i + 2] < 100)
    assert yellow > 10, "the emoji printed without colour (an empty box?)"


# ------------------------------------------------------------------ damaged files
def test_damaged_parquet_page_is_a_message_not_a_traceback(tmp_path):
    """A Parquet file whose footer reads but whose first data page is damaged."""
    buffer = pa.BufferOutputStream()
    pq.write_table(pa.table({"merchant_id": list(range(1, 21)),
                             "merchant_name": [f"m{i}" for i in range(20)]}), buffer)
    damaged = bytearray(buffer.getvalue().to_pybytes())
    damaged[10:40] = b"\0" * 30
    (tmp_path / "merchants.parquet").write_bytes(bytes(damaged))
    with duckdb.connect() as con, pytest.raises(InputError) as error:
        load_table(con, tmp_path, "merchants")
    assert str(error.value).startswith("merchants.parquet (table 'merchants'): not a readable")


def test_workbook_rows_are_the_sheets_own_numbers_and_other_sheets_are_not_read(clean,
                                                                                 tmp_path):
    """Blank rows above a sheet's header do not shift the source rows the audit names; a
    sheet that is none of the six tables is listed, not read (one far cell in a notes
    sheet would otherwise be read as a grid of millions of cells)."""
    import openpyxl

    from models_py.loader import _read_workbook

    path = write_workbook(copy.deepcopy(clean), tmp_path / "in.xlsx",
                          extra_sheets={"Notes": pd.DataFrame({"note": ["see below"]})})
    book = openpyxl.load_workbook(path)
    book["genders"].insert_rows(1, amount=3)  # the header is now on sheet row 4
    book.save(path)
    loaded = load_table(None, path, "genders").to_pandas()
    assert loaded["_source_row"].tolist() == list(range(5, 5 + len(clean["genders"])))
    assert loaded["gender_name"].tolist() == clean["genders"]["gender_name"].tolist()
    assert _read_workbook(path).sheets["notes"] == []


def test_error_cells_keep_their_rows_and_text_and_big_numbers_are_not_taken_as_exact(
        tmp_path):
    """A formula whose source was deleted leaves error cells (#REF!, #N/A): the cell reader
    gives them as empty strings, so a row made only of them was skipped as blank and an error
    read as a missing value. Each keeps its text, so the row reaches raw (and staging rejects
    it with that raw value in the audit). A number cell from 2^53 on is a double that need
    not be the number typed: it is loaded in exponent form, which no id parses as, rather
    than as digits that look exact (the same rule as a Parquet DOUBLE id column)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Cities"  # found by its trimmed, lower-case name
    sheet.append(["city_id", "city_name"])
    sheet.append([1, "Cairo"])
    sheet.append(["#REF!", "#REF!"])  # openpyxl writes these as error cells (t="e")
    sheet.append([2, "#N/A"])
    sheet.append([None, None])  # a truly blank row is still skipped
    sheet.append([2 ** 53 + 1, "big"])  # stored as 9007199254740992.0
    sheet.append([2 ** 53 - 1, "exact"])
    sheet.append([-(2 ** 53) - 2, "big negative"])
    sheet["A9"] = "#DIV/0!"  # far from the rest, beyond every other row
    assert sheet["A3"].data_type == sheet["A9"].data_type == "e"
    path = tmp_path / "in.xlsx"
    book.save(path)
    loaded = load_table(None, path, "cities").to_pandas()
    assert loaded["_source_row"].tolist() == [2, 3, 4, 6, 7, 8, 9]
    assert loaded["city_id"].tolist() == [
        "1", "#REF!", "2", "9.0071992547409920e+15", "9007199254740991",
        "-9.0071992547409940e+15", "#DIV/0!"]
    assert loaded["city_name"].tolist()[:4] == ["Cairo", "#REF!", "#N/A", "big"]
    assert loaded["city_name"].isna().tolist()[-1]
    # an error cell holding no text gets a text of its own, which staging knows as an error
    macros = (REPO / "dbt_project" / "macros" / "validation.sql").read_text()
    assert f"'{xlsx_errors.UNNAMED_ERROR}'" in macros


def test_error_cells_the_reader_refuses_or_cannot_place_and_error_only_rows(tmp_path):
    """An error value the cell reader does not know (#SPILL!, a localised #NV) made it refuse
    the whole workbook; a cell may omit its reference (r="B4" is optional: it follows the
    one before); an error-only title row above the header is skipped like a blank one, and
    errors only outside the table's columns (a helper formula filled down past the data)
    make no row."""
    import re
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "genders"
    sheet.append(["#REF!"])  # a title whose formula lost its source
    sheet.append(["gender_id", "gender_name", "", "helper"])
    sheet.append([1, "Male", None, "#N/A"])
    sheet.append([2, "#N/A"])
    sheet.append([3, "#N/A"])
    sheet.append([None, None, None, "#N/A"])
    path = tmp_path / "made.xlsx"
    book.save(path)
    odd = tmp_path / "odd.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(odd, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(b'<c r="B4" t="e"><v>#N/A</v>', b'<c t="e"><v>#SPILL!</v>')
                data = data.replace(b'<c r="B5" t="e"><v>#N/A</v>', b'<c r="B5" t="e"><v>#NV</v>')
                data = data.replace(b'<c r="D6" t="e"><v>#N/A</v>', b'<c r="D6" t="e"><v></v>')
                assert data.count(b"#SPILL!") == data.count(b"#NV") == data.count(b"<v></v>") == 1
                assert not re.search(rb'r="B4"', data)
            target.writestr(item, data)
    loaded = load_table(None, odd, "genders").to_pandas()
    assert loaded["_source_row"].tolist() == [3, 4, 5]
    assert loaded["gender_name"].tolist() == ["Male", "#SPILL!", "#NV"]


def test_formulas_without_a_stored_result_stop_the_run_naming_their_cells(tmp_path):
    """openpyxl and pandas write formulas (and any text that starts with "=") without their
    result; the cell reader gives such a cell as empty, so a row of them vanished as blank
    while the reconciliation balanced, and one in a burn date read as no burn. Their values
    are unknown: the run stops naming sheet, cells, columns and formulas. A formula with its
    result stored (as Excel and LibreOffice save it, an empty text result too) is read as
    that result, and helper formulas outside the table's columns are no concern."""
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "cities"
    sheet.append(["city_id", "city_name", "helper"])
    sheet.append([1, "Cairo", "=A2*2"])
    sheet.append(["=1+1", "=UPPER(\"giza\")"])
    sheet.append([3, "Luxor"])
    sheet.append([4, "=\"\""])
    path = tmp_path / "in.xlsx"
    book.save(path)
    with pytest.raises(InputError) as error:
        load_table(None, path, "cities")
    message = str(error.value)
    assert message.startswith("in.xlsx, sheet 'cities': 3 cell(s) hold a formula with no "
                              "stored result (or one the workbook marks as stale): A3 "
                              "(city_id) =1+1; B3 (city_name) =UPPER(\"giza\"); B5 "
                              "(city_name) =\"\"."), message
    assert "C2" not in message  # the helper column
    # the same workbook as a calculating program saves it: each result stored
    saved = tmp_path / "saved.xlsx"
    results = {b"<f>1+1</f><v />": b"<f>1+1</f><v>2</v>",
               b'<f>UPPER("giza")</f><v />': b'<f>UPPER("giza")</f><v>GIZA</v>',
               b'<c r="B5"><f>""</f><v />': b'<c r="B5" t="str"><f>""</f><v></v>'}
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(saved, "w") as target:
        for item in source.infolist():
            data = source.read(item).replace(b"&quot;", b'"')
            data = data.replace(b' fullCalcOnLoad="1"', b"")  # openpyxl's; Excel's has none
            if item.filename.startswith("xl/worksheets/"):
                for before, after in results.items():
                    assert before in data, before
                    data = data.replace(before, after)
                data = data.replace(b'<c r="B3">', b'<c r="B3" t="str">')
            target.writestr(item, data)
    loaded = load_table(None, saved, "cities").to_pandas()
    assert loaded["city_id"].tolist() == ["1", "2", "3", "4"]
    assert loaded["city_name"].tolist()[:3] == ["Cairo", "GIZA", "Luxor"]
    assert loaded["city_name"].isna().tolist()[3]  # an empty text: a missing name
    # xlsxwriter (pandas' engine when installed) stores 0 as every formula's result and
    # marks the workbook for a full recalculation on opening: such a 0 is not taken, other
    # results are (Apache POI sets the flag beside real ones)
    stale = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(stale, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/workbook.xml":
                data = data.replace(b"<calcPr ", b'<calcPr fullCalcOnLoad="1" ')
                assert b'fullCalcOnLoad="1"' in data
            if item.filename.startswith("xl/worksheets/"):  # end tags with blanks: valid XML
                data = data.replace(b"<f>1+1</f><v>2</v>", b"<f>1+1</f ><v>0</v>")
            target.writestr(item, data)
    with pytest.raises(InputError) as error:
        load_table(None, stale, "cities")
    assert "1 cell(s) hold a formula" in str(error.value)
    assert "A3 (city_id) =1+1." in str(error.value)


def test_mixed_encodings_are_refused_and_latin1_is_read(tmp_path):
    """One Latin-1 byte in a UTF-8 file: read as Latin-1 every UTF-8 name would change
    ('Café' to 'CafÃ©'), so the file is refused naming the line; a wholly Latin-1 file is
    read as Latin-1."""
    path = tmp_path / "cities.csv"
    path.write_bytes("city_id,city_name\n1,Café Zone\n2,Giza\n".encode()
                     + "3,Gîza\n".encode("latin-1"))
    with duckdb.connect() as con, pytest.raises(InputError) as error:
        load_table(con, tmp_path, "cities")
    assert "cities.csv, line 4: a byte that is not UTF-8" in str(error.value)
    path.write_bytes("city_id,city_name\n1,Café Zone\n3,Gîza\n".encode("latin-1"))
    with duckdb.connect() as con:
        loaded = load_table(con, tmp_path, "cities").df()
    assert loaded["city_name"].tolist() == ["Café Zone", "Gîza"]


def test_windows_1252_is_read_and_other_bytes_name_their_line(tmp_path):
    """Excel's "CSV" on Windows is Windows-1252: an en dash or curly quotes are bytes
    Latin-1 has no character for, so the file is read as Windows-1252 ('Peters – Acosta',
    not a refusal); bytes no encoding tried can read stop the run naming the first line that
    is not UTF-8."""
    path = tmp_path / "merchants.csv"
    path.write_bytes("merchant_id,merchant_name\n1,Peters – Acosta\n2,Café “Nile”\n"
                     .encode("cp1252"))
    with duckdb.connect() as con:
        loaded = load_table(con, tmp_path, "merchants").df()
    assert loaded["merchant_name"].tolist() == ["Peters – Acosta", "Café “Nile”"]
    assert loaded["_source_row"].tolist() == [2, 3]
    # line 2 is Windows-1252 (an en dash); line 4 holds 0x81, which no encoding tried reads
    path.write_bytes(b"merchant_id,merchant_name\n1,\x96\n2,ok\n3,x\x81y\n")
    with duckdb.connect() as con, pytest.raises(InputError) as error:
        load_table(con, tmp_path, "merchants")
    assert str(error.value).startswith(
        "merchants.csv, line 4: the text is neither UTF-8, Latin-1 nor Windows-1252")


@pytest.mark.parametrize("codec, names", [
    ("cp1256", ["القاهرة", "الجيزة"]),  # Excel's "CSV" on Arabic Windows
    ("cp1256", ["من", "في"]),  # two-letter words
    ("cp1251", ["Москва", "Казань"]),
    ("cp1251", ["Київ", "Ош"]),  # ї (0xBF) is no Latin-1 letter: 'Êè' and 'â' around it
    ("iso8859_7", ["Αθήνα", "Πάτρα"]),
    ("cp1255", ["בן", "תל אביב"]),
])
def test_text_of_another_code_page_is_refused_not_garbled(tmp_path, codec, names):
    """Latin-1 and Windows-1252 give a character to nearly every byte, so a file saved in
    another 8-bit code page would load with every name garbled ('القاهرة' as 'ÇáÞÇåÑÉ'):
    it is refused, naming the first line with such a word. Western names, whose accented
    letters stand between plain ones, are still read."""
    path = tmp_path / "cities.csv"
    rows = "".join(f"{i},{name}\n" for i, name in enumerate(["Giza", *names], start=1))
    path.write_bytes(f"city_id,city_name\n{rows}".encode(codec))
    with duckdb.connect() as con, pytest.raises(InputError) as error:
        load_table(con, tmp_path, "cities")
    assert str(error.value).startswith("cities.csv, line 3: the file is not UTF-8")
    assert "save the file as UTF-8" in str(error.value)
    western = ["Größe Straße", "São João", "Ålesund", "Œuvre – Zürich", "Ærøskøbing",
               "Þjóðólfur", "Jäääär", "à la carte", "IBÁÑEZ", "Sauðárkrókur"]
    path.write_bytes(b"city_id,city_name\n" + "".join(
        f"{i},{name}\n" for i, name in enumerate(western, start=1)).encode("cp1252"))
    with duckdb.connect() as con:
        assert load_table(con, tmp_path, "cities").df()["city_name"].tolist() == western


def test_words_cut_by_a_chunk_end_are_judged_whole(tmp_path, monkeypatch):
    """The scan for words of another code page reads the file in chunks: a Western word cut
    at a chunk's end is not taken for one ('Åå|sen'), a foreign word cut there is still
    found, on its own line."""
    western = tmp_path / "western.csv"
    western.write_bytes("city_id,city_name\n1,Ååsen Jäääär\n2,Þjóðólfur\n".encode("cp1252"))
    arabic = tmp_path / "arabic.csv"
    arabic.write_bytes("city_id,city_name\n1,Giza Jeer\n2,x القاهرة\n".encode("cp1256"))
    for size in range(1, 40):  # every place a chunk can end
        monkeypatch.setattr(csv_text, "CHUNK", size)
        csv_text._refuse_other_code_pages(western)  # no refusal
        with pytest.raises(csv_text.CsvProblem, match="arabic.csv, line 3: "):
            csv_text._refuse_other_code_pages(arabic)


def test_day_numbers_in_a_1904_workbook_are_its_dates(clean, tmp_path):
    """A workbook saved with the 1904 date system counts day numbers from 1904-01-01: a
    number (or number-as-text) typed into a date column means that date, not the one four
    years and a day earlier that the 1900 count gives. Date-formatted cells and other text
    arrive as they are."""
    import datetime as dt

    import openpyxl
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    customers = clean["customers"].head(12)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "customers"
    book.epoch = CALENDAR_MAC_1904
    sheet.append(list(customers.columns))
    for number, row in enumerate(customers.to_dict("records")):
        joined = dt.date.fromisoformat(row["join_date"])
        day = (joined - dt.date(1904, 1, 1)).days
        row["join_date"] = [day, str(day), joined, f"{day}.0"][number % 4]
        sheet.append(list(row.values()))
    sheet.append(["9999", 2024, "1", "1"])  # a bare year is no day number, in 1904 or 1900
    path = tmp_path / "mac.xlsx"
    book.save(path)
    loaded = load_table(None, path, "customers").to_pandas()
    assert loaded["join_date"].tolist() == customers["join_date"].tolist() + ["2024"]
    assert loaded["customer_id"].tolist()[:-1] == customers["customer_id"].tolist()


def test_parquet_text_written_as_plain_binary_is_read_as_text(tmp_path):
    """Some writers store text as BINARY without the UTF-8 annotation: its names are read as
    the text they are (not escaped bytes such as '\\xD8\\xA7'), and bytes that are not UTF-8
    stop the run naming the column and the rows."""
    names = ["Cairo", "القاهرة", "Café", None]
    table = pa.table({"city_id": pa.array([b"1", b"2", b"3", b"4"], pa.binary()),
                      "city_name": pa.array([n and n.encode() for n in names], pa.binary())})
    pq.write_table(table, tmp_path / "cities.parquet")
    with duckdb.connect() as con:
        loaded = load_table(con, tmp_path, "cities").df()
    assert loaded["city_name"].tolist()[:3] == names[:3]
    assert loaded["city_name"].isna().tolist() == [False, False, False, True]
    assert loaded["city_id"].tolist() == ["1", "2", "3", "4"]
    bad = table.set_column(1, "city_name", pa.array(
        [b"Cairo", b"Caf\xe9", b"Giza", b"\xff\xfe"], pa.binary()))
    pq.write_table(bad, tmp_path / "cities.parquet")
    with duckdb.connect() as con, pytest.raises(InputError) as error:
        load_table(con, tmp_path, "cities")
    assert str(error.value).startswith(
        "cities.parquet, column 'city_name': bytes that are not UTF-8 text in row(s) 3, 5 ")


@pytest.mark.parametrize("extra", ["file_row_number", "File_Row_Number"])
def test_a_parquet_column_named_file_row_number_is_an_extra_column(tmp_path, extra):
    """DuckDB's Parquet reader numbers rows in a column it calls file_row_number and refuses
    a file that has one in any case (an earlier DuckDB export can write it): like any extra
    column it is ignored, and the rows are numbered in file order."""
    table = pa.table({extra: [7, 7, 7], "city_name": ["Cairo", "Giza", "Aswan"],
                      "city_id": [3, 1, 2]})
    pq.write_table(table, tmp_path / "cities.parquet", row_group_size=1)
    with duckdb.connect() as con:
        loaded = load_table(con, tmp_path, "cities").df()
    assert loaded["city_name"].tolist() == ["Cairo", "Giza", "Aswan"]
    assert loaded["city_id"].tolist() == [3, 1, 2]
    assert loaded["_source_row"].tolist() == [2, 3, 4]
    assert extra not in loaded.columns


@pytest.mark.parametrize("stage", [False, True])
@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r", "mixed"])
def test_csv_source_rows_are_the_lines_records_start_on(tmp_path, ending, stage):
    """The audit names a row by its line in the file: blank lines and a line break inside
    quotes do not shift the lines of the records after them, whatever the line endings."""
    lines = ["city_id,city_name", "1,Cairo", "", "2,Giza", '3,"Alex', 'andria"', "", "",
             "4,Luxor", "5,Aswan", "", ""]
    if ending == "mixed":  # read by Python's csv module, not DuckDB
        text = "".join(line + ("\r\n" if number % 2 else "\n")
                       for number, line in enumerate(lines))
    else:
        text = ending.join(lines)
    (tmp_path / "cities.csv").write_bytes(text.encode())
    with duckdb.connect() as con:
        loaded = load_table(con, tmp_path, "cities", stage=stage).df()
    assert loaded["city_name"].str.replace("\r\n?", "\n", regex=True).tolist() == [
        "Cairo", "Giza", "Alex\nandria", "Luxor", "Aswan"]
    assert loaded["_source_row"].tolist() == [2, 4, 5, 9, 10]


def test_a_quoted_line_break_after_a_space_keeps_the_lines(tmp_path):
    """DuckDB opens a quoted value after the spaces that follow a delimiter; the numbering
    of lines did not, counted one record more and refused the file ("please report")."""
    (tmp_path / "cities.csv").write_text(
        'city_id,city_name\n1, "Cairo\nNorth"\n2, "Giza, West"\n3,Luxor\n')
    with duckdb.connect() as con:
        loaded = load_table(con, tmp_path, "cities").df()
    assert loaded["city_name"].tolist() == ["Cairo\nNorth", "Giza, West", "Luxor"]
    assert loaded["_source_row"].tolist() == [2, 4, 5]


@pytest.mark.parametrize("stage", [False, True])
def test_csv_source_rows_of_a_plain_file_are_positions(tmp_path, stage):
    """One record per line (the usual feed): numbered by position, ending or not in a line
    break; staged (as the raw models read), by the row's place in a table written in file
    order, also when DuckDB splits the file between threads."""
    rows = [f"{i},City {i}" for i in range(1, 1_000_001)]  # big enough to be split
    (tmp_path / "cities.csv").write_text("city_id,city_name\n" + "\n".join(rows))
    with duckdb.connect(config={"preserve_insertion_order": False, "threads": 4}) as con:
        loaded = load_table(con, tmp_path, "cities", stage=stage).df()
    assert sorted(loaded["_source_row"]) == list(range(2, 1_000_002))
    assert (loaded["city_id"].astype(int) + 1 == loaded["_source_row"]).all()


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_text_from_excel_is_read(tmp_path, codec):
    """Excel's "Unicode Text" export is UTF-16 with a byte-order mark and tabs: read as the
    text it is (DuckDB's reader read a big-endian file as no rows at all, and a
    little-endian one failed as a ragged file)."""
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    text = "city_id\tcity_name\r\n1\tCairo\r\n\r\n2\tالقاهرة\r\n3\t\"Giza\tWest\"\r\n"
    (tmp_path / "cities.csv").write_bytes(bom + text.encode(codec))
    with duckdb.connect() as con:
        loaded = load_table(con, tmp_path, "cities").df()
    assert loaded["city_name"].tolist() == ["Cairo", "القاهرة", "Giza\tWest"]
    assert loaded["_source_row"].tolist() == [2, 4, 5]


@pytest.mark.parametrize("body, line", [
    ('1,"Alex\nandria"\n2,Giza,extra\n', 4),  # DuckDB counts the quoted break as no line
    ('1,"Alex\nandria"\n\n2\n', 5),  # a blank line and a quoted break above the row
])
def test_a_ragged_row_below_a_quoted_line_break_names_the_line_it_is_on(tmp_path, body, line):
    (tmp_path / "cities.csv").write_text("city_id,city_name\n" + body)
    with duckdb.connect() as con, pytest.raises(InputError) as error:
        load_table(con, tmp_path, "cities")
    assert f"cities.csv, line {line}: " in str(error.value)


def test_a_ragged_row_spanning_lines_is_named_by_its_first(tmp_path):
    """Read by Python's csv module (mixed line endings): the row starting on line 3 and
    ending on line 4 is named as line 3."""
    (tmp_path / "cities.csv").write_bytes(b'city_id,city_name\r\n1,A\n"x\ny"\r\n3,B\n')
    with duckdb.connect() as con, pytest.raises(InputError) as error:
        load_table(con, tmp_path, "cities")
    assert "cities.csv, line 3: 1 field where the header has 2" in str(error.value)


def test_long_fields_and_blank_lines_are_read_with_their_lines(tmp_path):
    """A field longer than the csv module's default limit (131,072 characters) in a file
    whose lines are numbered by that module (a blank line in it)."""
    long = "x" * 200_000
    (tmp_path / "cities.csv").write_text(f"city_id,city_name\n1,{long}\n\n2,Giza\n")
    with duckdb.connect() as con:
        loaded = load_table(con, tmp_path, "cities").df()
    assert loaded["city_name"].tolist() == [long, "Giza"]
    assert loaded["_source_row"].tolist() == [2, 4]


def test_damaged_page_in_a_binary_column_is_a_message(tmp_path):
    buffer = pa.BufferOutputStream()
    names = pa.array([f"merchant {i}".encode() * 50 for i in range(2000)], pa.binary())
    pq.write_table(pa.table({"merchant_id": list(range(2000)), "merchant_name": names}),
                   buffer, compression="snappy")
    damaged = bytearray(buffer.getvalue().to_pybytes())
    middle = len(damaged) // 2
    damaged[middle:middle + 4096] = bytes(255 - b for b in damaged[middle:middle + 4096])
    (tmp_path / "merchants.parquet").write_bytes(bytes(damaged))
    with duckdb.connect() as con, pytest.raises(InputError) as error:
        load_table(con, tmp_path, "merchants")
    assert "merchants.parquet" in str(error.value) and "not a readable" in str(error.value)


def test_parquet_damaged_past_the_checked_rows_names_file_column_and_rows(clean, built,
                                                                          tmp_path):
    """The check before a build reads a Parquet file's first row, not every page: a page
    damaged further on fails its raw model inside dbt. The CLI then names the file, column
    and rows (exit 2, bad input, not exit 1 as if the project failed) and the previous
    warehouse stays as it was."""
    folder, groups = parquet_damaged_in_row_group_4(clean, tmp_path / "in")
    first = 3 * 1000 + 2  # the loader numbers a Parquet file's first row 2, as under a header
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(built.warehouse, warehouse)
    before = warehouse.read_bytes()

    result = couponseg("build", "--input", folder, "--warehouse", warehouse, check=False)

    assert result.returncode == 2, result.stdout + result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith(
        "couponseg: error: transactions.parquet (table 'transactions'): not a readable "
        f"Parquet file: column 'transaction_date', rows {first:,}-{first + 999:,} (row group "
        f"4 of {groups}) cannot be read ("), lines[0]
    assert lines[0].endswith("; nothing was built, the previous warehouse is unchanged")
    assert warehouse.read_bytes() == before
    # the line it says which file it reads again on is a line of its own, none blank
    assert "\nraw_transactions failed; reading transactions.parquet again" in result.stdout
    assert "\n\n" not in result.stdout, result.stdout


def test_the_line_of_progress_dots_is_ended_once(capsys):
    """When the diagnosis of a failed raw model finds nothing, the build's own failure
    follows its line: both ended the line of dots, and the second newline was a blank line.
    The build's end is the CLI's own (finish_build), given a failed build's outcome."""
    import argparse
    import time
    from types import SimpleNamespace

    from couponseg.cli import finish_build
    from couponseg.console import dot, end_dots, say

    end_dots()  # whatever an earlier test left on the line
    capsys.readouterr()
    dot("raw_cities")
    dot("raw_genders")
    end_dots()  # what the diagnosis does before its line
    say("raw_transactions failed; reading transactions.parquet again to see where ...")
    failed = SimpleNamespace(success=False, failures=["raw_transactions: failed"], nodes=2)
    code = finish_build(argparse.Namespace(verbose=False, engine="duckdb"), failed,
                        time.perf_counter(), built="w", failed="build failed.", warehouse=None)
    dot("raw_cities")
    say("a line said after a dot ends that line")
    end_dots()
    out, err = capsys.readouterr()
    assert code == 1 and err.startswith("couponseg: error: build failed.")
    assert out == (
        "..\nraw_transactions failed; reading transactions.parquet again to see where ...\n"
        ".a line said after a dot ends that line\n")


def test_a_failed_raw_model_of_a_sound_parquet_file_keeps_its_own_message(tmp_path):
    """Only a file that really cannot be read is blamed: a sound one, or one damaged only in
    a column no build reads, gives None, and the build's own failure stands."""
    from models_py.parquet_damage import refusal

    path = tmp_path / "merchants.parquet"
    pq.write_table(pa.table({"merchant_id": list(range(3000)),
                             "merchant_name": [f"m{i}" for i in range(3000)],
                             "notes": [f"note {i:05d}" for i in range(3000)]}),
                   path, row_group_size=500, compression="none", use_dictionary=False)
    assert refusal(path, "merchants") is None
    data = bytearray(path.read_bytes())
    where = data.find(b"note 02345")
    data[where] = 0xFF  # not UTF-8, in a column the build does not read
    path.write_bytes(bytes(data))
    assert refusal(path, "merchants") is None


def test_text_not_utf8_past_the_checked_rows_is_named_by_column_and_row(tmp_path):
    """A text column's bytes are not checked by pyarrow's reader (DuckDB refuses them when
    the raw model reads them): the diagnosis names the column and the rows, from every row
    group."""
    from models_py.parquet_damage import refusal

    names = [f"merchant {i:04d}" for i in range(3000)]
    path = tmp_path / "merchants.parquet"
    pq.write_table(pa.table({"merchant_id": list(range(3000)), "merchant_name": names}),
                   path, row_group_size=500, compression="none", use_dictionary=False)
    data = bytearray(path.read_bytes())
    for i in (2345, 2346, 2600):  # row groups 5 and 6
        where = data.find(names[i].encode())
        data[where] = 0xFF  # not UTF-8
    path.write_bytes(bytes(data))
    assert refusal(path, "merchants") == (
        "merchants.parquet (table 'merchants'), column 'merchant_name': bytes that are not "
        "UTF-8 text in row(s) 2347, 2348, 2602; write the column as UTF-8 text")
    assert refusal(path, "merchants", by_duckdb=False) is None  # Spark's reader takes them
    # the same bytes under other spellings of the names: named as required, as the loader
    spelled = pq.read_table(path).rename_columns(["Merchant_ID", " Merchant_Name"])
    pq.write_table(spelled, path, row_group_size=500, compression="none", use_dictionary=False)
    assert refusal(path, "merchants") == (
        "merchants.parquet (table 'merchants'), column 'merchant_name': bytes that are not "
        "UTF-8 text in row(s) 2347, 2348, 2602; write the column as UTF-8 text")


def _merchant_names(folder: Path) -> list[str]:
    with duckdb.connect() as con:
        return load_table(con, folder, "merchants").df()["merchant_name"].tolist()


def test_encoding_words_in_the_path_or_a_value_leave_utf8_as_utf8(tmp_path):
    """A UTF-8 file with mixed line endings (read by Python's csv module) in a folder named
    'export-utf-8', with a merchant called 'Unicode Labs': DuckDB's error about the line
    endings quotes both, and was once taken for an encoding error, so the file was read as
    Windows-1252 and 'Café – Nile' became 'CafÃ© â€“ Nile', silently."""
    folder = tmp_path / "export-utf-8"
    folder.mkdir()
    (folder / "merchants.csv").write_bytes(
        '"merchant_id","merchant_name"\r\n1,"Café – Nile"\n2,"Unicode Labs"\r\n'.encode())
    assert _merchant_names(folder) == ["Café – Nile", "Unicode Labs"]


def test_a_quote_after_a_space_is_duckdbs_reading_or_a_stop(tmp_path):
    """'5, "Port Said"': DuckDB's strict reader takes one space then a quote as opening a
    quoted value (Port Said). Python's csv module, which reads files with mixed line endings
    or UTF-16, kept ' "Port Said"', quotes and all, and split ' "p,q"' at its comma: such a
    file now stops, naming line and field, rather than read differently, silently."""
    rows = '1, "Nile Fresh"\n2,  "Delta"\n3, "say ""hi"""\n'
    (tmp_path / "merchants.csv").write_text("merchant_id,merchant_name\n" + rows)
    assert _merchant_names(tmp_path) == ["Nile Fresh", '  "Delta"', 'say "hi"']
    for data in (("merchant_id,merchant_name\r\n" + rows).encode(),
                 ("\ufeffmerchant_id,merchant_name\r\n" + rows).encode("utf-16")):
        (tmp_path / "merchants.csv").write_bytes(data)
        with duckdb.connect() as con, pytest.raises(InputError) as error:
            load_table(con, tmp_path, "merchants")
        assert "merchants.csv, line 2, field 2: a quote after a space" in str(error.value)


@pytest.mark.parametrize(("text", "encoding"), [("Café", "latin-1"), ("Café – Nile", "cp1252")])
def test_latin1_and_windows_1252_with_mixed_line_endings_are_read(tmp_path, text, encoding):
    """A file read by the csv module for its line endings is read in the encoding its bytes
    are in: a Latin-1 one was refused as 'not UTF-8 nor Latin-1'."""
    (tmp_path / "merchants.csv").write_bytes(
        f"merchant_id,merchant_name\r\n1,{text}\n2,Delta\r\n".encode(encoding))
    assert _merchant_names(tmp_path) == [text, "Delta"]


@pytest.mark.parametrize("body", [b"1,A\r\n2,B\r3,C\r\n", b"1,A\n2,B\r3,C\n",
                                  b"1,A\r\r\n2,B\r\n3,C\r\n"])
def test_cr_alone_among_lf_endings_loads_every_row_on_its_line(tmp_path, body):
    """A line ended by CR alone in a file of LF or CRLF lines stopped the run with DuckDB's
    'state machine reached an invalid state' and no line; it is read by the csv module, as
    a file mixing CRLF and LF is (a CR then CRLF is a blank line between two rows)."""
    (tmp_path / "merchants.csv").write_bytes(b"merchant_id,merchant_name\r\n" + body)
    with duckdb.connect() as con:
        loaded = load_table(con, tmp_path, "merchants").df()
    assert loaded["merchant_name"].tolist() == ["A", "B", "C"]
    assert loaded["_source_row"].tolist() == ([2, 4, 5] if b"\r\r\n" in body else [2, 3, 4])
