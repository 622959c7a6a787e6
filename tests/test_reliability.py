"""Atomic builds, concurrent readers and idempotent reruns."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pypdf
import pytest
from conftest import REPO, couponseg, query


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def previous(built, tmp_path):
    """A copy of a good warehouse standing in for last week's build."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse, warehouse)
    return warehouse


def test_failed_build_keeps_previous_warehouse(previous, tmp_path):
    before = _digest(previous)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 broken zip")
    result = couponseg("build", "--input", bad, "--warehouse", previous, check=False)
    assert result.returncode == 2
    assert _digest(previous) == before


def test_killed_build_keeps_previous_warehouse(built, previous):
    before = _digest(previous)
    proc = _start_build(built.input, previous, start_new_session=True)
    time.sleep(1.0)  # let dbt get into the models
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _digest(previous) == before
    assert query(previous, "select count(*) n from marts.customer_features")["n"][0] > 0
    couponseg("build", "--input", built.input, "--warehouse", previous)  # next run recovers
    assert not list(previous.parent.glob("warehouse.duckdb.building*"))


def test_build_while_an_analyst_holds_the_file(built, previous):
    reader = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time\n"
         f"con = duckdb.connect({str(previous)!r}, read_only=True)\n"
         "print(con.execute('select count(*) from marts.customer_features').fetchone()[0],"
         " flush=True)\n"
         "sys.stdin.readline()\n"
         "print(con.execute('select count(*) from marts.customer_features').fetchone()[0],"
         " flush=True)\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    first = reader.stdout.readline().strip()
    result = couponseg("build", "--input", built.input, "--warehouse", previous, check=False)
    reader.stdin.write("\n")
    reader.stdin.flush()
    second = reader.stdout.readline().strip()
    reader.wait(timeout=30)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert first == second and int(first) > 0  # the analyst keeps a consistent snapshot


def _start_build(input_path, warehouse, **popen) -> subprocess.Popen:
    """Start a real build in the background; return once it is writing its new file."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "couponseg.cli", "build", "--input", str(input_path),
         "--warehouse", str(warehouse)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **popen,
    )
    deadline = time.time() + 120
    while not list(warehouse.parent.glob(f"{warehouse.name}.building*")):
        assert time.time() < deadline and proc.poll() is None, "build never started writing"
        time.sleep(0.2)
    return proc


def test_report_during_a_build_reads_the_last_good_warehouse(built, previous, tmp_path):
    proc = _start_build(built.input, previous)
    report = couponseg("report", "--warehouse", previous, "--out", tmp_path / "out")
    assert proc.wait(timeout=300) == 0
    assert "PDF:" in report.stdout and (tmp_path / "out" / "dashboard.pdf").exists()


def test_second_concurrent_build_is_refused_clearly(built, previous):
    proc = _start_build(built.input, previous)
    second = couponseg("build", "--input", built.input, "--warehouse", previous, check=False)
    assert proc.wait(timeout=300) == 0
    assert second.returncode == 2 and "another build" in second.stderr
    assert "Traceback" not in second.stderr


def test_rerun_is_idempotent(built, tmp_path):
    again = tmp_path / "again.duckdb"
    couponseg("run", "--input", built.input, "--warehouse", again, "--out", tmp_path / "out")
    for table, key in [("marts.fct_coupon_transactions", "transaction_id"),
                       ("marts.customer_features", "customer_id"),
                       ("segments.customer_segments", "customer_id"),
                       ("segments.segment_model_selection", "algorithm, k, params"),
                       ("segments.segment_recommendations", "segment_id")]:
        sql = f"select * from {table} order by {key}"
        pd.testing.assert_frame_equal(query(built.warehouse, sql), query(again, sql))

    def text(pdf):
        pages = [p.extract_text() for p in pypdf.PdfReader(pdf).pages]
        return [line for page in pages for line in page.splitlines()
                if not line.startswith("Generated:")]

    assert text(built.out / "dashboard.pdf") == text(tmp_path / "out" / "dashboard.pdf")
