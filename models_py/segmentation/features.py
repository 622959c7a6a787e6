"""Behavioural feature matrix for clustering.

Only behaviour enters the distance: gender and city are kept out and used to profile the
segments afterwards. On this platform's data behaviour does not depend on demographics, and
one-hot columns would make a clustering split customers by city instead of by what they do
(a city id on a numeric line is worse still: it invents an order between cities).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

# Columns read from marts.customer_features.
SOURCE_COLUMNS = (
    "customer_id", "claims", "burns", "burn_rate", "recency_days", "tenure_days",
    "mean_days_to_burn",
)
# Features used in the distance, after the transforms below.
FEATURES = (
    "log_claims", "burn_rate", "log_recency_days", "log_tenure_days", "mean_days_to_burn",
)
BURN_WINDOW_DAYS = 90


def behaviour_frame(features: pd.DataFrame) -> pd.DataFrame:
    """Raw behaviour -> model features, with documented fills for customers without activity.

    Counts and day spans are heavy-tailed, so they enter as log1p. A customer with no claim has
    burn rate 0, recency equal to tenure (nothing since joining) and, like one who never burnt,
    a time to burn of the whole burn window.
    """
    tenure = features["tenure_days"].astype(float).clip(lower=0)
    recency = features["recency_days"].astype(float).fillna(tenure).clip(lower=0)
    return pd.DataFrame(
        {
            "log_claims": np.log1p(features["claims"].astype(float)),
            "burn_rate": features["burn_rate"].astype(float).fillna(0.0),
            "log_recency_days": np.log1p(recency),
            "log_tenure_days": np.log1p(tenure),
            "mean_days_to_burn": features["mean_days_to_burn"].astype(float)
            .fillna(BURN_WINDOW_DAYS),
        },
        index=features.index,
    )[list(FEATURES)]


class BehaviourScaler:
    """Feature transform + standardisation, fitted once and reused (scikit-learn style)."""

    def fit(self, features: pd.DataFrame) -> BehaviourScaler:
        self.scaler_ = StandardScaler().fit(behaviour_frame(features).to_numpy())
        return self

    def transform(self, features: pd.DataFrame) -> np.ndarray:
        return self.scaler_.transform(behaviour_frame(features).to_numpy())

    def fit_transform(self, features: pd.DataFrame) -> np.ndarray:
        return self.fit(features).transform(features)
