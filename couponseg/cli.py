"""``couponseg``: generate data, build the warehouse, render the dashboard.

Exit codes: 0 success, 1 the build or its tests failed, 2 unusable input or set-up (the
message names the file, sheet or table, column and rows). The previous warehouse and PDF
stay in place whenever a command fails.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent import futures
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from couponseg import dbt_environment
from couponseg.console import dot, end_dots, fail, note, say
from models_py.paths import (
    DBT_PROJECT_DIR,
    DEFAULT_OUTPUT_DIR,
    INPUT_ENV,
    dbt_folder,
    default_warehouse,
)

if TYPE_CHECKING:  # imported by the commands that need them (they import duckdb, pyarrow)
    from couponseg.audit_summary import Audit
    from couponseg.dbt_early import EarlyDbt
    from couponseg.export import ExportResult, OtherExport
    from models_py.loader import InputSource


class BuildOutcome(Protocol):
    """What finish_build reads of either engine's build result."""

    success: bool
    failures: list[str]
    nodes: int


def _as_of(text: str) -> str:
    """An as-of date as given (``--as-of ""`` is a mistake, not "no date": say so)."""
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--as-of must be YYYY-MM-DD, not {text!r}") from exc


def _given(option: str) -> Callable[[str], str]:
    """A path option that must not be empty: ``--input ""`` (an unset shell variable) would
    otherwise fall back to the default input and build it as if nothing had been said."""
    def given(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"{option} must name a file or folder, not {text!r}")
        return text
    return given


def _at_least(least: int) -> Callable[[str], int]:
    """A whole-number option with a floor: below it is a mistake to name, not a traceback
    from numpy or an empty table written as if all went well."""
    def whole(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = least - 1
        if number < least:
            raise argparse.ArgumentTypeError(
                f"must be a whole number of at least {least}, not {text!r}")
        return number
    return whole


def cmd_generate(args: argparse.Namespace) -> int:
    from couponseg.generate import generate

    start = time.perf_counter()
    counts = generate(args.out, args.customers, args.seed, args.format,
                      claims_multiplier=args.claims_multiplier)
    say(f"Wrote {counts['customers']:,} customers and {counts['transactions']:,} transactions "
         f"({args.format}) to {args.out} in {time.perf_counter() - start:.1f} s")
    return 0


# Inputs from this size on are checked while dbt starts (its start-up takes about as long as
# the check of 10M transactions), and so is every .xlsx workbook: reading its cells takes
# 0.4 s for the real workbook's 6,000 rows, which dbt's start-up hides. Smaller CSV and
# Parquet folders are checked first (a tenth of a second), which starts no dbt.
CHECK_BESIDE_DBT_BYTES = 16 << 20


def _start_check(source: InputSource) -> Future:
    """The input check, done (a small input) or running in a thread beside the build: dbt
    is killed if it fails, so bad input still ends with the check's one-line message and
    leaves the previous warehouse as it was. The check opens every table with the loader dbt
    will use, so bad input gets the loader's message (dbt reads it again in its process)."""
    from models_py.loader import check_input

    size = sum(path.stat().st_size for path in set(source.table_files().values()))
    if size < CHECK_BESIDE_DBT_BYTES and source.kind != "xlsx":
        check_input(str(source.path))  # an InputError goes straight to the caller
        done: Future = Future()
        done.set_result(None)
        return done
    checking = Future()

    def check() -> None:
        try:
            check_input(str(source.path))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            checking.set_exception(exc)
        else:
            checking.set_result(None)

    # A daemon, so that nothing waits for a scan the build no longer needs.
    threading.Thread(target=check, name=CHECK_THREAD, daemon=True).start()
    return checking


CHECK_THREAD = "input-check"
CHECK_GRACE_S = 2.0


def _leave_if_checking(code: int) -> int:
    """Python's shutdown with the check's thread inside DuckDB or pyarrow aborted the CLI
    (exit 134, "terminate called ...") or printed nanobind's report of leaked objects after
    a refused or interrupted build of a workbook or a large input, so a scheduler waiting
    for exit 2 saw a crash. Then the CLI leaves at once, its output flushed, with its code."""
    if any(t.name == CHECK_THREAD and t.is_alive() for t in threading.enumerate()):
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)
    return code


def _refusal(checking: Future) -> int | None:
    """Exit code 2 with the check's message when the input was refused (waits for the
    check); a failure of the check itself, not the input's, is raised."""
    from models_py.loader import InputError

    if isinstance(problem := checking.exception(), InputError):
        return fail(str(problem), 2)
    if problem is not None:
        raise problem
    return None


class ReportAfterCheck:
    """dbt's progress, held back until the input check has passed (then led by ``first``):
    a refused input prints its message and nothing of a build."""

    def __init__(self, checking: Future, report: Callable[[str], None], first: str) -> None:
        self.checking, self.report = checking, report
        self.first: str | None = first
        self.held: list[str] = []

    def __call__(self, line: str) -> None:
        self.held.append(line)
        if self.checking.done() and self.checking.exception() is None:
            self.open()

    def open(self) -> None:
        """Say the first line, pass on what was held, then everything as it comes."""
        if self.first is not None:
            say(self.first)
            self.first = None
        held, self.held = self.held, []
        for line in held:
            self.report(line)


def _explain_rejections(audit: Audit, heading: str) -> None:
    """Rejected rows by reason, led by a warning for each table with none kept; on stderr."""
    from couponseg.audit_summary import emptied_warning

    lines = ([emptied_warning(emptied)] if (emptied := audit.emptied()) else []) + [heading]
    print("\n".join(lines + audit.reason_lines()), file=sys.stderr, flush=True)


def _summarise(warehouse: Path) -> None:
    import duckdb

    from couponseg import audit_summary

    with duckdb.connect(str(warehouse), read_only=True) as con:
        audit = audit_summary.read_from(con)
        ctx = con.execute(
            "select as_of_date, input_name, implausible_date_rows, earliest_plausible_date, "
            "latest_plausible_date from marts.run_context").fetchone()
        # as-of date, last claim, days between them, the burn window
        late = con.execute(
            "select as_of_date, last_claim_date, datediff('day', last_claim_date, as_of_date), "
            "burn_window_days, as_of_given from reporting.rpt_run_context").fetchone()
        segments = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'segments' and table_name = 'segment_profiles'"
        ).fetchone()[0]
        seg_rows = con.execute(
            "select segment_id, segment_name, customers from segments.segment_profiles "
            "order by segment_id"
        ).fetchall() if segments else []
    rows, reasons = (audit.reconciliation, audit.reasons) if audit else ([], [])
    say(f"As of {ctx[0]} (input {ctx[1]}). Rows raw -> kept + rejected"
         f"{' + after the as-of date' if any(r[4] for r in rows) else ''}:")
    for table, raw, kept, rejected, after in rows:
        say(f"  {table:<13} {raw:>12,} -> {kept:>12,} + {rejected:,}"
             + (f" + {after:,}" if after else ""))
    if ctx[2]:
        say(f"WARNING: the feed's dates look implausible: {ctx[2]:,} rows have a date outside "
             f"{ctx[3]} .. {ctx[4]} (or infinite) and were rejected (implausible_*_date).")
    if late[2] is not None and late[2] > late[3] and not late[4]:  # not when --as-of given
        say(f"WARNING: the as-of date {late[0]} (the latest kept join, claim or burn date) is "
             f"{late[2]:,} days after the last claim ({late[1]}), more than the burn window "
             f"({late[3]} days) in which the last claims' burns fall. A join or burn dated that "
             "late may be mistyped (it moves recency, tenure and the KPI windows); pass "
             "--as-of to fix the date of the run.")
    if late[4] and ctx[4] is not None and late[0] > ctx[4]:  # --as-of given, beyond the feed
        say(f"WARNING: --as-of {late[0]} is after this feed's latest plausible date ({ctx[4]}; "
             "a row dated later would be rejected as implausible_*_date). Recency, tenure and "
             "the KPI windows are counted to it, so customers look lapsed: check the date.")
    if audit and (emptied := audit.emptied()):
        say(audit_summary.emptied_warning(emptied))
    if reasons:
        say("Rejected rows by reason (details: audit.audit_rejected_rows):")
        for line in audit.reason_lines():
            say(line)
    for sid, name, customers in seg_rows:
        say(f"  segment {sid}: {name:<24} {customers:>10,} customers")
    if segments:
        from couponseg.segment_runs import describe_run, feed_warnings

        say(describe_run(warehouse))
        for warning in feed_warnings(warehouse):
            say(warning)


def _unusable_places(args: argparse.Namespace, for_report: bool = False) -> str | None:
    """One sentence when --warehouse or --out cannot be used as the command needs."""
    from couponseg import places

    try:
        if for_report:
            places.check_existing_warehouse(args.warehouse)
        else:
            places.check_warehouse(args.warehouse)
        if getattr(args, "out", None) is not None:
            places.check_output_folder(args.out)
    except places.UnusablePlace as exc:
        return str(exc)
    return None


def _seed_changes(seed: int | None) -> bool:
    """Whether --seed names another seed than dbt_project.yml's segment_seed (the one the
    weekly builds train with): the same one changes nothing."""
    if seed is None:
        return False
    import yaml

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    weekly = (project.get("vars") or {}).get("segment_seed")
    return str(seed) != str(weekly).strip()


def build_vars(args: argparse.Namespace) -> dict[str, object]:
    """The dbt vars a build passes, the same for both engines: only what the user gave, so
    every default stays where it lives (dbt_project.yml). The input goes by environment, not
    as a dbt var: vars are part of dbt's parse state, so a new input path would make every
    weekly run re-parse the whole project (~3 s)."""
    dbt_vars: dict[str, object] = {"as_of": args.as_of or ""}
    if args.seed is not None:
        dbt_vars["segment_seed"] = args.seed
    if args.retrain is not None:
        dbt_vars["segment_retrain"] = args.retrain
    if args.keep_runs is not None:
        dbt_vars["segment_history_keep_runs"] = args.keep_runs
    if args.min_feed_match is not None:
        dbt_vars["segment_feed_min_match"] = args.min_feed_match
    return dbt_vars


def cmd_build(args: argparse.Namespace) -> int:
    if args.engine == "spark":
        from couponseg.spark_engine import cli_build
        return cli_build(args)
    start = time.perf_counter()
    if problem := _unusable_places(args):
        return fail(problem, 2)
    # dbt's process first: it imports dbt while this one imports the rest and checks.
    from couponseg.dbt_early import EarlyDbt

    early = EarlyDbt.start(dbt_folder(Path(args.warehouse).resolve()))
    try:
        return _build_with(args, start, early)
    finally:
        if early is not None:
            early.close()


def _build_with(args: argparse.Namespace, start: float, early: EarlyDbt | None) -> int:
    from couponseg.build import BuildLocked, dbt_build, dbt_log_path
    from couponseg.segment_runs import PreviousWarehouseUnreadable
    from models_py.loader import InputError, named_by, resolve_input

    try:
        source = resolve_input(args.input)
        say(f"Checking input {source.path}{named_by(args.input)} ...")
        checking = _start_check(source)
    except InputError as exc:
        return fail(str(exc), 2)
    gate = ReportAfterCheck(checking, say if args.verbose else dot,
                            f"Building warehouse {args.warehouse} with dbt ...")
    if checking.done():  # checked already (a small input, or a very quick check)
        if (refused := _refusal(checking)) is not None:
            return refused
        gate.open()
    try:
        result = dbt_build(Path(args.warehouse), build_vars(args), report=gate,
                           env={INPUT_ENV: str(source.path)}, abort=checking, early=early)
    except (BuildLocked, PreviousWarehouseUnreadable) as exc:
        return fail(str(exc), 2)
    finally:
        # A check still running when the build is refused or interrupted is given a moment
        # to end (the real workbook's takes 0.4 s); one still running after it makes main()
        # leave without Python's shutdown (_leave_if_checking).
        futures.wait([checking], timeout=CHECK_GRACE_S)
    if (refused := _refusal(checking)) is not None:
        return refused
    if not result.success and (damaged := _damaged_input(source, result)):
        return fail(f"{damaged}; nothing was built, the previous warehouse is unchanged", 2)
    gate.open()
    return finish_build(args, result, start, built=str(result.warehouse),
                        failed="build failed; the previous warehouse is unchanged. dbt's log: "
                        f"{dbt_log_path(result.warehouse)} (rerun with DBT_LOG_LEVEL_FILE=debug "
                        "for every SQL statement and stack trace).",
                        warehouse=result.warehouse)


def _damaged_input(source: InputSource, result: BuildOutcome) -> str | None:
    """The message naming file, column and rows when a raw model failed on a Parquet file
    damaged past the rows the check reads (``models_py.parquet_damage``), else None (the
    build's own message stands, also when the input changed since). Reading a large file
    again takes a while: the user is told which one is read."""
    from models_py.loader import InputError
    from models_py.parquet_damage import failed_parquet_tables, refusal

    if source.kind == "xlsx" or not any(f.startswith("raw_") for f in result.failures):
        return None
    try:
        failed = failed_parquet_tables(source.table_files(), result.failures)
    except (InputError, OSError):  # a file removed, renamed or doubled since the build
        return None
    if failed:
        end_dots()
    for table, path in failed:
        say(f"raw_{table} failed; reading {path.name} again to see where ...")
        if message := refusal(path, table):
            return message
    return None


def finish_build(args: argparse.Namespace, result: BuildOutcome, start: float, *, built: str,
                 failed: str, warehouse: Path, note: str = "") -> int:
    """The end of a build on either engine, so both close the same way: the line of
    progress dots ended, then the failures (exit 1) or the time taken and the summary."""
    end_dots()
    if not result.success:
        details = "\n  ".join(result.failures)
        code = fail(f"{failed}\n  {details}", 1)
        if (audit := getattr(result, "audit", None)) is not None and audit.reasons:
            kept = ("its tables stay in the Spark folder" if args.engine == "spark"
                    else "its warehouse is not kept")
            _explain_rejections(audit, f"The failed build rejected these input rows ({kept}; "
                                "the reasons are):")
        return code
    say(f"Built {built} ({result.nodes} models, seeds and tests passed) in "
         f"{time.perf_counter() - start:.1f} s{note}")
    _summarise(warehouse)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    if args.engine == "spark":
        from couponseg.spark_engine import cli_report
        return cli_report(args)
    import duckdb

    from dashboards.browser import BrowserError
    from dashboards.report import build_report

    start = time.perf_counter()
    if problem := _unusable_places(args, for_report=True):
        return fail(problem, 2)
    try:
        pdf, html = build_report(Path(args.warehouse), Path(args.out))
    except duckdb.IOException as exc:  # held open for writing elsewhere, or damaged
        return fail(f"cannot open warehouse {args.warehouse} read-only: {exc}", 2)
    except duckdb.Error as exc:
        return fail(f"cannot read the report's tables from warehouse {args.warehouse}: "
                     f"{exc}", 2)
    except (BrowserError, FileNotFoundError, RuntimeError) as exc:
        return fail(str(exc), 2)
    say(f"Report written in {time.perf_counter() - start:.1f} s:\n  PDF:  {pdf}\n  HTML: {html}")
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    """Open the DuckDB shell (duckdb-cli) read-only on the warehouse, or run one query with
    -c. The shell replaces this process, so Ctrl-C reaches the shell, not the CLI. With
    --engine spark: the DuckDB copy of the Spark build's reporting tables that every Spark
    build and report writes (the full Spark tables are Spark's to query)."""
    import shutil

    warehouse = Path(args.warehouse)
    if args.engine == "spark":  # the report's copy of the Spark tables (a DuckDB file)
        from couponseg.spark_engine import snapshot_path, staleness
        warehouse = snapshot_path()
        if not warehouse.exists():
            return fail(f"no Spark snapshot at {warehouse}: run `couponseg build --engine "
                         "spark` first", 2)
        if stale := staleness(warehouse):
            note(stale)
    if not warehouse.exists():
        return fail(f"warehouse {warehouse} does not exist: run `couponseg build` first", 2)
    shell = Path(sys.executable).with_name("duckdb")
    shell = str(shell) if shell.exists() else shutil.which("duckdb")
    if not shell:
        return fail("the DuckDB shell is not installed: pip install 'couponseg[analyst]' "
                     "(duckdb-cli)", 2)
    command = [shell, "-readonly", str(warehouse)] + (["-c", args.command] if args.command else [])
    sys.stdout.flush()
    os.execv(shell, command)
    return 0  # not reached


def cmd_run(args: argparse.Namespace) -> int:
    """Build, then report. While dbt builds (in its own process), this one mostly waits:
    it imports the report's modules meanwhile (pandas, plotly: about half a second), so
    the report starts on them at once."""
    if args.engine != "spark":
        threading.Thread(target=_import_report_modules, daemon=True).start()
    code = cmd_build(args)
    return code if code else cmd_report(args)


def _import_report_modules() -> None:
    with contextlib.suppress(Exception):  # the report imports again and says what failed
        import dashboards.report  # noqa: F401 - imported for its side effect: loaded once


def cmd_export(args: argparse.Namespace) -> int:
    from couponseg.export import ExportError, export_audience

    if args.engine == "spark":
        from couponseg.spark_engine import cli_export
        return cli_export(args)
    try:
        result = export_audience(args.warehouse, args.out, args.format, args.segment,
                                 prune_older=args.prune_older)
    except ExportError as exc:
        return fail(str(exc), 2)
    return say_exported(result, args.prune_older)


def say_exported(result: ExportResult, pruned: bool, origin: str = "") -> int:
    """The files written, then the other runs' exports in the same folder (a CRM importing
    the folder would send them too): the older ones removed (``pruned``, --prune-older) or
    named, the newer ones named (this export is then not the latest in the folder)."""
    run = (f" of run {result.run_id}" if result.run_id is not None else "") + (
        f" as of {result.as_of_date}" if result.as_of_date else "")
    say(f"Exported {result.rows:,} customers{run}{origin}:\n  {result.audience}\n  "
        f"{result.offers}\n  {result.manifest}")
    if result.later_run is not None:
        later_id, later_as_of = result.later_run
        say(f"Warning: this audience is as of {result.as_of_date}, but the warehouse's segment "
            f"history holds a later run (run {later_id}, as of {later_as_of}): its last build "
            "was a backfill (or that run was dated late by mistake). A CRM sending this "
            "audience sends that earlier date's segments: build the latest feed again before "
            "exporting this week's campaign.")
    if result.without_holdout:
        say(f"Warning: no holdout: all {result.groups['treatment']:,} targeted customers get "
            "offers, so nothing measures what the campaign changed (dbt var holdout_share; "
            "rpt_campaign_plan shows each segment's draw).")
    older = [e for e in result.others if e.is_older]
    newer = [e for e in result.others
             if not (e.is_older or e.same_run or e.other_history)]
    same = [e for e in result.others if e.same_run]
    elsewhere = [e for e in result.others if e.other_history]
    if older and not pruned:
        say("Warning: the folder also holds exports of earlier runs (a CRM importing the whole "
            "folder would send them too; --prune-older removes them):")
        for e in older:
            say(f"  run {e.run_id}, as of {e.as_of_date}{_replaced(e)}: "
                f"{_names([*e.files, e.manifest])}")
    for e in older if pruned else []:
        if e.removed:
            say(f"Removed the export of run {e.run_id}, as of {e.as_of_date}{_replaced(e)}: "
                f"{_names(e.removed)}")
        if e.kept:
            say(f"Warning: kept {_names(e.kept)} of run {e.run_id} (changed since that export "
                "wrote it, or just written by this one); remove it by hand if it is stale.")
    if same:
        say("Warning: the folder also holds this run's audience exported with another scope "
            "(a CRM importing the whole folder would send those customers twice):")
        for e in same:
            scope = f"segment {e.same_run_segment}" if e.same_run_segment else "every segment"
            say(f"  {scope}: {_names([*e.files, e.manifest])}")
    if newer:
        say("Warning: the folder also holds exports of later runs than this one (a backfill, "
            "or an older warehouse exported here); they were not touched:")
        for e in newer:
            say(f"  run {e.run_id}, as of {e.as_of_date}: {_names([*e.files, e.manifest])}")
    if elsewhere:
        say("Warning: the folder also holds exports this export cannot tie to this "
            "warehouse's segment history (another feed, a warehouse built again from nothing, "
            "or an export older than manifests recording it); a CRM importing the whole "
            "folder would send them too. They were not touched:")
        for e in elsewhere:
            say(f"  its run {e.run_id}, as of {e.as_of_date}: "
                f"{_names([*e.files, e.manifest])}")
    return 0


def _replaced(export: OtherExport) -> str:
    return " (of another input: that run was built again since)" if export.replaced else ""


def _names(paths: list[Path]) -> str:
    return ", ".join(path.name for path in paths)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="couponseg", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help="write synthetic input with planted archetypes")
    g.add_argument("--customers", type=_at_least(1), default=1000)
    g.add_argument("--out", type=Path, required=True)
    g.add_argument("--seed", type=_at_least(0), default=42)
    g.add_argument("--format", choices=("csv", "parquet"), default="csv")
    g.add_argument("--claims-multiplier", type=_at_least(1), default=1,
                   help="scale every archetype's claims (2: about 10 claims per customer)")
    g.set_defaults(func=cmd_generate)

    def warehouse_arg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                        help="duckdb (default: one machine, the --warehouse file) or spark "
                             "(dbt-spark; tables under $COUPONSEG_SPARK_DIR, default data/spark;"
                             " master $COUPONSEG_SPARK_MASTER, default local[*])")
        sp.add_argument("--warehouse", type=Path, default=None,
                        help="DuckDB file (default: $COUPONSEG_WAREHOUSE or "
                             "data/warehouse.duckdb); not with --engine spark")

    def build_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--input", type=_given("--input"), default=None,
                        help=".xlsx workbook or folder of <table>.csv/.parquet "
                             f"(default: ${INPUT_ENV} if set, else data/sample)")
        sp.add_argument("--as-of", type=_as_of, default=None,
                        help="as-of date YYYY-MM-DD (default: latest date in the data)")
        sp.add_argument("--seed", type=int, default=None,
                        help="segmentation random seed (default: dbt var segment_seed)")
        sp.add_argument("--retrain", action=argparse.BooleanOptionalAction, default=None,
                        help="train a new segment model version instead of reusing the "
                             "stored one; --no-retrain overrides dbt var segment_retrain: true "
                             "(a first build, or changed training settings, still train; "
                             "default: that var)")
        sp.add_argument("--keep-runs", type=int, default=None, metavar="N",
                        help="keep the segment labels of the N latest runs (and of the run "
                             "the newest is compared with) only, 0 every run (default: dbt "
                             "var segment_history_keep_runs)")
        sp.add_argument("--min-feed-match", type=float, default=None, metavar="SHARE",
                        help="share of the last run's customers this input must hold with the "
                             "same join date, else the build stops as another feed's input; 0 "
                             "turns the check off (default: dbt var segment_feed_min_match)")
        sp.add_argument("-v", "--verbose", action="store_true", help="one line per dbt node")
        warehouse_arg(sp)

    def report_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--out", type=Path, default=DEFAULT_OUTPUT_DIR,
                        help="output folder for dashboard.pdf/.html (default: data/output)")

    b = sub.add_parser("build", help="load the input and build + test the warehouse")
    build_args(b)
    b.set_defaults(func=cmd_build)

    r = sub.add_parser("report", help="render dashboard.pdf and dashboard.html")
    warehouse_arg(r)
    report_args(r)
    r.set_defaults(func=cmd_report)

    q = sub.add_parser("sql", help="DuckDB shell on the warehouse, read-only")
    warehouse_arg(q)
    q.add_argument("-c", "--command", help="run this SQL and exit (default: interactive shell)")
    q.set_defaults(func=cmd_sql)

    run = sub.add_parser("run", help="build, then report")
    build_args(run)
    report_args(run)
    run.set_defaults(func=cmd_run)

    e = sub.add_parser("export", help="write the campaign audience and its manifest for a CRM",
                       description="One file with a segment column (campaign_audience.csv or "
                       ".parquet), one row per customer with campaign_group treatment, holdout "
                       "or no_campaign (send offers to treatment only); campaign_offers.csv "
                       "or .parquet, one row per recommended offer of those segments (join on "
                       "segment_id); and campaign_audience.manifest.json (as-of date, model, "
                       "counts, each file's rows and sha256).")
    warehouse_arg(e)
    e.add_argument("--out", type=Path, required=True, help="output folder")
    e.add_argument("--format", choices=("csv", "parquet"), default="csv")
    e.add_argument("--segment", help="only this segment (name, any case)")
    e.add_argument("--prune-older", action="store_true",
                   help="remove the exports of earlier runs from --out (the files their "
                        "manifests name); without it they are listed as a warning")
    e.set_defaults(func=cmd_export)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "engine", "duckdb") == "spark" and args.warehouse is not None:
        # Spark's tables live under $COUPONSEG_SPARK_DIR: a DuckDB file given here would be
        # ignored while the user believes it was read or written.
        return fail("--warehouse names a DuckDB file, which --engine spark neither reads nor "
                     "writes: its tables live under $COUPONSEG_SPARK_DIR (default data/spark)",
                     2)
    if args.command in ("build", "run") and (refused := dbt_environment.refusal(os.environ)):
        return fail(refused, 2)
    if getattr(args, "retrain", None) is False and _seed_changes(args.seed):
        # A new seed is a new training setting: the build would train anyway, and the next
        # weekly build, back on the default seed, would train once more.
        return fail(f"--no-retrain and --seed {args.seed} contradict each other: the weekly "
                    "seed (dbt var segment_seed) is another, so the build would train a model "
                    "with this one; drop one of them (nothing was built)", 2)
    if hasattr(args, "warehouse") and args.warehouse is None:
        args.warehouse = default_warehouse()
    try:
        return _leave_if_checking(args.func(args))
    except KeyboardInterrupt:
        return _leave_if_checking(fail("interrupted; the previous warehouse is unchanged", 130))
    except BrokenPipeError:  # output piped into a reader that stopped (`| head`): as a shell
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE


if __name__ == "__main__":
    sys.exit(main())
