"""The typical notebook approach, as the benchmark's baseline.

pandas merges of the six tables, groupby features, label-encoded gender and city,
StandardScaler, and KMeans for k = 2..10 with the silhouette on all rows. Prints its stage
times as JSON. Run by bench/run.py on the same files as couponseg.

``--silhouette-sample N``: the careful version of the same notebook, scoring each k's
silhouette on a random sample of N customers (scikit-learn's ``sample_size``) instead of all
rows, which is quadratic and dies at 1M transactions.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import LabelEncoder, StandardScaler

TABLES = ("customers", "genders", "cities", "transactions", "branches", "merchants")


def read(folder: Path, table: str) -> pd.DataFrame:
    if folder.suffix == ".xlsx":
        return pd.read_excel(folder, sheet_name=table)
    parquet = folder / f"{table}.parquet"
    return pd.read_parquet(parquet) if parquet.exists() else pd.read_csv(folder / f"{table}.csv")


def main(folder: Path, silhouette_sample: int | None = None) -> None:
    times, start = {}, time.perf_counter()
    t = {name: read(folder, name) for name in TABLES}
    df = (t["transactions"].merge(t["customers"], on="customer_id", how="left")
          .merge(t["cities"], on="city_id", how="left")
          .merge(t["genders"], on="gender_id", how="left")
          .merge(t["branches"], on="branch_id", how="left")
          .merge(t["merchants"], on="merchant_id", how="left"))
    times["load_merge"] = time.perf_counter() - start
    step = time.perf_counter()
    df["burned"] = (df["transaction_status"] == "burned").astype(int)
    features = df.groupby("customer_id").agg(
        total_transactions=("transaction_id", "count"), burned=("burned", "sum"),
        gender=("gender_name", "first"), city=("city_name", "first"),
    )
    features["burn_ratio"] = features["burned"] / features["total_transactions"]
    features["gender"] = LabelEncoder().fit_transform(features["gender"])
    features["city"] = LabelEncoder().fit_transform(features["city"])
    x = StandardScaler().fit_transform(features[["total_transactions", "burned", "burn_ratio",
                                                 "gender", "city"]])
    times["features"] = time.perf_counter() - step
    step = time.perf_counter()
    scores = {}
    for k in range(2, 11):
        labels = KMeans(n_clusters=k, n_init=10, random_state=42).fit_predict(x)
        sample = silhouette_sample if silhouette_sample and silhouette_sample < len(x) else None
        scores[k] = float(silhouette_score(x, labels, sample_size=sample, random_state=42))
    times["cluster"] = time.perf_counter() - step
    best = max(scores, key=scores.get)
    print(json.dumps({"stages": times, "best_k": best, "best_silhouette": scores[best],
                      "customers": len(features), "transactions": len(df)}))


if __name__ == "__main__":
    arguments = sys.argv[1:]
    size = None
    if arguments and arguments[0].startswith("--silhouette-sample="):
        size = int(arguments.pop(0).split("=", 1)[1])
    main(Path(arguments[0]), size)
