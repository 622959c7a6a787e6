"""profiles.yml as the Python outside dbt reads it (models_py/profile.py): the one source
of the DuckDB file's options and the Spark session's settings."""

from __future__ import annotations

import shlex

import pytest

from couponseg.spark_engine import session_settings
from models_py.profile import MissingEnvVar, target_settings


def test_env_vars_and_their_defaults_render_as_dbt_renders_them():
    local = target_settings("local", env={})
    assert local["path"] == "../data/warehouse.duckdb"
    assert local["threads"] == "2" and local["settings"]["memory_limit"] == "50%"
    assert target_settings("local", env={"COUPONSEG_WAREHOUSE": "/w/x.duckdb",
                                         "COUPONSEG_DBT_THREADS": "3"})["path"] == "/w/x.duckdb"


def test_the_spark_session_is_started_with_the_profiles_settings(tmp_path):
    """What a hand-run `dbt build --target spark` gets is what the CLI's session gets,
    the SQL semantics (ANSI mode off) included."""
    settings = session_settings(tmp_path, "spark://127.0.0.1:7077")
    profile = target_settings("spark", env={"COUPONSEG_SPARK_DIR": str(tmp_path),
                                            "COUPONSEG_SPARK_MASTER": "spark://127.0.0.1:7077"})
    assert settings == {k: str(v) for k, v in profile["server_side_parameters"].items()}
    assert settings["spark.sql.ansi.enabled"] == "false"
    assert settings["spark.sql.warehouse.dir"] == f"{tmp_path}/spark-warehouse"
    assert settings["spark.master"] == "spark://127.0.0.1:7077"


def test_a_variable_without_default_must_be_set(monkeypatch, tmp_path):
    import models_py.profile as profile

    (tmp_path / "profiles.yml").write_text(
        "couponseg:\n  outputs:\n    local:\n      path: \"{{ env_var('NOPE') }}\"\n")
    monkeypatch.setattr(profile, "PROFILES_DIR", tmp_path)
    with pytest.raises(MissingEnvVar, match="NOPE"):
        profile.target_settings("local", env={})


@pytest.mark.parametrize("path", ['/tmp/o"q/w.duckdb', "C:\\temp\\new.duckdb", "/a b/#c: d",
                                  "/x\\u0041/it's"])
def test_values_keep_every_character(path):
    """dbt parses the YAML, then renders each value: a quote or backslash in a path is part
    of the path (rendered into the YAML text first, it broke the parse or became a tab)."""
    assert target_settings("local", env={"COUPONSEG_WAREHOUSE": path})["path"] == path
    spark = target_settings("spark", env={"COUPONSEG_SPARK_DIR": path})
    assert spark["server_side_parameters"]["spark.sql.warehouse.dir"] == f"{path}/spark-warehouse"
    # Spark splits the JVM options at blanks outside quotes, a backslash escaping the next
    # character (as POSIX shells do within double quotes for \ and "): one argument, the path.
    options = spark["server_side_parameters"]["spark.driver.extraJavaOptions"]
    assert shlex.split(options) == [f"-Dderby.system.home={path}/metastore"]


def test_an_empty_master_is_the_default_master(monkeypatch, tmp_path):
    from couponseg.spark_engine import SPARK_MASTER_ENV, spark_master

    monkeypatch.setenv(SPARK_MASTER_ENV, "")
    assert spark_master() == "local[*]" == session_settings(tmp_path)["spark.master"]
