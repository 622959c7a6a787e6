"""Stored segment models, one row per version (models_py.segmentation.training).

Incremental: every version is kept. A build adds a version only when it trains (first
build, `segment_retrain` var / `couponseg build --retrain`, changed features or settings);
otherwise it adds nothing and the latest version scores the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models_py.segmentation.dbt_adapter import segment_model

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa


# dbt: the `dbtObj` that dbt appends to the compiled model (nothing to import), hence Any;
# session: dbt-duckdb's cursor, which forwards every call to a DuckDBPyConnection.
def model(dbt: Any, session: duckdb.DuckDBPyConnection) -> pa.Table:
    dbt.config(materialized="incremental", incremental_strategy="append",
               on_schema_change="append_new_columns")
    previous = session.sql(f"select * from {dbt.this}").df() if dbt.is_incremental else None
    return segment_model(dbt.ref("customer_features"), dbt.ref("segment_training_sample"),
                         dbt.ref("run_context"), previous, dbt.config.get("segment_params"))
