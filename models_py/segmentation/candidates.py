"""The clustering algorithms compared, behind one small interface.

Every candidate fits on a matrix and then assigns any row to a segment: KMeans and the
Gaussian mixture predict natively; Ward (scipy's merge tree, cut at k) and DBSCAN, which
cannot predict, assign a row to the nearest centroid of the clusters they found. That one
rule lets model selection run on a sample while the chosen model still labels every
customer, noise points included.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
from scipy.cluster.hierarchy import fcluster, ward
from sklearn.cluster import DBSCAN, KMeans
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors

from models_py.segmentation.metrics import centroids


@dataclass
class Candidate:
    """One algorithm with one setting (k for the partitioning methods, eps for DBSCAN)."""

    algorithm: str
    k: int | None
    seed: int
    eps: float | None = None
    centres_: np.ndarray = field(default=None, repr=False)
    model_: object = field(default=None, repr=False)
    ids_: np.ndarray = field(default=None, repr=False)

    @property
    def params(self) -> str:
        return f"k={self.k}" if self.eps is None else f"eps={self.eps:.3f}, min_samples=10"

    def fit_predict(self, x: np.ndarray) -> np.ndarray:
        """Fit on x; return x's labels (-1 for DBSCAN noise)."""
        labels = self._fit(x)
        ids, self.centres_ = centroids(x, labels) if (labels >= 0).any() else ([], None)
        self.ids_ = np.asarray(ids, dtype=int)
        if len(ids):  # relabel 0..n-1 in centroid order so labels are comparable
            labels = np.where(labels >= 0, np.searchsorted(ids, labels), -1)
        return labels

    def _fit(self, x: np.ndarray) -> np.ndarray:
        if self.algorithm == "kmeans":
            self.model_ = KMeans(self.k, n_init=4, random_state=self.seed).fit(x)
            return self.model_.labels_
        if self.algorithm == "gmm":
            self.model_ = GaussianMixture(
                self.k, covariance_type="full", n_init=1, random_state=self.seed,
                reg_covar=1e-4,
            ).fit(x)
            return self.model_.predict(x)
        if self.algorithm == "ward":
            return fcluster(_ward_tree(x), self.k, criterion="maxclust") - 1
        if self.algorithm == "dbscan":
            return DBSCAN(eps=self.eps, min_samples=10).fit_predict(x)
        raise ValueError(f"unknown algorithm {self.algorithm!r}")

    def assign(self, x: np.ndarray, chunk: int = 500_000
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Labels, confidence in [0, 1] and distance to the own centroid for any rows, in
        chunks so memory stays flat at millions of customers.

        Confidence is the membership probability for the mixture and, for the others, the
        margin 1 - d(own centroid) / d(second nearest centroid).
        """
        parts = [self._assign(x[i:i + chunk]) for i in range(0, len(x), chunk)]
        return tuple(np.concatenate(p) for p in zip(*parts, strict=True))

    def _assign(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        distances = np.sqrt(((x[:, None, :] - self.centres_[None, :, :]) ** 2).sum(axis=2))
        if self.algorithm == "gmm":
            proba = self.model_.predict_proba(x)
            labels = self._gmm_label_map()[proba.argmax(axis=1)]
            confidence = proba.max(axis=1)
        else:
            labels = distances.argmin(axis=1)
            ranked = np.sort(distances, axis=1)
            second = ranked[:, 1] if ranked.shape[1] > 1 else ranked[:, 0]
            confidence = 1.0 - ranked[:, 0] / np.where(second > 0, second, 1.0)
        own = distances[np.arange(len(x)), labels]
        return labels, np.clip(confidence, 0.0, 1.0), own

    def _gmm_label_map(self) -> np.ndarray:
        """Mixture component -> the label fit_predict gave it; a component that won no row
        in the fit maps to the centroid nearest its mean."""
        mapping = np.sqrt(
            ((self.model_.means_[:, None, :] - self.centres_[None, :, :]) ** 2).sum(axis=2)
        ).argmin(axis=1)
        mapping[self.ids_] = np.arange(len(self.ids_))
        return mapping


_WARD_TREES: dict[bytes, np.ndarray] = {}


def _ward_tree(x: np.ndarray) -> np.ndarray:
    """Ward's merge tree of x, built once and cut at every k (the same clustering as
    AgglomerativeClustering(linkage="ward") for each k, at the cost of one)."""
    key = hashlib.sha1(np.ascontiguousarray(x).tobytes()).digest()
    if key not in _WARD_TREES:
        if len(_WARD_TREES) > 16:
            _WARD_TREES.clear()
        _WARD_TREES[key] = ward(x)
    return _WARD_TREES[key]


def dbscan_eps_grid(x: np.ndarray, quantiles: tuple[float, ...] = (0.90, 0.95, 0.98)
                    ) -> list[float]:
    """Candidate eps values from the 10-nearest-neighbour distance curve (the 'knee' rule)."""
    neighbours = NearestNeighbors(n_neighbors=10).fit(x)
    distance = neighbours.kneighbors(x)[0][:, -1]
    return sorted({round(float(np.quantile(distance, q)), 3) for q in quantiles})


def candidate_grid(x: np.ndarray, k_min: int, k_max: int, seed: int) -> list[Candidate]:
    """Every (algorithm, setting) compared in model selection."""
    grid = [
        Candidate(algorithm, k, seed)
        for algorithm in ("kmeans", "gmm", "ward")
        for k in range(k_min, k_max + 1)
    ]
    if len(x) >= 50:  # the 10-neighbour eps rule needs a few neighbourhoods
        grid += [Candidate("dbscan", None, seed, eps=eps) for eps in dbscan_eps_grid(x)]
    return grid
