"""Builders of damaged inputs, made from clean generated data (no binary fixtures)."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import duckdb
import pandas as pd

from models_py.loader import TABLES


def read_tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {t: pd.read_csv(folder / f"{t}.csv", dtype=object) for t in TABLES}


def write_workbook(tables: dict[str, pd.DataFrame], path: Path,
                   extra_sheets: dict[str, pd.DataFrame] | None = None) -> Path:
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in {**tables, **(extra_sheets or {})}.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


def write_folder(tables: dict[str, pd.DataFrame], folder: Path, **csv_options) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, **csv_options)
    return folder


def append(frame: pd.DataFrame, **values) -> int:
    """Append one row in place; return its spreadsheet row number (header = row 1)."""
    frame.loc[len(frame)] = [values.get(c) for c in frame.columns]
    return len(frame) + 1


# ------------------------------------------------------------------ hostile values
BIGINT_MAX = 2**63 - 1
NULL_TOKENS = ("", "nan", "nat", "null", "none", "n/a")
ID_COLUMNS = {
    "customers": ["customer_id", "city_id", "gender_id"],
    "genders": ["gender_id"],
    "cities": ["city_id"],
    "transactions": ["transaction_id", "customer_id", "branch_id"],
    "branches": ["branch_id", "merchant_id"],
    "merchants": ["merchant_id"],
}


def exact_id(text: object) -> int | str:
    """The README's id rule, written independently of the SQL: the exact whole number a text
    id denotes, or 'missing' / 'invalid'. Never goes through a float."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return "missing"
    value = str(text).strip()
    if value.lower() in NULL_TOKENS:
        return "missing"
    match = re.fullmatch(r"([+-]?[0-9]+)(\.0*)?", value)
    if not match:
        return "invalid"
    number = int(match.group(1))
    return number if -(2**63) <= number <= BIGINT_MAX else "invalid"


def ids_differing_from_raw(warehouse: Path) -> list[tuple]:
    """Every staged id compared with its raw text (joined on the source row): the rows whose
    staged value is not the exact number the raw text denotes. Empty when nothing changed."""
    bad = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table, columns in ID_COLUMNS.items():
            select = ", ".join(f"cast(raw.{c} as varchar), staged.{c}" for c in columns)
            rows = con.execute(
                f"select raw._source_row, {select} from staging.stg_{table} as staged "
                f"inner join raw.raw_{table} as raw on staged.source_row = raw._source_row"
            ).fetchall()
            for row in rows:
                for i, column in enumerate(columns):
                    raw_text, staged = row[1 + 2 * i], row[2 + 2 * i]
                    if exact_id(raw_text) != staged:
                        bad.append((table, row[0], column, raw_text, staged))
    return bad


def truncate_to(tables: dict[str, pd.DataFrame], as_of: str) -> dict[str, pd.DataFrame]:
    """The input as it stood on `as_of`: customers who had joined, claims made by then, and
    burns after it undone (the claim still open). What a build at --as-of should equal."""
    day = pd.Timestamp(as_of)
    t = {name: frame.copy() for name, frame in tables.items()}
    customers = t["customers"]
    t["customers"] = customers[pd.to_datetime(customers["join_date"]) <= day]
    tx = t["transactions"]
    tx = tx[pd.to_datetime(tx["transaction_date"]) <= day].copy()
    later = pd.to_datetime(tx["burn_date"]) > day
    tx.loc[later, "transaction_status"] = "subscribed"
    tx.loc[later, "burn_date"] = None
    t["transactions"] = tx
    return t


def parquet_damaged_in_row_group_4(tables: dict[str, pd.DataFrame],
                                   folder: Path) -> tuple[Path, int]:
    """The tables as Parquet files of 1,000-row groups, with the transactions' fourth row
    group's `transaction_date` page overwritten past its first bytes: the file's footer and
    first rows read, that page does not. The folder and the transactions' row groups."""
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False, row_group_size=1000)
    path = folder / "transactions.parquet"
    meta = pq.ParquetFile(path).metadata
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    page = meta.row_group(3).column(names.index("transaction_date"))
    damaged = bytearray(path.read_bytes())
    # the column's chunk: its dictionary page (when it has one) then its data pages
    chunk = page.dictionary_page_offset if page.has_dictionary_page else page.data_page_offset
    start, end = page.data_page_offset + 30, chunk + page.total_compressed_size
    damaged[start:end] = b"\xab" * (end - start)
    path.write_bytes(bytes(damaged))
    return folder, meta.num_row_groups


def parquet_with_text_not_utf8(tables: dict[str, pd.DataFrame], folder: Path,
                               row: int) -> Path:
    """The tables as Parquet files (uncompressed, no dictionary, so a value's bytes stand in
    the file as written), with one byte of the coupon name at 0-based ``row`` of the
    transactions made 0xFF, which is not UTF-8."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False),
                       folder / f"{name}.parquet", compression="none", use_dictionary=False)
    path = folder / "transactions.parquet"
    name = tables["transactions"]["coupon_name"].iloc[row].encode()
    value = struct.pack("<I", len(name)) + name  # as PLAIN stores it: its length, its bytes
    data = bytearray(path.read_bytes())
    at = data.find(value)
    assert at > 0 and data.find(value, at + 1) < 0, "the coupon name must be unique"
    data[at + 4] = 0xFF
    path.write_bytes(bytes(data))
    return folder
