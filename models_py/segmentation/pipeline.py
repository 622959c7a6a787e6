"""Segmentation end to end on a customer_features frame, with canonical labels.

Segment ids are canonical: ordered by the segment's mean value score (standardised
log claims + standardised burn rate - standardised log recency), so segment 0 is always the
most valuable group and a rerun on the same input and seed gives identical labels.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA

from models_py.segmentation.candidates import Candidate
from models_py.segmentation.features import FEATURES, BehaviourScaler
from models_py.segmentation.selection import select_model

SAMPLE_SIZE = 3000
MIN_CUSTOMERS = 20  # below this, clustering and its metrics say nothing
VALUE_WEIGHTS = {"log_claims": 1.0, "burn_rate": 1.0, "log_recency_days": -1.0}


@dataclass(frozen=True)
class SegmentationResult:
    """The two tables written back to DuckDB."""

    selection: pd.DataFrame  # one row per candidate, every metric, is_chosen
    assignments: pd.DataFrame  # one row per customer


def _value_score(x: np.ndarray) -> np.ndarray:
    return sum(w * x[:, FEATURES.index(f)] for f, w in VALUE_WEIGHTS.items())


def _final_fit(winner: Candidate, x: np.ndarray, sample: np.ndarray, seed: int) -> Candidate:
    """KMeans is refitted on every row from the sample's centroids; the others keep the
    sample fit and label the remaining rows by prediction or nearest centroid."""
    if winner.algorithm == "kmeans" and len(sample) < len(x):
        model = KMeans(winner.k, init=winner.centres_, n_init=1, random_state=seed).fit(x)
        winner.centres_ = model.cluster_centers_
    return winner


def _canonical_order(labels: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Old label -> new label, by descending mean value score (ties: larger segment first)."""
    ids = np.unique(labels)
    value = np.array([_value_score(x[labels == i]).mean() for i in ids])
    size = np.array([(labels == i).sum() for i in ids])
    order = np.lexsort((-size, -np.round(value, 9)))
    mapping = np.empty(ids.max() + 1, dtype=int)
    mapping[ids[order]] = np.arange(len(ids))
    return mapping


def _projection(x: np.ndarray, sample: np.ndarray, seed: int) -> np.ndarray:
    """2-D PCA for the dashboard, with signs fixed so the picture never flips on reruns."""
    pca = PCA(n_components=2, random_state=seed).fit(x[sample])
    signs = np.sign(pca.components_[np.arange(2), np.abs(pca.components_).argmax(axis=1)])
    return pca.transform(x) * signs


def _has_distinct_rows(x: np.ndarray, sample: np.ndarray, n: int) -> bool:
    """At least n distinct customers to tell apart. The sample answers almost always; the
    full matrix (a sort of millions of rows) is only checked when the sample cannot."""
    if len(np.unique(x[sample].round(9), axis=0)) >= n:
        return True
    return len(np.unique(x.round(9), axis=0)) >= n


def segment_customers(features: pd.DataFrame, seed: int = 42, k_min: int = 2, k_max: int = 10,
                      sample_size: int = SAMPLE_SIZE) -> SegmentationResult:
    """Select a model on a sample, label every customer, and order labels canonically."""
    features = features.sort_values("customer_id").reset_index(drop=True)
    if len(features) < MIN_CUSTOMERS:
        raise ValueError(f"segmentation needs at least {MIN_CUSTOMERS} customers, "
                         f"got {len(features)}")
    x = BehaviourScaler().fit_transform(features)
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(len(x), size=min(len(x), sample_size), replace=False))
    if not _has_distinct_rows(x, sample, max(k_min, 2)):
        return _single_segment(features, x)
    k_max = max(k_min, min(k_max, len(sample) // 5))
    selection, winner = select_model(x[sample], k_min, k_max, seed)
    selection["sample_rows"] = len(sample)
    winner = _final_fit(winner, x, sample, seed)
    labels, confidence, distance = winner.assign(x)
    labels = _canonical_order(labels, x)[labels]
    xy = _projection(x, sample, seed)
    assignments = pd.DataFrame(
        {
            "customer_id": features["customer_id"].astype("int64"),
            "segment_id": labels.astype("int32"),
            "confidence": confidence.round(6),
            "distance_to_centroid": distance.round(6),
            "projection_x": xy[:, 0].round(6),
            "projection_y": xy[:, 1].round(6),
            "algorithm": winner.algorithm,
            "model_params": winner.params,
        }
    )
    return SegmentationResult(selection=selection, assignments=assignments)


def _single_segment(features: pd.DataFrame, x: np.ndarray) -> SegmentationResult:
    """Everyone in segment 0 when customers do not differ at all in behaviour (for example
    when every transaction was rejected): there is nothing to cluster, and saying so beats
    failing the build or inventing segments."""
    selection = pd.DataFrame([{
        "algorithm": "none", "k": 1, "params": "no behavioural variation", "n_segments": 1,
        "noise_share": 0.0, "smallest_segment_share": 1.0, "inertia": 0.0,
        "silhouette": np.nan, "davies_bouldin": np.nan, "calinski_harabasz": np.nan,
        "stability_ari": 1.0, "is_chosen": True, "is_eligible": False,
        "shuffled_silhouette": np.nan, "sample_rows": len(x),
    }])
    n = len(features)
    assignments = pd.DataFrame({
        "customer_id": features["customer_id"].astype("int64"),
        "segment_id": np.zeros(n, dtype="int32"), "confidence": np.ones(n),
        "distance_to_centroid": np.zeros(n), "projection_x": np.zeros(n),
        "projection_y": np.zeros(n), "algorithm": "none",
        "model_params": "no behavioural variation",
    })
    return SegmentationResult(selection=selection, assignments=assignments)


_CACHE: dict[tuple, SegmentationResult] = {}
_CACHE_LOCK = threading.Lock()


def segment_customers_cached(features: pd.DataFrame, **kwargs) -> SegmentationResult:
    """Both dbt Python models (selection table, assignments) share one run per build; the
    lock makes the second wait for the first when dbt runs them on parallel threads."""
    key = (int(pd.util.hash_pandas_object(features, index=False).sum()),
           tuple(sorted(kwargs.items())))
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE.clear()
            _CACHE[key] = segment_customers(features, **kwargs)
        return _CACHE[key]
