"""Train a segment model on a fixed-size sample and describe it as one row of data.

Training = model selection on the sample (``selection.py``), then the winner summarised as
what scoring needs: the feature spec, the standardisation constants, one centroid per
segment in canonical order, and a 2-D projection. Segment ids are canonical: ordered by the
centroid's value score (standardised log claims + burn rate - log recency; the score is
linear, so this is the segment's mean value score), so segment 0 is the most valuable group.

Whether to train at all is decided in ``store.py`` (without importing scikit-learn).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

import numpy as np
import pandas as pd
import pyarrow as pa
from sklearn.decomposition import PCA

from models_py.segmentation.features import transform_columns
from models_py.segmentation.selection import rule_parameters, select_model
from models_py.segmentation.store import (
    CANDIDATE_FIELDS,
    MODEL_SCHEMA,
    TrainingSettings,
    spec_columns,
)

MIN_CUSTOMERS = 20  # below this, clustering and its metrics say nothing
VALUE_WEIGHTS = {"log_claims": 1.0, "burn_rate": 1.0, "log_recency_days": -1.0}


def _standardise(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    centres = raw.mean(axis=0)
    scales = raw.std(axis=0)
    scales = np.where(scales > 0, scales, 1.0)
    return (raw - centres) / scales, centres, scales


def _nearest(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return ((x[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)


def _canonical(centres: np.ndarray, labels: np.ndarray, names: list[str]) -> np.ndarray:
    """Order of the centroids: descending value score, ties to the larger segment."""
    value = sum(w * centres[:, names.index(f)] for f, w in VALUE_WEIGHTS.items())
    size = np.bincount(labels, minlength=len(centres))
    return np.lexsort((-size, -np.round(value, 9)))


def _projection(x: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """2-D PCA weights (signs fixed so the picture never flips) and centre."""
    if len(np.unique(x.round(9), axis=0)) < 3:
        return np.zeros((2, x.shape[1])), np.zeros(x.shape[1])
    pca = PCA(n_components=2, random_state=seed).fit(x)
    signs = np.sign(pca.components_[np.arange(2), np.abs(pca.components_).argmax(axis=1)])
    return pca.components_ * signs[:, None], pca.mean_


def _single_segment(x: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, str, str, str]:
    """Everyone in one segment when the sample's customers do not differ at all (for example
    when every transaction was rejected): nothing to cluster, and saying so beats failing
    the build or inventing segments."""
    table = pd.DataFrame([{
        "algorithm": "none", "k": 1, "params": "no behavioural variation", "n_segments": 1,
        "noise_share": 0.0, "smallest_segment_share": 1.0, "inertia": 0.0,
        "silhouette": np.nan, "davies_bouldin": np.nan, "calinski_harabasz": np.nan,
        "stability_ari": 1.0, "is_chosen": True, "is_eligible": False,
        "shuffled_silhouette": np.nan,
    }])
    return table, x.mean(axis=0, keepdims=True), "none", "no behavioural variation", \
        "single_segment"


def train(sample: pd.DataFrame, settings: TrainingSettings, version: int, as_of: dt.date,
          fingerprint: str, reason: str) -> pa.Table:
    """One ``segments.segment_model`` row for a model trained on ``sample`` (source columns
    of customer_features, at most ``sample_size`` customers)."""
    sample = sample.sort_values("customer_id").reset_index(drop=True)
    if len(sample) < MIN_CUSTOMERS:
        raise ValueError(f"segmentation needs at least {MIN_CUSTOMERS} customers, "
                         f"got {len(sample)} who had joined by the as-of date {as_of} and "
                         "were kept (an --as-of before most of the data, or most customer "
                         "rows rejected: see audit.audit_rejected_rows)")
    specs = settings.specs
    names = [s.name for s in specs]
    columns = {c: sample[c].to_numpy(dtype=np.float64, na_value=np.nan)
               for c in sample.columns if c != "customer_id"}
    columns["customer_id"] = sample["customer_id"].to_numpy()
    x, centres, scales = _standardise(transform_columns(columns, specs))
    if len(np.unique(x.round(9), axis=0)) < max(settings.k_min, 2):
        table, centroids, algorithm, params, outcome = _single_segment(x)
    else:
        k_max = max(settings.k_min, min(settings.k_max, len(x) // 5))
        table, winner, outcome = select_model(x, settings.k_min, k_max, settings.seed)
        centroids, algorithm, params = winner.centres_, winner.algorithm, winner.params
    labels = _nearest(x, centroids)
    order = _canonical(centroids, labels, names)
    centroids = centroids[order]
    labels = np.argsort(order)[labels]
    weights, projection_centre = _projection(x, settings.seed)
    chosen = table[table["is_chosen"]].iloc[0]
    row = {
        "model_version": version, "trained_as_of": as_of,
        "trained_input_fingerprint": fingerprint, "training_reason": reason,
        "algorithm": algorithm, "params": params, "n_segments": len(centroids),
        **{k: v for k, v in asdict(settings).items() if k not in ("retrain",
                                                                  "burn_window_days")},
        "sample_rows": len(x),
        **spec_columns(specs),
        "feature_centres": centres.tolist(), "feature_scales": scales.tolist(),
        "centroids": centroids.tolist(),
        "projection_x_weights": weights[0].tolist(), "projection_y_weights": weights[1].tolist(),
        "projection_centre": projection_centre.tolist(),
        **{m: _float(chosen[m]) for m in ("silhouette", "davies_bouldin", "calinski_harabasz",
                                          "stability_ari", "shuffled_silhouette")},
        "selection_outcome": outcome,
        **rule_parameters(),
        "candidates": _candidates(table),
        "sample_customer_ids": sample["customer_id"].astype("int64").tolist(),
        "sample_segment_ids": labels.astype("int32").tolist(),
    }
    return pa.Table.from_pylist([row], schema=MODEL_SCHEMA)


def _float(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _candidates(table: pd.DataFrame) -> list[dict]:
    out = []
    for record in table.to_dict("records"):
        item = {}
        for name, kind in CANDIDATE_FIELDS:
            value = record.get(name)
            if pa.types.is_floating(kind):
                value = _float(value)
            elif pa.types.is_integer(kind):
                value = None if value is None or pd.isna(value) else int(value)
            elif pa.types.is_boolean(kind):
                value = bool(value)
            item[name] = value
        out.append(item)
    return out
