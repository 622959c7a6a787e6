"""Run ``dbt build`` (in a child process) into a new warehouse file; swap it in on success.

A failed, interrupted or killed build therefore leaves the previous warehouse (and anyone
reading it) untouched: the new file is built beside it and renamed over it atomically.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from couponseg.segment_runs import carry_forward
from models_py.paths import DBT_PROJECT_DIR, PROFILES_DIR

BUILD_SUFFIX = ".building"


@dataclass
class BuildResult:
    """Outcome of one build: success, the nodes that failed, and the final path."""

    success: bool
    warehouse: Path
    failures: list[str] = field(default_factory=list)
    nodes: int = 0


@contextmanager
def _build_lock(warehouse: Path):
    """One build per warehouse at a time. The lock dies with its process, so a killed build
    never blocks the next one; the half-built file it left is simply overwritten."""
    lock_path = warehouse.with_name(f"{warehouse.name}.lock")
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BuildLocked(
                f"another build of {warehouse} is running; wait for it to finish"
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class BuildLocked(RuntimeError):
    """A second build of the same warehouse was started while one is running."""


def _clean_message(message: str) -> str:
    """The user-facing part of a dbt error: our InputError text when there is one."""
    found = re.search(r"InputError: (.+)", message or "")
    if found:
        return found.group(1).strip()
    lines = [ln.strip() for ln in (message or "").splitlines() if ln.strip()]
    return " ".join(lines[:6])


def _stream(command: list[str], env: dict[str, str], cwd: Path,
            report: Callable[[str], None]) -> tuple[int, list[str]]:
    """Run dbt, passing its per-node progress lines on as they come; return the exit code
    and dbt's error lines (for failures that happen before any node runs)."""
    errors: deque[str] = deque(maxlen=12)
    with subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, bufsize=1) as proc:
        for raw in proc.stdout:
            line = ANSI.sub("", raw.rstrip())
            if PROGRESS.search(line):
                report("  " + line.split("  ", 1)[-1].strip())
            elif line.strip() and ("rror" in line or errors):
                errors.append(line.split("  ", 1)[-1].strip())
        return proc.wait(), list(errors)


ANSI = re.compile(r"\x1b\[[0-9;]*m")
PROGRESS = re.compile(r"\d+ of \d+ (OK|PASS|ERROR|FAIL|WARN|SKIP)")


def dbt_build(
    warehouse: Path,
    dbt_vars: dict[str, object],
    report: Callable[[str], None] = print,
    select: str | None = None,
    env: dict[str, str] | None = None,
) -> BuildResult:
    """Build every model and test into a new file, then swap it in over ``warehouse``.

    dbt runs in a child process so that every DuckDB handle is closed (and the file fully
    checkpointed) before the swap; a killed child leaves only a stale temporary file.
    """
    warehouse = Path(warehouse).resolve()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(warehouse):
        return _locked_build(warehouse, dbt_vars, report, select, env or {})


def _locked_build(warehouse: Path, dbt_vars: dict[str, object],
                  report: Callable[[str], None], select: str | None,
                  extra_env: dict[str, str]) -> BuildResult:
    # dbt re-parses the whole project (~3 s) whenever its profile changes, and the profile
    # holds the database path. So dbt runs in the warehouse's folder with a relative path of
    # a fixed name (not per process): the profile is the same for every warehouse with the
    # same file name, wherever it lives. The lock guarantees nobody else is writing it.
    building = warehouse.with_name(f"{warehouse.name}{BUILD_SUFFIX}")
    building.unlink(missing_ok=True)
    Path(f"{building}.wal").unlink(missing_ok=True)
    env = {**os.environ, **extra_env, "COUPONSEG_WAREHOUSE": building.name,
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    command = [sys.executable, "-m", "couponseg.dbt_runner", "build",
               "--project-dir", str(DBT_PROJECT_DIR),
               "--profiles-dir", str(PROFILES_DIR), "--vars", json.dumps(dbt_vars)]
    if select:
        command += ["--select", select]
    # Unit tests check the SQL logic on fixed text fixtures; like dbt recommends, they run in
    # development and CI (tests/test_dbt_unit_tests.py), not in every production build, where
    # typed Parquet input would not accept their text fixtures.
    command += ["--exclude-resource-type", "unit_test"]
    try:
        carry_forward(warehouse, building)  # segment models and history outlive the swap
        (DBT_PROJECT_DIR / "target" / "run_results.json").unlink(missing_ok=True)
        code, errors = _stream(command, env, building.parent, report)
        results = _run_results()
        failures = _failures(results)
        if code == 0 and not failures:
            os.replace(building, warehouse)
            return BuildResult(True, warehouse, nodes=len(results))
        return BuildResult(False, warehouse, failures or errors or [f"dbt exited with {code}"])
    finally:
        building.unlink(missing_ok=True)
        Path(f"{building}.wal").unlink(missing_ok=True)


def _run_results() -> list[dict]:
    path = DBT_PROJECT_DIR / "target" / "run_results.json"
    try:
        return json.loads(path.read_text())["results"]
    except (OSError, ValueError, KeyError):
        return []


def _failures(results: list[dict]) -> list[str]:
    return [
        f"{r['unique_id'].split('.')[-1] if '.' in r['unique_id'] else r['unique_id']}: "
        f"{_clean_message(r.get('message') or '')}"
        for r in results
        if r.get("status") in ("error", "fail", "runtime error")
    ]
