"""Score customers with a stored segment model: one pure function, one batch at a time.

The model is data (``segments.segment_model`` and ``segments.segment_centroids``), so the
same scoring runs in dbt's Python model over DuckDB's Arrow batches and per partition on a
distributed engine (Spark's ``mapInPandas``): ``score_batch(batch, model)`` needs nothing
else, keeps no state and does no I/O. Every algorithm labels by the nearest stored centroid
in the standardised feature space (KMeans by construction; Ward, DBSCAN and the mixture are
summarised by their segments' centroids when trained).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from models_py.segmentation.features import FeatureSpec, transform_columns
from models_py.segmentation.store import model_in_use

OUTPUT_COLUMNS = (
    "customer_id", "segment_id", "segment_name", "distance_to_centroid", "confidence",
    "projection_x", "projection_y", "model_version",
)
OUTPUT_SCHEMA = pa.schema([
    ("customer_id", pa.int64()), ("segment_id", pa.int32()),
    ("segment_name", pa.dictionary(pa.int32(), pa.string())),
    ("distance_to_centroid", pa.float64()), ("confidence", pa.float64()),
    ("projection_x", pa.float64()), ("projection_y", pa.float64()),
    ("model_version", pa.int32()),
])


@dataclass(frozen=True, eq=False)
class SegmentModel:
    """Everything scoring needs (and what the CLI and PDF say about the model).

    ``centroids`` is segments x features in the standardised space, rows in the order of
    ``segment_ids`` (canonical: 0 is the most valuable segment). The projection is
    ``(x_std - projection_centre) @ projection.T``.
    """

    version: int
    features: tuple[FeatureSpec, ...]
    centres: np.ndarray
    scales: np.ndarray
    centroids: np.ndarray
    segment_ids: np.ndarray
    segment_names: tuple[str, ...]
    projection: np.ndarray
    projection_centre: np.ndarray
    algorithm: str = ""
    params: str = ""
    trained_as_of: dt.date | None = None
    training_reason: str = ""

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.features)

    @property
    def source_columns(self) -> list[str]:
        columns = ["customer_id"]
        for spec in self.features:
            columns += [c for c in (spec.column, spec.fill_column) if c and c not in columns]
        return columns

    @classmethod
    def from_frames(cls, model: pd.DataFrame, centroids: pd.DataFrame,
                    as_of: object) -> SegmentModel:
        """Rows of ``segments.segment_model`` (the version that scores a run as of ``as_of``
        is used: ``store.model_in_use``) and ``segments.segment_centroids`` (model_version,
        segment_id, segment_name, feature, value; other versions' rows are ignored)."""
        if model.empty:
            raise ValueError("no stored segment model: segments.segment_model has no rows")
        row = model_in_use(model, as_of)
        if row is None:
            raise ValueError(f"no stored segment model was trained on data up to {as_of}")
        version = int(row["model_version"])
        names = list(row["feature_names"])
        specs = tuple(
            FeatureSpec(name, column, transform, float(fill), fill_column or None)
            for name, column, transform, fill, fill_column in zip(
                names, row["source_columns"], row["feature_transforms"],
                row["feature_fills"], row["feature_fill_columns"], strict=True)
        )
        mine = centroids[centroids["model_version"] == version]
        grid = mine.pivot_table(index="segment_id", columns="feature", values="value",
                                aggfunc="first").sort_index()
        missing = set(names) - set(grid.columns)
        if grid.empty or missing:
            raise ValueError(f"segment model version {version} has no centroids"
                             + (f" for {sorted(missing)}" if missing else ""))
        labels = (mine.drop_duplicates("segment_id").set_index("segment_id")["segment_name"]
                  .reindex(grid.index))
        return cls(
            version=version, features=specs,
            centres=np.asarray(row["feature_centres"], dtype=np.float64),
            scales=np.asarray(row["feature_scales"], dtype=np.float64),
            centroids=grid[names].to_numpy(dtype=np.float64),
            segment_ids=grid.index.to_numpy(dtype=np.int32),
            segment_names=tuple(str(n) for n in labels),
            projection=np.vstack([np.asarray(row["projection_x_weights"], dtype=np.float64),
                                  np.asarray(row["projection_y_weights"], dtype=np.float64)]),
            projection_centre=np.asarray(row["projection_centre"], dtype=np.float64),
            algorithm=str(row.get("algorithm", "")), params=str(row.get("params", "")),
            trained_as_of=row.get("trained_as_of"),
            training_reason=str(row.get("training_reason", "")),
        )


def score_arrays(columns: dict[str, np.ndarray], model: SegmentModel
                 ) -> dict[str, np.ndarray]:
    """The arithmetic of ``score_batch`` on plain arrays (index, not name, of the segment).

    Works feature column by feature column, keeping the nearest and second-nearest
    centroid as it goes: with a handful of features and segments this is a few dozen
    vector operations per batch, cheaper than a matrix product of that thin shape, and
    each row's result does not depend on the other rows of its batch. Confidence is the
    margin 1 - d(own centroid) / d(second nearest centroid): 1 at the own centroid, 0
    half-way to the next one; 1 when the model has a single segment.
    """
    x = transform_columns(columns, model.features).T  # features x rows, contiguous rows
    x -= model.centres[:, None]
    x /= model.scales[:, None]
    n = x.shape[1]
    best = np.full(n, np.inf)
    second = np.full(n, np.inf)
    nearest = np.zeros(n, dtype=np.int32)
    distance, term = np.empty(n), np.empty(n)
    for s, centre in enumerate(model.centroids):
        distance.fill(0.0)
        for f, value in enumerate(centre):
            np.subtract(x[f], value, out=term)
            term *= term
            distance += term
        closer = distance < best
        np.minimum(second, distance, out=second)
        second[closer] = best[closer]
        best[closer] = distance[closer]
        nearest[closer] = s
    own = np.sqrt(best)
    confidence = np.ones(n)
    if len(model.centroids) > 1:
        second = np.sqrt(second)
        np.divide(own, second, out=confidence, where=second > 0)
        np.subtract(1.0, confidence, out=confidence, where=second > 0)
        np.clip(confidence, 0.0, 1.0, out=confidence)
    projected = []
    for weights in model.projection:
        axis = np.zeros(n)
        for f, weight in enumerate(weights):
            axis += weight * (x[f] - model.projection_centre[f])
        projected.append(axis)
    return {"index": nearest, "distance": own, "confidence": confidence,
            "x": projected[0], "y": projected[1]}


def score_batch(features: pd.DataFrame, model: SegmentModel) -> pd.DataFrame:
    """One row per customer of ``features`` (customer_id and the model's source columns of
    ``marts.customer_features``): segment, distance, confidence, projection, model version."""
    columns = {c: features[c].to_numpy(dtype=np.float64, na_value=np.nan)
               for c in model.source_columns if c != "customer_id"}
    columns["customer_id"] = features["customer_id"].to_numpy()
    scored = score_arrays(columns, model)
    names = np.asarray(model.segment_names, dtype=object)
    return pd.DataFrame({
        "customer_id": features["customer_id"].astype("int64").to_numpy(),
        "segment_id": model.segment_ids[scored["index"]].astype("int32"),
        "segment_name": names[scored["index"]],
        "distance_to_centroid": scored["distance"],
        "confidence": scored["confidence"],
        "projection_x": scored["x"],
        "projection_y": scored["y"],
        "model_version": np.full(len(features), model.version, dtype="int32"),
    }, columns=list(OUTPUT_COLUMNS))


def score_record_batch(batch: pa.RecordBatch, model: SegmentModel) -> pa.RecordBatch:
    """``score_batch`` on an Arrow record batch, without a pandas round trip (the fast path
    dbt's Python model streams 5M customers through)."""
    columns = {}
    for name in model.source_columns:
        array = batch.column(name)
        if name == "customer_id":
            columns[name] = array.to_numpy(zero_copy_only=False)
        else:
            columns[name] = array.cast(pa.float64()).to_numpy(zero_copy_only=False)
    scored = score_arrays(columns, model)
    names = pa.DictionaryArray.from_arrays(
        pa.array(scored["index"], pa.int32()), pa.array(model.segment_names, pa.string()))
    return pa.RecordBatch.from_arrays([
        pa.array(columns["customer_id"], pa.int64()),
        pa.array(model.segment_ids[scored["index"]], pa.int32()),
        names,
        pa.array(scored["distance"]), pa.array(scored["confidence"]),
        pa.array(scored["x"]), pa.array(scored["y"]),
        pa.array(np.full(batch.num_rows, model.version, dtype=np.int32)),
    ], schema=OUTPUT_SCHEMA)
