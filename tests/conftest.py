"""Shared fixtures: generated inputs and warehouses built by the real CLI (real dbt, DuckDB,
Chromium). Session-scoped, because a build takes seconds; tests only read them."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pypdf
import pytest

from couponseg.build import (
    DBT_DATABASE_NAME,
    PARSE_CACHE_NAME,
    build_parse_cache,
    take_parse_cache,
)
from couponseg.cli import build_vars, parser
from couponseg.dbt_environment import CHANGES_THE_DATA
from couponseg.generate import generate
from models_py.loader import INPUT_ENV
from models_py.paths import DBT_PROJECT_DIR, PROFILES_DIR, WAREHOUSE_ENV

REPO = Path(__file__).resolve().parent.parent
REAL_WORKBOOK = REPO.parent / "shared" / "data" / "E-commerce_data.xlsx"
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
# The tests pass this environment to every build. Settings a developer's shell may hold from
# hand-run dbt or couponseg (README: `export COUPONSEG_INPUT=...`) would change what the
# tests build, or make every build refuse to start: they are not the tests' to inherit.
for _option in CHANGES_THE_DATA:
    os.environ.pop(f"DBT_{_option}", None)
    os.environ.pop(f"DBT_ENGINE_{_option}", None)
os.environ.pop(INPUT_ENV, None)


def couponseg(*args: str, check: bool = True, timeout: float = 600,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the real console command in a child process (``env``: variables added to ours)."""
    result = subprocess.run(
        [sys.executable, "-m", "couponseg.cli", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, cwd=REPO,
        env={**os.environ, **(env or {})},
    )
    if check and result.returncode != 0:
        raise AssertionError(f"couponseg {' '.join(map(str, args))} failed:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def dbt_on_copy(warehouse: Path, *args: str, input_path: Path, target: Path,
                timeout: float = 600, other_vars: dict | None = None
                ) -> subprocess.CompletedProcess:
    """`dbt <args>` by hand on ``warehouse``, a copy of a built one that must be named
    warehouse.duckdb: run from its folder, with the input by environment and the vars of a
    weekly build, dbt sees the profile and vars the builds see and reuses their parse cache
    (couponseg/build.py) instead of parsing the whole project again."""
    assert warehouse.name == DBT_DATABASE_NAME, warehouse
    env = {**os.environ, WAREHOUSE_ENV: DBT_DATABASE_NAME, INPUT_ENV: str(input_path),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    dbt_vars = {**build_vars(parser().parse_args(["build"])), **(other_vars or {})}
    local = warehouse.parent / PARSE_CACHE_NAME
    reuse = (["--partial-parse-file-path", str(local)]
             if take_parse_cache(build_parse_cache(dbt_vars), local) else [])
    command = [str(Path(sys.executable).parent / "dbt"), *args, "--project-dir",
               str(DBT_PROJECT_DIR), "--profiles-dir", str(PROFILES_DIR), "--target-path",
               str(target), "--vars", json.dumps(dbt_vars), *reuse]
    return subprocess.run(command, cwd=warehouse.parent, env=env, capture_output=True,
                          text=True, timeout=timeout)


def report_lines(pdf: Path) -> list[str]:
    """A dashboard PDF's text, line by line, without its "Generated:" line (the minute it was
    rendered), so two reports of the same tables compare equal."""
    pages = [page.extract_text() for page in pypdf.PdfReader(pdf).pages]
    return [line for page in pages for line in page.splitlines()
            if not line.startswith("Generated:")]


def query(warehouse: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).df()


def sigkill_and_wait(proc: subprocess.Popen, survivors: Callable[[], list[int]],
                     timeout: float = 10) -> list[int]:
    """SIGKILL ``proc`` alone (not its group), reap it, then give what it started up to
    ``timeout`` s to die with it; return the pids ``survivors()`` still finds."""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.time() + timeout
    while (left := survivors()) and time.time() < deadline:
        time.sleep(0.1)
    return left


def _raw_command_line(pid: int | str) -> bytes:
    """A process's command line as the kernel keeps it (each argument ended by NUL), read
    from /proc (psutil is not installed); empty when it has ended or is a zombie."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def command_line(pid: int | str) -> list[str]:
    """A process's arguments (one string where a process rewrote its title, as Chromium's
    helpers do); none when it has ended."""
    raw = _raw_command_line(pid).decode(errors="replace")
    return raw.removesuffix("\0").split("\0") if raw else []


def processes_with(*markers: str) -> list[int]:
    """Pids whose command line contains every one of ``markers`` (``"\\0123\\0"`` matches a
    last argument 123). A zombie's command line is empty, so the dead are never found."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        raw = _raw_command_line(entry)
        if all(marker.encode() in raw for marker in markers):
            found.append(int(entry))
    return found


@dataclass
class Built:
    """An input and what the CLI built from it."""

    input: Path
    warehouse: Path
    out: Path
    stdout: str


def _built_once(tmp_path_factory, name: str, make: Callable[[Path], Built]) -> Built:
    """``make(folder)`` once for the whole test run. Under `make test` each pytest-xdist
    worker has its own session, so each would build the shared warehouses itself: the first
    builds under a lock, the others wait and read the same files (tests only read them)."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return make(tmp_path_factory.mktemp(name))
    root = tmp_path_factory.getbasetemp().parent  # shared by the workers of this run
    folder, record = root / name, root / f"{name}.json"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if record.exists():
            fields = json.loads(record.read_text())
            return Built(Path(fields["input"]), Path(fields["warehouse"]), Path(fields["out"]),
                         fields["stdout"])
        shutil.rmtree(folder, ignore_errors=True)  # what a failed attempt left
        folder.mkdir()
        done = make(folder)
        record.write_text(json.dumps({"input": str(done.input), "warehouse": str(done.warehouse),
                                      "out": str(done.out), "stdout": done.stdout}))
        return done


def _run(source: Path, work: Path) -> Built:
    # Run from an analyst's shell, with the README's DBT_TARGET=reader (the read-only target
    # of mf and the docs) still exported: the build must write through its own target anyway.
    warehouse, out = work / "warehouse.duckdb", work / "output"
    result = couponseg("run", "--input", source, "--warehouse", warehouse, "--out", out,
                       env={"DBT_TARGET": "reader"})
    return Built(source, warehouse, out, result.stdout)


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Built:
    """`couponseg run` on generated data (1,200 customers with planted archetypes, a seed
    the sample does not use): its input, warehouse and dashboard."""
    def make(work: Path) -> Built:
        generate(work / "input", customers=1200, seed=7)
        return _run(work / "input", work)
    return _built_once(tmp_path_factory, "built", make)


@pytest.fixture(scope="session")
def generated(built) -> Path:
    """The generated input of ``built``."""
    return built.input


@pytest.fixture(scope="session")
def real_built(tmp_path_factory) -> Built:
    """`couponseg run` on the real workbook, when it is beside the repository."""
    if not REAL_WORKBOOK.exists():
        pytest.skip(f"real workbook not present at {REAL_WORKBOOK}")
    return _built_once(tmp_path_factory, "real", lambda work: _run(REAL_WORKBOOK, work))


REAL_AS_OF = "2024-04-30"


@pytest.fixture(scope="session")
def real_as_of(tmp_path_factory) -> Built:
    """`couponseg build --as-of 2024-04-30` of the real workbook (the shipped sample when the
    workbook is not beside the repository): a point in time, three months before the last
    claim. test_as_of compares it with a build of the input cut at that date; test_campaigns
    measures its campaign audience on what happened after it."""
    source = REAL_WORKBOOK if REAL_WORKBOOK.exists() else REPO / "data" / "sample"

    def make(work: Path) -> Built:
        warehouse = work / "warehouse.duckdb"
        result = couponseg("build", "--input", source, "--as-of", REAL_AS_OF,
                           "--warehouse", warehouse)
        return Built(source, warehouse, work / "output", result.stdout)
    return _built_once(tmp_path_factory, "real_as_of", make)


# The files that build most, slowest first (seconds each in bench/make_test_1ed5824.md).
# `make test` hands whole files to its workers in collection order, so these go first: a
# long file started last would leave the other worker idle while it finishes.
LONGEST_FIRST = ("test_segment_model.py", "test_feed_check.py", "test_reliability.py",
                 "test_spark.py", "test_bad_input.py", "test_fast_checks.py",
                 "test_campaigns.py", "test_parse_caches.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest files first (``LONGEST_FIRST``), the rest in their usual order."""
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)
    items.sort(key=rank)  # stable: the order within a file and among the rest is kept
