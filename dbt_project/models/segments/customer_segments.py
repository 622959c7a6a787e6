"""Segment per customer, scored with the stored model of the run's as-of date
(models_py.segmentation.scoring), reading customer_features in Arrow batches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models_py.segmentation.dbt_adapter import customer_segments

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa


# dbt: the `dbtObj` that dbt appends to the compiled model (nothing to import), hence Any;
# session: dbt-duckdb's cursor, which forwards every call to a DuckDBPyConnection.
def model(dbt: Any, session: duckdb.DuckDBPyConnection) -> pa.RecordBatchReader:
    dbt.config(materialized="table")
    return customer_segments(dbt.ref("customer_features"), dbt.ref("segment_model"),
                             dbt.ref("segment_centroids"), dbt.ref("run_context"))
