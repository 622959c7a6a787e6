"""The tables `couponseg export --engine spark` reads, taken from Spark's own Parquet files
by DuckDB, without starting Spark.

A CRM export of a Spark build started a JVM (20-30 s) to copy a handful of tables. Copying
them into the build's DuckDB snapshot instead was tried and reverted: two of them hold a row
per customer, and every build would pull them through Spark's driver (its Python peak at 10M
transactions went from 384 to 707 MB, and `spark.driver.maxResultSize` would stop builds at
millions of customers). What a snapshot records here is only where each table's rows are
(the files Spark reads for it) and the types Spark hands them over as (an empty copy of the
table, made from Spark's own conversion of no rows): no row passes through the driver.

The export reads those files while Spark's files are as they were when the snapshot was made
(couponseg/spark_state.py: every file of the warehouse folder, by inode, size and times), and
checks that again once it has read them; otherwise, or for a snapshot made before these
records existed, it copies from Spark as before. Only plain Parquet tables are read this way:
a table in other files, or in partition folders, leaves the export to Spark.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from couponseg import spark_state

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

SOURCES_SCHEMA = "spark_export_sources"  # in the snapshot: files and types per table
FILES_TABLE = f"{SOURCES_SCHEMA}.files"


def typed_name(table: str) -> str:
    """The snapshot's empty copy of ``schema.table``, typed as Spark hands it over."""
    return f'{SOURCES_SCHEMA}."{table.replace(".", "__")}"'


def plain_parquet(files: list[str]) -> bool:
    """Whether a table's files can be read as one Parquet table: Parquet files side by side
    in one folder (a partitioned table keeps its partition values in folder names)."""
    paths = [spark_state.local_path(name) for name in files]
    if any(path is None or path.suffix != ".parquet" for path in paths):
        return False
    folders = {path.parent for path in paths}
    return len(folders) <= 1 and not any("=" in folder.name for folder in folders)


def reads_files_as_stored(frame: DataFrame) -> bool:
    """Whether Spark reads ``frame`` as its files hold it: a table, or a view that only names
    one table's columns as they are (the views dbt-spark makes of the Python step's tables:
    Spark keeps them as a projection of each column under its own name). A filter, a cast or
    a computed column leaves the export to Spark."""
    try:
        plan = frame._jdf.queryExecution().optimizedPlan()  # noqa: SLF001 (no public plan)
        if _kind(plan) == "Project":
            columns = [plan.projectList().apply(i) for i in range(plan.projectList().size())]
            plan, renamed = plan.child(), columns
            if [c.name() for c in renamed] != _names(plan.output()) or not all(
                    _kind(c) == "Alias" and _kind(c.child()) == "AttributeReference"
                    and c.child().name() == c.name() for c in renamed):
                return False
        return _kind(plan) == "LogicalRelation"
    except Exception:  # noqa: BLE001 (Spark Connect has no plan to look at: not vouched for)
        return False


def _kind(node: object) -> str:
    return node.getClass().getSimpleName()


def _names(attributes: object) -> list[str]:
    return [attributes.apply(i).name() for i in range(attributes.size())]


def record(spark: SparkSession, con: duckdb.DuckDBPyConnection, tables: tuple[str, ...],
           narrowed: dict[str, str]) -> list[str]:
    """Write into the snapshot ``con`` the files and types of each of ``tables`` Spark has
    (``narrowed``: table -> the select list the export copies of it); return the files, or
    record nothing and return [] when one of them is not read from its files as stored."""
    found = {}
    for name in (t for t in tables if spark.catalog.tableExists(t)):
        names = spark.table(name).inputFiles()
        if not (reads_files_as_stored(spark.table(name)) and plain_parquet(names)):
            return []
        # Spark's own conversion of no rows: the types `toArrow()` gives the rows themselves
        typed = spark.sql(f"select {narrowed.get(name, '*')} from {name}").limit(0).toArrow()
        found[name] = (sorted(str(spark_state.local_path(file)) for file in names), typed)
    write_records(con, found)
    return [file for files, _ in found.values() for file in files]


def write_records(con: duckdb.DuckDBPyConnection, found: dict[str, tuple[list[str], pa.Table]]
                  ) -> None:
    """Record, per table, its files and an empty table of its types (``found``: table ->
    (files, an Arrow table of no rows))."""
    con.execute(f"create schema {SOURCES_SCHEMA}")
    con.execute(f"create table {FILES_TABLE} (table_name varchar, file varchar)")
    for name, (files, typed) in found.items():  # noqa: B007 (typed is read by DuckDB)
        con.execute(f"create table {typed_name(name)} as select * from typed")
        con.executemany(f"insert into {FILES_TABLE} values (?, ?)", [[name, f] for f in files])


def copy_for_export(snapshot: Path, warehouse: Path | None, target: Path,
                    required: tuple[str, ...], narrowed: dict[str, str]) -> Path | None:
    """The export's tables, read from Spark's files into a new DuckDB file ``target``, as
    `export_snapshot` would have copied them from Spark; None when that cannot be vouched
    for: Spark's files changed since ``snapshot`` recorded them (or while they were read),
    the snapshot recorded no files, or not those of every ``required`` table."""
    if not spark_state.unchanged(snapshot, warehouse):
        return None
    try:
        with duckdb.connect(str(snapshot), read_only=True) as copy:
            files = dict(copy.execute(f"select table_name, list(file order by file) "
                                      f"from {FILES_TABLE} group by table_name").fetchall())
            typed = {name: copy.sql(f"select * from {typed_name(name)}").to_arrow_table()
                     for name in files}
        if not set(required) <= set(files):
            return None
        _write(target, files, typed, narrowed)
    except duckdb.Error:  # no records (an older snapshot), or a file gone while read
        return None
    return target if spark_state.unchanged(snapshot, warehouse) else None


def _write(target: Path, files: dict[str, list[str]], typed: dict, narrowed: dict[str, str]
           ) -> None:
    from models_py import warehouse_file

    with warehouse_file.connect(target) as con:
        con.execute("set TimeZone = 'UTC'")  # Spark's session time zone (profiles.yml)
        for name, empty in typed.items():  # noqa: B007 (empty is read by DuckDB)
            schema = name.split(".")[0]
            con.execute(f"create schema if not exists {schema}")
            con.execute(f"create table {name} as select * from empty")
            if files[name]:
                con.execute(f"insert into {name} by name select {narrowed.get(name, '*')} "
                            "from read_parquet(?)", [files[name]])
