"""`couponseg report --engine spark` renders the build's copy of Spark's tables only while
Spark's files are as they were when the copy was made (couponseg/spark_state.py). No JVM
here: the state is read from the files; tests/test_spark.py starts Spark when they changed,
and tests/test_spark_parity.py checks a real build, a report and a hand-run dbt."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import duckdb
import pypdf
import pytest
from conftest import couponseg

from couponseg import spark_state


def folder_of_tables(root: Path) -> Path:
    """A warehouse folder shaped as Spark writes one: <schema>.db/<table>/part files."""
    for table in ("reporting.db/rpt_kpis", "audit.db/last_spark_dbt_run"):
        (root / table).mkdir(parents=True)
        (root / table / "part-00000-a.snappy.parquet").write_bytes(b"PAR1 rows PAR1")
        (root / table / "_SUCCESS").write_bytes(b"")
    return root


def same_size_later(path: Path) -> None:
    """New contents of the same length, a second later (Spark rewriting a small table)."""
    path.write_bytes(bytes(reversed(path.read_bytes())))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_the_state_changes_with_any_file_and_only_then(tmp_path):
    folder = folder_of_tables(tmp_path / "spark-warehouse")
    first = spark_state.fingerprint(folder)
    assert first is not None and spark_state.fingerprint(folder) == first
    part = folder / "reporting.db/rpt_kpis/part-00000-a.snappy.parquet"
    same_size_later(part)
    rewritten = spark_state.fingerprint(folder)
    assert rewritten != first
    (folder / "reporting.db/rpt_kpis/part-00001-b.snappy.parquet").write_bytes(b"")
    added = spark_state.fingerprint(folder)
    assert added not in (first, rewritten)
    shutil.rmtree(folder / "audit.db/last_spark_dbt_run")
    dropped = spark_state.fingerprint(folder)
    assert dropped not in (first, rewritten, added)
    (folder / "reporting.db/rpt_top_cities").mkdir()  # a new table, no file yet
    assert spark_state.fingerprint(folder) not in (first, rewritten, added, dropped)
    assert spark_state.fingerprint(tmp_path / "missing") is None
    assert spark_state.fingerprint(None) is None


@pytest.mark.parametrize(("settings", "expected"), [
    ({"spark.sql.warehouse.dir": "/data/spark/spark-warehouse"}, "/data/spark/spark-warehouse"),
    ({"spark.sql.warehouse.dir": "file:/data/spark/spark-warehouse"},
     "/data/spark/spark-warehouse"),
    ({"spark.sql.warehouse.dir": "hdfs://namenode/warehouse"}, None),
    ({"spark.sql.warehouse.dir": "s3a://bucket/warehouse"}, None),
    ({"spark.sql.warehouse.dir": "/data/spark/spark-warehouse",
      "spark.remote": "sc://host:15002"}, None),
    ({}, None),
])
def test_only_a_local_warehouse_can_be_checked(settings, expected):
    found = spark_state.local_warehouse(settings)
    assert (str(found) if found else None) == expected


def test_databases_located_outside_the_folder_cannot_be_checked(tmp_path):
    """A Spark folder copied elsewhere: its metastore still names the old folder's
    databases, whose files are the tables the copy reads."""
    folder = tmp_path / "copy" / "spark-warehouse"
    inside = [f"file:{folder}", f"file:{folder}/audit.db", f"{folder}/reporting.db"]
    assert spark_state.within(inside, folder)
    assert not spark_state.within([*inside, f"file:{tmp_path}/original/audit.db"], folder)
    assert not spark_state.within([*inside, "hdfs://namenode/warehouse/x.db"], folder)


def test_a_copy_without_a_recorded_state_is_never_reused(tmp_path):
    folder = folder_of_tables(tmp_path / "spark-warehouse")
    snapshot = tmp_path / "snapshot.duckdb"
    assert not spark_state.unchanged(snapshot, folder)  # no copy at all
    duckdb.connect(str(snapshot)).close()
    assert spark_state.recorded(snapshot) is None and not spark_state.unchanged(snapshot, folder)
    snapshot.write_bytes(b"not a database")
    assert spark_state.recorded(snapshot) is None
    assert not spark_state.unchanged(snapshot, None)


def spark_folder_with_copy(built, root: Path) -> Path:
    """A Spark folder whose snapshot.duckdb holds the DuckDB build's tables (what the report
    reads) with the state of its warehouse folder recorded, as a Spark build leaves it."""
    folder = folder_of_tables(root / "spark-warehouse")
    snapshot = root / "snapshot.duckdb"
    shutil.copy(built.warehouse, snapshot)
    with duckdb.connect(str(snapshot)) as con:
        spark_state.record(con, spark_state.fingerprint(folder))
    return root


def _text(pdf: Path) -> str:
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
    return re.sub(r"Generated: [0-9: -]+UTC", "", text)


def test_the_report_renders_an_unchanged_copy_without_spark(built, tmp_path):
    """No JVM is started (none of this test's Spark folder is a Spark build: it would fail),
    and the PDF is the one the DuckDB engine renders from the same tables."""
    root = spark_folder_with_copy(built, tmp_path / "spark")
    result = couponseg("report", "--engine", "spark", "--out", tmp_path / "out",
                       env={"COUPONSEG_SPARK_DIR": str(root)})
    assert f"Report written from the copy of Spark's tables in {root / 'snapshot.duckdb'} " \
        "(unchanged since it was made)" in result.stdout
    assert "log4j" not in result.stderr  # Spark never started
    assert _text(tmp_path / "out" / "dashboard.pdf") == _text(built.out / "dashboard.pdf")


def test_the_sql_shell_says_when_the_copy_is_older_than_sparks_tables(built, tmp_path):
    """`couponseg sql --engine spark` opens the copy as it is; once Spark's files changed
    it says so before answering (the copy is what the last build or report saw)."""
    root = spark_folder_with_copy(built, tmp_path / "spark")
    env = {"COUPONSEG_SPARK_DIR": str(root)}
    sql = "select count(*) as kpis from reporting.rpt_kpis"
    fresh = couponseg("sql", "--engine", "spark", "-c", sql, env=env)
    assert "kpis" in fresh.stdout and "note" not in fresh.stderr
    same_size_later(next((root / "spark-warehouse").rglob("part-*")))
    stale = couponseg("sql", "--engine", "spark", "-c", sql, env=env)
    assert stale.stdout == fresh.stdout
    assert (f"couponseg: note: Spark's tables changed since this copy ({root / 'snapshot.duckdb'}"
            "): `couponseg report --engine spark` copies them again") in stale.stderr
