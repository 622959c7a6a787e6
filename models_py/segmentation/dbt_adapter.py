"""The thin layer between dbt's Python models and the segmentation package.

Two models with an explicit dependency (no state shared in memory): ``segment_model``
trains (or reuses) and stores a model as data; ``customer_segments`` reads the stored model
through ``segment_centroids`` and scores every customer. dbt hands over DuckDB relations;
only the needed columns are read, as Arrow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from models_py.flags import is_true
from models_py.segmentation.features import source_columns
from models_py.segmentation.scoring import OUTPUT_SCHEMA, SegmentModel, score_record_batch
from models_py.segmentation.store import MODEL_SCHEMA, TrainingSettings, training_reason
from models_py.segmentation.training_process import train_in_child

if TYPE_CHECKING:  # annotations only: dbt hands this module DuckDB relations
    import duckdb
    import pandas as pd

BATCH_ROWS = 1_000_000


def settings(config: dict, run_context: pd.Series) -> TrainingSettings:
    """The dbt vars passed through the model config (``+segment_params`` in
    dbt_project.yml, where every default lives) and the run's burn window."""
    return TrainingSettings(
        seed=int(config["seed"]), k_min=int(config["k_min"]), k_max=int(config["k_max"]),
        sample_size=int(config["sample_size"]),
        burn_window_days=int(run_context["burn_window_days"]),
        retrain=is_true(config["retrain"]),
    )


def _sample(features: duckdb.DuckDBPyRelation, sample: duckdb.DuckDBPyRelation,
            columns: list[str]):
    """The training rows: the customers the ``segment_training_sample`` view picks (one SQL
    definition, which the Spark engine reads too), so training reads a few thousand rows
    whatever the customer count."""
    return features.join(sample.project("customer_id"), "customer_id") \
        .project(", ".join(columns)).df()


def segment_model(features: duckdb.DuckDBPyRelation, sample: duckdb.DuckDBPyRelation,
                  run_context: duckdb.DuckDBPyRelation, previous: pd.DataFrame | None,
                  config: dict) -> pa.Table:
    """The rows to add to ``segments.segment_model``: one new version, or none when the
    latest stored model is reused. ``sample``: the customer ids to train on (read only when
    training); ``previous``: the stored table's rows, None on a first build."""
    context = run_context.df().iloc[0]
    wanted = settings(config, context)
    reason = training_reason(previous, wanted, context["as_of_date"])
    if reason is None:
        return MODEL_SCHEMA.empty_table()

    version = 1 if previous is None or previous.empty else int(previous["model_version"].max()) + 1
    rows = _sample(features, sample, source_columns(wanted.specs))
    return train_in_child(rows, wanted, version, context["as_of_date"],
                          str(context["input_fingerprint"]), reason)


def customer_segments(features: duckdb.DuckDBPyRelation, model: duckdb.DuckDBPyRelation,
                      centroids: duckdb.DuckDBPyRelation, run_context: duckdb.DuckDBPyRelation,
                      batch_rows: int = BATCH_ROWS) -> pa.RecordBatchReader:
    """Every customer scored with the stored model of the run's as-of date (the latest one
    trained on data up to it: ``store.model_in_use``), streamed batch by batch (DuckDB
    reads the returned reader while the next batch is scored): memory stays flat however
    many customers there are."""
    as_of = run_context.df().iloc[0]["as_of_date"]
    stored = SegmentModel.from_frames(model.df(), centroids.df(), as_of)
    reader = features.project(", ".join(stored.source_columns)).to_arrow_reader(batch_rows)

    def batches():
        for batch in reader:
            yield score_record_batch(batch, stored)

    return pa.RecordBatchReader.from_batches(OUTPUT_SCHEMA, batches())
