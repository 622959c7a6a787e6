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
from typing import TYPE_CHECKING, Any

import duckdb

from couponseg import spark_state

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

SOURCES_SCHEMA = "spark_export_sources"  # in the snapshot: what the export reads, by file
TABLES_TABLE = f"{SOURCES_SCHEMA}.tables"  # each table recorded, with the select list copied
FILES_TABLE = f"{SOURCES_SCHEMA}.files"  # each table's files (none for a table without rows)
GLOB_CHARACTERS = frozenset("*?[")  # DuckDB expands them in a file name it is given


def typed_name(table: str) -> str:
    """The snapshot's empty copy of ``schema.table``, typed as Spark hands it over."""
    return f'{SOURCES_SCHEMA}."{table.replace(".", "__")}"'


def plain_parquet(files: list[str]) -> bool:
    """Whether a table's files can be read as one Parquet table: Parquet files side by side
    in one local folder (a partitioned table keeps its partition values in folder names),
    named without a character DuckDB would read as a pattern matching other files."""
    paths = [spark_state.local_path(name) for name in files]
    if any(path is None or path.suffix != ".parquet" or GLOB_CHARACTERS & set(str(path))
           for path in paths):
        return False
    folders = {path.parent for path in paths}
    return len(folders) <= 1 and not any("=" in folder.name for folder in folders)


def reads_files_as_stored(frame: DataFrame) -> bool:
    """Whether Spark reads ``frame`` as its Parquet files hold it: a Parquet table, or a view
    that only names one such table's columns as they are (the views dbt-spark makes of the
    Python step's tables: Spark keeps them as a projection of each column under its own
    name). A filter, a cast, a computed column or another format (Delta's deletion vectors,
    a JDBC relation) leaves the export to Spark."""
    try:
        plan = frame._jdf.queryExecution().optimizedPlan()  # noqa: SLF001 (no public plan)
        if _kind(plan) == "Project":
            if not _projects_columns_as_they_are(plan):
                return False
            plan = plan.child()
        return _kind(plan) == "LogicalRelation" and _kind(plan.relation()) == \
            "HadoopFsRelation" and _kind(plan.relation().fileFormat()) == "ParquetFileFormat"
    except Exception:  # noqa: BLE001 (Spark Connect has no plan to look at: not vouched for)
        return False


def _projects_columns_as_they_are(project: Any) -> bool:
    """A projection of its child's columns, in their order, each under its own name."""
    columns = [project.projectList().apply(i) for i in range(project.projectList().size())]
    inputs = project.child().output()
    return [c.name() for c in columns] == [inputs.apply(i).name() for i in range(inputs.size())] \
        and all(_kind(c) == "Alias" and _kind(c.child()) == "AttributeReference"
                and c.child().name() == c.name() for c in columns)


def _kind(node: Any) -> str:
    return node.getClass().getSimpleName()


def record(spark: SparkSession, con: duckdb.DuckDBPyConnection, tables: tuple[str, ...],
           narrowed: dict[str, str], warehouse: Path) -> list[str]:
    """Write into the snapshot ``con`` the files and types of each of ``tables`` Spark has
    (``narrowed``: table -> the select list the export copies of it); return the files. When
    one of them cannot be vouched for (not read from its files as stored, files outside the
    ``warehouse`` folder whose state is recorded, or Spark failed to tell), record nothing
    and return []: the export then goes through Spark, and the copy itself is unaffected."""
    try:
        found = {name: _files_and_types(spark, name, narrowed)
                 for name in tables if spark.catalog.tableExists(name)}
    except Exception:  # noqa: BLE001 (the build's copy must not fail for the export's sake)
        return []
    if any(listed is None for listed, _ in found.values()):
        return []
    files = [file for listed, _ in found.values() for file in listed]
    if not spark_state.within(files, warehouse):
        return []
    write_records(con, found, narrowed, tables)
    return files


def _files_and_types(spark: SparkSession, name: str, narrowed: dict[str, str]
                     ) -> tuple[list[str] | None, pa.Table | None]:
    """A table's files (None when it is not read from them as stored) and an Arrow table of
    no rows with the types Spark's own conversion gives its rows."""
    frame = spark.table(name)  # one frame: its plan is made once, each lookup is metastore work
    names = frame.inputFiles()
    if not (reads_files_as_stored(frame) and plain_parquet(names)):
        return None, None
    copied = spark.sql(f"select {narrowed[name]} from {name}") if name in narrowed else frame
    return sorted(str(spark_state.local_path(file)) for file in names), \
        copied.limit(0).toArrow()


def write_records(con: duckdb.DuckDBPyConnection, found: dict[str, tuple[list[str], pa.Table]],
                  narrowed: dict[str, str], asked: tuple[str, ...]) -> None:
    """Record each table ``asked`` for: the select list the export copies of it, whether Spark
    has it, and for those in ``found`` (table -> (files, an Arrow table of no rows)) its
    files and an empty table of its types."""
    con.execute(f"create schema {SOURCES_SCHEMA}")
    con.execute(f"create table {TABLES_TABLE} "
                "(table_name varchar, select_list varchar, in_spark boolean)")
    con.execute(f"create table {FILES_TABLE} (table_name varchar, file varchar)")
    for name in asked:
        con.execute(f"insert into {TABLES_TABLE} values (?, ?, ?)",
                    [name, narrowed.get(name, "*"), name in found])
    for name, (files, typed) in found.items():  # noqa: B007 (typed is read by DuckDB)
        con.execute(f"create table {typed_name(name)} as select * from typed")
        if files:
            con.executemany(f"insert into {FILES_TABLE} values (?, ?)", [[name, f] for f in files])


def copy_for_export(snapshot: Path, warehouse: Path | None, target: Path,
                    tables: tuple[str, ...], required: tuple[str, ...],
                    narrowed: dict[str, str]) -> Path | None:
    """``tables``, read from Spark's files into a new DuckDB file ``target`` as
    `export_snapshot` would have copied them from Spark; None when that cannot be vouched
    for: Spark's files are not, before and after they are read, in the state ``snapshot``
    recorded, or it recorded none of them (an older release's copy), not every ``required``
    one, or another select list than ``narrowed`` asks for."""
    state = spark_state.recorded(snapshot)
    if state is None or spark_state.fingerprint(warehouse) != state:
        return None
    try:
        with duckdb.connect(str(snapshot), read_only=True) as copy:
            found = _recorded(copy, tables, narrowed)
        if found is None or not set(required) <= set(found):
            return None
        _write(target, found, narrowed)
    except duckdb.Error:  # no records (an older snapshot), or a file gone while read
        return None
    return target if spark_state.fingerprint(warehouse) == state else None


def _recorded(copy: duckdb.DuckDBPyConnection, tables: tuple[str, ...],
              narrowed: dict[str, str]) -> dict[str, tuple[list[str], pa.Table]] | None:
    """Each of ``tables`` as the snapshot recorded it: its files and empty typed table (one
    Spark did not have is left out, as `export_snapshot` leaves it out); None when one is
    not recorded (a copy of an earlier release, which read other tables) or was recorded
    with another select list."""
    found = {}
    for name in tables:
        listed = copy.execute(f"select select_list, in_spark from {TABLES_TABLE} "
                              "where table_name = ?", [name]).fetchall()
        if len(listed) != 1 or listed[0][0] != narrowed.get(name, "*"):
            return None
        if not listed[0][1]:
            continue
        files = [f for (f,) in copy.execute(
            f"select file from {FILES_TABLE} where table_name = ? order by file", [name]
        ).fetchall()]
        found[name] = (files, copy.sql(f"select * from {typed_name(name)}").to_arrow_table())
    return found


def _write(target: Path, found: dict[str, tuple[list[str], pa.Table]],
           narrowed: dict[str, str]) -> None:
    from models_py import warehouse_file

    with warehouse_file.connect(target) as con:
        # Parquet's INT96 timestamps (Spark's default) hold UTC instants: read in UTC, they
        # are what Spark hands over, whatever this machine's time zone
        con.execute("set TimeZone = 'UTC'")
        for name, (files, empty) in found.items():  # noqa: B007 (empty is read by DuckDB)
            con.execute(f"create schema if not exists {name.split('.')[0]}")
            con.execute(f"create table {name} as select * from empty")
            # by name: a file written before a column was added lacks it; no partitions read
            # from folder names (a folder `a=1` above the warehouse would override column a)
            if files:
                con.execute(f"insert into {name} by name select {narrowed.get(name, '*')} "
                            "from read_parquet(?, union_by_name = true, hive_partitioning = false)",
                            [files])
