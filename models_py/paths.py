"""Where things live: the repository, the dbt project and the default outputs."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
PROFILES_DIR = REPO_ROOT
DEFAULT_INPUT = REPO_ROOT / "data" / "sample"
DEFAULT_OUTPUT_DIR = REPO_ROOT / "data" / "output"
WAREHOUSE_ENV = "COUPONSEG_WAREHOUSE"  # the warehouse dbt's profile opens (profiles.yml)
INPUT_ENV = "COUPONSEG_INPUT"  # the input when no path is given (CLI, dbt's raw models)


def default_warehouse() -> Path:
    """COUPONSEG_WAREHOUSE if set and not empty, else data/warehouse.duckdb in the repository."""
    return Path(os.environ.get(WAREHOUSE_ENV) or REPO_ROOT / "data" / "warehouse.duckdb")


def dbt_folder(warehouse: Path) -> Path:
    """dbt's target and logs for builds of ``warehouse`` (an absolute path): beside it."""
    return warehouse.with_name(f"{warehouse.name}.dbt")
