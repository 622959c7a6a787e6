"""How the warehouse stores what it writes: coupon names with ZSTD in the two tables that hold
every transaction (raw_transactions, a dbt Python model, through macros/python_tables.sql;
validated_transactions, through its contract), everything else as DuckDB chooses."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from conftest import REPO, query

from models_py.loader import INPUT_ENV
from models_py.paths import DBT_PROJECT_DIR, PROFILES_DIR, WAREHOUSE_ENV


def _methods(warehouse: Path, table: str) -> dict[str, set[str]]:
    """Column -> compression methods of its non-constant segments."""
    rows = query(warehouse, f"select column_name, compression from pragma_storage_info('{table}') "
                            "where compression != 'Constant'")
    return rows.groupby("column_name")["compression"].agg(set).to_dict()


def test_coupon_names_are_stored_with_zstd_and_nothing_else_is(built):
    for table in ("raw.raw_transactions", "staging.validated_transactions"):
        methods = _methods(built.warehouse, table)
        assert methods["coupon_name"] == {"ZSTD"}, table
        assert all("ZSTD" not in found for column, found in methods.items()
                   if column != "coupon_name"), (table, methods)
    assert "ZSTD" not in set().union(*_methods(built.warehouse, "raw.raw_customers").values())
    # the values are the input's: same names in raw as in the input file, row for row
    raw = query(built.warehouse, "select _source_row, coupon_name from raw.raw_transactions "
                                 "order by _source_row")
    given = query(built.warehouse, f"select coupon_name from read_csv("
                                   f"'{built.input / 'transactions.csv'}', all_varchar = true)")
    assert raw["coupon_name"].tolist() == given["coupon_name"].tolist()


def test_a_workbook_s_coupon_names_are_stored_with_zstd(real_built):
    """The workbook's raw tables come from Arrow tables, not DuckDB relations."""
    assert _methods(real_built.warehouse, "raw.raw_transactions")["coupon_name"] == {"ZSTD"}


def test_typed_parquet_keeps_its_types_and_values(tmp_path):
    """Parquet with 32-bit ids, timestamps and a burn date column with no value at all (a
    null type): the table takes each type as DuckDB reads it, coupon names with ZSTD."""
    folder = tmp_path / "input"
    folder.mkdir()
    names = [f"c-{i}" for i in range(3000)]
    table = pa.table({
        "transaction_id": pa.array(range(3000), pa.int32()),
        "customer_id": pa.array([i % 7 for i in range(3000)], pa.int32()),
        "transaction_date": pa.array([dt.datetime(2024, 1, 1 + i % 28, 13, 5)
                                      for i in range(3000)], pa.timestamp("us")),
        "transaction_status": pa.array(["subscribed"] * 3000),
        "coupon_name": pa.array(names),
        "burn_date": pa.nulls(3000),
        "branch_id": pa.array([1] * 3000, pa.int32()),
    })
    pq.write_table(table, folder / "transactions.parquet")
    warehouse = tmp_path / "warehouse.duckdb"
    result = _dbt(tmp_path, DBT_PROJECT_DIR, warehouse, folder, "raw_transactions")
    assert result.returncode == 0, result.stdout[-2000:]
    types = dict(query(warehouse, "select column_name, data_type from duckdb_columns() "
                                  "where table_name = 'raw_transactions'").values.tolist())
    assert types == {"transaction_id": "INTEGER", "customer_id": "INTEGER",
                     "transaction_date": "TIMESTAMP", "transaction_status": "VARCHAR",
                     "coupon_name": "VARCHAR", "burn_date": '"NULL"', "branch_id": "INTEGER",
                     "_source_row": "BIGINT"}
    stored = query(warehouse, "select * from raw.raw_transactions order by _source_row")
    assert stored["coupon_name"].tolist() == names
    assert stored["burn_date"].isna().all()
    assert _methods(warehouse, "raw.raw_transactions")["coupon_name"] == {"ZSTD"}


def _dbt(work: Path, project: Path, warehouse: Path, input_path: Path, model: str
         ) -> subprocess.CompletedProcess:
    env = {**os.environ, WAREHOUSE_ENV: str(warehouse), INPUT_ENV: str(input_path),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    return subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "run", "--select", model,
         "--project-dir", str(project), "--profiles-dir", str(PROFILES_DIR),
         "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        cwd=work, env=env, capture_output=True, text=True, timeout=300)


def test_compression_for_a_column_the_model_lacks_stops_the_model(tmp_path):
    """A renamed column cannot drop the setting unnoticed: the model fails, naming it."""
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target"))
    properties = project / "models" / "raw" / "_raw__models.yml"
    text = properties.read_text()
    assert text.count("        coupon_name: zstd\n") == 1
    properties.write_text(text.replace("        coupon_name: zstd\n",
                                       "        coupon_nom: zstd\n"))
    result = _dbt(tmp_path, project, tmp_path / "warehouse.duckdb", REPO / "data" / "sample",
                  "raw_transactions")
    assert result.returncode == 1, result.stdout[-2000:]
    assert "column_compression names columns" in result.stdout
    assert "coupon_nom" in result.stdout
