"""What the commands print: progress and results on stdout, errors on stderr with the exit
code the caller returns. One module, so the DuckDB and Spark engines' commands read alike."""

from __future__ import annotations

import sys


def say(message: str) -> None:
    """A line of progress or result, flushed at once (a build runs for minutes)."""
    print(message, flush=True)


def fail(message: str, code: int) -> int:
    """``couponseg: error: <message>`` on stderr; returns ``code`` for the command to exit."""
    print(f"couponseg: error: {message}", file=sys.stderr, flush=True)
    return code


def dot(_: str) -> None:
    """A build's progress without --verbose: one dot per finished dbt node."""
    print(".", end="", flush=True)
