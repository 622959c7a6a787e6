"""The marts match expectations computed independently (pandas) from the input files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import query


@pytest.fixture(scope="module")
def source(built):
    tx = pd.read_csv(built.input / "transactions.csv",
                     parse_dates=["transaction_date", "burn_date"])
    customers = pd.read_csv(built.input / "customers.csv", parse_dates=["join_date"])
    return tx, customers


def test_row_counts_reconcile(built, source):
    tx, customers = source
    recon = query(built.warehouse, "select * from audit.audit_row_reconciliation")
    assert recon["reconciles"].all()
    counts = dict(zip(recon["source_table"], recon["staged_rows"], strict=True))
    assert counts["transactions"] == len(tx) and counts["customers"] == len(customers)
    assert query(built.warehouse, "select count(*) n from marts.fct_coupon_transactions")["n"][0] \
        == len(tx)


def test_customer_features_match_pandas(built, source):
    tx, customers = source
    as_of = max(tx["transaction_date"].max(), tx["burn_date"].max(), customers["join_date"].max())
    tx = tx.assign(burnt=tx["transaction_status"] == "burned",
                   days=(tx["burn_date"] - tx["transaction_date"]).dt.days)
    per = tx.groupby("customer_id").agg(
        claims=("transaction_id", "size"), burns=("burnt", "sum"),
        mean_days=("days", "mean"), merchants=("branch_id", "nunique"),
        last_claim=("transaction_date", "max"), last_burn=("burn_date", "max"))
    expected = customers.set_index("customer_id").join(per)
    expected[["claims", "burns"]] = expected[["claims", "burns"]].fillna(0)
    last = expected[["last_claim", "last_burn"]].max(axis=1)
    expected["recency"] = (as_of - last).dt.days
    features = query(built.warehouse, "select * from marts.customer_features").set_index(
        "customer_id").loc[expected.index]
    assert len(features) == len(customers)
    assert (features["claims"] == expected["claims"]).all()
    assert (features["burns"] == expected["burns"]).all()
    assert np.allclose(features["mean_days_to_burn"], expected["mean_days"], equal_nan=True)
    assert np.allclose(features["recency_days"], expected["recency"], equal_nan=True)
    assert (features["tenure_days"] == (as_of - expected["join_date"]).dt.days).all()
    no_tx = expected["claims"] == 0
    assert no_tx.any(), "generated data should include customers without transactions"
    assert features.loc[no_tx, "burn_rate"].isna().all()
    assert (~features.loc[no_tx, "has_transactions"]).all()


def test_as_of_is_latest_date_unless_given(built, source):
    tx, customers = source
    as_of = query(built.warehouse, "select as_of_date from marts.run_context")["as_of_date"][0]
    latest = max(tx["transaction_date"].max(), tx["burn_date"].max(), customers["join_date"].max())
    assert pd.Timestamp(as_of) == latest


def test_input_fingerprint_recorded(built):
    ctx = query(built.warehouse, "select * from marts.run_context").iloc[0]
    assert len(ctx["input_fingerprint"]) == 64 and ctx["input_kind"] == "folder"


def test_cli_summary_lists_rows_and_segments(built):
    assert "transactions" in built.stdout and "segment 0:" in built.stdout
    # the shipped sample's feeds end apart (claims stop 75 days before the last burn), but
    # within the burn window: nothing to warn about
    assert "WARNING" not in built.stdout


def test_real_workbook(real_built):
    w = real_built.warehouse
    assert query(w, "select count(*) n from marts.fct_coupon_transactions")["n"][0] == 5000
    assert query(w, "select count(*) n from marts.customer_features")["n"][0] == 1000
    assert query(w, "select count(*) n from marts.customer_features where not has_transactions"
                 )["n"][0] == 11
    status = query(w, "select status, count(*) n from marts.fct_coupon_transactions group by 1")
    assert dict(zip(status["status"], status["n"], strict=True)) == {"claimed": 2484,
                                                                     "burnt": 2516}
    ctx = query(w, "select * from marts.run_context").iloc[0]
    assert str(ctx["as_of_date"])[:10] == "2024-10-08" and ctx["input_kind"] == "xlsx"
    merchants = query(w, "select count(*) filter (where not has_branch) n from marts.dim_merchants")
    assert merchants["n"][0] == 12
