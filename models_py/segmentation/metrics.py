"""Cluster-quality metrics as pure functions of (X, labels)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)


def centroids(x: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cluster ids (noise -1 excluded) and their mean points."""
    ids = np.unique(labels[labels >= 0])
    return ids, np.vstack([x[labels == i].mean(axis=0) for i in ids])


def inertia(x: np.ndarray, labels: np.ndarray) -> float:
    """Within-cluster sum of squares, computed the same way for every algorithm."""
    ids, centres = centroids(x, labels)
    return float(sum(((x[labels == i] - c) ** 2).sum() for i, c in zip(ids, centres, strict=True)))


def quality(x: np.ndarray, labels: np.ndarray, seed: int) -> dict[str, float]:
    """Silhouette, Davies-Bouldin, Calinski-Harabasz and inertia on non-noise points.

    Undefined scores (fewer than two clusters) are NaN, never a made-up number.
    """
    keep = labels >= 0
    xs, ls = x[keep], labels[keep]
    n_clusters = len(np.unique(ls))
    out = {"inertia": inertia(xs, ls) if n_clusters else float("nan")}
    if 2 <= n_clusters < len(xs):
        out["silhouette"] = float(silhouette_score(xs, ls, random_state=seed))
        out["davies_bouldin"] = float(davies_bouldin_score(xs, ls))
        out["calinski_harabasz"] = float(calinski_harabasz_score(xs, ls))
    else:
        out.update(silhouette=np.nan, davies_bouldin=np.nan, calinski_harabasz=np.nan)
    return out


def pairwise_stability(reference: np.ndarray, resampled: list[tuple[np.ndarray, np.ndarray]]
                       ) -> float:
    """Mean adjusted Rand index between the reference labels and refits on resamples.

    ``resampled`` holds (row indices, labels of the refit on those rows).
    """
    scores = [adjusted_rand_score(reference[idx], labels) for idx, labels in resampled]
    return float(np.mean(scores)) if scores else float("nan")
