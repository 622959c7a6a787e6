"""The Spark engine, short version (part of `make test`): the generated input loaded by
pyspark, dbt-spark building every model up to the feature mart, and the Python step's
segments, on a local master; the features and the segments equal the DuckDB build's.

The full parity check (every model and test on Spark, the report, a standalone cluster) is
tests/test_spark_parity.py, run by `make test-spark`.
"""

from __future__ import annotations

import json
import re
import shutil

import duckdb
import pandas as pd
import pytest
from conftest import REPO, couponseg, dbt_on_copy
from damage import parquet_with_text_not_utf8, read_tables
from spark_parity import (
    assert_frames_equal,
    duckdb_table,
    in_spark_session,
    load_on_spark,
    run_spark,
    spark_table,
    spark_tables,
    stages,
)
from test_spark_state import same_size_later, spark_folder_with_copy

from couponseg import spark_files, spark_state
from couponseg.spark_engine import quiet_conf_dir

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark_features(generated, tmp_path_factory):
    folder = tmp_path_factory.mktemp("spark_short")
    result = run_spark(["--input", generated, "--until", "segments", "--no-tests"], folder,
                       module="couponseg.spark_engine")
    return folder, {**stages(result), "stderr": result.stderr}


def test_raw_tables_are_loaded_as_given(spark_features, built):
    folder, _ = spark_features
    for table in ("customers", "transactions"):
        duck = duckdb_table(built.warehouse, f"raw.raw_{table}")
        spark = spark_table(folder, f"landing.{table}")
        assert_frames_equal(duck, spark, ["_source_row"], f"raw_{table}")


def test_customer_features_equal_duckdb(spark_features, built):
    folder, result = spark_features
    assert result["success"]
    duck = duckdb_table(built.warehouse, "marts.customer_features")
    assert_frames_equal(duck, spark_table(folder, "marts.customer_features"),
                        ["customer_id"], "customer_features")


def test_segments_equal_duckdb(spark_features, built):
    folder, _ = spark_features
    duck = duckdb_table(built.warehouse, "segments.customer_segments")
    spark = spark_table(folder, "python_step.customer_segments")
    assert_frames_equal(duck[["customer_id", "segment_id"]], spark, ["customer_id"],
                        "customer_segments")


def test_staged_tables_have_duckdb_row_counts(spark_features, built):
    folder, _ = spark_features
    names = [n for n in spark_tables(folder) if n.startswith(("staging.", "marts."))]
    assert "staging.validated_transactions" in names
    for name in names:
        assert len(spark_table(folder, name)) == len(duckdb_table(built.warehouse, name)), name


def test_a_spark_build_prints_no_errors_it_recovered_from(spark_features):
    """Each dbt call on Spark creates the audit schema if it does not exist; the metastore's
    handler logged the one that did (every dbt call after a build's first) as an error with
    its stack trace once Spark's logging came from couponseg/spark_conf, until that kept
    Spark's own silencing of the handler."""
    _, result = spark_features
    if quiet_conf_dir() is not None:  # Spark's logging is couponseg's (spark_conf/)
        assert " ERROR " not in result["stderr"] and "Exception" not in result["stderr"], \
            result["stderr"][:3000]


def test_the_last_dbt_run_on_spark_leaves_its_mark(spark_features):
    """dbt's on-run-start hook on Spark rewrites audit.last_spark_dbt_run (so even a run that
    only redefines a view changes Spark's files: couponseg/spark_state.py): it holds the
    last dbt call of the build, whose artifacts are in dbt-target/."""
    folder, _ = spark_features
    results = json.loads((folder / "dbt-target" / "run_results.json").read_text())
    marker = spark_table(folder, "audit.last_spark_dbt_run")
    assert marker["invocation_id"].tolist() == [results["metadata"]["invocation_id"]]


def test_column_comments_fit_the_hive_metastore(spark_features):
    """The metastore keeps 256 characters of a column comment; a longer one (dbt-spark passes
    the whole description) had it retry for 20 s before Spark stored the view in its own
    format (macros/spark_comments.sql cuts it). segment_model's selection_outcome has the
    longest description of the models whose column docs persist."""
    folder, _ = spark_features
    sql = (folder / "dbt-target" / "run" / "couponseg" / "models" / "segments_spark"
           / "segment_model.sql").read_text()
    comments = dict(re.findall(r"`(\w+)`\s+comment '((?:[^'\\]|\\.)*)'", sql))
    assert len(comments) > 30
    assert max(len(re.sub(r"\\(.)", r"\1", text)) for text in comments.values()) <= 256
    assert comments["selection_outcome"].endswith("…")


def test_column_comments_reach_spark_unchanged(built, tmp_path):
    """The comment clause is a Spark string literal, where a backslash escapes: a description
    with an apostrophe or ending in a backslash once broke the clause's quotes. Compiled by
    the real dbt with the project's macro (spark_escape_text, shared with the seed loader);
    read back by Spark's rule (a backslash takes the next character as it is)."""
    description = "it's C:\\"  # ends in a backslash
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse, warehouse)
    inline = ("{{ get_column_comment_sql('c', {'c': {'description': " + repr(description)
              + "}}) }}")
    result = dbt_on_copy(warehouse, "compile", "--quiet", "--inline", inline,
                         input_path=built.input, target=tmp_path / "target")
    assert result.returncode == 0, result.stdout[-3000:]
    clause = result.stdout.strip().splitlines()[-1]
    literal = re.fullmatch(r"\"c\" comment '((?:[^'\\]|\\.)*)'", clause)
    assert literal, clause
    assert re.sub(r"\\(.)", r"\1", literal.group(1)) == description


def test_a_workbook_on_spark_is_refused_with_a_clear_message(tmp_path):
    """The Spark engine reads CSV / Parquet folders; a workbook stops before Spark starts."""
    workbook = tmp_path / "input.xlsx"
    with pd.ExcelWriter(workbook, engine="openpyxl") as writer:
        for csv in sorted((REPO / "data" / "sample").glob("*.csv")):
            pd.read_csv(csv, dtype=str).to_excel(writer, sheet_name=csv.stem, index=False)
    result = couponseg("build", "--engine", "spark", "--input", workbook, check=False)
    assert result.returncode == 2
    assert "input.xlsx" in result.stderr and "export the workbook's sheets as CSV" in result.stderr


def test_a_report_copies_from_spark_again_once_its_files_changed(built, tmp_path):
    """The copy's state recorded, then one file of the Spark folder rewritten (as any Spark
    write or dbt run on Spark does): the report starts Spark to copy the tables again rather
    than render the old copy. This folder holds no Spark build, so Spark finds none."""
    root = spark_folder_with_copy(built, tmp_path / "spark")
    same_size_later(next((root / "spark-warehouse").rglob("part-*")))
    result = couponseg("report", "--engine", "spark", "--out", tmp_path / "out", check=False,
                       env={"COUPONSEG_SPARK_DIR": str(root)})
    assert result.returncode == 2, result.stdout
    assert f"no Spark build in {root}: run `couponseg build --engine spark` first" \
        in result.stderr
    assert not (tmp_path / "out" / "dashboard.pdf").exists()


@pytest.mark.parametrize("command", [["build"], ["report"], ["export", "--out", "x"], ["sql"]])
def test_a_duckdb_file_with_the_spark_engine_is_refused(tmp_path, command):
    """--warehouse names a DuckDB file, which the Spark engine ignored while the user
    believed it was read or written; refused before Spark starts."""
    result = couponseg(*command, "--engine", "spark", "--warehouse", tmp_path / "w.duckdb",
                       check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--engine spark neither reads nor writes" in result.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_both_engines_pass_only_the_settings_the_user_gave():
    """A build without --seed leaves segment_seed to dbt_project.yml on both engines (the
    Spark CLI once passed seed None, and training stopped on int(None))."""
    from couponseg.cli import build_vars, parser

    for engine in ("duckdb", "spark"):
        plain = parser().parse_args(["build", "--engine", engine])
        assert build_vars(plain) == {"as_of": ""}
        given = parser().parse_args(["build", "--engine", engine, "--seed", "7", "--retrain",
                                     "--as-of", "2024-06-30"])
        assert build_vars(given) == {"as_of": "2024-06-30", "segment_seed": 7,
                                     "segment_retrain": True}


DUCKDB_ONLY = {
    r"\bas\s+varchar\b": "cast to {{ dbt.type_string() }} (Spark wants a length on varchar)",
    r"::": "cast(... as ...) (Spark has no :: casts)",
    r"\b(try_)?strptime\s*\(": "the try_parse_date macro",
    r"\bselect\s+\*\s+exclude\b": "a column list",
    r"\b(arg_max|arg_min|list_\w+|regexp_full_match)\s*\(":
        "a dispatched macro (macros/cross_db.sql)",
}


def test_models_shared_by_both_engines_use_no_duckdb_only_sql():
    """The models both engines build are written once; DuckDB-only syntax there breaks only
    the Spark build, which `make test` does not run in full (`make test-spark` does). Engine
    differences belong in the dispatched macros."""
    project = REPO / "dbt_project"
    shared = [p for folder in ("models", "tests", "analyses")
              for p in (project / folder).rglob("*.sql")
              if not {"raw_spark", "segments_spark", "generic"} & set(p.parts)]
    assert len(shared) > 50
    found = [f"{path.relative_to(project)}:{number}: {line.strip()} -> use {fix}"
             for path in shared
             for number, line in enumerate(path.read_text().splitlines(), 1)
             for pattern, fix in DUCKDB_ONLY.items()
             if re.search(pattern, line.split("--")[0], re.IGNORECASE)]
    assert not found, "\n".join(found)


def test_files_spark_would_misread_are_loaded_as_the_duckdb_loader_loads_them(
        tmp_path, monkeypatch):
    """A quoted line break (Spark's CSV reader splits the record), blank lines (it numbers
    rows by position), UTF-16 text, Parquet text stored as plain BINARY, a quote after a
    space (Spark reads it as text, the loader as a quoted value) and a CR alone (Spark ends
    a record there): on Spark the
    same rows, values and source rows as the DuckDB engine's raw tables; a plain file is
    still read by Spark itself, doubled quotes and backslashes as the loader reads them."""
    import codecs

    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    from couponseg.spark_engine import SPARK_DIR_ENV, SPARK_MASTER_ENV, _read_table, spark_session
    from models_py.loader import load_table, read_by_position

    files = tmp_path / "in"
    files.mkdir()
    (files / "cities.csv").write_text('city_id,city_name\n1,"Alex\nandria"\n\n2,Giza\n')
    genders = "gender_id\tgender_name\r\n1\tذكر\r\n"
    (files / "genders.csv").write_bytes(codecs.BOM_UTF16_LE + genders.encode("utf-16-le"))
    pq.write_table(pa.table({"merchant_id": [1, 2], "merchant_name": pa.array(
        ["Café".encode(), "متجر".encode()], pa.binary())}), files / "merchants.parquet")
    # a CR alone inside quotes: Spark ended the record there
    (files / "branches.csv").write_bytes(b'branch_id,merchant_id\n1,1\n2,"2\r"\n')
    # doubled quotes and a backslash: Spark reads this file itself, as RFC 4180 has it
    (files / "transactions.csv").write_text(
        "transaction_id,customer_id,transaction_date,transaction_status,coupon_name,"
        'burn_date,branch_id\n1,1,2024-01-02,burned,"say ""hi""",2024-01-03,1\n'
        '2,1,2024-01-02,subscribed,"C:\\",,2\n')
    # a quote after a space: Spark kept ' "2024-01-02"' as written and cut ' "1,5"' at its comma
    (files / "customers.csv").write_text('customer_id,join_date,city_id,gender_id\n'
                                         '1, "2024-01-02",1,1\n2,2024-02-03, "1,5",2\n')
    # A second input: a line of a tab and spaces in a TSV (Spark skipped it as blank, and
    # every later row's number moved up), a Latin-1 'é' past the first 64 KB (Spark took the
    # file for UTF-8 from its start and loaded U+FFFD), timestamps in nanoseconds (pandas'
    # own; Spark refuses them) and a time of day (Spark has no such type).
    more = tmp_path / "more"
    more.mkdir()
    (more / "cities.csv").write_bytes(b"city_id\tcity_name\n1\tCairo\n \t \n2\tGiza\n")
    (more / "merchants.csv").write_bytes(b"merchant_id,merchant_name\n1," + b"x" * 70_000
                                         + b"\n2,Caf\xe9 Riche\n")
    pq.write_table(pa.table({"customer_id": [1, 2], "join_date": pa.array(
        [10**18, 10**18 + 86_400 * 10**9], pa.timestamp("ns")), "city_id": [1, 1],
        "gender_id": [1, 2]}), more / "customers.parquet")
    # a form feed after a header name: both readers keep it, column_map trims it on both
    (more / "branches.csv").write_bytes(b"branch_id,merchant_id\x0c\n1,1\n2,2\n")
    pq.write_table(pa.table({"gender_id": [1], "gender_name": ["Male"],
                             "noted_at": pa.array([3_600_000_000], pa.time64("us"))}),
                   more / "genders.parquet")
    pq.write_table(pa.table({"customer_id": [1], "join_date": pa.array(
        [3_600_000_000], pa.time64("us")), "city_id": [1], "gender_id": [1]}),
                   tmp_path / "times.parquet")
    monkeypatch.setenv(SPARK_DIR_ENV, str(tmp_path / "spark"))
    monkeypatch.setenv(SPARK_MASTER_ENV, "local[1]")
    with spark_session(tmp_path / "spark", "local[1]") as spark:
        for folder, table, name in (
                (files, "cities", "cities.csv"), (files, "genders", "genders.csv"),
                (files, "merchants", "merchants.parquet"), (files, "branches", "branches.csv"),
                (files, "customers", "customers.csv"),
                (files, "transactions", "transactions.csv"), (more, "cities", "cities.csv"),
                (more, "merchants", "merchants.csv"), (more, "customers", "customers.parquet"),
                (more, "genders", "genders.parquet"), (more, "branches", "branches.csv")):
            with duckdb.connect() as con:
                expected = load_table(con, folder, table).df()
            positional = read_by_position(folder / name, table)
            loaded = _read_table(spark, folder / name, table, positional).toPandas()
            assert loaded.astype(str).values.tolist() == expected.astype(str).values.tolist(), \
                folder / name
        (more / "customers.parquet").write_bytes((tmp_path / "times.parquet").read_bytes())
        times = _read_table(spark, more / "customers.parquet", "customers",
                            read_by_position(more / "customers.parquet", "customers"))
        assert times.toPandas()["join_date"].tolist() == ["01:00:00"]  # text, no date
    with duckdb.connect() as con:
        assert load_table(con, more, "merchants").df()["merchant_name"].iloc[1] == "Café Riche"
    for name, table in (("cities.csv", "cities"), ("merchants.csv", "merchants"),
                        ("customers.parquet", "customers"), ("genders.parquet", "genders")):
        assert not read_by_position(more / name, table), name
    assert read_by_position(files / "transactions.csv", "transactions")
    assert read_by_position(more / "branches.csv", "branches")  # read by Spark itself
    assert not read_by_position(files / "cities.csv", "cities")
    assert not read_by_position(files / "customers.csv", "customers")
    assert not read_by_position(files / "branches.csv", "branches")


def test_a_bad_var_stops_a_spark_build_before_the_input_is_loaded(tmp_path):
    """The vars check runs before the load replaces the landing tables (on DuckDB the
    on-run-start hook is enough: the build writes a new file)."""
    folder = tmp_path / "spark"
    result = couponseg("build", "--engine", "spark", "--input", REPO / "data" / "sample",
                       "--seed", "-1", check=False, env={"COUPONSEG_SPARK_DIR": str(folder)})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "segment_seed = -1: must be from 0 to 2147483647" in result.stderr
    assert not list(folder.glob("spark-warehouse/landing*")), list(folder.rglob("*"))[:20]


def test_parquet_text_not_utf8_is_refused_on_spark_as_on_duckdb(generated, tmp_path):
    """Spark's reader takes bytes that are not UTF-8 as text, DuckDB's refuses them: the
    Spark load refuses them too, naming column and row, so both engines refuse one file.
    Spark meets them while loading, after it has read the customers: the landing tables
    of the last load are kept whole, not mixed with the refused input's."""
    tables = read_tables(generated)
    folder = parquet_with_text_not_utf8(tables, tmp_path / "in", row=2500)
    expected = ("transactions.parquet (table 'transactions'), column 'coupon_name': bytes that "
                "are not UTF-8 text in row(s) 2502; write the column as UTF-8 text")
    spark_folder = tmp_path / "spark"
    load_on_spark(spark_folder, REPO / "data" / "sample")  # 1,000 customers; refused: 1,200
    before = {name: spark_table(spark_folder, name) for name in spark_tables(spark_folder)}
    assert len(before["landing.customers"]) == 1000 and len(before) == 7, sorted(before)
    spark = couponseg("build", "--engine", "spark", "--input", folder, check=False,
                      env={"COUPONSEG_SPARK_DIR": str(spark_folder)})
    assert spark.returncode == 2, spark.stdout + spark.stderr
    if quiet_conf_dir() is not None:  # Spark's start-up lines are gone (spark_conf/)
        assert "log4j" not in spark.stderr and " WARN " not in spark.stderr, spark.stderr
    assert spark.stderr.strip().splitlines()[-1] == (
        f"couponseg: error: {expected}; the Spark build stopped while loading its input: the "
        "Spark warehouse is unchanged")
    after = spark_tables(spark_folder)
    assert sorted(after) == sorted(before)  # no table left under its loading name
    for name, frame in before.items():
        pd.testing.assert_frame_equal(frame, spark_table(spark_folder, name), obj=name)
    duck = couponseg("build", "--input", folder, "--warehouse", tmp_path / "w.duckdb",
                     check=False)
    assert duck.returncode == 2, duck.stdout + duck.stderr
    assert duck.stderr.strip().splitlines()[-1] == (
        f"couponseg: error: {expected}; nothing was built, the previous warehouse is unchanged")


# Tables Spark reads as their Parquet files hold them, and tables it does not (the export
# then goes through Spark): made by Spark in a folder of their own.
SPARK_TABLES = [
    "create table s.t using parquet as select id, cast(id as string) as name from range(3)",
    "create view s.v_all as select * from s.t",
    "create view s.v_where as select * from s.t where id > 0",
    "create view s.v_cast as select id, cast(name as int) as name from s.t",
    "create view s.v_renamed as select name as id, id as name from s.t",
    "create table s.p using parquet partitioned by (part) as "
    "select id, id % 2 as part from range(4)",
    "create table s.e (id bigint) using parquet",
    "create table s.csv using csv as select 1 as id",
]


def test_only_tables_spark_reads_as_their_files_hold_them_are_read_by_file(tmp_path):
    """Spark's own plans and files: a table and a view of all its columns are recorded (an
    empty table with no file at all too, empty); a view that filters, casts or swaps
    names, a partitioned table or one in CSV would not be read by file, and one of them
    among the tables recorded leaves the whole export to Spark."""
    folder = tmp_path / "spark"
    recorded = tmp_path / "recorded.duckdb"
    body = (
        "    import duckdb\n"
        "    from couponseg import spark_files\n"
        "    from couponseg.spark_engine import warehouse_folder\n"
        "    spark.sql('create database s')\n"
        "    names = []\n"
        "    for statement in json.loads(sys.argv[1]):\n"
        "        spark.sql(statement)\n"
        "        names.append(statement.split()[2])\n"
        "    seen = {n: [spark_files.reads_files_as_stored(spark.table(n)),\n"
        "                spark_files.plain_parquet(spark.table(n).inputFiles())] for n in names}\n"
        "    warehouse = warehouse_folder()\n"
        f"    with duckdb.connect({str(recorded)!r}) as con:\n"
        "        files = spark_files.record(spark, con, ('s.t', 's.v_all', 's.e'), {},\n"
        "                                   warehouse)\n"
        "    refused = []\n"
        "    for other in ('s.v_where', 's.p', 's.csv'):\n"
        f"        with duckdb.connect({str(tmp_path)!r} + f'/{{other}}.duckdb') as con:\n"
        "            refused.append(spark_files.record(spark, con, ('s.t', other), {},\n"
        "                                              warehouse))\n"
        "    print(json.dumps({'seen': seen, 'files': files, 'refused': refused}))\n")
    out = json.loads(in_spark_session(folder, body, json.dumps(SPARK_TABLES)).splitlines()[-1])
    assert out["seen"] == {
        "s.t": [True, True], "s.v_all": [True, True], "s.v_where": [False, True],
        "s.v_cast": [False, True], "s.v_renamed": [False, True], "s.p": [True, False],
        "s.e": [True, True], "s.csv": [False, False]}
    assert out["refused"] == [[], [], []] and len(out["files"]) >= 2  # s.t's, twice
    warehouse = folder / "spark-warehouse"
    spark_state.record(recorded, spark_state.fingerprint(warehouse))
    copy = spark_files.copy_for_export(recorded, warehouse, tmp_path / "copy.duckdb",
                                       ("s.t", "s.v_all", "s.e"), ("s.e",), {})
    with duckdb.connect(str(copy), read_only=True) as con:
        for name in ("s.t", "s.v_all"):
            assert con.execute(f"select id, name from {name} order by id").fetchall() == \
                [(0, "0"), (1, "1"), (2, "2")]
        assert con.execute("select count(*) from s.e").fetchone() == (0,)
    for other in ("s.v_where", "s.p", "s.csv"):
        with duckdb.connect(str(tmp_path / f"{other}.duckdb"), read_only=True) as con:
            assert con.execute("select count(*) from information_schema.schemata where "
                               "schema_name = ?", [spark_files.SOURCES_SCHEMA]).fetchone() == (0,)
