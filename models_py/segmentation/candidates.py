"""The clustering algorithms compared, behind one small interface.

Every candidate fits on a matrix and is then summarised by the centroids of the clusters it
found (KMeans' own centres; the mean point of each Ward, DBSCAN or mixture cluster). The
stored model is those centroids: scoring labels any customer, DBSCAN noise included, by the
nearest one (``models_py.segmentation.scoring``), so selection runs on a sample while the
chosen model still labels every customer.
"""

from __future__ import annotations

import hashlib

import numpy as np
from scipy.cluster.hierarchy import fcluster, ward
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import DBSCAN, KMeans
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors

from models_py.segmentation.metrics import centroids


class Candidate(ClusterMixin, BaseEstimator):
    """One algorithm with one setting (k for the partitioning methods, eps for DBSCAN).

    A scikit-learn estimator, so ``sklearn.base.clone`` gives an unfitted copy for every
    refit (stability resamples, the shuffled baseline).
    """

    def __init__(self, algorithm: str = "kmeans", k: int | None = None, seed: int = 0,
                 eps: float | None = None) -> None:
        self.algorithm = algorithm
        self.k = k
        self.seed = seed
        self.eps = eps

    @property
    def params(self) -> str:
        return f"k={self.k}" if self.eps is None else f"eps={self.eps:.3f}, min_samples=10"

    def fit_predict(self, x: np.ndarray) -> np.ndarray:
        """Fit on x; return x's labels (-1 for DBSCAN noise)."""
        labels = np.asarray(self._fit(x))
        ids, self.centres_ = centroids(x, labels) if (labels >= 0).any() else ([], None)
        self.ids_ = np.asarray(ids, dtype=int)
        if len(ids):  # relabel 0..n-1 in centroid order so labels are comparable
            labels = np.where(labels >= 0, np.searchsorted(ids, labels), -1)
        return labels

    def _fit(self, x: np.ndarray) -> np.ndarray:
        if self.algorithm == "kmeans":
            return KMeans(self.k, n_init=4, random_state=self.seed).fit(x).labels_
        if self.algorithm == "gmm":
            return GaussianMixture(
                self.k, covariance_type="full", n_init=1, random_state=self.seed,
                reg_covar=1e-4,
            ).fit(x).predict(x)
        if self.algorithm == "ward":
            return fcluster(ward_tree(x), self.k, criterion="maxclust") - 1
        if self.algorithm == "dbscan":
            return DBSCAN(eps=self.eps, min_samples=10).fit_predict(x)
        raise ValueError(f"unknown algorithm {self.algorithm!r}")

    def fit(self, x: np.ndarray, y: None = None) -> Candidate:
        self.labels_ = self.fit_predict(x)
        return self


_WARD_TREES: dict[bytes, np.ndarray] = {}


def ward_tree(x: np.ndarray) -> np.ndarray:
    """Ward's merge tree of x, built once and cut at every k (the same clustering as
    AgglomerativeClustering(linkage="ward") for each k, at the cost of one)."""
    key = hashlib.sha1(np.ascontiguousarray(x).tobytes()).digest()
    tree = _WARD_TREES.get(key)  # per process: workers inherit what was built before the fork
    if tree is None:
        if len(_WARD_TREES) > 16:
            _WARD_TREES.clear()
        tree = _WARD_TREES[key] = ward(x)
    return tree


def dbscan_eps_grid(x: np.ndarray, quantiles: tuple[float, ...] = (0.90, 0.95, 0.98)
                    ) -> list[float]:
    """Candidate eps values from the 10-nearest-neighbour distance curve (the 'knee' rule)."""
    neighbours = NearestNeighbors(n_neighbors=10).fit(x)
    distance = neighbours.kneighbors(x)[0][:, -1]
    return sorted({round(float(np.quantile(distance, q)), 3) for q in quantiles})


def candidate_grid(x: np.ndarray, k_min: int, k_max: int, seed: int) -> list[Candidate]:
    """Every (algorithm, setting) compared in model selection."""
    grid = [
        Candidate(algorithm, k=k, seed=seed)
        for algorithm in ("kmeans", "gmm", "ward")
        for k in range(k_min, k_max + 1)
    ]
    if len(x) >= 50:  # the 10-neighbour eps rule needs a few neighbourhoods
        grid += [Candidate("dbscan", k=None, seed=seed, eps=eps) for eps in dbscan_eps_grid(x)]
    return grid
