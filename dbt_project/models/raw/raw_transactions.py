"""Raw transactions exactly as given (all text, plus _source_row): see models_py.loader."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models_py.loader import load_table

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa


# dbt: the `dbtObj` that dbt appends to the compiled model (nothing to import), hence Any;
# session: dbt-duckdb's cursor, which forwards every call to a DuckDBPyConnection.
def model(dbt: Any, session: duckdb.DuckDBPyConnection) -> pa.Table | duckdb.DuckDBPyRelation:
    return load_table(session, dbt.config.get("input_path"), "transactions", stage=True)
