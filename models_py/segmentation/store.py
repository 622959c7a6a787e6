"""What a stored segment model is, and when to train a new one: light on purpose (no
scikit-learn), because every build asks, and most builds only reuse the stored model.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from models_py.segmentation.features import FeatureSpec, feature_specs


@dataclass(frozen=True)
class TrainingSettings:
    """The dbt vars that shape a model (defaults live in dbt_project.yml only)."""

    seed: int
    k_min: int
    k_max: int
    sample_size: int
    burn_window_days: int
    retrain: bool = False

    @property
    def specs(self) -> tuple[FeatureSpec, ...]:
        return feature_specs(self.burn_window_days)


def spec_columns(specs: tuple[FeatureSpec, ...]) -> dict[str, list]:
    return {
        "feature_names": [s.name for s in specs],
        "source_columns": [s.column for s in specs],
        "feature_transforms": [s.transform for s in specs],
        "feature_fills": [float(s.fill_value) for s in specs],
        "feature_fill_columns": [s.fill_column or "" for s in specs],
    }


def model_in_use(models: pd.DataFrame | None, as_of: object) -> pd.Series | None:
    """The stored version that scores a run as of ``as_of`` (None: none may): of the versions
    trained on data up to that date, the one trained latest (ties: the highest version).

    By training date, not version number: a backfill (``--as-of`` an earlier date) must not
    be scored by a model trained on data it predates, and a model trained for a backfill
    must not take over the weekly runs after it. For builds in date order this is simply
    the latest version."""
    if models is None or models.empty:
        return None
    trained = pd.to_datetime(models["trained_as_of"])
    usable = models.assign(_trained=trained)[trained <= pd.Timestamp(as_of)]
    if usable.empty:
        return None
    return usable.sort_values(["_trained", "model_version"]).iloc[-1].drop("_trained")


def training_reason(previous: pd.DataFrame | None, settings: TrainingSettings,
                    as_of: object) -> str | None:
    """Why a new model must be trained for a run as of ``as_of``, or None to reuse the
    stored one ``model_in_use`` picks."""
    if previous is None:
        return "first build"
    if previous.empty:
        return "no stored model"
    if settings.retrain:
        return "retrain requested"
    latest = model_in_use(previous, as_of)
    if latest is None:
        return "no model trained by the as-of date"
    for column, values in spec_columns(settings.specs).items():
        stored = latest.get(column)
        if stored is None or list(stored) != values:
            return "feature list changed"
    for name in ("seed", "k_min", "k_max", "sample_size"):
        stored = latest.get(name)
        if stored is None or pd.isna(stored) or int(stored) != getattr(settings, name):
            return "training settings changed"
    return None


CANDIDATE_FIELDS = [
    ("algorithm", pa.string()), ("k", pa.int32()), ("params", pa.string()),
    ("n_segments", pa.int32()), ("noise_share", pa.float64()),
    ("smallest_segment_share", pa.float64()), ("inertia", pa.float64()),
    ("silhouette", pa.float64()), ("davies_bouldin", pa.float64()),
    ("calinski_harabasz", pa.float64()), ("stability_ari", pa.float64()),
    ("is_eligible", pa.bool_()), ("is_chosen", pa.bool_()),
    ("shuffled_silhouette", pa.float64()),
]


_DOUBLES = pa.list_(pa.float64())
_STRINGS = pa.list_(pa.string())
MODEL_SCHEMA = pa.schema([
    ("model_version", pa.int32()), ("trained_as_of", pa.date32()),
    ("trained_input_fingerprint", pa.string()), ("training_reason", pa.string()),
    ("algorithm", pa.string()), ("params", pa.string()), ("n_segments", pa.int32()),
    ("seed", pa.int32()), ("k_min", pa.int32()), ("k_max", pa.int32()),
    ("sample_size", pa.int32()), ("sample_rows", pa.int32()),
    ("feature_names", _STRINGS), ("source_columns", _STRINGS),
    ("feature_transforms", _STRINGS), ("feature_fills", _DOUBLES),
    ("feature_fill_columns", _STRINGS), ("feature_centres", _DOUBLES),
    ("feature_scales", _DOUBLES), ("centroids", pa.list_(_DOUBLES)),
    ("projection_x_weights", _DOUBLES), ("projection_y_weights", _DOUBLES),
    ("projection_centre", _DOUBLES),
    ("silhouette", pa.float64()), ("davies_bouldin", pa.float64()),
    ("calinski_harabasz", pa.float64()), ("stability_ari", pa.float64()),
    ("shuffled_silhouette", pa.float64()), ("selection_outcome", pa.string()),
    ("rule_min_segments", pa.int32()), ("rule_max_segments", pa.int32()),
    ("rule_min_segment_share", pa.float64()), ("rule_max_noise_share", pa.float64()),
    ("rule_min_stability", pa.float64()), ("rule_silhouette_tie", pa.float64()),
    ("candidates", pa.list_(pa.struct(CANDIDATE_FIELDS))),
    ("sample_customer_ids", pa.list_(pa.int64())), ("sample_segment_ids", pa.list_(pa.int32())),
])
