"""One row naming the input and its sha256 fingerprint, for the report's title page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models_py.loader import input_manifest

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa


# dbt: the `dbtObj` that dbt appends to the compiled model (nothing to import), hence Any;
# session: dbt-duckdb's cursor, which forwards every call to a DuckDBPyConnection.
def model(dbt: Any, session: duckdb.DuckDBPyConnection) -> pa.Table:
    return input_manifest(dbt.config.get("input_path"))
