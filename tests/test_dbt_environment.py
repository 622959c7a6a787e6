"""dbt options left in the environment that would change what a build writes stop the build
before it starts (couponseg/dbt_environment.py): DBT_FULL_REFRESH once rebuilt the stored
segment models and the segment history from nothing while the build reported success."""

from __future__ import annotations

import hashlib
import shutil

import pytest
from conftest import couponseg
from dbt.cli.main import cli

from couponseg.dbt_environment import CHANGES_THE_DATA, data_changing_settings


def test_every_variable_named_is_one_dbt_build_reads():
    """Should dbt rename an option, the check would look for a variable nobody sets."""
    read = {name for param in cli.commands["build"].params
            for name in ([param.envvar] if isinstance(param.envvar, str) else param.envvar or [])}
    for option in CHANGES_THE_DATA:
        assert {f"DBT_{option}", f"DBT_ENGINE_{option}"} <= read, option


@pytest.mark.parametrize("env, found", [
    ({}, []),
    ({"DBT_FULL_REFRESH": "false", "DBT_EMPTY": "0", "DBT_ENGINE_EMPTY": "Off",
      "DBT_SAMPLE": " ", "DBT_LOG_LEVEL": "debug", "DBT_FAIL_FAST": "true"}, []),
    ({"DBT_FULL_REFRESH": "True"}, ["DBT_FULL_REFRESH=True"]),
    # dbt takes the DBT_ENGINE_ name first when it is set and not empty.
    ({"DBT_ENGINE_FULL_REFRESH": "false", "DBT_FULL_REFRESH": "true"}, []),
    ({"DBT_ENGINE_FULL_REFRESH": "", "DBT_FULL_REFRESH": "true"}, ["DBT_FULL_REFRESH=true"]),
    ({"DBT_ENGINE_EMPTY": "1", "DBT_SAMPLE": "3 days"},
     ["DBT_ENGINE_EMPTY=1", "DBT_SAMPLE=3 days"]),
    ({"DBT_RESOURCE_TYPES": "model", "DBT_EVENT_TIME_END": "2024-01-01"},
     ["DBT_EVENT_TIME_END=2024-01-01", "DBT_RESOURCE_TYPES=model"]),
])
def test_only_values_that_turn_an_option_on_count(env, found):
    said = data_changing_settings(env)
    assert sorted(line.split(":")[0] for line in said) == sorted(found)


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_a_build_with_full_refresh_in_the_environment_is_refused(built, tmp_path, engine):
    """Refused by name before anything starts (no dbt, no JVM), the warehouse untouched."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse, warehouse)
    before = _digest(warehouse)
    where = (["--warehouse", warehouse] if engine == "duckdb" else [])
    result = couponseg("run", "--engine", engine, "--input", built.input, *where,
                       "--out", tmp_path / "out", check=False,
                       env={"DBT_FULL_REFRESH": "true", "COUPONSEG_SPARK_DIR": str(tmp_path)})
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == (
        "couponseg: error: the environment sets dbt options a couponseg build does not take: "
        "DBT_FULL_REFRESH=true: dbt would rebuild the stored segment models and the segment "
        "history from nothing (dbt's --full-refresh). Unset them (`unset NAME`) and build "
        "again; nothing was built, the previous warehouse is unchanged")
    assert result.stdout == ""
    assert _digest(warehouse) == before
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb"]
