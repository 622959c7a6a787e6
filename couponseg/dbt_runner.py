"""Entry point of the dbt child process that ``dbt_build`` starts: ``python -m
couponseg.dbt_runner <dbt args>``.

Same as the ``dbt`` command, with one difference at the end: once dbt has finished, DuckDB is
closed explicitly (so the warehouse file is checkpointed and complete) and the process exits
without tearing down dbt's large module graph, which otherwise costs about a second per run,
a tenth of a small build. Should the adapter's internals ever change so that DuckDB cannot be
closed here, the process exits the ordinary way instead.
"""

from __future__ import annotations

import os
import sys


def _close_duckdb() -> bool:
    """Close dbt-duckdb's shared database (checkpointing it); False if that is not possible.

    Uses the connection manager's public ``env()`` (raises when no database was opened) and
    ``close_all_connections()``; dbt-duckdb has no public call that closes the database
    itself, so the environment's own ``close()`` does it.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment_of = getattr(DuckDBConnectionManager, "env", None)
    if environment_of is None:
        return False
    try:
        environment = environment_of()
    except Exception:  # "environment requested before creation": no database was opened
        return True
    environment.close()
    DuckDBConnectionManager.close_all_connections()
    return True


def main(args: list[str]) -> tuple[int, bool]:
    """Run dbt; return its exit code (0 ok, 1 failures, 2 error) and whether DuckDB closed."""
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        print(f"dbt failed: {result.exception}", file=sys.stderr)
    code = 0 if result.success else (2 if result.exception is not None else 1)
    return code, _close_duckdb()


if __name__ == "__main__":
    exit_code, closed = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    if closed:
        os._exit(exit_code)
    sys.exit(exit_code)
