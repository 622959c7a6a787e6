"""The SQL shell analysts install (duckdb-cli 1.5, the newest DuckDB shell on PyPI) opens the
warehouse the build wrote: the profile makes DuckDB 2.0 write a storage format 1.5 reads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import couponseg, query

SHELL = Path(sys.executable).with_name("duckdb")


def _shell(warehouse: Path, sql: str) -> str:
    result = subprocess.run([str(SHELL), "-readonly", "-csv", "-noheader", str(warehouse),
                             "-c", sql], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_shell_is_duckdb_1x():
    version = subprocess.run([str(SHELL), "--version"], capture_output=True, text=True,
                             timeout=60).stdout
    assert version.startswith("v1."), version


def test_duckdb_cli_reads_the_marts_of_the_built_file(built):
    customers = int(query(built.warehouse, "select count(*) as n from marts.dim_customers").n[0])
    assert _shell(built.warehouse, "select count(*) from marts.dim_customers") == str(customers)
    burns = query(built.warehouse, "select count(*) as n from marts.fct_coupon_transactions "
                                   "where is_burnt").n[0]
    assert _shell(built.warehouse, "select count(*) from marts.fct_coupon_transactions "
                                   "where is_burnt") == str(burns)


def test_couponseg_sql_prints_the_customer_count(built):
    customers = int(query(built.warehouse, "select count(*) as n from marts.dim_customers").n[0])
    result = couponseg("sql", "--warehouse", built.warehouse, "-c",
                       "select count(*) as customers from marts.dim_customers")
    assert "customers" in result.stdout and f" {customers} " in result.stdout


def test_couponseg_sql_without_a_warehouse_says_so(tmp_path):
    result = couponseg("sql", "--warehouse", tmp_path / "none.duckdb", check=False)
    assert result.returncode == 2
    assert "couponseg build" in result.stderr


def test_the_shell_opens_the_warehouse_of_a_weekly_rerun(built, tmp_path):
    """A rerun's new file is created by the CLI (to carry the segment history forward)
    before dbt opens it: it must still be written in the profile's storage format."""
    import shutil

    warehouse = tmp_path / "weekly.duckdb"
    shutil.copy(built.warehouse, warehouse)
    couponseg("build", "--input", built.input, "--warehouse", warehouse)
    assert int(query(warehouse, "select count(*) as n from segments.segment_runs").n[0]) == 2
    customers = int(query(warehouse, "select count(*) as n from marts.dim_customers").n[0])
    assert _shell(warehouse, "select count(*) from marts.dim_customers") == str(customers)
    result = couponseg("sql", "--warehouse", warehouse, "-c", "select 42 as answer")
    assert " 42 " in result.stdout
