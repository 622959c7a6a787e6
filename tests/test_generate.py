"""The generator follows the real workbook's schema and conventions, deterministically."""

from __future__ import annotations

import filecmp

import pandas as pd

from couponseg.generate import ARCHETYPES, generate
from models_py.loader import REQUIRED_COLUMNS


def test_same_seed_same_files(tmp_path):
    generate(tmp_path / "a", 300, seed=3)
    generate(tmp_path / "b", 300, seed=3)
    generate(tmp_path / "c", 300, seed=4)
    for name in ("customers.csv", "transactions.csv", "archetypes.csv"):
        assert filecmp.cmp(tmp_path / "a" / name, tmp_path / "b" / name, shallow=False)
    assert not filecmp.cmp(tmp_path / "a" / "transactions.csv",
                           tmp_path / "c" / "transactions.csv", shallow=False)


def test_schema_and_conventions(generated):
    tables = {t: pd.read_csv(generated / f"{t}.csv") for t in REQUIRED_COLUMNS}
    for table, columns in REQUIRED_COLUMNS.items():
        assert list(tables[table].columns) == list(columns)
    tx, customers = tables["transactions"], tables["customers"]
    assert set(tx["transaction_status"]) == {"subscribed", "burned"}
    assert (tx["burn_date"].notna() == (tx["transaction_status"] == "burned")).all()
    claim, burn = pd.to_datetime(tx["transaction_date"]), pd.to_datetime(tx["burn_date"])
    days = (burn - claim).dt.days.dropna()
    assert days.between(0, 89).all()
    joined = tx.merge(customers, on="customer_id")
    assert (pd.to_datetime(joined["transaction_date"]) >= pd.to_datetime(joined["join_date"])).all()
    assert len(tables["cities"]) == 20 and len(tables["genders"]) == 2
    assert len(tables["branches"]) == 10 and tables["branches"]["merchant_id"].nunique() == 8
    assert tx["coupon_name"].is_unique and tx["transaction_id"].is_unique


def test_archetypes_planted_for_every_customer(generated):
    archetypes = pd.read_csv(generated / "archetypes.csv")
    customers = pd.read_csv(generated / "customers.csv")
    assert list(archetypes["customer_id"]) == list(customers["customer_id"])
    assert set(archetypes["archetype"]) <= {a.name for a in ARCHETYPES}
    assert archetypes["archetype"].nunique() >= 4


def test_parquet_in_chunks_matches_size(tmp_path):
    counts = generate(tmp_path, 2500, seed=1, fmt="parquet", chunk_customers=1000)
    tx = pd.read_parquet(tmp_path / "transactions.parquet")
    assert len(tx) == counts["transactions"]
    assert tx["transaction_id"].is_unique
    assert pd.read_parquet(tmp_path / "customers.parquet")["customer_id"].is_unique


def test_shipped_sample_is_reproducible(tmp_path):
    """data/sample is exactly `couponseg generate --customers 1000 --seed 42` (make sample)."""
    from conftest import REPO

    generate(tmp_path, 1000, seed=42)
    for name in ("customers.csv", "transactions.csv", "archetypes.csv", "branches.csv"):
        assert filecmp.cmp(tmp_path / name, REPO / "data" / "sample" / name, shallow=False)
