"""Property-based tests: for random small input tables, the real dbt build keeps its
invariants (burns <= claims, 0 <= burn rate <= 1, one row per customer, counts reconcile).

Each run explores new inputs (a random seed per run; Hypothesis prints the failing example,
the blob to replay it with @reproduce_failure, and keeps it in .hypothesis/ so the next run
tries it first). A build takes seconds, so a run tries $COUPONSEG_PROPERTY_EXAMPLES inputs
(default 3, new ones every run); set it higher for a longer search, or pass
--hypothesis-seed=N to repeat a run.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd
from conftest import couponseg, query
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

STATUSES = ["subscribed", "burned", " Burned ", "CLAIMED", "burnt", "redeemed", None]
DAY0 = dt.date(2023, 1, 1)


@st.composite
def coupon_tables(draw) -> dict[str, pd.DataFrame]:
    n_customers = draw(st.integers(40, 60))
    customers = pd.DataFrame({
        "customer_id": range(1, n_customers + 1),
        "join_date": [DAY0 + dt.timedelta(days=draw(st.integers(0, 300)))
                      for _ in range(n_customers)],
        "city_id": draw(st.lists(st.sampled_from([1, 1, 2, 2, 3, 3, 9]), min_size=n_customers,
                                 max_size=n_customers)),
        "gender_id": draw(st.lists(st.sampled_from([1, 2]), min_size=n_customers,
                                   max_size=n_customers)),
    })
    n_tx = draw(st.integers(0, 120))
    rows = []
    for i in range(1, n_tx + 1):
        claim = DAY0 + dt.timedelta(days=draw(st.integers(0, 400)))
        burn_offset = draw(st.one_of(st.none(), st.integers(-5, 89)))
        rows.append({
            "transaction_id": draw(st.sampled_from([i, i, i, max(1, i - 1)])),  # some dups
            "customer_id": draw(st.integers(1, n_customers + 2)),  # some orphans
            "transaction_date": claim,
            "transaction_status": draw(st.sampled_from(STATUSES)),
            "coupon_name": f"c{i}",
            "burn_date": None if burn_offset is None else claim + dt.timedelta(days=burn_offset),
            "branch_id": draw(st.sampled_from([1, 2, 3, 7])),
        })
    transactions = pd.DataFrame(rows, columns=["transaction_id", "customer_id",
                                               "transaction_date", "transaction_status",
                                               "coupon_name", "burn_date", "branch_id"])
    if transactions.empty:
        transactions.loc[0] = [1, 1, DAY0, "subscribed", "c1", None, 1]
    return {"_line_endings": draw(st.sampled_from(["\n", "\r\n", "mixed"])), **{
        "customers": customers, "transactions": transactions,
        "genders": pd.DataFrame({"gender_id": [1, 2], "gender_name": ["Male", "Female"]}),
        "cities": pd.DataFrame({"city_id": [1, 2, 3], "city_name": ["Cairo", "Giza", "Suez"]}),
        "branches": pd.DataFrame({"branch_id": [1, 2, 3], "merchant_id": [1, 1, 2]}),
        "merchants": pd.DataFrame({"merchant_id": [1, 2, 3], "merchant_name": ["A", "B", "C"]}),
    }}


def _write_csv(frame: pd.DataFrame, path: Path, line_endings: str) -> None:
    """CSV with LF, CRLF, or both alternating (a file edited on two systems)."""
    lines = frame.to_csv(index=False, lineterminator="\n").splitlines()
    if line_endings == "mixed":
        path.write_bytes("".join(ln + ("\r\n" if i % 2 else "\n")
                                 for i, ln in enumerate(lines)).encode())
    else:
        path.write_bytes("".join(ln + line_endings for ln in lines).encode())


@settings(max_examples=int(os.environ.get("COUPONSEG_PROPERTY_EXAMPLES", "3")), deadline=None,
          print_blob=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(tables=coupon_tables())
def test_marts_keep_their_invariants(tables, tmp_path_factory):
    folder = tmp_path_factory.mktemp("prop")
    tables = dict(tables)
    line_endings = tables.pop("_line_endings")
    for name, frame in tables.items():
        _write_csv(frame, folder / f"{name}.csv", line_endings)
    warehouse = folder / "w.duckdb"
    couponseg("build", "--input", folder, "--warehouse", warehouse)  # dbt tests run too

    recon = query(warehouse, "select * from audit.audit_row_reconciliation")
    assert recon["reconciles"].all()
    raw = {name: len(frame) for name, frame in tables.items()}
    assert dict(zip(recon["source_table"], recon["raw_rows"], strict=True)) == raw

    features = query(warehouse, "select * from marts.customer_features")
    customers = query(warehouse, "select customer_id from marts.dim_customers")
    assert features["customer_id"].is_unique
    assert set(features["customer_id"]) == set(customers["customer_id"])
    assert (features["burns"] <= features["claims"]).all()
    rate = features["burn_rate"].dropna()
    assert ((rate >= 0) & (rate <= 1)).all()
    assert features["claims"].sum() == query(
        warehouse, "select count(*) n from marts.fct_coupon_transactions")["n"][0]
    segments = query(warehouse, "select customer_id from segments.customer_segments")
    assert sorted(segments["customer_id"]) == sorted(features["customer_id"])
