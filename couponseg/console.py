"""What the commands print: progress and results on stdout, errors on stderr with the exit
code the caller returns. One module, so the DuckDB and Spark engines' commands read alike."""

from __future__ import annotations

import sys

_dots_on_line = False  # whether the last thing printed on stdout was a progress dot


def say(message: str) -> None:
    """A line of progress or result, flushed at once (a build runs for minutes)."""
    global _dots_on_line
    print(message, flush=True)
    _dots_on_line = False  # its newline ended any line of dots


def fail(message: str, code: int) -> int:
    """``couponseg: error: <message>`` on stderr; returns ``code`` for the command to exit."""
    print(f"couponseg: error: {message}", file=sys.stderr, flush=True)
    return code


def note(message: str) -> None:
    """``couponseg: note: <message>`` on stderr: something to know before trusting the
    output, which still follows."""
    print(f"couponseg: note: {message}", file=sys.stderr, flush=True)


def dot(_: str) -> None:
    """A build's progress without --verbose: one dot per finished dbt node."""
    global _dots_on_line
    print(".", end="", flush=True)
    _dots_on_line = True


def end_dots() -> None:
    """End the line of progress dots, once: the diagnosis of a failed build and the build's
    end both end it, and a second newline printed a blank line between them."""
    global _dots_on_line
    if _dots_on_line:
        print(flush=True)
        _dots_on_line = False
