"""`couponseg report --engine spark` renders the build's copy of Spark's tables only while
Spark's files are as they were when the copy was made (couponseg/spark_state.py). No JVM
here: the state is read from the files; tests/test_spark.py starts Spark when they changed,
and tests/test_spark_parity.py checks a real build, a report and a hand-run dbt."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import duckdb
import pytest
from conftest import couponseg, report_lines

from couponseg import spark_files, spark_state
from couponseg.spark_engine import EXPORT_NARROWED, EXPORT_TABLES, SPARK_CONF, quiet_conf_dir


def assert_no_jvm(stderr: str) -> None:
    """Spark never started: none of the lines its JVM prints as it starts (the JDK's note on
    incubator modules, the default log4j profile where couponseg's is not used)."""
    assert "incubator modules" not in stderr and "log4j" not in stderr, stderr


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


def test_a_copy_read_from_files_outside_the_folder_is_not_told(tmp_path):
    """The files Spark read each copied table from (its input files) must all be inside the
    folder: a Spark folder copied elsewhere still reads the old folder's files."""
    folder = tmp_path / "copy" / "spark-warehouse"
    inside = [f"file:{folder}/reporting.db/rpt_kpis/part-0.parquet",
              f"file://{folder}/segments.db/x/part-1.parquet"]
    assert spark_state.within(inside, folder) and spark_state.within([], folder)
    assert not spark_state.within(
        [*inside, f"file:{tmp_path}/original/spark-warehouse/audit.db/a/part-0.parquet"], folder)
    assert not spark_state.within([*inside, "hdfs://namenode/warehouse/x.db/t/p"], folder)


def test_a_moved_folder_a_link_inside_or_any_file_name_is_told(tmp_path):
    """The folder's own path is part of the state (a Spark folder moved or copied elsewhere
    still sends its writes to the old one, so the copy must not look unchanged there); a
    symbolic link inside means files elsewhere, so no state; a file name that is not UTF-8
    is still a name."""
    folder = folder_of_tables(tmp_path / "a" / "spark-warehouse")
    state = spark_state.fingerprint(folder)
    shutil.copytree(folder, tmp_path / "b" / "spark-warehouse", copy_function=shutil.copy2)
    assert spark_state.fingerprint(tmp_path / "b" / "spark-warehouse") != state
    (tmp_path / "a").rename(tmp_path / "c")
    assert spark_state.fingerprint(tmp_path / "c" / "spark-warehouse") != state
    folder = tmp_path / "c" / "spark-warehouse"
    (folder / os.fsdecode(b"caf\xe9.txt")).write_bytes(b"")
    assert spark_state.fingerprint(folder) is not None
    (folder / "reporting.db" / "rpt_linked").symlink_to(tmp_path / "b", target_is_directory=True)
    assert spark_state.fingerprint(folder) is None


@pytest.mark.parametrize(("location", "expected"), [
    ("file:/data/spark #1/spark-warehouse", "/data/spark #1/spark-warehouse"),
    ("file:///data/spark?/spark-warehouse", "/data/spark?/spark-warehouse"),
    ("file://localhost/data/w", "/data/w"),
    ("file://otherhost/data/w", None),
    ("abfss://container@account.dfs.core.windows.net/w", None),
])
def test_locations_are_read_as_spark_writes_them(location, expected):
    found = spark_state.local_path(location)
    assert (str(found) if found else None) == expected


def test_a_copy_is_reused_only_as_it_was_recorded(tmp_path):
    folder = folder_of_tables(tmp_path / "spark-warehouse")
    snapshot = tmp_path / "snapshot.duckdb"
    assert not spark_state.unchanged(snapshot, folder)  # no copy at all
    duckdb.connect(str(snapshot)).close()
    assert spark_state.recorded(snapshot) is None  # a copy of an older release: no record
    spark_state.record(snapshot, spark_state.fingerprint(folder))
    assert spark_state.unchanged(snapshot, folder)
    assert not spark_state.unchanged(snapshot, None)
    with duckdb.connect(str(snapshot)) as con:  # an analyst's client, read-write
        con.execute("create table edited as select 1 as x")
    assert spark_state.recorded(snapshot) is None and not spark_state.unchanged(snapshot, folder)
    spark_state.record(snapshot, spark_state.fingerprint(folder))
    assert spark_state.unchanged(snapshot, folder)
    spark_state.state_file(snapshot).write_text("not json")
    assert spark_state.recorded(snapshot) is None
    spark_state.record(snapshot, None)  # a copy whose state could not be told
    assert not spark_state.state_file(snapshot).exists()


def spark_folder_with_copy(built, root: Path) -> Path:
    """A Spark folder whose snapshot.duckdb holds the DuckDB build's tables (what the report
    reads) with the state of its warehouse folder recorded, as a Spark build leaves it."""
    folder = folder_of_tables(root / "spark-warehouse")
    snapshot = root / "snapshot.duckdb"
    shutil.copy(built.warehouse, snapshot)
    spark_state.record(snapshot, spark_state.fingerprint(folder))
    return root


def test_the_report_renders_an_unchanged_copy_without_spark(built, tmp_path):
    """No JVM is started (none of this test's Spark folder is a Spark build: it would fail),
    and the PDF is the one the DuckDB engine renders from the same tables."""
    root = spark_folder_with_copy(built, tmp_path / "spark")
    result = couponseg("report", "--engine", "spark", "--out", tmp_path / "out",
                       env={"COUPONSEG_SPARK_DIR": str(root)})
    assert f"Report written from the copy of Spark's tables in {root / 'snapshot.duckdb'} " \
        "(unchanged since it was made)" in result.stdout
    assert_no_jvm(result.stderr)
    assert report_lines(tmp_path / "out" / "dashboard.pdf") == \
        report_lines(built.out / "dashboard.pdf")


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


def spark_folder_with_export_files(built, root: Path) -> Path:
    """A Spark folder as a build leaves it for `couponseg export --engine spark`: each table
    the export reads as Parquet files under spark-warehouse/<schema>.db/<table>/, and the
    snapshot recording them (couponseg/spark_files.py) with their state. Types and files
    are DuckDB's here; tests/test_spark_parity.py checks Spark's own against the export
    copied through Spark."""
    folder = root / "spark-warehouse"
    found = {}
    with duckdb.connect(str(built.warehouse), read_only=True) as con:
        for name in EXPORT_TABLES:
            schema, table = name.split(".")
            (folder / f"{schema}.db" / table).mkdir(parents=True)
            part = folder / f"{schema}.db" / table / "part-00000-a.snappy.parquet"
            con.execute(f"copy {name} to '{part}' (format parquet)")
            typed = con.sql(f"select {EXPORT_NARROWED.get(name, '*')} from {name} limit 0")
            found[name] = ([str(part)], typed.to_arrow_table())
    snapshot = root / "snapshot.duckdb"
    shutil.copy(built.warehouse, snapshot)
    with duckdb.connect(str(snapshot)) as con:
        spark_files.write_records(con, found, EXPORT_NARROWED, EXPORT_TABLES)
    spark_state.record(snapshot, spark_state.fingerprint(folder))
    return root


def test_the_export_reads_sparks_files_without_spark(built, tmp_path):
    """While Spark's files are as the snapshot recorded them, `couponseg export --engine
    spark` reads them with DuckDB: no JVM (this folder's metastore does not exist: Spark
    would find no table), and the files the DuckDB engine's export writes of the same rows."""
    import pyarrow.parquet as pq

    root = spark_folder_with_export_files(built, tmp_path / "spark")
    for fmt in ("csv", "parquet"):
        ours, theirs = tmp_path / f"spark_{fmt}", tmp_path / f"duck_{fmt}"
        result = couponseg("export", "--engine", "spark", "--out", ours, "--format", fmt,
                           env={"COUPONSEG_SPARK_DIR": str(root)})
        assert " customers of run 1 as of " in result.stdout  # the run it sends, named
        assert " from Spark's files (unchanged since the last copy of its tables)" \
            in result.stdout
        assert_no_jvm(result.stderr)
        couponseg("export", "--warehouse", built.warehouse, "--out", theirs, "--format", fmt)
        for name in (f"campaign_audience.{fmt}", f"campaign_offers.{fmt}"):
            if fmt == "csv":
                assert (ours / name).read_bytes() == (theirs / name).read_bytes(), name
            else:
                assert pq.read_table(ours / name).equals(pq.read_table(theirs / name)), name
        manifests = [json.loads((side / "campaign_audience.manifest.json").read_text())
                     for side in (ours, theirs)]
        assert manifests[0].pop("warehouse") == f"spark: {root}"
        manifests[1].pop("warehouse")
        assert manifests[0] == manifests[1]


def test_the_export_reads_sparks_files_only_as_recorded(built, tmp_path):
    """Any doubt leaves the export to Spark (None here): files changed since the snapshot,
    a snapshot without the records (an older release's), or one missing a table it needs."""
    root = spark_folder_with_export_files(built, tmp_path / "spark")
    snapshot, folder = root / "snapshot.duckdb", root / "spark-warehouse"

    def copy(required=EXPORT_TABLES[:4], narrowed=EXPORT_NARROWED):
        target = tmp_path / "export.duckdb"
        target.unlink(missing_ok=True)
        return spark_files.copy_for_export(snapshot, folder, target, EXPORT_TABLES, required,
                                           narrowed)

    assert copy() == tmp_path / "export.duckdb"
    with duckdb.connect(str(copy()), read_only=True) as con:
        assert con.execute("select count(*) from segments.customer_segments").fetchone() == (1,)
    assert copy(("segments.campaign_audience", "segments.not_recorded")) is None
    # records of a release that copied another select list of a table
    assert copy(narrowed={**EXPORT_NARROWED, "segments.segment_model": "model_version"}) is None
    part = next(folder.rglob("part-*"))
    shutil.copy(part, tmp_path / "part")
    os.replace(tmp_path / "part", part)  # the same rows, written again (a Spark rewrite)
    assert copy() is None
    spark_state.record(snapshot, spark_state.fingerprint(folder))  # as the next report does
    assert copy() is not None
    same_size_later(part)  # a file DuckDB cannot read, though recorded: left to Spark too
    spark_state.record(snapshot, spark_state.fingerprint(folder))
    assert copy() is None
    same_size_later(part)  # its bytes reversed back
    spark_state.record(snapshot, spark_state.fingerprint(folder))
    assert copy() is not None
    with duckdb.connect(str(snapshot)) as con:  # a release that exports one more table
        con.execute(f"delete from {spark_files.TABLES_TABLE} "
                    "where table_name = 'segments.segment_runs'")
    spark_state.record(snapshot, spark_state.fingerprint(folder))
    assert copy() is None
    with duckdb.connect(str(snapshot)) as con:
        con.execute(f"drop schema {spark_files.SOURCES_SCHEMA} cascade")
    spark_state.record(snapshot, spark_state.fingerprint(folder))
    assert copy() is None


def test_tables_read_by_file_keep_what_spark_reads(tmp_path):
    """A table without files (no rows) is there, empty, with its recorded types; files
    written before and after a column was added are read by name, the older ones' rows null
    in it (as Spark reads them with the table's schema), whatever order the files come in."""
    # under a folder named as a partition of column a, which must not override its values
    folder, snapshot = tmp_path / "a=9" / "spark-warehouse", tmp_path / "snapshot.duckdb"
    (folder / "s.db" / "grown").mkdir(parents=True)
    (folder / "s.db" / "empty").mkdir(parents=True)
    with duckdb.connect() as con:
        for part, sql in (("part-0", "select 1 as a, 'x' as b"),
                          ("part-1", "select 'y' as b, 2 as a, 3.5 as c")):
            con.execute(f"copy ({sql}) to '{folder / 's.db' / 'grown' / part}.parquet'")
        typed = {"s.grown": con.sql("select 1 as a, 'x' as b, 3.5 as c limit 0"),
                 "s.empty": con.sql("select 1::bigint as n limit 0")}
        found = {name: (sorted(map(str, (folder / "s.db" / name[2:]).glob("*.parquet"))),
                        rel.to_arrow_table()) for name, rel in typed.items()}
    with duckdb.connect(str(snapshot)) as con:
        spark_files.write_records(con, found, {}, ("s.grown", "s.empty", "s.never_built"))
    spark_state.record(snapshot, spark_state.fingerprint(folder))
    assert spark_files.copy_for_export(snapshot, folder, tmp_path / "other.duckdb",
                                       ("s.grown", "s.not_asked"), (), {}) is None
    copy = spark_files.copy_for_export(snapshot, folder, tmp_path / "export.duckdb",
                                       ("s.grown", "s.empty", "s.never_built"), ("s.empty",), {})
    with duckdb.connect(str(copy), read_only=True) as con:
        assert con.execute("select a, b, c from s.grown order by a").fetchall() == \
            [(1, "x", None), (2, "y", 3.5)]
        assert con.execute("select count(*) from s.empty").fetchone() == (0,)
        assert con.execute("select data_type from information_schema.columns "
                           "where table_name = 'empty'").fetchall() == [("BIGINT",)]
        assert con.execute("select count(*) from information_schema.tables "
                           "where table_name = 'never_built'").fetchone() == (0,)


def test_files_changed_while_the_export_read_them_leave_it_to_spark(built, tmp_path,
                                                                   monkeypatch):
    """A build replacing Spark's files while the export reads them: the state is checked
    again once they are read, and the copy is not used."""
    root = spark_folder_with_export_files(built, tmp_path / "spark")
    part = next((root / "spark-warehouse").rglob("part-*"))
    write = spark_files._write

    def write_then_rewrite(*args: object) -> None:
        write(*args)
        shutil.copy(part, tmp_path / "part")
        os.replace(tmp_path / "part", part)

    monkeypatch.setattr(spark_files, "_write", write_then_rewrite)
    assert spark_files.copy_for_export(root / "snapshot.duckdb", root / "spark-warehouse",
                                       tmp_path / "export.duckdb", EXPORT_TABLES,
                                       EXPORT_TABLES[:4], EXPORT_NARROWED) is None


@pytest.mark.parametrize(("files", "expected"), [
    (["/w/s.db/t/part-0.parquet", "/w/s.db/t/part-1.parquet"], True),
    ([], True),  # an empty table
    (["file:///w/s.db/t/part-0.parquet"], True),
    (["/w/s.db/t/part-0.orc"], False),
    (["/w/s.db/t/as_of=2024-01-01/part-0.parquet"], False),  # partitioned
    (["/w/s.db/t/a/part-0.parquet", "/w/s.db/t/b/part-0.parquet"], False),
    (["hdfs://name/w/s.db/t/part-0.parquet"], False),
    # names DuckDB would read as patterns (w[1] matches the folder w1)
    (["/w[1]/s.db/t/part-0.parquet"], False),
    (["/w/s.db/t/part-?.parquet"], False),
    (["/w/s*t.db/t/part-0.parquet"], False),
])
def test_only_plain_parquet_tables_are_read_by_file(files, expected):
    assert spark_files.plain_parquet(files) is expected


SPARK_LOG_PROFILE = "org/apache/spark/log4j2-defaults.properties"


def _log_levels(text: str) -> tuple[str, dict[str, str]]:
    """A log4j2 properties file's root level and {logger name: level}."""
    props = dict(line.split("=", 1) for line in text.splitlines()
                 if "=" in line and not line.lstrip().startswith("#"))
    props = {key.strip(): value.strip() for key, value in props.items()}
    names = {key.removesuffix(".name"): value for key, value in props.items()
             if key.startswith("logger.") and key.endswith(".name")}
    return props["rootLogger.level"].lower(), {name: props[f"{key}.level"].lower()
                                               for key, name in names.items()}


def test_spark_logs_no_less_than_its_own_defaults_keep_quiet():
    """couponseg/spark_conf replaces Spark's default logging profile; every logger that
    profile holds stricter than the root level stays as strict. Without it the metastore's
    handler printed 'Database audit already exists' with a stack trace in every Spark build
    (SPARK-9183's reason for silencing it). Spark's profile is read from the installed jars."""
    pyspark = pytest.importorskip("pyspark")
    order = ["all", "trace", "debug", "info", "warn", "error", "fatal", "off"]
    profiles = []
    for jar in sorted((Path(pyspark.__file__).parent / "jars").glob("spark-*.jar")):
        with zipfile.ZipFile(jar) as archive:
            if SPARK_LOG_PROFILE in archive.namelist():
                profiles.append(archive.read(SPARK_LOG_PROFILE))
    assert len(profiles) == 1, "Spark's default logging profile not found in its jars"
    spark_root, spark_loggers = _log_levels(profiles[0].decode())
    ours = SPARK_CONF / "log4j2.properties"
    root, loggers = _log_levels(ours.read_text())
    assert order.index(root) >= order.index(spark_root)
    stricter = {name: level for name, level in spark_loggers.items()
                if order.index(level) > order.index(root)}
    assert stricter, "Spark's defaults silence no logger beyond errors any more: check spark_conf"
    for name, level in stricter.items():
        assert order.index(loggers.get(name, root)) >= order.index(level), name


def test_spark_logs_as_couponseg_says_only_where_the_user_has_no_spark_configuration(
        tmp_path, monkeypatch):
    """couponseg/spark_conf is Spark's configuration folder only where the user has none of
    their own: SPARK_CONF_DIR set, or a conf/ in the Spark home (a downloaded Spark's), keeps
    their spark-defaults.conf and logging."""
    pytest.importorskip("pyspark")  # quiet_conf_dir asks pyspark where Spark's home is
    monkeypatch.delenv("SPARK_CONF_DIR", raising=False)
    monkeypatch.delenv("SPARK_HOME", raising=False)
    assert quiet_conf_dir() == SPARK_CONF and (SPARK_CONF / "log4j2.properties").is_file()
    home = tmp_path / "spark-home"
    (home / "conf").mkdir(parents=True)
    monkeypatch.setenv("SPARK_HOME", str(home))
    assert quiet_conf_dir() is None
    (home / "conf").rmdir()
    assert quiet_conf_dir() == SPARK_CONF
    monkeypatch.setenv("SPARK_CONF_DIR", str(tmp_path))
    assert quiet_conf_dir() is None
