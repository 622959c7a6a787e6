"""The DuckDB rewrites of the checks that read every transaction (macros/data_tests.sql) find
exactly what the plain versions find: dbt's unique, relationships and unique_combination tests
still fail on a broken mart, and coupon names claimed often enough still get their own offers
(repeated_values), checked against pandas on the same rows."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import couponseg, dbt_on_copy, query

BROKEN_TESTS = {
    "unique_fct_coupon_transactions_transaction_id": 1,
    "relationships_fct_coupon_transactions_customer_id__customer_id__ref_dim_customers_": 1,
    "unique_combination_fct_customer_active_months_customer_id__activity_month": 1,
}


def _break_marts(warehouse: Path) -> None:
    """One copied transaction, one transaction of a customer who does not exist, one copied
    customer-month: each breaks exactly one of BROKEN_TESTS once."""
    with duckdb.connect(str(warehouse)) as con:
        kept = "from staging.validated_transactions where reject_reason is null"
        copied = con.execute(f"select * {kept} limit 1").fetchone()
        for _ in range(2):  # three copies of one transaction: one failing value, 3 rows
            con.execute(f"insert into staging.validated_transactions values "
                        f"({', '.join('?' * len(copied))})", copied)
        con.execute(f"""insert into staging.validated_transactions
            select * replace (-7 as customer_id, -7 as transaction_id) {kept} limit 1""")
        con.execute("insert into marts.fct_customer_active_months "
                    "select * from marts.fct_customer_active_months limit 1")


def _dbt_test(warehouse: Path, target: Path, select: list[str], input_path: Path) -> dict:
    dbt_on_copy(warehouse, "test", "--select", *select, input_path=input_path, target=target)
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[2]: (r["status"], r["failures"]) for r in results
            if not r["unique_id"].startswith("operation.")}  # the on-run-start check of vars


def test_generic_tests_still_fail_on_broken_marts(built, tmp_path):
    warehouse = tmp_path / "copy" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    shutil.copy(built.warehouse, warehouse)
    clean = _dbt_test(warehouse, tmp_path / "clean", list(BROKEN_TESTS), built.input)
    assert clean == {name: ("pass", 0) for name in BROKEN_TESTS}
    _break_marts(warehouse)
    broken = _dbt_test(warehouse, tmp_path / "broken", list(BROKEN_TESTS), built.input)
    assert broken == {name: ("fail", n) for name, n in BROKEN_TESTS.items()}
    # DuckDB ran the project's versions (macros/data_tests.sql), not dbt's
    compiled = {name: _compiled(tmp_path / "broken", name) for name in BROKEN_TESTS}
    assert "lag(transaction_id) over" in compiled["unique_fct_coupon_transactions_transaction_id"]
    relationships = compiled[next(n for n in BROKEN_TESTS if n.startswith("relationships"))]
    assert "not in" in relationships  # over parent keys without nulls, like the children:
    assert relationships.count("where customer_id is not null") == 2
    assert "lag(row_hash, 1) over (order by row_hash)" in compiled[
        "unique_combination_fct_customer_active_months_customer_id__activity_month"]
    # the failing rows have dbt's own shape: the repeated value and how many rows carry it
    stored = _dbt_test(warehouse, tmp_path / "stored", [*BROKEN_TESTS, "--store-failures"],
                       built.input)
    assert stored == broken
    rows = query(warehouse, _stored_failures(warehouse, "unique_fct_coupon_transactions_"))
    assert list(rows.columns) == ["unique_field", "n_records"]
    assert rows["n_records"].tolist() == [3]
    rows = query(warehouse, _stored_failures(warehouse, "relationships_fct_coupon_trans"))
    assert rows["from_field"].tolist() == [-7]
    rows = query(warehouse, _stored_failures(warehouse, "unique_combination_fct_custome"))
    assert rows["copies"].tolist() == [2]


def _compiled(target: Path, test_name: str) -> str:
    """The SQL dbt ran for the test (run_results keeps it; long names are hashed on disk)."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    code, = (r["compiled_code"] for r in results if r["unique_id"].split(".")[2] == test_name)
    return code


def _stored_failures(warehouse: Path, prefix: str) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (schema, name), = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_name like ?", [prefix + "%"]).fetchall()
    return f'select * from "{schema}"."{name}"'


@pytest.fixture(scope="module")
def repeated_names(generated, tmp_path_factory) -> Path:
    """The generated input with three coupon names used many times: 'SPRING' on 30 claims at
    one merchant's branches, 'ALMOST' on 29 there, 'SPLIT' on 30 spread over two merchants."""
    folder = tmp_path_factory.mktemp("repeated_names")
    for path in generated.iterdir():
        shutil.copy(path, folder / path.name)
    tx = pd.read_csv(folder / "transactions.csv", dtype=object)
    branches = pd.read_csv(folder / "branches.csv", dtype=object)
    merchant_of = dict(zip(branches["branch_id"], branches["merchant_id"], strict=True))
    by_merchant = tx.groupby(tx["branch_id"].map(merchant_of)).groups
    first, second = sorted(by_merchant, key=lambda m: -len(by_merchant[m]))[:2]
    at_first, at_second = list(by_merchant[first]), list(by_merchant[second])
    tx.loc[at_first[:30], "coupon_name"] = "SPRING"
    tx.loc[at_first[30:59], "coupon_name"] = "ALMOST"
    tx.loc[at_first[59:74] + at_second[:15], "coupon_name"] = "SPLIT"
    tx.to_csv(folder / "transactions.csv", index=False)
    work = tmp_path_factory.mktemp("repeated_built")
    couponseg("build", "--input", folder, "--warehouse", work / "warehouse.duckdb")
    return work / "warehouse.duckdb"


def test_coupon_offers_are_the_names_claimed_often_enough(repeated_names):
    facts = query(repeated_names, "select merchant_id, coupon_name "
                                  "from marts.fct_coupon_transactions")
    counts = facts.groupby(["merchant_id", "coupon_name"]).size()
    expected = {(int(m), c) for (m, c), n in counts.items() if n >= 30}
    assert {c for _, c in expected} == {"SPRING"}  # the kept rows, as pandas counts them
    offers = query(repeated_names, """
        select merchant_id, coupon_name, sum(claims) as claims
        from segments.segment_offer_affinity where offer_level = 'coupon'
        group by all""")
    assert {(int(r.merchant_id), r.coupon_name) for r in offers.itertuples()} == expected
    assert offers["claims"].tolist() == [30]


def test_hash_sorted_repeats_finds_what_a_group_by_finds(built, tmp_path):
    """unique_combination and repeated_values over several columns sort one hash per row on
    DuckDB (macros/data_tests.sql, hash_sorted_repeats). Compiled by the real dbt and run on
    rows made for it, they return exactly what a plain group by returns: nulls equal in
    unique_combination (as dbt's version, a group by) and left out of repeated_values, each
    repeated combination once with its number of rows, nothing that occurs fewer times."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse, warehouse)

    def compiled(call: str) -> str:
        result = dbt_on_copy(warehouse, "compile", "--quiet", "--inline", "{{ " + call + " }}",
                             input_path=built.input, target=tmp_path / "target")
        assert result.returncode == 0, result.stdout[-3000:]
        return result.stdout

    unique_sql = compiled("unique_combination_rows('crafted', ['a', 'b', 'c'])")
    repeated_sql = compiled("repeated_values('crafted', ['a', 'b', 'c'], 3)")
    assert "hash(a, b, c)" in unique_sql and "hash(a, b, c)" in repeated_sql
    with duckdb.connect() as con:
        # 3,000 rows over few values: combinations once, twice and more, nulls in each column
        con.execute("""create table crafted as
            select
                case when i % 17 = 0 then null else (i * 7) % 37 end as a,
                case when i % 23 = 0 then null else date '2024-01-01' + cast((i * 3) % 5 as integer)
                end as b,
                case when i % 29 = 0 then null else 'v' || ((i * i) % 13) end as c
            from range(3000) as t(i)""")
        con.execute("insert into crafted values (1000, null, null), (1000, null, null), "
                    "(1001, date '2024-01-01', 'x'), (1002, null, 'only once')")

        def rows(sql: str) -> set[tuple]:
            return set(con.execute(sql).fetchall())

        expected_unique = rows("select a, b, c, count(*) from crafted group by all "
                               "having count(*) > 1")
        expected_repeated = rows("select a, b, c from crafted where a is not null and "
                                 "b is not null and c is not null group by all "
                                 "having count(*) >= 3")
        assert (1000, None, None, 2) in expected_unique  # nulls equal, as in a group by
        assert len(expected_unique) > 500 and len(expected_repeated) > 100
        assert rows("select count(*) from crafted group by a, b, c having count(*) = 1")
        assert rows(unique_sql) == expected_unique
        assert rows(repeated_sql) == expected_repeated
