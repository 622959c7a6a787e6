"""Cluster-quality metrics as pure functions of (X, labels)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    calinski_harabasz_score,
    davies_bouldin_score,
    pairwise_distances,
    silhouette_score,
)

# Largest distance matrix model selection keeps (the default 3,000-row sample takes 72 MB).
MAX_DISTANCE_BYTES = 128 * 2**20


def centroids(x: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cluster ids (noise -1 excluded) and their mean points."""
    ids = np.unique(labels[labels >= 0])
    return ids, np.vstack([x[labels == i].mean(axis=0) for i in ids])


def inertia(x: np.ndarray, labels: np.ndarray) -> float:
    """Within-cluster sum of squares, computed the same way for every algorithm."""
    ids, centres = centroids(x, labels)
    return float(sum(((x[labels == i] - c) ** 2).sum() for i, c in zip(ids, centres, strict=True)))


def distance_matrix(x: np.ndarray) -> np.ndarray | None:
    """Every pairwise euclidean distance of x, when that fits in ``MAX_DISTANCE_BYTES``.

    Model selection scores ~30 candidates on one sample; computing its distances once instead
    of once per candidate (as ``silhouette_score`` does) is most of the silhouette's cost.
    """
    if len(x) ** 2 * 8 > MAX_DISTANCE_BYTES:
        return None
    return pairwise_distances(x)


def silhouette(distances: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette from a full distance matrix: the same definition as scikit-learn's
    (a point alone in its cluster scores 0), with each point's distance sums per cluster from
    one matrix product. Equal to ``silhouette_score`` up to rounding (~1e-16).

    Noise (label -1) is left out as if its rows and columns were not in ``distances``: its
    membership column is all zeros, so no copy of the matrix without it is needed (a copy per
    noise-leaving candidate, two candidates at a time, was most of selection's memory).
    """
    keep = labels >= 0
    ids, cluster = np.unique(labels[keep], return_inverse=True)
    members = np.zeros((len(labels), len(ids)))
    members[np.flatnonzero(keep), cluster] = 1.0
    sums = (distances @ members)[keep]
    sizes = members.sum(axis=0)
    rows = np.arange(len(cluster))
    others_in_own = sizes[cluster] - 1
    own = np.divide(sums[rows, cluster], others_in_own, out=np.zeros(len(cluster)),
                    where=others_in_own > 0)
    means = sums / sizes
    means[rows, cluster] = np.inf
    nearest = means.min(axis=1)
    score = np.where(others_in_own > 0, (nearest - own) / np.maximum(own, nearest), 0.0)
    return float(score.mean())


def quality(x: np.ndarray, labels: np.ndarray, seed: int,
            distances: np.ndarray | None = None) -> dict[str, float]:
    """Silhouette, Davies-Bouldin, Calinski-Harabasz and inertia on non-noise points.

    ``distances``: x's ``distance_matrix`` when there is one (faster, same numbers).
    Undefined scores (fewer than two clusters) are NaN, never a made-up number.
    """
    keep = labels >= 0
    xs, ls = x[keep], labels[keep]
    n_clusters = len(np.unique(ls))
    out = {"inertia": inertia(xs, ls) if n_clusters else float("nan")}
    if 2 <= n_clusters < len(xs):
        out["silhouette"] = (
            float(silhouette_score(xs, ls, random_state=seed)) if distances is None
            else silhouette(distances, labels))
        out["davies_bouldin"] = float(davies_bouldin_score(xs, ls))
        out["calinski_harabasz"] = float(calinski_harabasz_score(xs, ls))
    else:
        out.update(silhouette=np.nan, davies_bouldin=np.nan, calinski_harabasz=np.nan)
    return out
