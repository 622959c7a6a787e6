"""Damaged inputs: a clear error (file, sheet, column, rows; exit 2; no traceback) or rows in
audit_rejected_rows with the right reasons, and counts that reconcile."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from conftest import couponseg, query
from damage import append, read_tables, write_folder, write_workbook


@pytest.fixture(scope="module")
def clean(generated) -> dict[str, pd.DataFrame]:
    return read_tables(generated)


def _error(tmp_path, input_path) -> str:
    result = couponseg("build", "--input", input_path, "--warehouse", tmp_path / "w.duckdb",
                       check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "w.duckdb").exists()
    return result.stderr


def test_missing_sheet(clean, tmp_path):
    tables = {k: v for k, v in clean.items() if k != "branches"}
    message = _error(tmp_path, write_workbook(tables, tmp_path / "in.xlsx"))
    assert "in.xlsx" in message and "missing sheet 'branches'" in message


def test_missing_or_renamed_column(clean, tmp_path):
    tables = copy.deepcopy(clean)
    tables["customers"] = tables["customers"].rename(columns={"join_date": "joined"})
    message = _error(tmp_path, write_workbook(tables, tmp_path / "in.xlsx"))
    assert "sheet 'customers'" in message and "missing column(s) join_date" in message
    assert "joined" in message  # says what it found instead


def test_missing_csv_file(clean, tmp_path):
    folder = write_folder({k: v for k, v in clean.items() if k != "merchants"}, tmp_path / "in")
    assert "missing file for table 'merchants'" in _error(tmp_path, folder)


def test_not_a_workbook(tmp_path):
    fake = tmp_path / "fake.xlsx"
    fake.write_text("this is not a spreadsheet")
    assert "fake.xlsx: not a readable .xlsx workbook" in _error(tmp_path, fake)


def test_empty_table(clean, tmp_path):
    tables = copy.deepcopy(clean)
    tables["transactions"] = tables["transactions"].iloc[0:0]
    message = _error(tmp_path, write_folder(tables, tmp_path / "in"))
    assert "transactions.csv (table 'transactions'): no data rows" in message


def test_missing_input(tmp_path):
    assert "Input not found" in _error(tmp_path, tmp_path / "nowhere.xlsx")


@pytest.fixture(scope="module")
def damaged(clean, tmp_path_factory):
    """One workbook with many kinds of damage at known rows, built once."""
    t = copy.deepcopy(clean)
    tx, customers, branches = t["transactions"], t["customers"], t["branches"]
    first = tx.iloc[0].to_dict()
    rows = {}
    next_id = len(tx) + 1000

    def add_tx(reason, **changes):
        nonlocal next_id
        next_id += 1
        values = {**first, "transaction_id": str(next_id), **changes}
        rows.setdefault(("transactions", reason), []).append(append(tx, **values))

    add_tx("duplicate_row", transaction_id=first["transaction_id"])
    add_tx("unknown_customer_id", customer_id="999999")
    add_tx("unknown_branch_id", branch_id="77")
    add_tx("burn_before_claim", transaction_status="burned", transaction_date="2024-01-10",
           burn_date="2024-01-01")
    add_tx("burnt_without_burn_date", transaction_status="burned", burn_date=None)
    add_tx("claimed_with_burn_date", transaction_status="subscribed",
           transaction_date="2024-01-01", burn_date="2024-01-05")
    add_tx("unknown_transaction_status", transaction_status="redeemed", burn_date=None)
    add_tx("missing_transaction_id", transaction_id=None)
    add_tx("invalid_transaction_date", transaction_date="yesterday")
    add_tx("invalid_customer_id", customer_id="abc")
    kept = [append(tx, **{**first, "transaction_id": str(next_id + 1),
                          "transaction_status": " Burned ", "transaction_date": "15/03/2024",
                          "burn_date": "45370"})]  # padded mixed case, day-first, Excel serial
    rows[("customers", "unknown_city_id")] = [append(
        customers, customer_id="900001", join_date="2022-01-01", city_id="99", gender_id="1")]
    rows[("customers", "unknown_gender_id")] = [append(
        customers, customer_id="900002", join_date="2022-01-01", city_id="1", gender_id="3")]
    rows[("customers", "invalid_join_date")] = [append(
        customers, customer_id="900003", join_date="31/31/2022", city_id="1", gender_id="1")]
    dup = customers.iloc[4].to_dict()
    rows[("customers", "conflicting_duplicate_customer_id")] = [
        5 + 1, append(customers, **{**dup, "city_id": "2" if dup["city_id"] != "2" else "3"})]
    rows[("branches", "unknown_merchant_id")] = [append(branches, branch_id="11",
                                                        merchant_id="99")]
    tx["promo_code"] = "extra column, ignored"
    path = write_workbook(t, tmp_path_factory.mktemp("damaged") / "damaged.xlsx",
                          extra_sheets={"notes": pd.DataFrame({"a": [1]})})
    warehouse = path.parent / "w.duckdb"
    result = couponseg("build", "--input", path, "--warehouse", warehouse)
    return {"rows": rows, "kept": kept, "warehouse": warehouse, "stdout": result.stdout,
            "dup_customer": dup["customer_id"], "tables": t}


def test_each_damage_rejected_with_its_reason(damaged):
    audit = query(damaged["warehouse"], "select * from audit.audit_rejected_rows")
    for (table, reason), source_rows in damaged["rows"].items():
        got = audit[(audit["source_table"] == table) & audit["source_row"].isin(source_rows)]
        assert list(got["reason"]) == [reason] * len(source_rows), (table, reason, got)


def test_cascade_of_rejected_customer(damaged):
    """Transactions of a customer rejected as a conflicting duplicate are rejected too,
    as unknown_customer_id, not silently lost."""
    audit = query(damaged["warehouse"], "select * from audit.audit_rejected_rows "
                  "where source_table = 'transactions' and reason = 'unknown_customer_id'")
    tx = damaged["tables"]["transactions"]
    expected = (tx["customer_id"] == damaged["dup_customer"]).sum() + 1  # + the 999999 row
    assert len(audit) == expected


def test_tolerated_formats_are_kept(damaged):
    kept = query(damaged["warehouse"], "select * from staging.stg_transactions where "
                 f"source_row = {damaged['kept'][0]}").iloc[0]
    assert kept["status"] == "burnt" and str(kept["claim_date"])[:10] == "2024-03-15"
    assert str(kept["burn_date"])[:10] == "2024-03-19"  # Excel day 45370


def test_counts_reconcile_and_are_reported(damaged):
    recon = query(damaged["warehouse"], "select * from audit.audit_row_reconciliation")
    assert recon["reconciles"].all()
    raw = {t: len(f) for t, f in damaged["tables"].items()}
    assert dict(zip(recon["source_table"], recon["raw_rows"], strict=True)) == raw
    out = damaged["stdout"]
    assert "Rejected rows by reason" in out and "burn_before_claim" in out


@pytest.mark.parametrize("variant", ["semicolon", "bom", "latin1"])
def test_csv_dialects(clean, tmp_path, variant):
    tables = copy.deepcopy(clean)
    tables["cities"].loc[0, "city_name"] = "Port Saïd"
    options = {"semicolon": {"sep": ";"}, "bom": {"encoding": "utf-8-sig"},
               "latin1": {"encoding": "latin-1"}}[variant]
    folder = write_folder(tables, tmp_path / "in", **options)
    warehouse = tmp_path / "w.duckdb"
    couponseg("build", "--input", folder, "--warehouse", warehouse)
    cities = query(warehouse, "select city_name from staging.stg_cities where city_id = 1")
    assert cities["city_name"][0] == "Port Saïd"
    assert query(warehouse, "select count(*) n from audit.audit_rejected_rows")["n"][0] == 0


def test_everything_rejected_still_builds_and_says_so(clean, tmp_path):
    """Every transaction has an unknown status: all are rejected with that reason, the
    customers remain (with no activity, segmented by tenure alone), and the report renders."""
    tables = copy.deepcopy(clean)
    tables["transactions"]["transaction_status"] = "redeemed"
    tables["transactions"]["burn_date"] = None
    folder = write_folder(tables, tmp_path / "in")
    warehouse = tmp_path / "w.duckdb"
    result = couponseg("run", "--input", folder, "--warehouse", warehouse, "--out",
                       tmp_path / "out")
    audit = query(warehouse, "select reason, count(*) n from audit.audit_rejected_rows group by 1")
    assert dict(zip(audit["reason"], audit["n"], strict=True)) == {
        "unknown_transaction_status": len(tables["transactions"])}
    features = query(warehouse, "select * from marts.customer_features")
    assert len(features) == len(tables["customers"]) and not features["has_transactions"].any()
    names = query(warehouse, "select distinct segment_name from segments.customer_segments")
    assert names["segment_name"].str.startswith(("Never activated", "New joiners")).all()
    assert "unknown_transaction_status" in result.stdout
    assert (tmp_path / "out" / "dashboard.pdf").exists()


def test_typed_parquet_is_judged_like_text(clean, tmp_path):
    """Parquet keeps its types in raw; staging takes typed ids and dates as they are and
    still rejects what does not fit: a non-whole DOUBLE id, a duplicate typed key, a burn
    before its claim. Timestamps and day-first text dates in a Parquet file are accepted."""
    t = copy.deepcopy(clean)
    tx = t["transactions"]
    first = tx.iloc[0].to_dict()
    base_id = len(tx) + 5000
    bad_id = append(tx, **{**first, "transaction_id": str(base_id), "customer_id": "12.5"})
    dup = append(tx, **{**first})
    early = append(tx, **{**first, "transaction_id": str(base_id + 1),
                          "transaction_status": "burned", "transaction_date": "2024-02-10",
                          "burn_date": "2024-02-01"})
    kept = append(tx, **{**first, "transaction_id": str(base_id + 2),
                         "transaction_status": "burned", "transaction_date": "2024-02-10",
                         "burn_date": "2024-02-12"})
    folder = tmp_path / "typed"
    folder.mkdir()
    typed = {
        "customers": t["customers"].astype({"customer_id": "int64", "city_id": "int64",
                                             "gender_id": "int64"})
        .assign(join_date=lambda f: pd.to_datetime(f["join_date"])),  # TIMESTAMP
        "transactions": tx.assign(
            transaction_id=tx["transaction_id"].astype("int64"),
            customer_id=tx["customer_id"].astype("float64"),  # DOUBLE, one value 12.5
            branch_id=tx["branch_id"].astype("int64"),
            transaction_date=pd.to_datetime(tx["transaction_date"]).dt.date,  # DATE
        ),  # burn_date stays text
    }
    for name, frame in {**t, **typed}.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    warehouse = tmp_path / "w.duckdb"
    couponseg("build", "--input", folder, "--warehouse", warehouse)
    types = query(warehouse, "select column_name, data_type from information_schema.columns "
                  "where table_schema = 'raw' and table_name = 'raw_transactions'")
    assert dict(zip(types["column_name"], types["data_type"], strict=True))[
        "transaction_id"] == "BIGINT"
    audit = query(warehouse, "select source_row, reason from audit.audit_rejected_rows "
                  "where source_table = 'transactions'")
    reasons = dict(zip(audit["source_row"], audit["reason"], strict=True))
    assert reasons == {bad_id: "invalid_customer_id", dup: "duplicate_row",
                       early: "burn_before_claim"}
    row = query(warehouse, f"select * from marts.fct_coupon_transactions "
                f"where transaction_id = {base_id + 2}").iloc[0]
    assert row["days_to_burn"] == 2 and row["status"] == "burnt" and kept
    recon = query(warehouse, "select * from audit.audit_row_reconciliation")
    assert recon["reconciles"].all()
