"""Atomic builds, concurrent readers and idempotent reruns."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pypdf
import pytest
from conftest import (
    REPO,
    command_line,
    couponseg,
    processes_with,
    query,
    report_lines,
    sigkill_and_wait,
)

from couponseg.build import dbt_build, dbt_log_path, describe_failures, run_results_path
from couponseg.dbt_early import EarlyDbt
from couponseg.dbt_runner import EARLY_FLAG
from couponseg.generate import generate
from models_py.loader import INPUT_ENV


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def previous(built, tmp_path):
    """A copy of a good warehouse standing in for last week's build."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse, warehouse)
    return warehouse


@pytest.fixture(scope="module")
def other_input(tmp_path_factory):
    """Input with other numbers than `built`'s (fewer customers, another seed), so a reader
    that kept its snapshot and one that did not see different counts."""
    folder = tmp_path_factory.mktemp("other")
    generate(folder, customers=300, seed=11)
    return folder


def _customers(warehouse) -> int:
    return int(query(warehouse, "select count(*) n from marts.customer_features")["n"][0])


def test_failed_build_keeps_previous_warehouse(previous, tmp_path):
    before = _digest(previous)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 broken zip")
    result = couponseg("build", "--input", bad, "--warehouse", previous, check=False)
    assert result.returncode == 2
    assert _digest(previous) == before


def test_data_test_failing_inside_dbt_keeps_previous_warehouse(built, previous):
    """The build gets into dbt, builds models, then a data test fails (a valid setting under
    which every row is implausible leaves no as-of date, which fails not_null on the run
    context; an invalid var would stop at the check before any model): nothing is swapped
    in."""
    before = _digest(previous)
    result = dbt_build(previous, {"earliest_plausible_date": "2999-01-01"},
                       report=lambda _: None, env={INPUT_ENV: str(built.input)})
    assert not result.success
    assert any(f.startswith("not_null_int_run_context_as_of_date:")
               for f in result.failures), result.failures
    statuses = {r["unique_id"]: r["status"] for r in
                json.loads(run_results_path(previous).read_text())["results"]}
    assert statuses[_only(statuses, "not_null_int_run_context_as_of_date")] == "fail"
    assert statuses["model.couponseg.int_run_context"] == "success"  # dbt really ran
    # the run context's tests hold up what follows: the failed test is named first and no
    # model ran on the bad setting (only the transaction-grain tests run alongside models)
    assert result.failures[0].startswith("not_null_int_run_context_as_of_date:")
    assert statuses["model.couponseg.customer_features"] == "skipped"
    assert "model.couponseg.segment_model" not in statuses or \
        statuses["model.couponseg.segment_model"] == "skipped"
    assert _digest(previous) == before
    assert not list(previous.parent.glob("warehouse.duckdb.building*"))


def test_failures_are_described_alike_on_both_engines():
    """One line per failed node, failed tests before failed models (a test usually names
    the cause), by name without dbt's hash; our InputError text whole, anything else (a
    Java trace on Spark) cut to its first lines and 400 characters; passes left out."""
    trace = "\n".join(f"at org.apache.spark.sql.execution.Frame{i}.run(Frame.java:{i}) "
                      f"[spark-sql_2.13-4.0.0.jar:4.0.0]" for i in range(40))
    long_input_error = "InputError: customers.csv, column city_id, rows " + ", ".join(
        str(row) for row in range(2, 400))
    lines = describe_failures([
        ("model.couponseg.raw_customers", "error", long_input_error),
        ("model.couponseg.customer_features", "runtime error", trace),
        ("test.couponseg.not_null_x_y.1a2b3c", "fail", "Got 1 result, configured to fail"),
        ("model.couponseg.dim_customers", "success", "OK"),
        ("test.couponseg.unique_x_id.4d5e6f", "pass", ""),
    ])
    assert lines[0] == "not_null_x_y: Got 1 result, configured to fail"
    assert lines[1] == f"raw_customers: {long_input_error.removeprefix('InputError: ')}"
    assert lines[2].startswith("customer_features: at org.apache.spark.sql.execution.Frame0.")
    assert len(lines[2]) == len("customer_features: ") + 400 and "Frame5" not in lines[2]
    assert len(lines) == 3


def test_a_checks_raised_words_are_shown_whole_and_nothing_else_is():
    """A check's raise_error (its 'couponseg check: ' marker) is shown whole, without dbt's
    preamble and Spark's SQL state; DuckDB's other Invalid Input Errors keep the usual
    first lines, not mistaken for a check's words."""
    words = "This warehouse holds the segment history of another feed: " + "x" * 600
    duckdb_raised = (f"Runtime Error in test assert_history_is_of_this_feed (tests/a.sql)\n"
                     f"  Invalid Input Error: couponseg check: {words}")
    spark_raised = (f"Runtime Error in test assert_history_is_of_this_feed\n  "
                    f"[USER_RAISED_EXCEPTION] couponseg check: {words} SQLSTATE: P0001")
    parse_error = ("Runtime Error in model stg_x (models/stg_x.sql)\n  Invalid Input Error: "
                   "Could not parse string \"x\" according to format specifier \"%Y\"\n"
                   "  x\n  ^\n  Error: Expected a number")
    lines = describe_failures([
        ("test.couponseg.assert_history_is_of_this_feed", "error", duckdb_raised),
        ("test.couponseg.assert_history_is_of_this_feed.2", "error", spark_raised),
        ("model.couponseg.stg_x", "error", parse_error),
    ])
    assert lines[0] == lines[1] == f"assert_history_is_of_this_feed: {words}"
    assert lines[2].startswith("stg_x: Runtime Error in model stg_x") and \
        "Expected a number" in lines[2]


def _only(statuses: dict[str, str], name: str) -> str:
    found = [uid for uid in statuses if f".{name}" in uid]
    assert len(found) == 1, found
    return found[0]


def _build_processes(warehouse) -> list[int]:
    """Processes of a build of ``warehouse``: the dbt child names the warehouse's dbt folder
    on its command line."""
    return processes_with(f"{warehouse}.dbt", "couponseg.dbt_runner")


def _holds(pid: int, path) -> bool:
    """Whether the process has ``path`` open. Its files open and close while this looks
    (an fd listed, then gone: FileNotFoundError once failed a test), and it may exit."""
    fds = f"/proc/{pid}/fd"
    try:
        names = os.listdir(fds)
    except (FileNotFoundError, ProcessLookupError):
        return False
    return any(_fd_target(os.path.join(fds, fd)) == str(path) for fd in names)


def _fd_target(link: str) -> str | None:
    try:
        return os.readlink(link)
    except (FileNotFoundError, ProcessLookupError):
        return None


def test_sigkill_of_the_cli_stops_its_dbt_child(built, previous):
    """SIGKILL of the CLI alone (not its process group): the dbt child dies with it, never
    finishes writing, and the next build starts at once and succeeds; while that one runs, a
    second concurrent build is refused clearly."""
    before = _digest(previous)
    proc = _start_build(built.input, previous)
    children = _build_processes(previous)
    assert children, "no dbt child found"
    assert all(_holds(pid, _lock(previous)) for pid in children)
    assert sigkill_and_wait(proc, lambda: _build_processes(previous)) == [], \
        "the dbt child outlived the CLI"
    assert _digest(previous) == before
    recovery = _start_build(built.input, previous)  # no "another build": the lock is free
    second = couponseg("build", "--input", built.input, "--warehouse", previous, check=False)
    assert recovery.wait(timeout=300) == 0
    assert second.returncode == 2 and "another build" in second.stderr
    assert "Traceback" not in second.stderr
    assert not list(previous.parent.glob("warehouse.duckdb.building*"))
    assert _customers(previous) > 0


def test_killed_process_group_keeps_previous_warehouse(built, previous):
    before = _digest(previous)
    proc = _start_build(built.input, previous, start_new_session=True)
    time.sleep(1.0)  # let dbt get into the models
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _digest(previous) == before
    assert _customers(previous) > 0
    couponseg("build", "--input", built.input, "--warehouse", previous)  # next run recovers
    assert not list(previous.parent.glob("warehouse.duckdb.building*"))


@pytest.fixture(scope="module")
def two_at_once(built, other_input, tmp_path_factory) -> dict:
    """Two warehouses built at the same time: ``built``'s input again with `couponseg run`
    (its dashboard too: test_rerun_is_idempotent compares both with ``built``'s), and
    other_input with `couponseg build`, under a name with a space."""
    work = tmp_path_factory.mktemp("two_at_once")
    first, second = work / "one" / "w.duckdb", work / "two" / "weekly run.duckdb"
    out = work / "one" / "out"
    commands = (["run", "--input", built.input, "--warehouse", first, "--out", out],
                ["build", "--input", other_input, "--warehouse", second])
    procs = [subprocess.Popen([sys.executable, "-m", "couponseg.cli", *map(str, command)],
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
             for command in commands]
    outcomes = [proc.communicate(timeout=600) for proc in procs]
    return {"first": first, "second": second, "out": out, "outcomes": outcomes,
            "codes": [proc.returncode for proc in procs]}


def test_builds_of_two_warehouses_at_once_keep_their_own_results(built, two_at_once):
    first, second = two_at_once["first"], two_at_once["second"]
    assert two_at_once["codes"] == [0, 0], two_at_once["outcomes"]
    assert _customers(first) == _customers(built.warehouse) != _customers(second) == 300
    runs = [json.loads(run_results_path(w).read_text()) for w in (first, second)]
    for warehouse, run in zip((first, second), runs, strict=True):
        assert run["args"]["target_path"] == str(run_results_path(warehouse).parent)
        assert {r["status"] for r in run["results"]} <= {"success", "pass", "no-op"}
    assert runs[0]["metadata"]["invocation_id"] != runs[1]["metadata"]["invocation_id"]
    # Every warehouse, whatever its name, gives dbt the same profile: the shared parse cache
    # serves them all (a changed profile would make dbt parse the whole project again).
    for warehouse in (first, second):
        assert "profile has changed" not in dbt_log_path(warehouse).read_text()


def _analyst(warehouse) -> subprocess.Popen:
    """An analyst's read-only DuckDB session on the warehouse: it counts the customers once
    now, and again when a line is written to its stdin, from column data it has not read yet
    (counts alone come from metadata DuckDB read when it opened the file, which would hide a
    file overwritten in place instead of replaced)."""
    return subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys\n"
         f"con = duckdb.connect({str(warehouse)!r}, read_only=True)\n"
         "print(con.execute('select count(*) from marts.customer_features').fetchone()[0],"
         " flush=True)\n"
         "sys.stdin.readline()\n"
         "print(con.execute('select count(distinct customer_id) from marts.dim_customers')"
         ".fetchone()[0], flush=True)\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )


def _start_build(input_path, warehouse, *options: str, **popen) -> subprocess.Popen:
    """Start a real build in the background; return once its dbt child is writing the new
    file (the CLI itself creates the file first, carrying the segment history into it): it
    holds the build's lock, which a child started early is handed only with its build."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "couponseg.cli", "build", "--input", str(input_path),
         "--warehouse", str(warehouse), *options],
        cwd=REPO, **{"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, **popen},
    )
    deadline = time.time() + 120
    while not (list(warehouse.parent.glob(f"{warehouse.name}.building*"))
               and any(_holds(pid, _lock(warehouse)) for pid in _build_processes(warehouse))):
        assert time.time() < deadline and proc.poll() is None, "build never started writing"
        time.sleep(0.2)
    return proc


def _lock(warehouse):
    return warehouse.with_name(f"{warehouse.name}.lock")


def test_dbt_runs_in_the_child_started_before_the_build(built, previous):
    """couponseg/dbt_early.py: the CLI starts dbt's process first thing, and the build runs
    in it (one dbt process, the early one, holding the lock), not in a second one."""
    proc = _start_build(built.input, previous)
    try:
        children = _build_processes(previous)
        assert len(children) == 1, children
        assert EARLY_FLAG in command_line(children[0])
    finally:
        assert proc.wait(timeout=300) == 0
    assert _customers(previous) == _customers(built.warehouse)
    # dbt records the build's own command line, not the early child's
    command = json.loads(run_results_path(previous).read_text())["args"]["invocation_command"]
    assert " build " in command and EARLY_FLAG not in command, command


def test_a_child_started_early_and_not_used_ends_quietly(tmp_path):
    """A build refused before dbt closes its early child: it is gone at once (killed: it may
    still be importing dbt). One killed before the hand-over is not handed anything: the
    build starts a new child instead."""
    unused = EarlyDbt.start(tmp_path / "w.duckdb.dbt")
    proc = unused.proc
    assert processes_with(str(tmp_path), "couponseg.dbt_runner") == [proc.pid]
    unused.close()
    assert proc.returncode is not None
    assert processes_with(str(tmp_path), "couponseg.dbt_runner") == []

    killed = EarlyDbt.start(tmp_path / "w.duckdb.dbt")
    killed.proc.kill()
    killed.proc.wait()
    with open(tmp_path / "stderr.log", "w") as log:
        assert killed.hand_over(["--version"], dict(os.environ), tmp_path, log.fileno(),
                                log.fileno()) is None
    killed.close()


def test_a_child_started_early_takes_the_environment_and_folder_it_is_handed(tmp_path):
    """What the hand-over gives the child replaces what it started with: dbt reads the
    build's environment (its profile's settings) and runs in the build's dbt folder, with
    the build's stderr log."""
    early = EarlyDbt.start(tmp_path / "w.duckdb.dbt")
    env = {**os.environ, "DBT_PROFILES_DIR": str(tmp_path / "no-profiles-here")}
    with open(tmp_path / "stderr.log", "w") as log:
        child = early.hand_over(["debug", "--config-dir"], env, tmp_path, log.fileno(),
                                log.fileno())
    out, _ = child.communicate(timeout=120)
    assert str(tmp_path / "no-profiles-here") in out


def test_readers_during_a_build_see_the_last_good_warehouse(built, previous, other_input,
                                                            tmp_path):
    """An analyst holds the file open through a whole build of other input, and the build is
    held (SIGSTOP) while it writes its new file, so a report certainly runs during it: the
    build succeeds, the report shows the previous warehouse's numbers, the analyst keeps the
    snapshot taken before the swap, and a new session sees the new numbers."""
    old = query(previous, "select input_fingerprint from marts.run_context")
    reader = _analyst(previous)
    try:
        first = reader.stdout.readline().strip()
        # other_input is another feed (other people under the same ids): let past the check
        # that refuses it in a warehouse with history (tests/test_feed_check.py).
        proc = _start_build(other_input, previous, "--min-feed-match", "0")
        children = _build_processes(previous)
        assert children  # the build's dbt child, held below while the report runs
        for pid in children:
            os.kill(pid, signal.SIGSTOP)
        try:
            report = couponseg("report", "--warehouse", previous, "--out", tmp_path / "out")
        finally:
            for pid in children:
                os.kill(pid, signal.SIGCONT)
        assert proc.wait(timeout=300) == 0
        reader.stdin.write("\n")
        reader.stdin.flush()
        second = reader.stdout.readline().strip()
    finally:
        reader.kill()  # released even when an assertion above failed
        reader.wait(timeout=30)
    assert first == second == f"{_customers(built.warehouse)}" != "300"  # the old snapshot
    assert _customers(previous) == 300  # a new session: the new build's numbers
    assert "PDF:" in report.stdout
    title = pypdf.PdfReader(tmp_path / "out" / "dashboard.pdf").pages[0].extract_text()
    new = query(previous, "select input_fingerprint from marts.run_context")
    assert new["input_fingerprint"][0] != old["input_fingerprint"][0]
    assert old["input_fingerprint"][0] in title.replace("\n", "")
    assert f"{_customers(built.warehouse):,}" in title


def test_rerun_is_idempotent(built, two_at_once):
    """The same input built again into a new warehouse (while another build runs) gives the
    same marts, segments, campaign groups and dashboard text."""
    assert two_at_once["codes"][0] == 0, two_at_once["outcomes"][0]
    again, out = two_at_once["first"], two_at_once["out"]
    for table, key in [("marts.fct_coupon_transactions", "transaction_id"),
                       ("marts.customer_features", "customer_id"),
                       ("segments.customer_segments", "customer_id"),
                       ("segments.segment_model_selection", "algorithm, k, params"),
                       ("segments.segment_recommendations", "segment_id"),
                       ("segments.campaign_audience", "customer_id")]:  # same seed, same groups
        sql = f"select * from {table} order by {key}"
        pd.testing.assert_frame_equal(query(built.warehouse, sql), query(again, sql))
    groups = query(again, "select distinct campaign_group from segments.campaign_audience")
    assert {"treatment", "holdout"} <= set(groups["campaign_group"])  # not a vacuous check

    assert report_lines(built.out / "dashboard.pdf") == report_lines(out / "dashboard.pdf")


def test_only_released_models_tests_run_alongside_models(built):
    """couponseg/dbt_runner.py: the tests of the models marked tests_hold_up_models: false
    (the transaction-grain models and the feature mart) hold up nothing; every other test
    still holds up the models downstream of what it tests (dbt's graph with its test edges,
    as the build used it)."""
    summary = json.loads((built.warehouse.parent / f"{built.warehouse.name}.dbt" / "target"
                          / "graph_summary.json").read_text())["with_test_edges"]
    name_of = {int(k): v["name"] for k, v in summary.items()}
    successors = {v["name"]: [name_of[s] for s in v.get("succ", [])] for v in summary.values()}

    def held_up_by(test: str) -> set[str]:
        """Models reachable from the test through dbt's graph (what waits for it)."""
        seen, todo = set(), list(successors[test])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(successors[node])
        return {node for node in seen if node.startswith("model.")}

    tests = [name for name in successors if name.startswith("test.")]
    manifest = json.loads((built.warehouse.parent / f"{built.warehouse.name}.dbt" / "target"
                           / "manifest.json").read_text())["nodes"]
    released_models = {f"model.couponseg.{name}" for name in (
        "validated_transactions", "stg_transactions", "fct_coupon_transactions",
        "fct_customer_active_months", "fct_transaction_counts", "customer_features")}

    def tests_only_released(test: str) -> bool:
        node = manifest[test]
        attached = node.get("attached_node")
        tested = [attached] if attached else node["depends_on"]["nodes"]
        return all(model in released_models for model in tested)

    released = [t for t in tests if tests_only_released(t)]
    assert any("unique_fct_coupon_transactions_transaction_id" in t for t in released)
    assert any("unique_customer_features_customer_id" in t for t in released)
    assert {t: held_up_by(t) for t in released} == dict.fromkeys(released, set())
    context_test = next(t for t in tests if "not_null_int_run_context" in t)
    assert "model.couponseg.customer_features" in held_up_by(context_test)
    customers_test = next(t for t in tests if "unique_dim_customers_customer_id" in t)
    assert "model.couponseg.segment_model" in held_up_by(customers_test)
    # Tests that read the fact with other models hold up the segmentation (customer_features
    # is built after the fact, though it reads int_transactions_as_of).
    for name in ("assert_features_cover_every_customer", "assert_nothing_after_as_of",
                 "assert_marts_hold_kept_rows"):
        assert "model.couponseg.segment_model" in held_up_by(f"test.couponseg.{name}"), name


def test_folder_without_symbolic_links_still_builds(built, tmp_path, monkeypatch):
    """Some network and FAT disks refuse symbolic links: dbt then opens the new file by its
    own name (couponseg/build.py, BuildPaths.link_building). The refusal is the operating
    system's answer, given here; dbt and DuckDB are real. The warehouse must equal a normal
    build's."""
    import errno
    from pathlib import Path

    def refuse(self, target, target_is_directory=False):
        raise OSError(errno.EPERM, "Operation not permitted", str(self))

    monkeypatch.setattr(Path, "symlink_to", refuse)
    warehouse = tmp_path / "warehouse.duckdb"
    result = dbt_build(warehouse, {"as_of": ""}, report=lambda _: None,
                       env={INPUT_ENV: str(built.input)})
    assert result.success, result.failures
    assert not (tmp_path / "warehouse.duckdb.dbt" / "warehouse.duckdb").exists()
    counts = ("select (select count(*) from marts.customer_features) customers, "
              "(select count(*) from marts.fct_coupon_transactions) transactions, "
              "(select count(*) from segments.customer_segments) segmented")
    assert query(warehouse, counts).equals(query(built.warehouse, counts))
    assert not list(tmp_path.glob("warehouse.duckdb.building*"))


def test_a_write_ahead_log_left_by_a_dead_writer_does_not_outlive_the_swap(built, previous):
    """A process that wrote the warehouse and died without a checkpoint (a dbt run by hand,
    killed; a script) leaves `<warehouse>.wal`. Its write is read when the history is carried
    forward, and the log does not stay beside the new file: DuckDB refused to open a file
    with another file's log, so the build ended in a traceback and every later one was
    refused."""
    script = ("import duckdb, os, sys; con = duckdb.connect(sys.argv[1]); "
              "con.execute('insert into segments.segment_runs select * replace (99 as run_id)"
              " from segments.segment_runs limit 1'); os._exit(0)")
    subprocess.run([sys.executable, "-c", script, str(previous)], check=True)
    wal = previous.with_name(f"{previous.name}.wal")
    assert wal.exists()
    result = couponseg("build", "--input", built.input, "--warehouse", previous)
    assert "Traceback" not in result.stderr and "scored run 100" in result.stdout
    assert not wal.exists()
    runs = query(previous, "select run_id from segments.segment_runs order by run_id")
    assert runs["run_id"].tolist()[-2:] == [99, 100]  # the dead writer's run was carried


def test_nobody_writes_the_previous_warehouse_while_a_build_runs(built, previous):
    """What were written to the previous file after its history was carried forward would be
    lost in the swap: the build holds it open read-only, so a writer is refused (DuckDB's
    lock) while readers are not."""
    proc = _start_build(built.input, previous)
    try:
        script = ("import duckdb, sys\ntry:\n    duckdb.connect(sys.argv[1])\n"
                  "except duckdb.Error as exc:\n    print(exc)\n")
        writer = subprocess.run([sys.executable, "-c", script, str(previous)],
                                capture_output=True, text=True, check=True)
        reader = query(previous, "select count(*) as n from marts.customer_features")
    finally:
        assert proc.wait(timeout=300) == 0
    assert "Could not set lock" in writer.stdout, writer.stdout + writer.stderr
    assert reader["n"][0] == _customers(built.warehouse)


def test_a_killed_dbt_child_is_said_to_be_killed(built, previous):
    """dbt's process killed on its own (the out-of-memory killer, say): the previous
    warehouse stays, and the build says dbt was killed, not the last lines dbt's stderr
    happened to hold (a warning of Python's about leaked semaphores)."""
    before = _digest(previous)
    proc = _start_build(built.input, previous, stderr=subprocess.PIPE, text=True)
    for pid in _build_processes(previous):
        os.kill(pid, signal.SIGKILL)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 1
    assert "dbt's process was stopped by signal 9 (SIGKILL)" in " ".join(stderr.split()), stderr
    assert "resource_tracker" not in stderr and "Traceback" not in stderr
    assert _digest(previous) == before


def test_a_refused_build_of_a_workbook_exits_2_and_says_one_thing(built, tmp_path):
    """A workbook is checked in a thread beside the build. A build refused while that check
    still read it (here: the previous warehouse held open for writing by another program)
    printed its message, then aborted with exit 134 ("terminate called ...") or printed
    nanobind's report of leaked objects: Python exited with the thread inside DuckDB or
    pyarrow. A scheduler waiting for exit 2 to retry saw a crash."""
    from damage import read_tables, write_workbook

    workbook = write_workbook(read_tables(built.input), tmp_path / "feed.xlsx")
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse, warehouse)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys\ncon = duckdb.connect(sys.argv[1])\n"
         "print('open', flush=True)\nsys.stdin.read()", str(warehouse)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "open\n"
        for _ in range(3):  # the abort came every time; the leak report too
            result = couponseg("build", "--input", workbook, "--warehouse", warehouse,
                               check=False)
            assert result.returncode == 2, result.stderr[-2000:]
            lines = result.stderr.strip().splitlines()
            assert lines[0].startswith("couponseg: error: cannot read the previous warehouse")
            assert len(lines) == 2 and lines[1].endswith("The warehouse is unchanged."), lines
    finally:
        holder.communicate("", timeout=30)


def test_the_cli_leaves_at_once_while_a_check_still_reads(tmp_path):
    """A check of a large input can outlast the build's short wait for it (refused or
    interrupted): the CLI then leaves without Python's shutdown, which aborted with the
    thread inside DuckDB. Its output is flushed and its exit code kept."""
    script = (
        "import threading, time, duckdb\n"
        "from couponseg.cli import CHECK_THREAD, _leave_if_checking\n"
        "def scan():\n"
        "    duckdb.connect().execute('select count(*) from range(100000000000)').fetchall()\n"
        "threading.Thread(target=scan, name=CHECK_THREAD, daemon=True).start()\n"
        "time.sleep(0.5)\n"
        "print('said before leaving')\n"
        "_leave_if_checking(2)\n"
        "print('not reached')\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60, cwd=REPO)
    assert (result.returncode, result.stdout, result.stderr) == (2, "said before leaving\n", "")
