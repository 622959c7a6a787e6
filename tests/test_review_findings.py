"""Findings of the hostile review of issues 10 and 12, each shown by a real CLI run."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import REPO, couponseg, query
from damage import append, read_tables, write_folder

from couponseg.build import build_parse_cache, dbt_log_path
from couponseg.cli import build_vars, parser
from models_py.paths import default_warehouse

FRESH_SEED = "2718281"  # used by no other build: its parse cache is this module's alone


def _claim(transactions: pd.DataFrame, transaction_id: str, customer_id: str, date: str,
           coupon_name: str, **more: str) -> int:
    """Append a transaction at branch 1 (a claim unless ``more`` says otherwise)."""
    return append(transactions, **{"transaction_status": "subscribed", **more},
                  transaction_id=transaction_id, customer_id=customer_id,
                  transaction_date=date, coupon_name=coupon_name, branch_id="1")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict:
    """The shipped sample plus one row per hostile value of issue 10's brief."""
    tables = read_tables(REPO / "data" / "sample")
    c, t, cities = tables["customers"], tables["transactions"], tables["cities"]
    rows = {
        "big_customer": append(c, customer_id="9007199254740993", join_date="2023-01-01",
                               city_id="1", gender_id="1"),
        "tiny_customer": append(c, customer_id="1e-400", join_date="2023-01-01",
                                city_id="1", gender_id="1"),
        "infinite_join": append(c, customer_id="5001", join_date="infinity", city_id="1",
                                gender_id="1"),
        "bare_year_join": append(c, customer_id="5002", join_date="2024", city_id="1",
                                 gender_id="1"),
        "nan_city_customer": append(c, customer_id="5003", join_date="2023-01-01",
                                    city_id="99", gender_id="1"),
        "late_joiner": append(c, customer_id="5004", join_date="2024-06-01", city_id="1",
                              gender_id="1"),
    }
    append(cities, city_id="99", city_name="Nan")
    append(cities, city_id="98", city_name="Cairo")  # a second id for the sample's city 1
    rows["shared_name_customer"] = append(c, customer_id="5005", join_date="2023-01-01",
                                          city_id="98", gender_id="1")
    rows |= {
        "big_tx": _claim(t, "9007199254740995", "9007199254740993", "2023-02-01", "big"),
        "tiny_tx": _claim(t, "6001", "1e-400", "2023-02-01", "tiny"),
        "burn_2099": _claim(t, "6002", "1", "2024-05-01", "far", transaction_status="burned",
                            burn_date="2099-01-01"),
        "null_coupon": _claim(t, "6003", "5003", "2024-05-01", "NULL "),
        "before_join": _claim(t, "6004", "5004", "2024-01-01", "early"),
    }
    folder = write_folder(tables, tmp_path_factory.mktemp("hostile") / "in")
    warehouse = folder.parent / "w.duckdb"
    # Also a first build without a parse cache (test_first_build_of_a_fresh_clone_succeeds):
    # a seed no other test uses has a cache of its own, removed first. And a build asked for
    # dbt's debug log (test_dbt_log_level_debug_brings_every_sql_statement_back; the log level
    # is not part of the parse-cache key, and a build without a cache failed at any level).
    cache = build_parse_cache(build_vars(parser().parse_args(["build", "--seed", FRESH_SEED])))
    cache.unlink(missing_ok=True)
    result = couponseg("build", "--input", folder, "--warehouse", warehouse,
                       "--seed", FRESH_SEED, check=False, env={"DBT_LOG_LEVEL_FILE": "debug"})
    return {"rows": rows, "warehouse": warehouse, "result": result, "folder": folder,
            "parse_cache": cache}


def _rejected(hostile: dict) -> dict[tuple[str, int], str]:
    frame = query(hostile["warehouse"],
                  "select source_table, source_row, reason from audit.audit_rejected_rows")
    return {(r.source_table, int(r.source_row)): r.reason for r in frame.itertuples()}


def test_hostile_build_succeeds(hostile):
    assert hostile["result"].returncode == 0, hostile["result"].stdout


def test_dbt_log_level_debug_brings_every_sql_statement_back(hostile):
    """dbt's debug events are dropped unless a logger writes them (couponseg/dbt_overhead.py);
    DBT_LOG_LEVEL_FILE=debug brings every SQL statement back into dbt.log."""
    log = dbt_log_path(hostile["warehouse"]).read_text()
    assert "[debug]" in log
    assert "On model.couponseg.customer_features:" in log
    assert "OK created sql table model marts.customer_features" in log


def test_first_build_of_a_fresh_clone_succeeds(hostile):
    """A fresh clone has no dbt parse cache yet; dbt refused the missing
    --partial-parse-file-path and every build failed until someone ran dbt by hand. The
    hostile build found no cache for its settings, as on a fresh clone (no other build can
    race it: the settings are its own)."""
    assert hostile["result"].returncode == 0, hostile["result"].stdout + hostile["result"].stderr
    assert hostile["parse_cache"].exists()  # the next build with them parses partially again


@pytest.mark.parametrize(("table", "row", "reason"), [
    ("customers", "tiny_customer", "invalid_customer_id"),
    ("customers", "infinite_join", "invalid_join_date"),  # the word is no date
    ("customers", "bare_year_join", "invalid_join_date"),
    ("transactions", "tiny_tx", "invalid_customer_id"),
    ("transactions", "burn_2099", "implausible_burn_date"),
    ("transactions", "before_join", "claim_before_join"),
])
def test_hostile_rows_rejected_with_their_reason(hostile, table, row, reason):
    assert _rejected(hostile).get((table, hostile["rows"][row])) == reason


def test_hostile_values_kept_exactly(hostile):
    w = hostile["warehouse"]
    assert query(w, "select count(*) n from marts.dim_customers "
                    "where customer_id = 9007199254740993").n[0] == 1
    fact = query(w, "select transaction_id, customer_id, coupon_name "
                    "from marts.fct_coupon_transactions "
                    "where transaction_id in (9007199254740995, 6003)")
    assert sorted(fact.transaction_id) == [6003, 9007199254740995]
    assert set(fact.coupon_name) == {"big", "NULL"}  # a name, trimmed, never null
    cities = query(w, "select city_name from marts.dim_customers where customer_id = 5003")
    assert list(cities.city_name) == ["Nan"]


def test_hostile_as_of_is_latest_kept_date(hostile):
    w = hostile["warehouse"]
    as_of = query(w, "select as_of_date from marts.run_context").as_of_date[0]
    sample = read_tables(REPO / "data" / "sample")
    latest = max(pd.to_datetime(sample["transactions"].transaction_date).max(),
                 pd.to_datetime(sample["transactions"].burn_date).max(),
                 pd.to_datetime(sample["customers"].join_date).max(),
                 pd.Timestamp("2024-06-01"))
    assert pd.Timestamp(as_of) == latest
    assert "WARNING" in hostile["result"].stdout


def test_hostile_raw_equals_kept_plus_rejected(hostile):
    recon = query(hostile["warehouse"], "from audit.audit_row_reconciliation")
    assert len(recon) == 6
    for r in recon.to_dict("records"):
        assert r["raw_rows"] == r["kept_rows"] + r["after_as_of_rows"] + r["rejected_rows"], r
        assert r["reconciles"], r


@pytest.mark.parametrize("content", [b"not a database\n", b""])
@pytest.mark.parametrize("command", ["build", "report"])
def test_warehouse_that_is_not_duckdb_is_refused(tmp_path, command, content):
    """`--warehouse` naming an existing non-DuckDB file (a typo such as data.xlsx) ended in a
    DuckDB traceback (exit 1); the build could also have replaced the user's file."""
    warehouse = tmp_path / "notes.duckdb"
    warehouse.write_bytes(content)
    extra = (["--input", REPO / "data" / "sample"] if command == "build"
             else ["--out", tmp_path / "out"])
    result = couponseg(command, "--warehouse", warehouse, *extra, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "not a DuckDB warehouse" in result.stderr
    assert warehouse.read_bytes() == content


@pytest.mark.parametrize("command", ["build", "report", "export"])
def test_a_duckdb_database_of_other_data_is_not_replaced(tmp_path, command):
    """A DuckDB file that holds other data (someone's finance database, another dbt
    project's marts, a mistyped path) got past the file-type check: the build swapped its
    new warehouse over it and the data was gone, and `report` on it advised exactly that
    build. Such a file is refused, unchanged; an empty DuckDB file, with nothing to lose, is
    built over."""
    import duckdb

    warehouse = tmp_path / "ledger.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema finance; create table finance.ledger as "
                    "select range as entry from range(1000); "
                    "create schema marts; create table marts.orders as select 1 as id")
    before = warehouse.read_bytes()
    extra = {"build": ["--input", REPO / "data" / "sample"],
             "report": ["--out", tmp_path / "out"], "export": ["--out", tmp_path / "out"]}
    result = couponseg(command, "--warehouse", warehouse, *extra[command], check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    # another dbt project's marts schema is no couponseg warehouse
    said = " ".join(result.stderr.split())
    assert "is a DuckDB database with other data (schemas finance, marts) and no couponseg " \
           "warehouse" in said
    # Only a build would replace it; a report or an export only reads (it said "a build
    # would replace it" to them too).
    assert ("a build would replace it" in said) == (command == "build"), said
    assert warehouse.read_bytes() == before
    if command == "build":
        empty = tmp_path / "empty.duckdb"
        duckdb.connect(str(empty)).close()
        couponseg("build", "--warehouse", empty, "--input", REPO / "data" / "sample")
        assert query(empty, "select count(*) as n from marts.dim_customers")["n"][0] > 0


def test_python_model_failure_says_why_not_where(tmp_path):
    """An --as-of before every join leaves no customer to segment; the CLI printed only the
    first frames of the Python traceback, cut before the reason."""
    result = couponseg("build", "--input", REPO / "data" / "sample", "--as-of", "1990-01-01",
                       "--warehouse", tmp_path / "w.duckdb", check=False)
    assert result.returncode != 0
    assert ("segmentation needs at least 20 customers, got 0 who had joined by the as-of date "
            "1990-01-01") in " ".join(result.stderr.split()), result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_two_city_ids_of_one_name_are_counted_together_and_said(hostile):
    """The report groups by city name: a second 'Cairo' (id 98) joins Cairo's count, and the
    demographics page says so instead of merging them silently."""
    from dashboards import insights
    from dashboards.data import load_report_data

    w = hostile["warehouse"]
    facts = query(w, "select shared_city_names, shared_city_name_ids "
                     "from reporting.rpt_insight_facts")
    assert facts.iloc[0].tolist() == [1, "Cairo (ids 1, 98)"]
    by_id = query(w, "select count(*) as n from marts.dim_customers where city_name = 'Cairo'")
    shown = query(w, "select customers from reporting.rpt_customers_by_city "
                     "where city_name = 'Cairo'")
    assert shown["customers"].tolist() == by_id["n"].tolist()
    lines = insights.demographics(load_report_data(w))
    assert "1 city name is carried by more than one city id (Cairo (ids 1, 98))" in lines[1]



@pytest.mark.parametrize("args, words", [
    (["build", "--as-of", "", "--warehouse", "{tmp}/w.duckdb"], "must be YYYY-MM-DD, not ''"),
    (["generate", "--customers", "-5", "--out", "{tmp}/g"], "at least 1, not '-5'"),
    (["generate", "--customers", "0", "--out", "{tmp}/g"], "at least 1, not '0'"),
    (["generate", "--claims-multiplier", "0", "--out", "{tmp}/g"], "at least 1, not '0'"),
    (["generate", "--claims-multiplier", "-1", "--out", "{tmp}/g"], "at least 1, not '-1'"),
    (["generate", "--seed", "-1", "--out", "{tmp}/g"], "at least 0, not '-1'"),
    (["build", "--input", "", "--warehouse", "{tmp}/w.duckdb"],
     "--input must name a file or folder, not ''"),
    (["run", "--input", " ", "--warehouse", "{tmp}/w.duckdb", "--out", "{tmp}/o"],
     "--input must name a file or folder, not ' '"),
])
def test_empty_or_impossible_arguments_are_refused_not_taken_as_defaults(tmp_path, args, words):
    """`--as-of ""` (an unset shell variable, say) built as of the latest date as if no date
    were given, and `--input ""` built the default input; `generate --customers -5` wrote
    empty tables, `--claims-multiplier 0` no transactions, `--seed -1` ended in numpy's
    traceback. All are mistakes: exit 2, nothing written."""
    result = couponseg(*(a.format(tmp=tmp_path) for a in args), check=False)
    assert result.returncode == 2 and words in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_input_in_the_environment_is_the_one_built_unless_one_is_given(tmp_path):
    """`couponseg build` without --input built the shipped sample even with $COUPONSEG_INPUT
    set (README's hand-run recipe exports it), into the warehouse $COUPONSEG_WAREHOUSE named:
    another feed, built without a word. Each input here lacks a table, so the build stops at
    the check and says which input it read."""
    feeds = {}
    for name in ("from_environment", "from_option"):
        feeds[name] = tmp_path / name
        feeds[name].mkdir()
        for table in ("customers", "cities", "transactions", "branches", "merchants"):
            shutil.copy(REPO / "data" / "sample" / f"{table}.csv", feeds[name])
    env = {"COUPONSEG_INPUT": str(feeds["from_environment"])}
    for given, read in (([], "from_environment"), (["--input", feeds["from_option"]],
                                                   "from_option")):
        result = couponseg("build", *given, "--warehouse", tmp_path / "w.duckdb", check=False,
                           env=env)
        assert result.returncode == 2, result.stdout + result.stderr
        named = " ($COUPONSEG_INPUT)" if read == "from_environment" else ""
        assert result.stdout.startswith(f"Checking input {feeds[read]}{named} ..."), \
            result.stdout
        assert result.stderr.strip() == (
            f"couponseg: error: Input folder {feeds[read]}: missing file for table 'genders' "
            "(expected genders.csv or genders.parquet)")


def test_an_empty_warehouse_variable_is_no_warehouse_given(monkeypatch):
    """`COUPONSEG_WAREHOUSE=` (set, empty) named the current folder, refused as "a folder"
    for an option the user never gave; empty means not set, as for every other setting."""
    monkeypatch.setenv("COUPONSEG_WAREHOUSE", "")
    assert default_warehouse() == REPO / "data" / "warehouse.duckdb"
