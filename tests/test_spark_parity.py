"""Parity of the two engines on the shipped sample: `couponseg build` on DuckDB and
`couponseg build --engine spark` + `couponseg report --engine spark` on a real standalone
Spark cluster (a master and a worker on 127.0.0.1, started from pyspark's spark-class and
stopped afterwards), so executors in other JVMs, shuffles between them and the Python step
are what is proven. Every dbt model and data test runs on Spark, and the dbt unit tests.

Slow (several minutes on 2 cores): `make test-spark` runs it (COUPONSEG_SPARK_FULL=1);
`make test` runs tests/test_spark.py instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from conftest import REPO, couponseg, report_lines
from damage import parquet_damaged_in_row_group_4, read_tables
from pypdf import PdfReader
from spark_parity import (
    assert_frames_equal,
    duckdb_row_counts,
    duckdb_table,
    run_dbt_on_spark,
    run_spark,
    run_spark_sql,
    spark_env,
    spark_table,
    spark_tables,
)
from test_dbt_unit_tests import EXPECTED, defined_unit_tests

from couponseg import spark_state
from couponseg.generate import generate
from couponseg.spark_cluster import running_cluster

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("COUPONSEG_SPARK_FULL"),
                       reason="full Spark parity runs with `make test-spark`"),
]
SAMPLE = REPO / "data" / "sample"


@pytest.fixture(scope="module")
def duck(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("duck") / "warehouse.duckdb"
    couponseg("build", "--input", SAMPLE, "--warehouse", warehouse)
    return warehouse


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("cluster")) as running:
        yield running


@pytest.fixture(scope="module")
def spark(cluster, tmp_path_factory):
    """The sample built and reported on the cluster: (spark dir, build stdout, report dir,
    report stdout)."""
    folder = tmp_path_factory.mktemp("spark_full")
    out = tmp_path_factory.mktemp("spark_report")
    built = run_spark(["build", "--engine", "spark", "--input", SAMPLE], folder,
                      master=cluster.master_url)
    report = run_spark(["report", "--engine", "spark", "--out", out], folder,
                       master=cluster.master_url)
    return folder, built.stdout, out, report.stdout


def test_the_cluster_ran_the_build(spark, cluster):
    """Executors were launched on the worker (not a local master in disguise)."""
    work = cluster.state / "work"
    assert any(work.glob("app-*/*/stderr")), "no executor ran on the worker"
    assert "spark://127.0.0.1" in spark[1]


def test_every_table_has_duckdbs_row_count(spark, duck):
    folder = spark[0]
    counts = duckdb_row_counts(duck)
    compared = [n for n in spark_tables(folder) if n in counts]
    assert len(compared) >= 20, compared
    for name in compared:
        assert len(spark_table(folder, name)) == counts[name], name


def test_reconciliation_is_the_same(spark, duck):
    assert_frames_equal(duckdb_table(duck, "audit.audit_row_reconciliation"),
                        spark_table(spark[0], "audit.audit_row_reconciliation"),
                        ["source_table"], "audit_row_reconciliation")


def test_customer_features_are_the_same(spark, duck):
    assert_frames_equal(duckdb_table(duck, "marts.customer_features"),
                        spark_table(spark[0], "marts.customer_features"),
                        ["customer_id"], "customer_features")


def test_every_reporting_model_is_the_same(spark, duck):
    """KPIs and every other rpt_ model as the report reads them (the snapshot copied from
    Spark), row for row: keyed on their non-float columns, floats to 1e-9."""
    snapshot = spark[0] / "snapshot.duckdb"
    names = duckdb_table(snapshot, "information_schema.tables")
    names = names.loc[names["table_schema"] == "reporting", "table_name"].tolist()
    assert "rpt_kpis" in names and len(names) >= 15, names
    for name in names:
        duck_rows = duckdb_table(duck, f"reporting.{name}")
        key = [c for c in duck_rows.columns if not pd.api.types.is_float_dtype(duck_rows[c])]
        assert_frames_equal(duck_rows, duckdb_table(snapshot, f"reporting.{name}"), key, name)


def test_segments_are_the_same(spark, duck):
    folder = spark[0]
    assert_frames_equal(duckdb_table(duck, "segments.customer_segments")
                        [["customer_id", "segment_id"]],
                        spark_table(folder, "python_step.customer_segments"),
                        ["customer_id"], "customer_segments")
    assert_frames_equal(duckdb_table(duck, "segments.segment_profiles"),
                        spark_table(folder, "segments.segment_profiles"),
                        ["segment_id"], "segment_profiles")


def test_the_report_from_spark_has_the_duckdb_numbers(spark, duck):
    pdf = spark[2] / "dashboard.pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    for _, row in duckdb_table(duck, "segments.segment_profiles").iterrows():
        assert row["segment_name"] in text
    customers = duckdb_table(duck, "marts.customer_features").shape[0]
    assert f"{customers:,}" in text


def test_the_report_renders_the_builds_copy_of_the_tables(spark):
    """Nothing changed Spark's files since the build copied the reporting tables: the report
    renders that copy (no JVM, no second copy); the numbers are checked just above."""
    assert "Report written from the copy of Spark's tables in " \
        f"{spark[0] / 'snapshot.duckdb'} (unchanged since it was made)" in spark[3]


def test_a_dbt_run_by_hand_makes_the_report_copy_again(spark, tmp_path):
    """A view rebuilt by hand writes no file of its own, but dbt's on-run-start hook on Spark
    rewrites audit.last_spark_dbt_run: the next report copies the tables from Spark again
    (and records their new state, so the one after it does not)."""
    folder = spark[0]
    target = run_dbt_on_spark(folder, None, ["run", "--select", "rpt_customers_by_city"],
                              target_name="dbt-target-view")
    invocation = json.loads((target / "run_results.json").read_text())["metadata"]
    marker = spark_table(folder, "audit.last_spark_dbt_run")
    assert marker["invocation_id"].tolist() == [invocation["invocation_id"]]
    first = run_spark(["report", "--engine", "spark", "--out", tmp_path / "a"], folder)
    assert "Report written from Spark in" in first.stdout
    second = run_spark(["report", "--engine", "spark", "--out", tmp_path / "b"], folder)
    assert "(unchanged since it was made)" in second.stdout
    texts = [report_lines(out / "dashboard.pdf") for out in (spark[2], tmp_path / "a",
                                                               tmp_path / "b")]
    assert texts[0] == texts[1] == texts[2]


def test_a_copied_spark_folder_copies_from_spark_every_time(spark, tmp_path):
    """A Spark folder copied elsewhere: its metastore still names the original's databases,
    so Spark reads the original's files, whose changes the copy's own files do not show.
    Its report copies from Spark and records no state, so the next one copies again."""
    copy = tmp_path / "copied"
    shutil.copytree(spark[0], copy, symlinks=True)
    result = run_spark(["report", "--engine", "spark", "--out", tmp_path / "out"], copy)
    assert "Report written from Spark in" in result.stdout
    assert spark_state.recorded(copy / "snapshot.duckdb") is None
    assert not spark_state.state_file(copy / "snapshot.duckdb").exists()


# Its fixture holds array columns, which dbt writes as DuckDB list literals ([1, 2]); Spark's
# SQL has no such literal. The naming rule it checks is compared on the built sample above.
DUCKDB_ONLY_UNIT_TESTS = ("a_type_shared_by_segments_keeps_its_plain_name_first",)


def test_the_dbt_unit_tests_pass_on_spark(spark):
    """The hostile values of the dbt unit tests (padded and unknown statuses, '1.0' and
    '+1' ids, 'infinity', dates with words after the time, ...) give the same rows and
    reject reasons on Spark as on DuckDB (tests/test_dbt_unit_tests.py): the validation is
    proven on both engines, not only the clean sample."""
    folder = spark[0]
    target = run_dbt_on_spark(folder, None, ["test", "--select", "test_type:unit", "--exclude",
                                             *DUCKDB_ONLY_UNIT_TESTS], "dbt-target-unit")
    results = json.loads((target / "run_results.json").read_text())["results"]
    ran = {r["unique_id"].split(".")[-1]: r["status"] for r in results
           if not r["unique_id"].startswith("operation.")}  # the on-run-start check of vars
    assert set(ran) == (EXPECTED | defined_unit_tests()) - set(DUCKDB_ONLY_UNIT_TESTS), ran
    assert set(ran.values()) == {"pass"}, ran


def test_the_audience_exported_from_spark_is_duckdbs(spark, duck, tmp_path):
    """`couponseg export --engine spark` writes the files the DuckDB build's export writes:
    CSV byte for byte, Parquet with the same schema (a CRM pins it) and rows; its manifest
    names the Spark folder as its source. Both ways it reads Spark's tables: by DuckDB from
    their files while they are as the last copy recorded them (Spark's own types, its own
    files: couponseg/spark_files.py), and through Spark once that record is gone."""
    import pyarrow.parquet as pq

    folder = spark[0]
    # The tests above ran dbt on Spark by hand (its hook rewrote a table): the report copies
    # the tables again and records their files, as every build does
    run_spark(["report", "--engine", "spark", "--out", tmp_path / "report"], folder)
    state, ways = spark_state.state_file(folder / "snapshot.duckdb"), {}
    for way, origin in (("files", "from Spark's files (unchanged since the last copy of "
                                  "its tables)"), ("spark", "from Spark:")):
        if way == "spark":
            shutil.move(state, tmp_path / "state.json")
        try:
            for fmt in ("parquet", "csv"):
                ours, theirs = tmp_path / f"{way}_{fmt}", tmp_path / f"duck_{fmt}"
                result = run_spark(["export", "--engine", "spark", "--out", ours,
                                    "--format", fmt], folder)
                assert re.search(r"Exported 1,000 customers of run \d+ as of [0-9-]{10} "
                                 + re.escape(origin), result.stdout), result.stdout
                couponseg("export", "--warehouse", duck, "--out", theirs, "--format", fmt)
                for name in (f"campaign_audience.{fmt}", f"campaign_offers.{fmt}"):
                    if fmt == "csv":
                        assert (ours / name).read_bytes() == (theirs / name).read_bytes(), name
                    else:
                        assert pq.read_table(ours / name).equals(pq.read_table(theirs / name))
                manifests = [json.loads((side / "campaign_audience.manifest.json").read_text())
                             for side in (ours, theirs)]
                assert manifests[0]["warehouse"] == f"spark: {folder}"
                for key in ("as_of_date", "campaign", "counts", "files", "run_id"):
                    assert manifests[0][key] == manifests[1][key], key
                ways[way, fmt] = manifests[0]
        finally:
            if way == "spark":  # the copy is unchanged: its record holds again
                shutil.move(tmp_path / "state.json", state)
    for fmt in ("parquet", "csv"):  # the model versions and the rest, as Spark holds them
        assert ways["files", fmt] == ways["spark", fmt]


def test_export_without_a_spark_build_says_what_to_run(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "couponseg.cli", "export", "--engine", "spark", "--out",
         str(tmp_path / "out")], capture_output=True, text=True, timeout=600, cwd=REPO,
        env=spark_env(tmp_path / "empty"))
    assert result.returncode == 2, result.stdout + result.stderr[-2000:]
    assert "has no table segments.campaign_audience" in result.stderr
    assert "run `couponseg build --engine spark` first" in result.stderr


def test_the_sql_shell_opens_the_spark_builds_reporting_copy(spark):
    result = run_spark(["sql", "--engine", "spark", "-c",
                        "select count(*) as n from reporting.rpt_kpis"], spark[0])
    assert re.search(r"\b[1-9][0-9]*\b", result.stdout), result.stdout


def test_a_failed_spark_build_prints_its_rejected_rows(tmp_path):
    """Gender ids written as letters: every customer and transaction is rejected in turn and
    the build fails, on Spark as on DuckDB (tests/test_bad_input.py) with the rejected rows
    by reason read from the failed build's own audit, not only the failing tests' names."""
    folder = tmp_path / "in"
    shutil.copytree(SAMPLE, folder)
    (folder / "genders.csv").write_text("gender_id,gender_name\nM,Male\nF,Female\n")
    result = subprocess.run(
        [sys.executable, "-m", "couponseg.cli", "build", "--engine", "spark", "--input",
         str(folder)], capture_output=True, text=True, timeout=900, cwd=REPO,
        env=spark_env(tmp_path / "spark"))
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "WARNING: every row of customers, genders, transactions was rejected" in result.stderr
    reasons = {tuple(line.split()[:2]) for line in result.stderr.splitlines()
               if line.startswith("  ") and "(first at row" in line}
    assert reasons == {("genders", "invalid_gender_id"), ("customers", "unknown_gender_id"),
                       ("transactions", "unknown_customer_id")}


def test_spark_keeps_only_the_latest_runs_when_told(spark):
    """segment_history_keep_runs on Spark, whose Parquet tables take no DELETE: the labels
    of runs not kept are dropped by rewriting the table (macros/history.sql). Near the end of
    this module: it adds runs to the module's Spark build (segment_runs and segment_history
    rebuilt twice by hand, as an analytics engineer would with dbt)."""
    folder = spark[0]
    for _ in range(2):  # runs 2 and 3 of the same data: run 3 keeps itself and run 2
        run_dbt_on_spark(folder, None, ["run", "--select", "segment_runs", "segment_history",
                                        "--vars", "{segment_history_keep_runs: 1}"])
    runs = spark_table(folder, "segments.segment_runs")
    assert sorted(runs["run_id"]) == [1, 2, 3]
    history = spark_table(folder, "segments.segment_history")
    assert sorted(history["run_id"].unique()) == [2, 3]
    scored = runs.set_index("run_id")["customers"]
    assert (history.groupby("run_id").size() == scored.loc[[2, 3]]).all()
    assert "segment_history__kept" not in {name.split(".")[1] for name in spark_tables(folder)}


def test_spark_adds_join_dates_to_an_older_history(spark, cluster):
    """A Spark folder whose segment_history predates join dates (an older release's: the
    table rewritten here without the column) gets the column on the next run, by dbt-spark's
    ALTER TABLE on a Parquet table (on_schema_change='append_new_columns'), with no join date
    in the earlier runs' rows. The feed check then looks past those runs and checks the new
    one. After the keep-runs test (it continues its runs), before the refusal test (which is
    checked against the run this test adds)."""
    folder = spark[0]
    columns = "run_id, as_of_date, model_version, customer_id, segment_id, segment_name"
    run_spark_sql(folder, [
        f"create table segments.segment_history_old using parquet as select {columns} "
        "from segments.segment_history",
        "drop table segments.segment_history",
        "alter table segments.segment_history_old rename to segments.segment_history",
    ])
    assert "join_date" not in spark_table(folder, "segments.segment_history").columns
    for selected in (["segment_runs", "segment_history"], ["segment_feed_check"]):
        run_dbt_on_spark(folder, cluster.master_url, ["run", "--select", *selected])
    history = spark_table(folder, "segments.segment_history")
    new_run = history["run_id"].max()
    assert sorted(history["run_id"].unique()) == [2, 3, new_run] and new_run == 4
    assert history.loc[history["run_id"] < new_run, "join_date"].isna().all()
    joined = spark_table(folder, "marts.customer_features").set_index("customer_id")["join_date"]
    latest = history[history["run_id"] == new_run].set_index("customer_id")["join_date"]
    assert len(latest) == 1000 and latest.notna().all()
    assert (pd.to_datetime(latest) == pd.to_datetime(joined.loc[latest.index])).all()
    check = spark_table(folder, "segments.segment_feed_check").iloc[0]
    assert (check["checked_run_id"], check["previous_customers"], check["same_join_date"],
            check["other_join_date"], check["missing_customers"], bool(check["is_same_feed"])
            ) == (new_run, 1000, 1000, 0, 0, True)


def test_spark_refuses_another_feed_before_the_segments(spark, cluster, tmp_path):
    """Another dataset built into the module's Spark folder (a generated feed whose ids name
    other people than the sample's): stopped by the feed check in the first dbt call, before
    a model is trained or reused, in words that name the Spark folder; the stored models,
    runs and history are as they were. Last in this module: Spark is not atomic, so the
    refused build has replaced the loaded, staged and mart tables (as any failed Spark build
    does), which the tests before it read."""
    folder = spark[0]

    def state() -> dict[str, list]:
        history = spark_table(folder, "segments.segment_history")
        return {
            "runs": spark_table(folder, "segments.segment_runs")["run_id"].tolist(),
            "models": sorted(spark_table(folder, "python_step.segment_model")["model_version"]),
            "history": sorted(history[["run_id", "customer_id", "segment_id"]]
                              .itertuples(index=False, name=None)),
        }

    before = state()
    other = tmp_path / "other"
    generate(other, customers=1000, seed=7)
    refused = subprocess.run(
        [sys.executable, "-m", "couponseg.cli", "build", "--engine", "spark", "--input", other],
        capture_output=True, text=True, timeout=900, cwd=REPO,
        env=spark_env(folder, cluster.master_url))
    assert refused.returncode == 1, refused.stdout[-2000:]
    message = " ".join(refused.stderr.split())
    latest = max(before["runs"])
    assert "assert_history_is_of_this_feed: This Spark folder holds the segment history of " \
        f"another feed: of the 1000 customers its latest run (run {latest}," in message
    assert "COUPONSEG_SPARK_DIR=OTHER couponseg build --engine spark" in message
    assert state() == before and len(before["history"]) >= 1000


def test_a_parquet_page_damaged_past_the_checked_rows_stops_the_load_with_a_message(
        tmp_path):
    """Spark's reader meets the damaged page while loading (the input check reads each
    Parquet file's first rows only): the same message as the DuckDB build's, exit 2, no
    traceback, no model run (a local master: what is proven is the load's message)."""
    folder, groups = parquet_damaged_in_row_group_4(read_tables(SAMPLE), tmp_path / "in")
    result = couponseg("build", "--engine", "spark", "--input", folder, check=False,
                       env={"COUPONSEG_SPARK_DIR": str(tmp_path / "spark")})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert lines[-1].startswith(
        "couponseg: error: transactions.parquet (table 'transactions'): not a readable "
        "Parquet file: column 'transaction_date', rows 3,002-4,001 (row group 4 of "
        f"{groups}) cannot be read ("), result.stderr
    assert lines[-1].endswith("; the Spark build stopped while loading its input: the Spark "
                              "warehouse is unchanged")
