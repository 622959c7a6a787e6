"""Entry point of the dbt child process that ``dbt_build`` starts: ``python -m
models_py.dbt_runner <dbt args>``.

Same as the ``dbt`` command, with one difference at the end: once dbt has finished, DuckDB is
closed explicitly (so the warehouse file is checkpointed and complete) and the process exits
without tearing down dbt's large module graph, which otherwise costs about a second per run,
a tenth of a small build.
"""

from __future__ import annotations

import os
import sys


def main(args: list[str]) -> int:
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(args)
    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        print(f"dbt failed: {result.exception}", file=sys.stderr)
    return 0 if result.success else (2 if result.exception is not None else 1)


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
