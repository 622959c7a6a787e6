"""Run ``dbt build`` (in a child process) into a new warehouse file; swap it in on success.

A failed, interrupted or killed build therefore leaves the previous warehouse (and anyone
reading it) untouched: the new file is built beside it and renamed over it atomically.

Whoever writes holds the lock: the dbt child inherits the build's lock, so even a child
orphaned by a killed CLI keeps a second build out until it is gone; and on Linux the child is
killed with its parent (``PR_SET_PDEATHSIG``), so a SIGKILL of the CLI stops the build.

Each warehouse has its own dbt folder beside it (``<warehouse>.dbt/``: target and logs of its
last build), so two builds of different warehouses never share ``run_results.json``. They
share dbt's parse caches (``dbt_project/target/parse_caches/``): one per set of dbt vars and
profile settings, because dbt re-parses everything when either differs from its cache's. A
build reads the cache of its own settings and replaces it atomically afterwards, so an
``--as-of`` or ``--retrain`` build neither pays for nor spoils the weekly build's cache.

dbt re-parses the whole project (~8 s of a 25 s build of the sample) whenever its profile
changes, and the profile holds the database path. So dbt never sees the warehouse's own
name: it runs in the dbt folder and opens ``warehouse.duckdb`` there, a symbolic link to
the new file. Every build of every warehouse then has the same profile, and one parse cache
serves them all.

The new file is ``<warehouse>.building/warehouse.duckdb``, in a folder of its own beside the
warehouse (so the final rename stays on one disk), and never ``<warehouse>.building``: DuckDB
names a database after its file, up to the first dot, and follows a symbolic link to a file
that already exists, as the new file does once the segment history is carried into it. A new
file named after the warehouse (``weekly.duckdb.building``: database ``weekly``) would not be
the ``warehouse`` database dbt's SQL names, and every rebuild of a warehouse not itself
called ``warehouse.*`` failed ('"warehouse" is not a catalog or schema').
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from couponseg import audit_summary
from couponseg.audit_summary import Audit
from couponseg.dbt_early import RUNNER_MODULE, EarlyDbt
from couponseg.dbt_runner import DBT_ERROR, TRAIN_EARLY_ENV
from couponseg.segment_runs import carried_and_held
from models_py.flags import is_true
from models_py.paths import DBT_PROJECT_DIR, PROFILES_DIR, WAREHOUSE_ENV, dbt_folder
from models_py.processes import die_with_parent
from models_py.profile import env_vars_read
from models_py.warehouse_file import TARGET

BUILD_SUFFIX = ".building"
DUCKDB_LOGS = (".wal", ".wal.checkpoint", ".wal.recovery")  # what DuckDB writes beside a file
DBT_DATABASE_NAME = "warehouse.duckdb"  # the one name dbt opens (see the module docstring)
PARSE_CACHES = DBT_PROJECT_DIR / "target" / "parse_caches"
PARSE_CACHE_NAME = "partial_parse.msgpack"  # what dbt writes into its target path
KEPT_PARSE_CACHES = 16  # the most recently used settings keep their cache (~2 MB each)

# The environment variables the profile's DuckDB output reads: dbt's parse cache records the
# rendered output, and only the one it runs. The Spark output's settings (its folder, its
# master) do not key a DuckDB build's cache: with them, a shell that set COUPONSEG_SPARK_DIR
# for a Spark build cost the next DuckDB build a full parse (about 5 s), once per folder.
PROFILE_ENV = env_vars_read()


@dataclass
class BuildResult:
    """Outcome of one build: success, the nodes that failed, and the final path."""

    success: bool
    warehouse: Path
    failures: list[str] = field(default_factory=list)
    nodes: int = 0
    audit: Audit | None = None  # a failed build's audit, read before its file is discarded


@dataclass(frozen=True)
class BuildPaths:
    """Every path one build of ``warehouse`` touches."""

    warehouse: Path  # the previous build (if any), replaced only on success
    building: Path  # the new file dbt writes, always named DBT_DATABASE_NAME (docstring)
    dbt_dir: Path  # dbt's target and logs for this warehouse

    @classmethod
    def of(cls, warehouse: Path) -> BuildPaths:
        folder = warehouse.with_name(f"{warehouse.name}{BUILD_SUFFIX}")
        return cls(warehouse, folder / DBT_DATABASE_NAME, dbt_folder(warehouse))

    @property
    def target(self) -> Path:
        return self.dbt_dir / "target"

    @property
    def link(self) -> Path:
        """The fixed name dbt opens: a link to ``building`` in the dbt folder."""
        return self.dbt_dir / DBT_DATABASE_NAME

    @property
    def parse_cache(self) -> Path:
        """This build's own copy of the shared parse cache, the one dbt reads."""
        return self.dbt_dir / "partial_parse.msgpack"

    @property
    def run_results(self) -> Path:
        return self.target / "run_results.json"

    @property
    def logs(self) -> Path:
        return self.dbt_dir / "logs"

    def discard_building(self) -> None:
        """Remove what a build leaves behind: the new file's folder (with DuckDB's
        write-ahead log and spill folder) and anything beside the link. A killed build's log
        matters most: it would be replayed into the next build's new file."""
        folder = self.building.parent
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder)
        else:  # a file of that name, left by a build of an earlier version
            folder.unlink(missing_ok=True)
        for suffix in ("", *DUCKDB_LOGS):
            Path(f"{self.link}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(Path(f"{self.link}.tmp"), ignore_errors=True)

    def retire_previous_wal(self) -> None:
        """Move the previous warehouse's write-ahead log (left by a process that wrote it
        and died without a checkpoint: a dbt run by hand, a script) into the building folder,
        discarded after the swap. Its changes were read with the file when the history was
        carried forward; beside the new file it would make DuckDB refuse to open it."""
        for suffix in DUCKDB_LOGS:
            stale = Path(f"{self.warehouse}{suffix}")
            if stale.exists():
                os.replace(stale, self.building.parent / f"previous{suffix}")

    def prepare_building(self) -> None:
        """An empty folder for the new file (after ``discard_building``)."""
        self.building.parent.mkdir()

    def link_building(self) -> str:
        """Link the fixed name to ``building``; return the path dbt should open. Where the
        folder takes no symbolic links (some network and FAT disks), dbt opens the building
        file itself: a full parse per build, the same warehouse."""
        self.dbt_dir.mkdir(parents=True, exist_ok=True)
        try:  # absolute: the dbt folder may itself be a link to another disk
            self.link.symlink_to(self.building)
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS):
                raise
            return str(self.building)
        return DBT_DATABASE_NAME


def run_results_path(warehouse: Path) -> Path:
    """dbt's run_results.json of the last build of ``warehouse`` (for the benchmark)."""
    return BuildPaths.of(Path(warehouse).resolve()).run_results


def dbt_log_path(warehouse: Path) -> Path:
    """dbt's log of the builds of ``warehouse`` (named in the message of a failed build)."""
    return BuildPaths.of(Path(warehouse).resolve()).logs / "dbt.log"


def will_train(carried: list[str], dbt_vars: dict[str, object]) -> bool:
    """Whether the build is sure to train a segment model: no stored model came with the
    previous warehouse (a first build), or a retrain was asked for. Other reasons to train
    (changed features or settings) are found only inside dbt; those builds start the
    training child when they need it, a second later."""
    return "segment_model" not in carried or is_true(dbt_vars.get("segment_retrain"))


class BuildLocked(RuntimeError):
    """A second build of the same warehouse was started while one is running."""


@contextmanager
def _build_lock(warehouse: Path) -> Iterator[int]:
    """One build per warehouse at a time; yields the lock's file descriptor, which the dbt
    child inherits, so the lock lasts as long as any process of the build is alive. It dies
    with them, so a killed build never blocks the next one."""
    lock_path = warehouse.with_name(f"{warehouse.name}.lock")
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BuildLocked(
                f"another build of {warehouse} is running; wait for it to finish"
            ) from exc
        try:
            yield handle.fileno()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def dbt_build(
    warehouse: Path,
    dbt_vars: dict[str, object],
    report: Callable[[str], None] = print,
    env: dict[str, str] | None = None,
    abort: Future | None = None,
    early: EarlyDbt | None = None,
) -> BuildResult:
    """Build every model and test into a new file, then swap it in over ``warehouse``.

    dbt runs in a child process so that every DuckDB handle is closed (and the file fully
    checkpointed) before the swap; a killed child leaves only a stale temporary file.
    ``abort``: a check running beside the build (the CLI's input check); if it raises,
    dbt is killed and the build fails, leaving the previous warehouse as it was.
    ``early``: a dbt child started ahead (couponseg/dbt_early.py), which runs this build's
    dbt if it is still alive; its caller closes it if it is left unused.
    """
    paths = BuildPaths.of(Path(warehouse).resolve())
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(paths.warehouse) as lock_fd:
        paths.discard_building()
        paths.prepare_building()
        # Steps that carry state from the previous warehouse (paths.warehouse, may not exist)
        # into the new one (paths.building) belong here, before dbt starts.
        try:
            # models and history copied, and the previous file held until the swap
            with carried_and_held(paths.warehouse, paths.building) as carried:
                database = paths.link_building()
                extra_env = {**(env or {}), WAREHOUSE_ENV: database,
                             **({TRAIN_EARLY_ENV: "1"} if will_train(carried, dbt_vars)
                                else {})}
                return _run_dbt(paths, dbt_vars, report, extra_env, lock_fd, abort, early)
        finally:
            paths.discard_building()


def _run_dbt(paths: BuildPaths, dbt_vars: dict[str, object], report: Callable[[str], None],
             extra_env: dict[str, str], lock_fd: int, abort: Future | None,
             early: EarlyDbt | None = None) -> BuildResult:
    paths.target.mkdir(parents=True, exist_ok=True)
    # Only what this run writes counts: dbt leaves the parse cache alone when nothing changed,
    # and an older copy here must not replace a newer shared one.
    for stale in (paths.run_results, paths.target / PARSE_CACHE_NAME,
                  paths.dbt_dir / "stderr.log"):
        stale.unlink(missing_ok=True)
    env = _environment(paths, extra_env)
    # Where the disk takes no symbolic links dbt opens the building file by its own path,
    # a profile of this warehouse alone: it parses fully and its parse is not kept.
    linked = env.get(WAREHOUSE_ENV) == DBT_DATABASE_NAME
    shared = parse_cache_for(dbt_vars, env)
    has_cache = linked and take_parse_cache(shared, paths.parse_cache)
    def aborted() -> bool:  # the check beside the build stopped it
        return abort is not None and abort.done() and abort.exception() is not None

    code, errors = _dbt_once_more_if_its_parse_cache_fails(
        lambda cached: _stream(_dbt_args(paths, dbt_vars, cached), env, paths, report,
                               lock_fd, abort, early), has_cache, paths, report, aborted)
    if linked and not aborted():  # a killed dbt may have left its cache half written
        _publish_parse_cache(paths.target / PARSE_CACHE_NAME, shared)
    results = _run_results(paths.run_results)
    failures = describe_failures((r["unique_id"], r.get("status") or "",
                                  r.get("message") or "") for r in results)
    if abort is not None and abort.exception() is not None:  # waits for the check to end
        return BuildResult(False, paths.warehouse, [f"stopped: {abort.exception()}"])
    if code == 0 and not failures:
        paths.retire_previous_wal()
        os.replace(paths.building, paths.warehouse)
        return BuildResult(True, paths.warehouse, nodes=built_nodes(results))
    return BuildResult(False, paths.warehouse,
                       failures or errors or [f"dbt exited with {code}"],
                       audit=audit_summary.read(paths.building))


# How the on-run-start check of the vars (dbt_project/macros/settings.sql) opens its error:
# dbt stops before any node then too, but a fresh parse would only fail the same way.
INVALID_VARS = "Invalid dbt vars"


def _dbt_once_more_if_its_parse_cache_fails(
        run: Callable[[bool], tuple[int, list[str], bool]], has_cache: bool,
        paths: BuildPaths, report: Callable[[str], None],
        aborted: Callable[[], bool] = lambda: False) -> tuple[int, list[str]]:
    """``run(has_cache)``; when dbt stopped on an error before starting any node while it
    read the saved parse, ``run(False)`` once more, from a fresh parse. dbt's partial parsing
    misses some edits of the project (dbt 1.11 keeps the unit test of a model removed
    together with its properties and data tests, then refuses every build), and the cache
    would go on failing every build until deleted by hand. Nothing was built, so the new
    file is as the build prepared it. A real error in the project fails the fresh parse too,
    and is reported from it."""
    code, errors, started = run(has_cache)
    if (not has_cache or code != DBT_ERROR or started or paths.run_results.exists()
            or aborted() or any(INVALID_VARS in error for error in errors)):
        return code, errors
    report(f"dbt stopped while reusing its saved parse of the project ({_first_error(errors)});"
           " parsing it afresh")
    for stale in (paths.parse_cache, paths.target / PARSE_CACHE_NAME):
        stale.unlink(missing_ok=True)
    code, errors, _ = run(False)
    return code, errors


def is_hook(unique_id: str) -> bool:
    """A project hook's run result (the on-run-start check of the vars), not a node anyone
    built: left out of the count of models, seeds and tests on both engines."""
    return unique_id.startswith("operation.")


def built_nodes(results: list[dict]) -> int:
    """The models, seeds and tests a build ran: its run results without the hooks."""
    return sum(not is_hook(r["unique_id"]) for r in results)


def _first_error(errors: list[str]) -> str:
    """dbt's error in one line, without the "Encountered an error:" that opens it."""
    lines = [line.strip() for error in errors for line in error.splitlines()]
    said = [line for line in lines if line and line != "Encountered an error:"]
    return " ".join(said)[:200] or "no message"


def _environment(paths: BuildPaths, extra_env: dict[str, str]) -> dict[str, str]:
    # dbt runs in the dbt folder and opens the link of a fixed name (module docstring), so
    # the profile is the same for every warehouse. The lock guarantees nobody else is
    # writing it. logs/dbt.log keeps dbt's info lines (each node, each failure); the debug
    # lines (every SQL statement) cost about a fifth of a small build to produce, so they are
    # written only when DBT_LOG_LEVEL_FILE=debug asks for them (couponseg/dbt_overhead.py).
    return {"DBT_LOG_LEVEL_FILE": "info", **os.environ, **extra_env,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}


def _dbt_args(paths: BuildPaths, dbt_vars: dict[str, object], has_cache: bool) -> list[str]:
    return [
        "build",
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(PROFILES_DIR),
        # The writing target by name: an analyst's DBT_TARGET=reader (README, "Metrics") left
        # in the shell would otherwise open the new warehouse read-only and fail the build.
        "--target", TARGET, "--vars", json.dumps(dbt_vars),
        "--target-path", str(paths.target), "--log-path", str(paths.logs),
        # Structured events on stdout (parsed below); the log file stays readable.
        "--log-format", "json", "--log-format-file", "debug", "--no-use-colors",
        # Unit tests check the SQL logic on fixed text fixtures; like dbt recommends, they
        # run in development and CI (tests/test_dbt_unit_tests.py), not in every production
        # build, where typed Parquet input would not accept their text fixtures.
        "--exclude-resource-type", "unit_test",
        # dbt refuses a parse-cache path that does not exist (a fresh clone has none yet):
        # then it parses fully and writes its cache into the target path, published below.
        *(["--partial-parse-file-path", str(paths.parse_cache)] if has_cache else []),
    ]


def parse_cache_for(dbt_vars: dict[str, object], env: dict[str, str]) -> Path:
    """The shared parse cache of builds with these dbt vars and this profile (the values of
    the environment variables profiles.yml reads, the warehouse name dbt opens among them)."""
    settings = [dbt_vars, {name: env.get(name) for name in PROFILE_ENV}]
    key = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    return PARSE_CACHES / f"partial_parse.{key.hexdigest()[:16]}.msgpack"


def build_parse_cache(dbt_vars: dict[str, object]) -> Path:
    """The shared parse cache a build with these vars reads and replaces in this process's
    environment (dbt opening the linked warehouse name): for dbt run by hand as a build."""
    return parse_cache_for(dbt_vars, {**os.environ, WAREHOUSE_ENV: DBT_DATABASE_NAME})


def take_parse_cache(shared: Path, copy: Path) -> bool:
    """Copy the shared parse cache for this build alone: dbt refuses a cache path that is
    gone when it starts, and another build may replace (or a user delete) the shared one
    between our look and dbt's."""
    copy.unlink(missing_ok=True)
    try:
        shutil.copyfile(shared, copy)
    except OSError:  # none yet for these settings (a fresh clone): dbt parses fully
        return False
    with contextlib.suppress(OSError):
        os.utime(shared)  # recently used: kept when old caches are removed
    return True


def _publish_parse_cache(written: Path, shared: Path) -> None:
    """Make this build's parse cache the shared one of its settings. dbt writes it in place
    (not atomically) into the target path, so it goes to a temporary name first and is
    renamed: a build starting meanwhile reads either the old cache or the new one, never
    half of one. Only the most recently used ``KEPT_PARSE_CACHES`` stay."""
    if not written.exists():
        return
    staged = None
    try:
        shared.parent.mkdir(parents=True, exist_ok=True)
        handle, staged = tempfile.mkstemp(dir=shared.parent, prefix=f".{shared.name}.")
        os.close(handle)  # a name no other process (or container) can be given
        shutil.copyfile(written, staged)
        os.replace(staged, shared)
    except OSError:  # a read-only checkout: dbt then parses fully every time
        if staged:
            Path(staged).unlink(missing_ok=True)
        return
    _remove_old_parse_caches(shared.parent)


def _remove_old_parse_caches(folder: Path, now: float | None = None) -> None:
    """Keep the ``KEPT_PARSE_CACHES`` most recently used caches; remove copies a killed
    build left half-published (an hour old: no publication takes that long)."""
    def used(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:  # removed meanwhile by another build
            return 0.0

    caches = sorted(folder.glob("partial_parse.*.msgpack"), key=used, reverse=True)
    now = time.time() if now is None else now
    stale = [p for p in folder.glob(".partial_parse.*") if 0 < used(p) < now - 3600]
    for old in [*caches[KEPT_PARSE_CACHES:], *stale]:
        old.unlink(missing_ok=True)


def _stream(dbt_args: list[str], env: dict[str, str], paths: BuildPaths,
            report: Callable[[str], None], lock_fd: int,
            abort: Future | None = None,
            early: EarlyDbt | None = None) -> tuple[int, list[str], bool]:
    """Run dbt, passing its per-node results on as they come; return the exit code, dbt's
    error events (for failures that happen before any node runs) and whether any node
    started. dbt's stderr is added to the build's stderr.log. dbt runs in ``early`` if
    that child is still waiting (a second attempt finds it taken and starts a new one)."""
    errors: deque[str] = deque(maxlen=12)
    started = False
    stderr_path = paths.dbt_dir / "stderr.log"
    with open(stderr_path, "a") as stderr:
        offset = stderr.tell()  # this attempt's part of the log starts here
        proc = early and early.hand_over(dbt_args, env, paths.dbt_dir, lock_fd,
                                         stderr.fileno())
        proc = proc or subprocess.Popen(
            [sys.executable, "-m", RUNNER_MODULE, *dbt_args], env=env, cwd=paths.dbt_dir,
            stdout=subprocess.PIPE, stderr=stderr, text=True, bufsize=1, pass_fds=(lock_fd,),
            preexec_fn=die_with_parent())
    with proc:
        if abort is not None:  # its children (training) die with it: die_with_parent
            abort.add_done_callback(lambda done: done.exception() is None or proc.kill())
        for line in proc.stdout:
            event = _event(line)
            if event is None:
                continue
            info, data = event["info"], event.get("data") or {}
            started = started or "node_info" in data
            if _is_node_result(info, data):
                report("  " + _progress_line(data))
            elif info.get("level") == "error" and info.get("msg"):
                errors.append(str(info["msg"]).strip())
        code = proc.wait()
    if code < 0:  # killed by a signal: what it last wrote is no reason (Python's warnings)
        errors.append(f"dbt's process was stopped by {_signal_name(-code)}, not by an error "
                      "of its own")
    elif code != 0 and not errors:
        errors.extend(_tail(stderr_path, offset=offset))
    return code, list(errors), started


def _signal_name(number: int) -> str:
    try:
        return f"signal {number} ({signal.Signals(number).name})"
    except ValueError:
        return f"signal {number}"



def _event(line: str) -> dict | None:
    """One dbt event from a ``--log-format json`` line (None for anything else on stdout,
    such as a print from a Python model)."""
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) and isinstance(event.get("info"), dict) else None


def _is_node_result(info: dict, data: dict) -> bool:
    """LogModelResult, LogTestResult, LogSeedResult, ...: a node has finished."""
    name = str(info.get("name", ""))
    return name.startswith("Log") and name.endswith("Result") and "node_info" in data


def _progress_line(data: dict) -> str:
    node = data["node_info"]
    total = data.get("total") or data.get("num_models") or "?"
    seconds = data.get("execution_time")
    timing = f" ({seconds:.2f} s)" if isinstance(seconds, (int, float)) else ""
    status = str(data.get("status") or node.get("node_status") or "").upper()
    schema = (node.get("node_relation") or {}).get("schema")
    name = node.get("node_name", "")
    where = f"{schema}.{name}" if schema and node.get("resource_type") != "test" else name
    return (f"{data.get('index', '?')} of {total} {status} "
            f"{node.get('resource_type', 'node')} {where}{timing}")


def _tail(path: Path, lines: int = 6, offset: int = 0) -> list[str]:
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            text = handle.read().decode(errors="replace")
    except OSError:
        return []
    return [ln.strip() for ln in text.splitlines() if ln.strip()][-lines:]


def _run_results(path: Path) -> list[dict]:
    try:
        return json.loads(path.read_text())["results"]
    except (OSError, ValueError, KeyError):
        return []


MESSAGE_CHARS = 400  # of a failure's message when it is not our InputError (a Java trace)
# What a check's raise_error macro (macros/cross_db.sql) stopped the query with, after its
# marker; Spark appends the SQL state.
RAISED = re.compile(r"couponseg check: (.+?)(?: SQLSTATE: \w+)?$", re.MULTILINE)


def _clean_message(message: str) -> str:
    """The user-facing part of a node's message: our InputError text, or the words a check
    raised (whole: they say what to do), when there is one."""
    found = re.search(r"InputError: (.+)", message or "") or RAISED.search(message or "")
    if found:
        return found.group(1).strip()
    lines = [ln.strip() for ln in (message or "").splitlines() if ln.strip()]
    if lines and "Traceback (most recent call last)" in message:
        return f"Python model failed: {lines[-1]}"[:MESSAGE_CHARS]  # the exception itself
    return " ".join(lines[:6])[:MESSAGE_CHARS]


def node_name(unique_id: str) -> str:
    """``test.couponseg.not_null_x.1a2b3c`` -> ``not_null_x`` (the name, not the hash)."""
    parts = unique_id.split(".")
    return parts[2] if len(parts) > 2 else unique_id


def describe_failures(results: Iterable[tuple[str, str, str]]) -> list[str]:
    """One line per failed node of ``(unique_id, status, message)`` results, on either
    engine: failed tests first (a failed test usually names the cause), then errors of
    models, each by name with the user-facing part of its message."""
    failed = [(uid, message) for uid, status, message in results
              if status in ("error", "fail", "runtime error")]
    failed.sort(key=lambda item: not item[0].startswith("test."))
    return [f"{node_name(uid)}: {_clean_message(message)}" for uid, message in failed]
