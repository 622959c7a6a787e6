"""Open a warehouse file that may not exist yet the way dbt's profile creates one.

DuckDB applies ``storage_compatibility_version`` (profiles.yml, ``config_options``) only
when it creates a file. The CLI creates the new warehouse itself when it carries the
segment history forward, before dbt opens it, and the Spark engine writes its reporting
snapshot without dbt: both must pass the profile's options, or the file gets DuckDB 2.0's
own format, which the duckdb-cli 1.x shell cannot open. profiles.yml stays the one place
that says which format the warehouse is written in.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import duckdb

from models_py.profile import target_settings

TARGET = "local"


@lru_cache(maxsize=1)
def file_config() -> dict[str, str]:
    """The DuckDB target's ``config_options``."""
    options = target_settings(TARGET).get("config_options") or {}
    return {str(key): str(value) for key, value in options.items()}


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection to ``path``, created with the profile's options if new."""
    return duckdb.connect(str(path), config=file_config())
