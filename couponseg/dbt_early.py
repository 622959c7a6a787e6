"""Start dbt's process before the build knows what to tell it.

The dbt child spends its first seconds importing dbt (about 2 s on a quiet 2-core machine,
a fifth of the real workbook's weekly rerun), while the CLI spends its first second on its
own work: importing DuckDB and pyarrow, checking the input, taking the lock, carrying the
stored segment model and history into the new file. Done one after the other, both are on
every build's critical path. So ``couponseg build`` starts the child first thing
(``EarlyDbt.start``): it imports dbt and waits; when the build is ready, it is handed its
arguments, environment, working folder, the build's lock and its stderr log
(``EarlyDbt.hand_over``) and runs dbt as a child started then would (couponseg/dbt_runner.py).
The gain is small (the weekly rerun's median 13.02 -> 12.69 s,
bench/compare_ac51d8e_workbook_rerun.txt): the CLI's part is the shorter one, the child's
imports stay on the critical path, and two processes importing share the two cores.

Nothing is lost when the early child cannot be used: a build refused before dbt (bad input,
a busy warehouse) closes it unused and it exits without a word; one that died before the
hand-over is reaped and a new child is started the ordinary way, which reports whatever made
the first one die. Until the hand-over the early child holds no lock and has written
nothing, and it dies with the CLI (``PR_SET_PDEATHSIG``) like the dbt child always did.

This module imports nothing heavy: the CLI imports it before DuckDB, pyarrow or dbt.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from couponseg.dbt_runner import EARLY_FLAG
from models_py.processes import die_with_parent, stop

RUNNER_MODULE = "couponseg.dbt_runner"
# What the early child imports while it waits: dbt's CLI and everything dbt's start-up
# imports for a build on DuckDB (measured with -X importtime: about 95 % of it).
WARM_MODULES = ("dbt.cli.main", "dbt.adapters.duckdb", "dbt.adapters.duckdb.impl",
                "dbt.task.build", "dbt.parser.manifest", "couponseg.dbt_overhead")
MAX_MESSAGE = 1 << 20  # the arguments and environment of one build: a few kilobytes


class EarlyDbt:
    """A dbt child started before its build, waiting for ``hand_over``."""

    def __init__(self, proc: subprocess.Popen, channel: socket.socket) -> None:
        self.proc: subprocess.Popen | None = proc
        self.channel = channel

    @classmethod
    def start(cls, dbt_dir: Path) -> EarlyDbt | None:
        """Start the child (None where it cannot be: the build then starts one later).

        ``-P``: the working folder is not put on the child's module path, as it is not for
        a child started in the dbt folder (whatever folder the CLI runs in, nothing there
        can shadow a library). Its stdout is the pipe the build reads dbt's events from;
        its stderr is discarded until the hand-over gives it the build's log."""
        try:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        except OSError:
            return None
        # After EARLY_FLAG: the socket's descriptor and, for `ps` and the tests, the dbt
        # folder of the warehouse the child will build.
        try:
            proc = subprocess.Popen(
                [sys.executable, "-P", "-m", RUNNER_MODULE, EARLY_FLAG, str(theirs.fileno()),
                 str(dbt_dir)],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
                pass_fds=(theirs.fileno(),), preexec_fn=die_with_parent())
        except OSError:
            ours.close()
            return None
        finally:
            theirs.close()
        return cls(proc, ours)

    def hand_over(self, dbt_args: list[str], env: dict[str, str], cwd: Path,
                  lock_fd: int, stderr_fd: int) -> subprocess.Popen | None:
        """Give the child its build; return it, or None if it died before (then reaped)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        message = json.dumps({"args": dbt_args, "env": env, "cwd": str(cwd)}).encode()
        try:
            socket.send_fds(self.channel, [message], [lock_fd, stderr_fd])
        except OSError:  # it is gone (killed, or failed to import dbt)
            stop(proc)
            return None
        finally:
            self.channel.close()
        return proc

    def close(self) -> None:
        """Stop the child unless it was handed a build (a refused build, an error)."""
        self.channel.close()
        proc, self.proc = self.proc, None
        if proc is not None:
            stop(proc)


def wait_for_build(fd: int) -> list[str] | None:
    """In the early child: import dbt, then wait for the build. Returns dbt's arguments
    after taking the build's environment, folder, lock and stderr; None when the CLI closed
    the socket without a build (or died: the child is then killed anyway)."""
    import importlib

    for module in WARM_MODULES:
        with contextlib.suppress(ImportError):  # dbt reports it when it needs the module
            importlib.import_module(module)
    channel = socket.socket(fileno=fd)
    try:
        message, fds, _, _ = socket.recv_fds(channel, MAX_MESSAGE, 2)
    finally:
        channel.close()
    if not message or len(fds) != 2:
        return None
    build = json.loads(message)
    lock_fd, stderr_fd = fds  # the lock stays open (and held) until this process ends
    os.dup2(stderr_fd, sys.stderr.fileno())
    os.close(stderr_fd)
    os.environ.clear()
    os.environ.update(build["env"])
    os.chdir(build["cwd"])
    # dbt records its command line (run_results.json's invocation_command) from sys.argv:
    # the build's arguments, as a child started with them would have.
    sys.argv = [sys.argv[0], *build["args"]]
    return build["args"]
