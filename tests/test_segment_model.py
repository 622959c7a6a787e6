"""Segments as a production model, through real builds: the stored model is reused, retrained
on request, carried across the atomic swap with the label history, and the report shows
what changed since the last run."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from conftest import REPO, couponseg, query
from pypdf import PdfReader
from sklearn.metrics import adjusted_rand_score

from couponseg.build import BuildPaths, dbt_log_path
from couponseg.generate import generate
from couponseg.segment_runs import CARRIED_TABLES
from models_py.paths import WAREHOUSE_ENV

CUTOFF = "2024-03-31"


def _labels(warehouse: Path) -> pd.DataFrame:
    return query(warehouse, "select * from segments.customer_segments order by customer_id")


def _runs(warehouse: Path) -> pd.DataFrame:
    return query(warehouse, "select * from segments.segment_runs order by run_id")


def _history(warehouse: Path) -> pd.DataFrame:
    return query(warehouse, "select run_id, count(*) as customers, "
                 "sum(hash(customer_id, segment_name)) as fingerprint "
                 "from segments.segment_history group by run_id order by run_id")


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """3,600 generated customers: more than the 3,000-customer training sample, so the model
    is trained on a sample and scores customers it never saw."""
    work = tmp_path_factory.mktemp("large")
    generate(work / "input", customers=3600, seed=11)
    warehouse = work / "warehouse.duckdb"
    couponseg("build", "--input", work / "input", "--warehouse", warehouse)
    return work / "input", warehouse


def _sample_rank(customer_id: int, seed: int) -> int:
    """The sample_rank macro (dbt_project/macros/segment_features.sql) in Python's exact
    integers; SQL's % keeps the dividend's sign, Python's does not."""
    p = 2**31 - 1

    def mod(a: int) -> int:
        return abs(a) % p * (1 if a >= 0 else -1)

    s = seed % p
    step = mod(mod(customer_id) * 48271 + s)
    return mod(step * step + s)


def test_training_sample_is_the_sample_rank_definition(large):
    """DuckDB trains on the segment_sample_size customers that sample_rank puts first (ties
    by id), the definition the Spark engine reads too: not the first ids, not a hash."""
    _, warehouse = large
    settings = yaml.safe_load((REPO / "dbt_project" / "dbt_project.yml").read_text())["vars"]
    seed, size = int(settings["segment_seed"]), int(settings["segment_sample_size"])
    ids = query(warehouse, "select customer_id from marts.customer_features")["customer_id"]
    expected = sorted(sorted(ids, key=lambda i: (_sample_rank(int(i), seed), i))[:size])
    trained = query(warehouse, "select unnest(sample_customer_ids) as customer_id "
                    "from segments.segment_model")["customer_id"]
    assert len(ids) > size and expected != sorted(ids)[:size]
    assert sorted(trained) == expected
    view = query(warehouse, "select customer_id, sample_rank from segments.segment_training_sample")
    assert view["sample_rank"].tolist() == [_sample_rank(int(i), seed) for i in view["customer_id"]]


def test_sample_trained_model_recovers_archetypes_for_everyone(large):
    source, warehouse = large
    model = query(warehouse, "select * from segments.segment_model")
    assert len(model) == 1 and model["sample_rows"].iloc[0] == 3000
    truth = pd.read_csv(source / "archetypes.csv")
    labels = _labels(warehouse)
    assert len(labels) == len(truth) == 3600 and labels["customer_id"].is_unique
    merged = truth.merge(labels, on="customer_id")
    assert len(merged) == 3600
    unseen = ~merged["customer_id"].isin(model["sample_customer_ids"].iloc[0])
    assert unseen.sum() == 600
    assert adjusted_rand_score(merged["archetype"], merged["segment_id"]) >= 0.9
    assert adjusted_rand_score(merged.loc[unseen, "archetype"],
                               merged.loc[unseen, "segment_id"]) >= 0.9


def test_rebuild_reuses_model_then_retrain_makes_a_version(large):
    source, warehouse = large
    before = _labels(warehouse)
    result = couponseg("build", "--input", source, "--warehouse", warehouse)
    assert "Segment model v1" in result.stdout and "reused" in result.stdout
    # the same file again: a feed that was not refreshed is said, not taken for a quiet week
    assert ("WARNING: run 2 read the same input as run 1 (identical content): nothing new "
            "arrived since that build.") in result.stdout
    again = _labels(warehouse)
    pd.testing.assert_frame_equal(before, again)
    runs = _runs(warehouse)
    assert runs["model_version"].tolist() == [1, 1]
    assert runs["model_trained"].tolist() == [True, False]
    moved = query(warehouse, "select transition, sum(customers) as n from "
                  "segments.segment_transitions group by transition")
    assert moved.set_index("transition")["n"].to_dict() == {"stayed": 3600}

    result = couponseg("build", "--input", source, "--warehouse", warehouse, "--retrain")
    assert "Segment model v2" in result.stdout and "retrain requested" in result.stdout
    runs = _runs(warehouse)
    assert runs["model_version"].tolist() == [1, 1, 2]
    assert runs["training_reason"].tolist()[-1] == "retrain requested"
    assert query(warehouse, "select count(*) as n from segments.segment_model")["n"][0] == 2
    assert _history(warehouse)["customers"].tolist() == [3600, 3600, 3600]
    # dbt-duckdb left the table of each appended model version's rows behind in main
    # (segment_model__dbt_tmp<time>, empty): nothing but the project's schemas now.
    left = query(warehouse, "select schema_name, table_name from duckdb_tables() "
                            "where schema_name = 'main'")
    assert left.empty, left


def _wait_for_lock(warehouse: Path, timeout: float = 120) -> None:
    """Until no process (an orphaned dbt child included) holds the build lock."""
    deadline = time.monotonic() + timeout
    with open(warehouse.with_name(f"{warehouse.name}.lock"), "w") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(handle, fcntl.LOCK_UN)
                return
            except BlockingIOError:
                assert time.monotonic() < deadline, "build lock still held"
                time.sleep(0.5)


def test_killed_and_failed_builds_leave_history_as_it_was(large, tmp_path):
    source, warehouse = large
    history, runs = _history(warehouse), _runs(warehouse)
    building = BuildPaths.of(warehouse).building
    proc = subprocess.Popen(
        [sys.executable, "-m", "couponseg.cli", "build", "--input", str(source),
         "--warehouse", str(warehouse), "--retrain"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not (building.exists() and building.stat().st_size > 0):
        assert proc.poll() is None and time.monotonic() < deadline, "build never started"
        time.sleep(0.1)
    time.sleep(2)  # the history is carried in and dbt is running
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    _wait_for_lock(warehouse)
    pd.testing.assert_frame_equal(_history(warehouse), history)
    pd.testing.assert_frame_equal(_runs(warehouse), runs)

    # Fails inside dbt, after the history was carried: too few customers to train on (10 of
    # the 3,600 the history labelled: --min-feed-match 0 lets it past the feed check).
    tiny = tmp_path / "tiny"
    shutil.copytree(source, tiny)
    customers = pd.read_csv(tiny / "customers.csv").head(10)
    customers.to_csv(tiny / "customers.csv", index=False)
    tx = pd.read_csv(tiny / "transactions.csv")
    tx[tx["customer_id"].isin(customers["customer_id"])].to_csv(tiny / "transactions.csv",
                                                                 index=False)
    failed = couponseg("build", "--input", tiny, "--warehouse", warehouse, "--retrain",
                       "--min-feed-match", "0", check=False)
    assert failed.returncode == 1 and "segment_model" in failed.stderr
    # The message says where dbt's log is and how to get every statement into it.
    assert str(dbt_log_path(warehouse)) in failed.stderr
    assert "DBT_LOG_LEVEL_FILE=debug" in failed.stderr
    pd.testing.assert_frame_equal(_history(warehouse), history)
    pd.testing.assert_frame_equal(_runs(warehouse), runs)


def test_hand_run_dbt_build_keeps_history_and_takes_the_burn_window(large, tmp_path):
    """The analytics engineer's `dbt build` into the same file: incremental models append in
    place; a new burn window changes a feature's fill, so a model is trained with it."""
    source, built = large
    warehouse = tmp_path / "hand.duckdb"
    shutil.copy(built, warehouse)
    runs_before = _runs(warehouse)
    env = {**os.environ, "DBT_PROFILES_DIR": str(REPO), WAREHOUSE_ENV: str(warehouse)}
    subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "build", "--vars",
         json.dumps({"input": str(source), "burn_window_days": 60}),
         "--exclude-resource-type", "unit_test", "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs")],
        cwd=REPO / "dbt_project", env=env, check=True, capture_output=True, text=True,
        timeout=600)
    runs = _runs(warehouse)
    assert len(runs) == len(runs_before) + 1
    pd.testing.assert_frame_equal(runs.iloc[:-1], runs_before)
    last = runs.iloc[-1]
    assert last["model_trained"] and last["training_reason"] == "feature list changed"
    model = query(warehouse, "select feature_names, feature_fills from segments.segment_model "
                  "order by model_version desc limit 1").iloc[0]
    fills = dict(zip(model["feature_names"], model["feature_fills"], strict=True))
    assert fills["mean_days_to_burn"] == 60
    assert query(warehouse, "select burn_window_days from marts.run_context")[
        "burn_window_days"][0] == 60
    assert query(warehouse, "select count(*) as n from segments.customer_segments")["n"][0] \
        == 3600
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    incremental = {node["name"] for node in manifest["nodes"].values()
                   if node["resource_type"] == "model"
                   and node["config"]["materialized"] == "incremental"
                   and node["config"].get("schema") == "segments"}
    assert incremental == set(CARRIED_TABLES)


@pytest.fixture(scope="module")
def two_runs(generated, tmp_path_factory):
    """The same input built as of an earlier date (a point in time: later joins, claims and
    burns not yet happened), then as of its own latest date, into one warehouse. Named like
    none of dbt's own files: the second build carries the history into its new file before
    dbt opens it, which once failed every rebuild of a warehouse not called warehouse.*."""
    work = tmp_path_factory.mktemp("two_runs")
    warehouse, out = work / "weekly.duckdb", work / "output"
    couponseg("build", "--input", generated, "--warehouse", warehouse, "--as-of", CUTOFF)
    first = _labels(warehouse)
    couponseg("run", "--input", generated, "--warehouse", warehouse, "--out", out)
    return warehouse, out, first


def test_history_and_transitions_between_two_runs(two_runs):
    warehouse, _, first = two_runs
    runs = _runs(warehouse)
    assert runs["run_id"].tolist() == [1, 2]
    assert str(runs["as_of_date"].iloc[0].date()) == CUTOFF < str(runs["as_of_date"].iloc[1].date())
    history = query(warehouse, "select * from segments.segment_history")
    assert history.groupby("run_id").size().tolist() == [len(first), len(_labels(warehouse))]
    transitions = query(warehouse, "select * from segments.segment_transitions")
    both = first.merge(_labels(warehouse), on="customer_id", suffixes=("_1", "_2"))
    matched = transitions[transitions["transition"].isin(["stayed", "moved"])]
    assert len(both) > 0 and matched["customers"].sum() == len(both)
    moved = (both["segment_name_1"] != both["segment_name_2"]).sum()
    assert transitions.loc[transitions["transition"] == "moved", "customers"].sum() == moved
    assert moved > 0
    new = transitions.loc[transitions["transition"] == "new", "customers"].sum()
    assert new == len(_labels(warehouse)) - len(both) > 0
    pairs = both.groupby(["segment_name_1", "segment_name_2"]).size()
    for row in matched.itertuples():
        assert pairs[(row.previous_segment_name, row.current_segment_name)] == row.customers


def test_a_weekly_build_after_an_as_of_build_keeps_its_parse(two_runs):
    """dbt re-parses the whole project when the vars differ from its parse cache's; each set
    of vars has its own cache (couponseg/build.py), so the weekly build after an --as-of
    build still parses partially (dbt says why when it cannot)."""
    warehouse, _, _ = two_runs
    log = dbt_log_path(warehouse).read_text()
    second = log[log.rindex("Running with dbt="):]  # the log holds both builds
    assert "Unable to do partial parsing" not in second


def test_a_backfill_is_scored_and_compared_by_its_own_date(built, tmp_path):
    """A build --as-of an earlier date into a warehouse with later runs (a backfill) trains
    on what it may see instead of reusing a model trained on later data, and is compared
    with no later run; the weekly build after it goes back to the weekly model and is
    compared with the weekly run before it, not with the backfill."""
    warehouse = tmp_path / "weekly.duckdb"
    shutil.copy(built.warehouse, warehouse)  # run 1: the weekly build, as of the input's end
    filled = couponseg("build", "--input", built.input, "--warehouse", warehouse,
                       "--as-of", CUTOFF)
    assert "read the same input" not in filled.stdout  # a backfill is compared with no run
    backfill = _runs(warehouse).iloc[-1]
    assert str(backfill["as_of_date"].date()) == CUTOFF
    assert backfill["model_version"] == 2 and backfill["training_reason"] == \
        "no model trained by the as-of date"
    assert str(backfill["trained_as_of"].date()) == CUTOFF
    assert pd.isna(backfill["previous_run_id"])
    assert query(warehouse, "select count(*) n from segments.segment_transitions")["n"][0] == 0
    couponseg("report", "--warehouse", warehouse, "--out", tmp_path / "out")
    text = " ".join(page.extract_text() for page in
                    PdfReader(tmp_path / "out" / "dashboard.pdf").pages)
    assert "a backfill of an earlier date" in " ".join(text.split())

    again = couponseg("build", "--input", built.input, "--warehouse", warehouse)
    # compared with run 1 (not the backfill, run 2), whose input it repeats
    assert "WARNING: run 3 read the same input as run 1 (identical content)" in again.stdout
    weekly = _runs(warehouse).iloc[-1]
    assert weekly["model_version"] == 1 and not weekly["model_trained"]
    assert weekly["previous_run_id"] == 1
    transitions = query(warehouse, "select transition, sum(customers) n "
                        "from segments.segment_transitions group by transition")
    assert transitions["transition"].tolist() == ["stayed"]
    assert transitions["n"][0] == len(_labels(built.warehouse))
    assert _labels(warehouse)[["customer_id", "segment_name"]].equals(
        _labels(built.warehouse)[["customer_id", "segment_name"]])


def test_report_shows_what_changed(two_runs):
    warehouse, out, _ = two_runs
    pages = [page.extract_text() for page in PdfReader(out / "dashboard.pdf").pages]
    page = next(text for text in pages if "What changed since the last run" in text
                and "became" in text)
    transitions = query(warehouse, "select * from reporting.rpt_segment_transitions "
                        "order by movement_rank")
    matched = transitions[transitions["transition"].isin(["stayed", "moved"])]
    assert f"{int(matched['customers'].sum()):,} customers were present in both runs" in page
    top = transitions[transitions["transition"] == "moved"].iloc[0]
    assert (f"{int(top.customers):,} {top.previous_segment_name} became "
            f"{top.current_segment_name}") in " ".join(page.split())
    new = int(transitions.loc[transitions["transition"] == "new", "customers"].sum())
    assert f"{new:,} customers are new since the last run" in page
    run = query(warehouse, "select * from reporting.rpt_segment_run").iloc[0]
    totals = transitions.groupby("transition")["customers"].sum()
    assert run.customers_in_both_runs == matched["customers"].sum()
    assert (run.customers_moved, run.customers_new, run.customers_gone) == tuple(
        int(totals.get(kind, 0)) for kind in ("moved", "new", "gone"))
    selection = next(text for text in pages if "Segment model selection" in text
                     and "Chosen" in text)
    assert "Segment model version 1 scored run 2" in " ".join(selection.split())


def test_first_run_says_there_is_no_earlier_run(built):
    text = " ".join(page.extract_text() for page in PdfReader(built.out / "dashboard.pdf").pages)
    assert "there is no earlier run to compare with" in " ".join(text.split())
    assert query(built.warehouse, "select count(*) as n from segments.segment_transitions")[
        "n"][0] == 0


def test_carry_forward_copies_only_from_an_existing_warehouse(tmp_path):
    from couponseg.segment_runs import carried_and_held

    building = tmp_path / "new.duckdb"
    with carried_and_held(tmp_path / "missing.duckdb", building) as carried:
        assert carried == []
    previous = tmp_path / "old.duckdb"
    with duckdb.connect(str(previous)) as con:
        con.execute("create schema segments")
        con.execute("create table segments.segment_history as select 1 as run_id")
    with carried_and_held(previous, building) as carried:
        assert carried == ["segment_history"]
    assert query(building, "select run_id from segments.segment_history")["run_id"].tolist() \
        == [1]


def test_history_keeps_only_the_latest_runs_when_told(built, tmp_path):
    """--keep-runs N (segment_history_keep_runs) deletes the labels of all but the N latest
    runs in time, the newest build and the run it is compared with; segment_runs keeps every
    run. A backfill compared with a run whose labels are gone shows no transitions (not every
    customer 'new') and the report says why."""
    warehouse = tmp_path / "weekly.duckdb"
    shutil.copy(built.warehouse, warehouse)  # run 1, as of the input's last date
    refused = couponseg("build", "--input", built.input, "--warehouse", warehouse,
                        "--keep-runs", "-1", check=False)
    assert refused.returncode != 0 and "segment_history_keep_runs = -1" in refused.stderr
    for as_of in (CUTOFF, "", CUTOFF):  # runs 2 (a backfill), 3 (weekly), 4 (a backfill)
        couponseg("build", "--input", built.input, "--warehouse", warehouse,
                  "--keep-runs", "1", *(["--as-of", as_of] if as_of else []))
        kept = sorted(query(warehouse, "select distinct run_id from segments.segment_history")
                      ["run_id"])
        runs = _runs(warehouse)
        if len(runs) == 2:
            assert kept == [1, 2]  # run 1 is the latest in time
        if len(runs) == 3:
            assert kept == [1, 3] and runs["previous_run_id"].iloc[-1] == 1
    assert runs["run_id"].tolist() == [1, 2, 3, 4]
    assert runs["previous_run_id"].iloc[-1] == 2  # the earlier backfill, whose labels are gone
    assert kept == [3, 4]
    assert query(warehouse, "select count(*) n from segments.segment_transitions")["n"][0] == 0
    run = query(warehouse, "select * from reporting.rpt_segment_run").iloc[0]
    assert run.previous_run_id == 2 and not run.previous_run_labels_kept
    assert run.history_keep_runs == 1 and run.customers_new == 0
    couponseg("report", "--warehouse", warehouse, "--out", tmp_path / "out")
    text = " ".join(" ".join(page.extract_text() for page in
                             PdfReader(tmp_path / "out" / "dashboard.pdf").pages).split())
    assert "but its segment labels are no longer in segment_history" in text
