"""How the warehouse stores what it writes: coupon names with ZSTD in the two tables that hold
every transaction (raw_transactions, a dbt Python model, through macros/python_tables.sql;
validated_transactions, through its contract), everything else as DuckDB chooses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

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


def test_compression_for_a_column_the_model_lacks_stops_the_model(tmp_path):
    """A renamed column cannot drop the setting unnoticed: the model fails, naming it."""
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target"))
    properties = project / "models" / "raw" / "_raw__models.yml"
    text = properties.read_text()
    assert text.count("      coupon_name: zstd\n") == 1
    properties.write_text(text.replace("      coupon_name: zstd\n", "      coupon_nom: zstd\n"))
    env = {**os.environ, WAREHOUSE_ENV: str(tmp_path / "warehouse.duckdb"),
           INPUT_ENV: str(REPO / "data" / "sample"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "run", "--select", "raw_transactions",
         "--project-dir", str(project), "--profiles-dir", str(PROFILES_DIR)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stdout[-2000:]
    assert "column_compression names columns" in result.stdout
    assert "coupon_nom" in result.stdout
