"""Helpers for the Spark tests: run a Spark build in its own process (a JVM per build, as
users get it) and compare what it wrote with a DuckDB warehouse of the same input.

Spark's tables are Parquet folders under ``<spark dir>/spark-warehouse/<schema>.db/<table>``,
so they are read here with DuckDB, without starting a second JVM.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from couponseg.spark_engine import SPARK_DIR_ENV, SPARK_MASTER_ENV
from models_py.paths import DBT_PROJECT_DIR, PROFILES_DIR

REPO = Path(__file__).resolve().parent.parent


def spark_env(folder: Path, master: str | None = None) -> dict[str, str]:
    # No PYSPARK_PYTHON: the CLI must find its own interpreter for the executors, as it
    # does for a user who runs it by hand.
    env = {key: value for key, value in os.environ.items() if key != "PYSPARK_PYTHON"}
    env.update({SPARK_DIR_ENV: str(folder), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"})
    if master:
        env[SPARK_MASTER_ENV] = master
    return env


def run_spark(args: list[str], folder: Path, master: str | None = None,
              timeout: float = 1500, module: str = "couponseg.cli"
              ) -> subprocess.CompletedProcess:
    """``python -m <module> <args>`` with the Spark settings; fails the test on error."""
    result = subprocess.run([sys.executable, "-m", module, *map(str, args)],
                            capture_output=True, text=True, timeout=timeout, cwd=REPO,
                            env=spark_env(folder, master))
    if result.returncode != 0:
        tail = "\n".join(line for line in result.stderr.splitlines()
                         if not line.startswith('{"ts"'))[-4000:]
        raise AssertionError(f"{module} {' '.join(map(str, args))} failed:\n"
                             f"{result.stdout[-4000:]}\n{tail}")
    return result


def run_dbt_on_spark(folder: Path, master: str | None, args: list[str],
                     target_name: str = "dbt-target-by-hand") -> Path:
    """dbt itself on the spark target (as an analytics engineer runs it by hand) on
    ``folder``, with a target path of its own in it (the CLI's parse is left alone), which
    it returns; fails the test on error."""
    target = Path(folder) / target_name
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), *args, "--target", "spark",
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(PROFILES_DIR),
         "--target-path", str(target)],
        capture_output=True, text=True, timeout=900, env=spark_env(folder, master))
    assert result.returncode == 0, result.stdout[-4000:]
    return target


def stages(result: subprocess.CompletedProcess) -> dict:
    """The stage times spark_engine's main prints as its last line."""
    return json.loads(result.stdout.strip().splitlines()[-1])


def spark_tables(folder: Path) -> dict[str, Path]:
    """schema.table -> Parquet folder, for every table the Spark build materialised."""
    root = Path(folder) / "spark-warehouse"
    return {f"{schema.name.removesuffix('.db')}.{table.name}": table
            for schema in root.glob("*.db") for table in schema.iterdir()
            if table.is_dir() and any(table.glob("*.parquet"))}


def spark_table(folder: Path, name: str) -> pd.DataFrame:
    """By column name across the table's files: a column added to a table (dbt's
    append_new_columns) is missing from the files written before it, null in their rows."""
    path = spark_tables(folder)[name]
    with duckdb.connect() as con:
        return con.execute(
            f"select * from read_parquet('{path}/*.parquet', union_by_name = true)").df()


def in_spark_session(folder: Path, body: str, argument: str, timeout: float = 600) -> str:
    """``body`` (Python lines indented under ``spark``, reading ``sys.argv[1]``) run in a
    Spark session on the folder's metastore, in a process of its own (a local master, a JVM
    of its own); fails the test on error, else returns what it printed."""
    script = ("import json, sys\nfrom couponseg.spark_engine import load_raw, spark_session\n"
              "from models_py.loader import resolve_input\n"
              f"with spark_session(master='local[1]') as spark:\n{body}")
    result = subprocess.run([sys.executable, "-c", script, argument], capture_output=True,
                            text=True, timeout=timeout, cwd=REPO, env=spark_env(folder))
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout


def run_spark_sql(folder: Path, statements: list[str]) -> None:
    """Statements run by Spark itself: for what only Spark can do to its tables, such as
    rewriting one as an older release left it."""
    in_spark_session(folder, "    for statement in json.loads(sys.argv[1]):\n"
                             "        spark.sql(statement)\n", json.dumps(statements))


def load_on_spark(folder: Path, source: Path) -> None:
    """Only the Spark build's first step, loading ``source`` into the folder's ``landing``
    tables: a warehouse with a load to keep, without the minutes of a build."""
    in_spark_session(folder, "    load_raw(spark, resolve_input(sys.argv[1]))\n", str(source))


def duckdb_table(warehouse: Path, name: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select * from {name}").df()


def duckdb_row_counts(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        ).fetchall()
        return {n: con.execute(f"select count(*) from {n}").fetchone()[0] for (n,) in names}


def assert_frames_equal(duck: pd.DataFrame, spark: pd.DataFrame, key: list[str],
                        what: str) -> None:
    """Same columns (Spark may have more), same rows by key, same values: numbers to
    1e-9 relative, everything else exactly (dates compared as dates)."""
    missing = [c for c in duck.columns if c not in spark.columns]
    assert not missing, f"{what}: Spark lacks columns {missing}"
    assert len(duck) == len(spark), f"{what}: {len(duck)} rows on DuckDB, {len(spark)} on Spark"
    left = duck.sort_values(key).reset_index(drop=True)
    right = spark[list(duck.columns)].sort_values(key).reset_index(drop=True)
    for column in duck.columns:
        a, b = left[column], right[column]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b) \
                and not pd.api.types.is_bool_dtype(a):
            x = a.astype("float64").to_numpy()
            y = b.astype("float64").to_numpy()
            same = np.isclose(x, y, rtol=1e-9, atol=1e-9, equal_nan=True)
        else:
            x = np.array([_plain(v) for v in a], dtype=object)
            y = np.array([_plain(v) for v in b], dtype=object)
            same = np.array([u == v for u, v in zip(x, y, strict=True)], dtype=bool)
        bad = np.flatnonzero(~same)
        assert not len(bad), (f"{what}.{column}: {len(bad)} rows differ, e.g. key "
                              f"{left.loc[bad[0], key].to_dict()}: DuckDB {x[bad[0]]!r}, "
                              f"Spark {y[bad[0]]!r}")


def _plain(value: object) -> object:
    """One spelling per value across the engines' drivers (NaT/None/NaN, Timestamp/date)."""
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date() if value == value.normalize() else value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value
