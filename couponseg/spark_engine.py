"""The Apache Spark engine: the same dbt project, built on Spark through dbt-spark.

dbt-spark runs Python models only on Databricks, so on Spark this module does what the dbt
Python models do on DuckDB, around two dbt calls that share one Spark session (one JVM):

1. load the input (CSV or Parquet folder) with pyspark into ``landing.*`` (raw.raw_* are views
   over it: dbt_project/models/raw_spark);
2. ``dbt build`` up to the feature mart (``+customer_features``);
3. the Python step: segmentation on the features, written back as Spark tables in
   ``python_step.*`` (segments' Spark-side models are views over them);
4. ``dbt build`` of everything else (segments, reporting, their tests).

Where the tables live: ``$COUPONSEG_SPARK_DIR`` (default ``data/spark``) holds
``spark-warehouse/`` (Parquet files) and ``metastore/`` (the Derby metastore naming them). The
master is ``$COUPONSEG_SPARK_MASTER`` (default ``local[*]``; ``spark://host:7077`` for a
cluster). profiles.yml reads the same variables, so dbt and this module see one session.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from couponseg import spark_state
from couponseg.audit_summary import Audit
from models_py.csv_text import header_and_delimiter
from models_py.loader import (
    InputError,
    InputSource,
    column_map,
    input_manifest,
    load_table,
    not_utf8_message,
    read_by_position,
)
from models_py.parquet_damage import refusal
from models_py.paths import DBT_PROJECT_DIR, PROFILES_DIR, REPO_ROOT
from models_py.profile import target_settings

if TYPE_CHECKING:  # pyspark is imported once a Spark build starts; pandas by the Python step
    import argparse

    import pandas as pd
    from dbt_common.events.base_types import EventMsg
    from pyspark.sql import DataFrame, SparkSession

SPARK_DIR_ENV = "COUPONSEG_SPARK_DIR"
SPARK_MASTER_ENV = "COUPONSEG_SPARK_MASTER"
LANDING_SCHEMA = "landing"
LOADING_SUFFIX = "__loading"  # a table being loaded, until every input table is (load_raw)
PYTHON_STEP_SCHEMA = "python_step"
# The dbt calls around the Python step: up to the feature mart and the training sample
# (training reads them), then up to the stored centroids (scoring reads them), then the rest.
FEATURE_SELECTOR = "+segment_training_sample +run_context"
CENTROID_SELECTOR = "+segment_centroids"


def spark_dir() -> Path:
    """Folder holding the Spark warehouse and its metastore: $COUPONSEG_SPARK_DIR or
    data/spark in the repository (never the current folder)."""
    return Path(os.environ.get(SPARK_DIR_ENV) or REPO_ROOT / "data" / "spark").resolve()


def spark_master() -> str:
    """The master profiles.yml's spark target connects to (COUPONSEG_SPARK_MASTER or its
    default)."""
    return session_settings()["spark.master"]


def session_settings(folder: Path | None = None, master: str | None = None) -> dict[str, str]:
    """profiles.yml's spark ``server_side_parameters``, with this folder and master, so the
    session this module starts is the one dbt-spark reuses, with the settings a hand-run
    dbt build gets (the profile is their one source)."""
    env = {**os.environ, SPARK_DIR_ENV: str(Path(folder or spark_dir()).resolve())}
    if master:
        env[SPARK_MASTER_ENV] = master
    elif not env.get(SPARK_MASTER_ENV):  # set but empty: the profile's default, as unset
        env.pop(SPARK_MASTER_ENV, None)
    parameters = target_settings("spark", env)["server_side_parameters"]
    return {str(key): str(value) for key, value in parameters.items()}


@contextmanager
def spark_session(folder: Path | None = None, master: str | None = None) -> Iterator:
    """A Hive-enabled session on the warehouse folder; stopped (JVM and executors released)
    on exit. The environment is set too, so dbt's profile renders the same settings."""
    folder = Path(folder or spark_dir()).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    os.environ[SPARK_DIR_ENV] = str(folder)
    os.environ[SPARK_MASTER_ENV] = master or spark_master()
    # The Python step's workers run this interpreter (the one with scikit-learn and the
    # project installed), not whatever `python3` comes first on the executor's PATH. pyspark
    # reads PYSPARK_PYTHON when the session starts; a cluster whose machines keep the
    # interpreter elsewhere sets it.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    # pyspark 4.x warns on every pandas conversion that pandas 3 is not yet "fully
    # supported"; the conversions this project makes are checked against DuckDB's results
    # (tests/test_spark_parity.py), so the warning only buried the build's own output.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                            category=FutureWarning)
    settings = session_settings(folder, master)
    # The address Spark binds to, as the profile's driver host says (the JVM otherwise warns
    # that the machine's name resolves to loopback and picks an interface of its own).
    os.environ.setdefault("SPARK_LOCAL_IP", settings.get("spark.driver.bindAddress", "127.0.0.1"))
    _quiet_logging()
    builder = SparkSession.builder.appName("couponseg").enableHiveSupport()
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    # pyspark logs every failed query as a JSON stack trace; dbt reports the error itself.
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    try:
        yield session
    finally:
        session.stop()


def _quiet_logging() -> None:
    """Spark's logging from couponseg/spark_conf (errors only) where Spark has no
    configuration folder to read (quiet_conf_dir)."""
    if (conf := quiet_conf_dir()) is not None:
        os.environ["SPARK_CONF_DIR"] = str(conf)


# Spark's configuration folder couponseg ships: logging only (log4j2.properties).
SPARK_CONF = Path(__file__).with_name("spark_conf")


def quiet_conf_dir() -> Path | None:
    """couponseg/spark_conf, unless the user has a Spark configuration folder of their own
    (SPARK_CONF_DIR set, or a conf/ in the Spark home pyspark finds, as a downloaded Spark
    has), whose spark-defaults.conf and logging must stay theirs."""
    if "SPARK_CONF_DIR" in os.environ:
        return None
    from pyspark.find_spark_home import _find_spark_home

    try:
        home = _find_spark_home()
    except SystemExit:  # no Spark home: pyspark says so itself when the session starts
        return None
    return None if os.path.isdir(os.path.join(home, "conf")) else SPARK_CONF


# ------------------------------------------------------------------ loading
def _with_row_numbers(frame: DataFrame):
    """_source_row = position in the file + 1 (the header is row 1), computed in the JVM:
    each partition's ids are offset by the rows of the partitions before it (a single file's
    splits are read in file order). A file read as one partition needs no counting pass."""
    from pyspark.sql import functions as F

    if frame.rdd.getNumPartitions() == 1:
        return frame.withColumn("_source_row", F.monotonically_increasing_id() + 2)
    tagged = frame.withColumn("_mid", F.monotonically_increasing_id()) \
        .withColumn("_pid", F.spark_partition_id())
    counts = sorted(tagged.groupBy("_pid").agg(F.count("*").alias("n"),
                                               F.min("_mid").alias("first")).collect())
    bases, offset = [], 0
    for row in counts:
        bases.append((row["_pid"], offset - row["first"] + 2))
        offset += row["n"]
    base = frame.sparkSession.createDataFrame(bases, "_pid int, _base bigint")
    return tagged.join(F.broadcast(base), "_pid") \
        .withColumn("_source_row", F.col("_mid") + F.col("_base")).drop("_mid", "_pid", "_base")


def _read_table(spark: SparkSession, path: Path, table: str, by_position: bool):
    """One input table as given: text from CSV, the file's own types from Parquet. A file
    Spark's readers would read differently from the DuckDB engine's loader (blank lines or
    quoted line breaks in a CSV: Spark splits such a record and numbers rows by position;
    UTF-16; Parquet text as plain BINARY) is read by that loader instead and handed over
    as Arrow: such files are hand edits, and the two engines must load the same rows.
    ``by_position``: whether the loader found the file readable by position."""
    from pyspark.sql import functions as F

    if not by_position:
        return _read_with_loader(spark, path, table)
    where = f"{path.name} (table '{table}')"
    try:
        if path.suffix.lower() == ".parquet":
            base = spark.read.parquet(str(path))
            frame = base.withColumn("_source_row", F.col("_metadata.row_index") + 2)
        else:
            # the loader's delimiter; the file is UTF-8 throughout (any other is read by the
            # loader, above)
            _, delimiter = header_and_delimiter(path)
            # escape: a doubled quote inside quotes is one quote (RFC 4180, as the loader
            # reads it); with Spark's default escape, a backslash, "say ""hi""" kept its
            # quotes as written and a value ending in a backslash lost it.
            base = (spark.read.option("header", True).option("sep", delimiter)
                    .option("encoding", "UTF-8").option("inferSchema", False)
                    .option("escape", '"').option("mode", "PERMISSIVE").csv(str(path)))
            frame = _with_row_numbers(base)
        columns = column_map(list(base.columns), table, where)
    except InputError:
        raise
    except Exception as exc:  # pyspark raises AnalysisException and others for bad files
        kind = "Parquet" if path.suffix.lower() == ".parquet" else "CSV"
        raise InputError(f"{path.name}: not a readable {kind} file "
                         f"({str(exc).splitlines()[0]})") from exc
    return frame.select(*[F.col(f"`{spelled}`").alias(name) for name, spelled in columns.items()],
                        "_source_row")


def _read_with_loader(spark: SparkSession, path: Path, table: str):
    import duckdb

    with duckdb.connect() as session:
        relation = load_table(session, path.parent, table)
        # Spark has no time-of-day type: such a column goes as DuckDB's text of it, which no
        # date parses, as the DuckDB engine judges its typed times.
        columns = [f'cast("{name}" as varchar) as "{name}"' if str(kind).startswith("TIME")
                   and not str(kind).startswith("TIMESTAMP") else f'"{name}"'
                   for name, kind in zip(relation.columns, relation.types, strict=True)]
        loaded = relation.query("loaded", f"select {', '.join(columns)} from loaded") \
            .to_arrow_table()
    return spark.createDataFrame(loaded)


def require_folder(source: InputSource) -> None:
    """Only CSV / Parquet folders: a workbook is read on one machine (DuckDB engine)."""
    if source.kind != "folder":
        raise InputError(
            f"Input {source.path}: the Spark engine reads a folder of <table>.csv / "
            "<table>.parquet; export the workbook's sheets as CSV, or build it with the "
            "default engine (--engine duckdb)")


def load_raw(spark: SparkSession, source: InputSource,
             by_position: dict[str, bool] | None = None) -> None:
    """Write the six input tables and the input manifest into landing.*, all or none.

    Empty or unreadable tables were already refused by the CLI's check of the input (the
    same loader as the DuckDB engine's), before Spark started; ``by_position`` is what that
    check found per table (``models_py.loader.check_input``), asked of each file here when
    not given. Spark reads a file only as it writes it, so a page damaged past the rows the
    check read, or text that is not UTF-8, is found halfway through the load: every table
    is written under a loading name first and replaces the last build's only once all are
    written, so a refused input leaves the landing tables as they were."""
    require_folder(source)
    spark.sql(f"create database if not exists {LANDING_SCHEMA}")
    loaded = [*source.table_files(), "input_manifest"]
    _drop_loading(spark, loaded)  # what a load killed halfway left
    try:
        for table, path in source.table_files().items():
            positional = by_position[table] if by_position is not None \
                else read_by_position(path, table)
            _land_table(spark, path, table, positional)
        manifest = input_manifest(source.path).to_pandas()
        spark.createDataFrame(manifest).write.mode("overwrite").format("parquet") \
            .saveAsTable(_loading_name("input_manifest"))
    except BaseException:
        with suppress(Exception):  # a JVM gone keeps its own error; the next load drops them
            _drop_loading(spark, loaded)
        raise
    for table in loaded:
        spark.sql(f"drop table if exists {LANDING_SCHEMA}.{table}")
        spark.sql(f"alter table {_loading_name(table)} rename to {LANDING_SCHEMA}.{table}")


def _loading_name(table: str) -> str:
    return f"{LANDING_SCHEMA}.{table}{LOADING_SUFFIX}"


def _drop_loading(spark: SparkSession, tables: list[str]) -> None:
    for table in tables:
        spark.sql(f"drop table if exists {_loading_name(table)}")


def _land_table(spark: SparkSession, path: Path, table: str, positional: bool) -> None:
    """One input table under its loading name; a refusal of the file as an InputError."""
    try:
        frame = _read_table(spark, path, table, positional)
        if positional and path.suffix.lower() == ".parquet":
            _refuse_text_not_utf8(frame, path, table)
        frame.write.mode("overwrite").format("parquet").saveAsTable(_loading_name(table))
    except InputError:
        raise
    except Exception as exc:
        if message := _damaged_while_loading(exc, path, table, positional):
            raise InputError(message) from exc
        raise


# How a refusal while loading ends on Spark (the DuckDB build's says nothing was built):
# nothing was replaced either (``load_raw``).
LOAD_STOPPED = ("; the Spark build stopped while loading its input: the Spark warehouse is "
                "unchanged")


def _refuse_text_not_utf8(frame: DataFrame, path: Path, table: str) -> None:
    """Stop the load, naming column and rows, when a Parquet text column holds bytes that
    are not UTF-8. Spark's reader takes them as text; the DuckDB engine's loader refuses the
    file: without this, the two engines would build different values from the same file.
    One Spark job per table reads only its text columns (the input check reads a Parquet
    file's first rows only, the DuckDB build every value as it loads); a second, only when
    one is found, finds its rows. The column named is the first required one with such
    text, as the DuckDB build's message names it."""
    from pyspark.sql import functions as F

    text = [name for name, kind in frame.dtypes if kind == "string" and name != "_source_row"]
    flags = {name: F.col(name).isNotNull() & ~F.is_valid_utf8(F.col(name)) for name in text}
    if not flags:
        return
    found = frame.agg(*[F.max(flag.cast("int")).alias(name) for name, flag in flags.items()]) \
        .first()
    column = next((name for name in text if found[name]), None)  # the frame's order: required
    if column is None:
        return
    rows = [row[0] for row in frame.where(flags[column]).select("_source_row")
            .orderBy("_source_row").limit(6).collect()]
    raise InputError(not_utf8_message(f"{path.name} (table '{table}')", column, rows)
                     + LOAD_STOPPED)


def _damaged_while_loading(exc: Exception, path: Path, table: str,
                           positional: bool) -> str | None:
    """The message when loading failed on a Parquet page damaged past the first rows the
    input check reads (bad input, exit 2), else None. Only a failure that reading the file
    could have caused is diagnosed: the loader's (DuckDB's) errors, or Spark's naming the
    file. Spark's reader takes text that is not UTF-8 as it is, so that is a fault only
    for a file the loader reads (``positional`` False)."""
    import duckdb

    if not (isinstance(exc, duckdb.Error) or path.name in str(exc)
            or "FAILED_READ_FILE" in str(exc)):
        return None
    message = refusal(path, table, by_duckdb=not positional)
    return message and f"{message}{LOAD_STOPPED}"


# ------------------------------------------------------------------ dbt
@dataclass
class SparkOutcome:
    """Outcome of one dbt invocation or of a whole ``build``: success, failures, dbt nodes
    run, and (a whole build only) seconds per stage."""

    success: bool
    failures: list[str] = field(default_factory=list)
    nodes: int = 0
    stages: dict[str, float] = field(default_factory=dict)
    audit: Audit | None = None  # a failed build's audit, as the DuckDB engine's BuildResult


def run_dbt(args: list[str], dbt_vars: dict[str, object],
            report: Callable[[str], None] = print) -> SparkOutcome:
    """dbt in this process (so it reuses this process's Spark session) on the spark target."""
    from dbt.cli.main import dbtRunner

    from couponseg.build import describe_failures, is_hook

    # No dbt console output: the callback reports each node, and the CLI prints the
    # failures once (dbt's own lines printed each failure a second time, colour codes and all).
    command = [*args, "--log-level", "none", "--no-use-colors",
               "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(PROFILES_DIR),
               "--target", "spark", "--vars", json.dumps(dbt_vars),
               # Its own artifacts and parse cache, beside its tables: the DuckDB builds'
               # shared cache (dbt_project/target) holds the other profile.
               "--target-path", str(spark_dir() / "dbt-target")]
    events: list[str] = []

    def on_event(event: EventMsg) -> None:
        if event.info.name in ("LogTestResult", "LogModelResult", "LogSeedResult",
                               "LogNodeNoOpResult"):
            report("  " + event.info.msg.split("  ", 1)[-1].strip())
        elif event.info.level == "error":
            events.append(event.info.msg)

    result = dbtRunner(callbacks=[on_event]).invoke(command)
    results = list(getattr(result.result, "results", None) or [])
    failures = describe_failures((_unique_id(r), str(r.status), r.message or "")
                                 for r in results if r.message)
    if result.exception is not None:
        failures.append(str(result.exception))
    if not result.success and not failures:
        failures = events[-6:] or ["dbt failed"]
    built = sum(not is_hook(_unique_id(r)) for r in results)
    return SparkOutcome(result.success and not failures, failures, built)


def _unique_id(result: object) -> str:
    """A run result's node id: a build's results carry their node, run-operation's only
    the id."""
    node = getattr(result, "node", None)
    return str(node.unique_id if node is not None else getattr(result, "unique_id", ""))


def dbt_segment_params(dbt_vars: dict[str, object]) -> dict[str, object]:
    """segment_params of the (on Spark disabled) segment_model Python model, from where they
    live: its config in models/segments/_segments__models.yml, whose values name dbt vars
    (defaults in dbt_project.yml, overrides passed to this build), rendered as dbt renders
    a model's config: natively (a number stays a number), any Jinja that uses var()."""
    import jinja2.nativetypes
    import yaml

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    values = {**(project.get("vars") or {}), **dbt_vars}

    def var(name: str, default: object = None) -> object:
        if name not in values and default is None:
            raise KeyError(f"segment_params read dbt var {name!r}, which is not defined")
        return values.get(name, default)

    models = yaml.safe_load(
        (DBT_PROJECT_DIR / "models" / "segments" / "_segments__models.yml").read_text())
    config = next(m for m in models["models"] if m["name"] == "segment_model")["config"]
    templates = jinja2.nativetypes.NativeEnvironment(undefined=jinja2.StrictUndefined)
    return {key: templates.from_string(str(template)).render(var=var)
            for key, template in config["segment_params"].items()}


# ------------------------------------------------------------------ the Python step
# What dbt's Python models do on DuckDB (models_py.segmentation.dbt_adapter), on Spark:
# training reads a fixed-size sample through Spark and appends a model version when one is
# needed; scoring runs the same pure function, score_batch, on every partition of the
# features (mapInPandas), so no step holds the whole table in one process.
SCORED_SCHEMA = ("customer_id bigint, segment_id int, segment_name string, "
                 "distance_to_centroid double, confidence double, projection_x double, "
                 "projection_y double, model_version int")


def _table_or_none(spark: SparkSession, name: str):
    return spark.table(name) if spark.catalog.tableExists(name) else None


def train_step(spark: SparkSession, config: dict) -> str | None:
    """Append a model version to python_step.segment_model when the stored one cannot be
    reused; return why it trained (None: reused)."""
    from models_py.segmentation.dbt_adapter import settings
    from models_py.segmentation.features import source_columns
    from models_py.segmentation.store import training_reason

    context = spark.table("marts.run_context").toPandas().iloc[0]
    wanted = settings(config, context)
    stored = _table_or_none(spark, f"{PYTHON_STEP_SCHEMA}.segment_model")
    previous = stored.toArrow().to_pandas() if stored is not None else None
    reason = training_reason(previous, wanted, context["as_of_date"])
    if reason is None:
        return None
    # In a child process, as on DuckDB: training forks worker processes, and this process
    # runs the JVM gateway's threads.
    from models_py.segmentation.training_process import train_in_child

    version = 1 if previous is None or previous.empty else int(previous["model_version"].max()) + 1
    columns = source_columns(wanted.specs)
    picked = spark.table("segments.segment_training_sample").select("customer_id")
    sample = spark.table("marts.customer_features").select(*columns) \
        .join(picked, "customer_id").toPandas()
    rows = train_in_child(sample, wanted, version, context["as_of_date"],
                          str(context["input_fingerprint"]), reason)
    spark.sql(f"create database if not exists {PYTHON_STEP_SCHEMA}")
    spark.createDataFrame(rows).write.mode("append").format("parquet") \
        .saveAsTable(f"{PYTHON_STEP_SCHEMA}.segment_model")
    return reason


def score_step(spark: SparkSession) -> None:
    """Every customer scored with the stored model of the run's as-of date, partition by
    partition on the executors, written to python_step.customer_segments."""
    from models_py.segmentation.scoring import SegmentModel, score_batch

    as_of = spark.table("marts.run_context").toPandas().iloc[0]["as_of_date"]
    model = SegmentModel.from_frames(spark.table("segments.segment_model").toArrow().to_pandas(),
                                     spark.table("segments.segment_centroids").toPandas(), as_of)

    def score(batches: Iterator[pd.DataFrame]):
        for batch in batches:
            yield score_batch(batch, model)

    scored = spark.table("marts.customer_features").select(*model.source_columns) \
        .mapInPandas(score, SCORED_SCHEMA)
    scored.write.mode("overwrite").format("parquet") \
        .saveAsTable(f"{PYTHON_STEP_SCHEMA}.customer_segments")


# ------------------------------------------------------------------ the whole build
def build(source: InputSource, dbt_vars: dict[str, object],
          report: Callable[[str], None] = print, folder: Path | None = None,
          master: str | None = None, until: str = "reporting", tests: bool = True,
          by_position: dict[str, bool] | None = None) -> SparkOutcome:
    """Load, dbt up to the feature mart, the Python step, dbt for the rest: one session.

    ``until="segments"`` stops once every customer is scored; ``tests=False`` builds models
    and seeds without their data tests (the short Spark test in `make test`);
    ``by_position``: the input check's answer per table (``load_raw``)."""
    stages: dict[str, float] = {}
    # cautious: a test runs in the call that has built all of its parents, so the two calls
    # split the tests between them (none twice, none left out).
    common = ["build", "--quiet", "--exclude-resource-type", "unit_test",
              "--indirect-selection", "cautious"]
    if not tests:
        common += ["--resource-type", "model", "--resource-type", "seed"]

    def timed(name: str, step: Callable[[], object]) -> object:
        start = time.perf_counter()
        value = step()
        stages[name] = round(time.perf_counter() - start, 2)
        return value

    with spark_session(folder, master) as spark:
        stages["session"] = 0.0
        # The vars check the builds' on-run-start hook makes, before the load replaces the
        # landing tables: a bad setting stops the build with the input not yet read.
        checked = timed("check_vars", lambda: run_dbt(
            ["run-operation", "--quiet", "check_vars"], dbt_vars, report))
        if not checked.success:
            return SparkOutcome(False, checked.failures, 0, stages)
        timed("load", lambda: load_raw(spark, source, by_position))
        calls = [timed("dbt_features", lambda: run_dbt(
            [*common, "--select", *FEATURE_SELECTOR.split()], dbt_vars, report))]
        if not calls[-1].success:
            return SparkOutcome(False, calls[-1].failures, calls[-1].nodes, stages,
                                failed_build_audit(spark, dbt_vars))
        timed("train", lambda: train_step(spark, dbt_segment_params(dbt_vars)))
        calls.append(timed("dbt_centroids", lambda: run_dbt(
            [*common, "--select", CENTROID_SELECTOR, "--exclude", *FEATURE_SELECTOR.split()],
            dbt_vars, report)))
        if calls[-1].success:
            timed("score", lambda: score_step(spark))
        if calls[-1].success and until != "segments":
            calls.append(timed("dbt_rest", lambda: run_dbt(
                [*common, "--exclude", CENTROID_SELECTOR, *FEATURE_SELECTOR.split()],
                dbt_vars, report)))
        nodes = sum(call.nodes for call in calls)
        if not calls[-1].success:
            return SparkOutcome(False, calls[-1].failures, nodes, stages,
                                failed_build_audit(spark, dbt_vars))
        if until != "segments":
            timed("snapshot", lambda: export_snapshot(spark, snapshot_path(folder),
                                                      state_of=warehouse_folder(folder)))
        return SparkOutcome(True, [], nodes, stages)


def failed_build_audit(spark: SparkSession, dbt_vars: dict[str, object]) -> Audit | None:
    """The rejected rows by reason of a build that failed, read by the DuckDB engine's code
    from a copy of the audit tables. A failed test upstream of them (no as-of date when
    every customer is rejected) made dbt skip them, so their models are run here first,
    without tests; None when they still cannot be read, which must not hide the failure."""
    import tempfile

    import duckdb

    from couponseg import audit_summary

    try:
        run_dbt(["run", "--quiet", "--select", *(f"+{t.split('.')[1]}" for t in AUDIT_TABLES)],
                dbt_vars, report=lambda _: None)
        with tempfile.TemporaryDirectory() as tmp:
            # not audit.duckdb: a file's name is its catalog's, which would shadow the schema
            copy = export_snapshot(spark, Path(tmp) / "failed_build.duckdb", AUDIT_TABLES)
            with duckdb.connect(str(copy), read_only=True) as con:
                return audit_summary.read_from(con)
    except Exception:  # noqa: BLE001 (the build's own failure is what the user must see)
        return None


# ------------------------------------------------------------------ reading the result
# What the report and the CLI's summary read: every reporting model, and the tables the
# summary quotes. The dashboards read DuckDB, so these are copied into a local read-only
# DuckDB file: the same renderer, the same PDF.
AUDIT_TABLES = ("audit.audit_rejection_summary", "audit.audit_row_reconciliation")
SNAPSHOT_TABLES = ("marts.run_context", "audit.audit_row_reconciliation",
                   "audit.audit_rejection_summary", "segments.segment_profiles",
                   "segments.segment_runs")
# What `couponseg export` reads (couponseg/export.py), the four it cannot do without first;
# of the customers'
# labels only the model versions that scored them (one row, not one per customer), of the
# models what the manifest quotes (not their training samples).
EXPORT_TABLES = ("segments.campaign_audience", "segments.segment_offer_affinity",
                 "segments.campaign_settings",
                 "marts.run_context", "segments.customer_segments", "segments.segment_model",
                 "segments.segment_runs")
EXPORT_NARROWED = {"segments.customer_segments": "distinct model_version",
                   "segments.segment_model": "model_version, trained_as_of, algorithm, params"}


def snapshot_path(folder: Path | None = None) -> Path:
    return Path(folder or spark_dir()).resolve() / "snapshot.duckdb"


def staleness(snapshot: Path) -> str | None:
    """What a reader of the copy should know before trusting it as Spark's tables now: None
    while they are the files it was made from."""
    tables = warehouse_folder()
    if spark_state.unchanged(snapshot, tables):
        return None
    told = tables is not None and spark_state.recorded(snapshot) is not None
    return (("Spark's tables changed since" if told else
             "whether Spark's tables changed since cannot be told for")
            + f" this copy ({snapshot}): `couponseg report --engine spark` copies them again")


def warehouse_folder(folder: Path | None = None) -> Path | None:
    """The local folder of the Spark tables the profile's session reads and writes (None
    when they may live elsewhere: Spark Connect, a warehouse at a URL)."""
    return spark_state.local_warehouse(session_settings(folder))


def export_snapshot(spark: SparkSession, target: Path, tables: tuple[str, ...] | None = None,
                    narrowed: dict[str, str] | None = None, state_of: Path | None = None
                    ) -> Path:
    """Copy ``tables`` (default: the reporting schema and SNAPSHOT_TABLES) from Spark into a
    new DuckDB file, swapped in over ``target`` once complete (a reader never sees half a
    file). Tables Spark does not have are left out. ``narrowed``: table -> the Spark SQL
    select list and clauses to copy instead of all of it (what the reader needs).
    ``state_of``: the local warehouse folder; the state of its files is recorded beside the
    copy when every table copied was read from files in it and nothing changed them while
    the copy was made (couponseg/spark_state.py). A copy of the default tables also records
    where the export's tables are and their types, none of their rows (couponseg/spark_files.py)."""
    from couponseg import spark_files
    from models_py import warehouse_file

    before, read_from = spark_state.fingerprint(state_of), []
    whole = tables is None
    if whole:
        tables = tuple(f"reporting.{row.tableName}" for row in
                       spark.sql("show tables in reporting").collect() if not row.isTemporary)
        tables += SNAPSHOT_TABLES
    names = [n for n in tables if spark.catalog.tableExists(n)]
    building = target.with_name(target.name + ".building")
    building.unlink(missing_ok=True)
    with warehouse_file.connect(building) as con:
        for name in names:
            schema, table = name.split(".")
            rows = spark.sql(f"select {narrowed[name]} from {name}") if name in (
                narrowed or {}) else spark.table(name)
            read_from += rows.inputFiles() if before else []
            arrow = rows.toArrow()  # noqa: F841 (read by DuckDB below)
            con.execute(f"create schema if not exists {schema}")
            con.execute(f"create table {schema}.{table} as select * from arrow")
        if whole and before:  # what the export reads, by file (couponseg/spark_files.py)
            read_from += spark_files.record(spark, con, EXPORT_TABLES, EXPORT_NARROWED,
                                            state_of)
    told = before is not None and spark_state.within(read_from, state_of) \
        and spark_state.fingerprint(state_of) == before
    os.replace(building, target)
    if state_of is not None:
        spark_state.record(target, before if told else None)
    return target


# ------------------------------------------------------------------ the CLI's Spark side
def cli_build(args: argparse.Namespace) -> int:
    """``couponseg build --engine spark``: the same checks, output and exit codes as the
    DuckDB build; the tables go to $COUPONSEG_SPARK_DIR instead of a DuckDB file."""
    from couponseg.cli import build_vars, finish_build
    from couponseg.console import dot, fail, say
    from models_py.loader import check_input, resolve_input

    start = time.perf_counter()
    try:
        source = resolve_input(args.input)
        say(f"Checking input {source.path} ...")
        require_folder(source)
        # bad input fails before Spark starts
        by_position = check_input(str(source.path), for_spark=True)
    except InputError as exc:
        return fail(str(exc), 2)
    say(f"Building on Spark ({spark_master()}) into {spark_dir()} with dbt-spark ...")
    try:
        result = build(source, build_vars(args), report=say if args.verbose else dot,
                       by_position=by_position)
    except InputError as exc:
        return fail(str(exc), 2)
    return finish_build(args, result, start, built="on Spark", failed="Spark build failed.",
                        warehouse=snapshot_path(), note=f"; stages (s): {result.stages}")


def cli_report(args: argparse.Namespace) -> int:
    """``couponseg report --engine spark``: the reporting tables read from Spark into a
    local DuckDB file, rendered by the same dashboards code as the DuckDB engine's. The
    copy the build (or an earlier report) made is rendered as it is while Spark's files are
    unchanged since (couponseg/spark_state.py): no JVM, and the same tables."""
    from couponseg.console import fail, say
    from dashboards.browser import BrowserError
    from dashboards.report import build_report

    start = time.perf_counter()
    snapshot, tables = snapshot_path(), warehouse_folder()
    try:
        if spark_state.unchanged(snapshot, tables):
            source = f"the copy of Spark's tables in {snapshot} (unchanged since it was made)"
        else:
            with spark_session() as spark:
                if not spark.catalog.tableExists("reporting.rpt_kpis"):
                    return fail(f"no Spark build in {spark_dir()}: run "
                                 "`couponseg build --engine spark` first", 2)
                export_snapshot(spark, snapshot, state_of=tables)
            source = "Spark"
        pdf, html = build_report(snapshot, Path(args.out))
    except (BrowserError, FileNotFoundError, RuntimeError) as exc:
        return fail(str(exc), 2)
    say(f"Report written from {source} in {time.perf_counter() - start:.1f} s:\n"
         f"  PDF:  {pdf}\n  HTML: {html}")
    return 0


def cli_export(args: argparse.Namespace) -> int:
    """``couponseg export --engine spark``: the tables the export reads, read by DuckDB from
    Spark's files while they are as the last build or report recorded them (no JVM), else
    copied from Spark, into a temporary DuckDB file written by the same export code as the
    DuckDB engine's (a CRM file is one file on one machine, whatever engine built it)."""
    import tempfile

    from couponseg import spark_files
    from couponseg.cli import say_exported
    from couponseg.console import fail
    from couponseg.export import ExportError, export_audience

    try:
        with tempfile.TemporaryDirectory() as tmp:
            origin = " from Spark's files (unchanged since the last copy of its tables)"
            copy = spark_files.copy_for_export(snapshot_path(), warehouse_folder(),
                                               Path(tmp) / "export.duckdb", EXPORT_TABLES,
                                               EXPORT_TABLES[:4], EXPORT_NARROWED)
            if copy is None:
                origin = " from Spark"
                with spark_session() as spark:
                    missing = [t for t in EXPORT_TABLES[:4] if not spark.catalog.tableExists(t)]
                    if missing:  # the ones the export cannot do without
                        return fail(f"the Spark build in {spark_dir()} has no table "
                                     f"{', '.join(missing)}: run `couponseg build --engine "
                                     "spark` first", 2)
                    copy = export_snapshot(spark, Path(tmp) / "export_from_spark.duckdb",
                                           EXPORT_TABLES, EXPORT_NARROWED)
            result = export_audience(copy, args.out, args.format, args.segment,
                                     source=f"spark: {spark_dir()}",
                                     prune_older=args.prune_older)
    except ExportError as exc:
        return fail(str(exc), 2)
    return say_exported(result, args.prune_older, origin)


def main(argv: list[str] | None = None) -> int:
    """``python -m couponseg.spark_engine --input DIR [--until segments] [--no-tests]``: a
    Spark build without the report (tests and benchmarks; users run ``couponseg build
    --engine spark``). Prints the stage times as JSON on the last line."""
    import argparse
    import sys

    from models_py.loader import resolve_input

    p = argparse.ArgumentParser(prog="python -m couponseg.spark_engine")
    p.add_argument("--input", required=True)
    p.add_argument("--until", choices=("segments", "reporting"), default="reporting")
    p.add_argument("--no-tests", action="store_true")
    p.add_argument("--as-of", default="")
    args = p.parse_args(argv)
    result = build(resolve_input(args.input), {"as_of": args.as_of or ""}, until=args.until,
                   tests=not args.no_tests)
    for failure in result.failures:
        print(f"FAILED {failure}", file=sys.stderr)
    print(json.dumps({"success": result.success, "nodes": result.nodes, **result.stages}))
    return 0 if result.success else 1


if __name__ == "__main__":
    raise SystemExit(main())
