"""Behavioural features of the segmentation: which mart columns, which transform, which fill.

Only behaviour enters the distance: gender and city are kept out and used to profile the
segments afterwards. On this platform's data behaviour does not depend on demographics, and
one-hot columns would make a clustering split customers by city instead of by what they do
(a city id on a numeric line is worse still: it invents an order between cities).

The spec is data (names, transforms, fills) because it is stored with every trained model:
scoring applies the stored spec, and a spec that differs from the stored one means the
stored model no longer fits the features, so a new one is trained.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FeatureSpec:
    """One model feature: a mart column, the fill for a missing value, then a transform.

    A missing value takes ``fill_column``'s value when that is set (recency of a customer
    with no activity is their tenure), else ``fill_value``. ``log1p`` clips at 0 first: day
    spans and counts are never negative, and a log of a negative would poison the distance.
    """

    name: str
    column: str
    transform: str
    fill_value: float = 0.0
    fill_column: str | None = None


def feature_specs(burn_window_days: int) -> tuple[FeatureSpec, ...]:
    """The features in the distance. Counts and day spans are heavy-tailed, so they enter as
    log1p. A customer with no claim has burn rate 0, recency equal to tenure (nothing since
    joining) and, like one who never burnt, a time to burn of the whole burn window (the dbt
    var ``burn_window_days``, passed in: it is written once, in dbt_project.yml)."""
    return (
        FeatureSpec("log_claims", "claims", "log1p"),
        FeatureSpec("burn_rate", "burn_rate", "identity"),
        FeatureSpec("log_recency_days", "recency_days", "log1p", fill_column="tenure_days"),
        FeatureSpec("log_tenure_days", "tenure_days", "log1p"),
        FeatureSpec("mean_days_to_burn", "mean_days_to_burn", "identity",
                    fill_value=float(burn_window_days)),
    )


def source_columns(specs: tuple[FeatureSpec, ...]) -> list[str]:
    """customer_id and every mart column the specs read (value or fill), in a fixed order."""
    columns = ["customer_id"]
    for spec in specs:
        for column in (spec.column, spec.fill_column):
            if column and column not in columns:
                columns.append(column)
    return columns


TRANSFORMS = {
    "identity": lambda v: v,
    "log1p": lambda v: np.log1p(np.maximum(v, 0.0)),
}


def transform_columns(columns: dict[str, np.ndarray], specs: tuple[FeatureSpec, ...]
                      ) -> np.ndarray:
    """Raw mart columns (float arrays, NaN for missing) -> the n x features matrix, stored
    feature by feature (``.T`` is a contiguous features x n array: scoring works on whole
    columns at a time)."""
    out = np.empty((len(specs), len(columns["customer_id"])), dtype=np.float64).T
    for j, spec in enumerate(specs):
        values = np.asarray(columns[spec.column], dtype=np.float64)
        missing = np.isnan(values)
        if missing.any():
            fill = (np.asarray(columns[spec.fill_column], dtype=np.float64)
                    if spec.fill_column else spec.fill_value)
            values = np.where(missing, fill, values)
        out[:, j] = TRANSFORMS[spec.transform](values)
    return out
