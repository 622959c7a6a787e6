"""The thin layer between dbt Python models and the segmentation package.

dbt hands over a DuckDB relation; this reads only the needed columns (as Arrow, not row by
row), runs the cached segmentation once per build, and returns plain DataFrames.
"""

from __future__ import annotations

import pandas as pd

from models_py.segmentation.features import SOURCE_COLUMNS
from models_py.segmentation.pipeline import segment_customers_cached


def _params(config: dict | None) -> dict[str, int]:
    config = config or {}
    return {
        "seed": int(config.get("seed", 42)),
        "k_min": int(config.get("k_min", 2)),
        "k_max": int(config.get("k_max", 10)),
    }


def _run(relation, config: dict | None):
    frame = relation.project(", ".join(SOURCE_COLUMNS)).to_arrow_table().to_pandas()
    return segment_customers_cached(frame, **_params(config))


def assignments(relation, config: dict | None = None) -> pd.DataFrame:
    """customer_id, segment_id, confidence, distance, 2-D projection, algorithm."""
    return _run(relation, config).assignments


def model_selection(relation, config: dict | None = None) -> pd.DataFrame:
    """One row per (algorithm, setting) with every metric and the chosen flag."""
    table = _run(relation, config).selection.copy()
    table["k"] = table["k"].astype("Int64")
    return table
