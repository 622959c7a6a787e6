"""Entry point of the dbt child process that ``dbt_build`` starts: ``python -m
couponseg.dbt_runner <dbt args>``.

Same as the ``dbt`` command, with six differences:

* The data tests of the transaction-grain models and of the feature mart (``meta:
  {tests_hold_up_models: false}`` in dbt_project.yml) do not hold up the models downstream
  of them. ``dbt build`` normally makes
  every model wait for the tests of everything it reads, so that a failed test stops bad data
  from spreading. Here the build writes a new warehouse file that replaces the published one
  only when every model and every test passed (couponseg/build.py), so bad data cannot reach
  anyone either way; waiting for the tests over every transaction would only keep the second
  core idle, and waiting for the feature mart's would delay the segment model, whose input
  the mart's enforced contract already checks. Tests of every other model (the run context,
  lookups, customers, segments) still hold up their descendants, so a bad setting stops at
  its own test rather than crashing a model further down. Every test still runs and any
  failure fails the build.
* A node is taken from the queue only when a thread is free to run it, and of the nodes ready
  then, the one with the longest chain of nodes still to come after it runs first. dbt hands
  every ready node to its thread pool at once, so the pool runs them in the order they became
  ready: the feature mart, ready after the fact table's reporting tables and tests, waited for
  all of them. Now the fact table's heavy descendants and the segmentation start as soon as
  they can, and reporting tables and tests fill the other core.
* dbt's fixed Python cost per node is cut (couponseg/dbt_overhead.py): log events no logger
  writes are dropped before they are built, result-table type detectors are reused, each node
  context's ~600 macros are bound in one pass, the garbage collector runs less often, and the
  code Jinja compiles each template to is kept on disk for the next build. What dbt writes
  does not change.
* Once dbt has finished, DuckDB is closed explicitly (so the warehouse file is checkpointed and
  complete) and the process exits without tearing down dbt's large module graph, which
  otherwise costs about a second per run, a tenth of a small build.
* ``couponseg build`` starts this process first thing, with ``--wait-for-build``: it imports
  dbt while the application checks the input and prepares the new file, then is handed its
  arguments, environment, folder, lock and log (couponseg/dbt_early.py).
* In a build that will train a segment model (the application says so: ``TRAIN_EARLY_ENV``),
  the training child process starts before dbt does, so it has imported scikit-learn by the
  time the feature mart is ready (``models_py.processes.start_early``).

Should dbt's or the adapter's internals ever change so that any of this cannot be done here,
dbt runs as it would by itself (tests holding up models, its own order, its own overheads, the
ordinary exit).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # dbt is imported by the patches themselves, in the dbt process only
    from dbt.artifacts.schemas.run import RunResult
    from dbt.contracts.graph.manifest import Manifest
    from dbt.contracts.graph.nodes import ManifestNode
    from dbt.graph.thread_pool import DbtThreadPool


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


def _released_tests_do_not_hold_up_models() -> bool:
    """After dbt adds its edges from each data test to the models downstream of what it tests
    (``Linker.add_test_edges``), take out those of tests of models whose meta says
    ``tests_hold_up_models: false``; False if dbt no longer has that step."""
    from dbt.compilation import Linker

    add_test_edges = getattr(Linker, "add_test_edges", None)
    if not callable(add_test_edges):
        return False

    def add_test_edges_except_released(self: Linker, manifest: Manifest) -> None:
        add_test_edges(self, manifest)
        released = [(test, model) for test, model, kind in self.graph.edges(data="edge_type")
                    if kind == "parent_test" and _tests_released(manifest, test)]
        self.graph.remove_edges_from(released)

    Linker.add_test_edges = add_test_edges_except_released
    return True


def _tests_released(manifest: Manifest, test_id: str) -> bool:
    """Whether the test only tests models marked ``tests_hold_up_models: false``: the model a
    generic test is attached to, or every model a singular test reads."""
    test = manifest.nodes.get(test_id)
    if test is None:
        return False
    attached = getattr(test, "attached_node", None)
    tested = [attached] if attached else list(test.depends_on_nodes)
    return bool(tested) and all(_meta(manifest.nodes.get(node)).get("tests_hold_up_models")
                                is False for node in tested)


def _meta(node: ManifestNode | None) -> dict:
    """A node's meta, from its properties and its config (dbt_project.yml's ``+meta``)."""
    config = getattr(node, "config", None)
    return {**(getattr(node, "meta", None) or {}), **(getattr(config, "meta", None) or {})}


def _longest_chain_first() -> bool:
    """Order dbt's queue of ready nodes by the longest chain of descendants, longest first
    (``GraphQueue._get_scores``: lower runs first); False if dbt no longer has that step."""
    import networkx as nx
    from dbt.graph.queue import GraphQueue

    if not callable(getattr(GraphQueue, "_get_scores", None)):
        return False

    def scores(self: GraphQueue, graph: nx.DiGraph) -> dict[str, int]:
        chain: dict[str, int] = {}
        for node in reversed(list(nx.topological_sort(graph))):
            chain[node] = 1 + max((chain[child] for child in graph.successors(node)), default=0)
        return {node: -length for node, length in chain.items()}

    GraphQueue._get_scores = scores
    return True


def _one_node_per_free_thread() -> bool:
    """Make ``dbt build`` wait for a free thread before it takes the next node from its queue
    (``BuildTask.handle_job_queue``), so that the queue's order is the order nodes run in;
    False if dbt no longer has that step."""
    from dbt.task.build import BuildTask

    take_next = getattr(BuildTask, "handle_job_queue", None)
    if not callable(take_next):
        return False

    def handle_job_queue(self: BuildTask, pool: DbtThreadPool,
                         callback: Callable[[RunResult], None]) -> None:
        queue, threads = self.job_queue, getattr(pool, "max_threads", None)
        some_task_done = getattr(queue, "some_task_done", None)
        if threads and some_task_done is not None:
            with some_task_done:
                while len(queue.in_progress) >= threads:
                    some_task_done.wait(timeout=1.0)
        take_next(self, pool, callback)

    BuildTask.handle_job_queue = handle_job_queue
    return True


def _run_dbt(args: list[str]):
    """dbt's own runner, with this module's changes to dbt applied first."""
    from dbt.cli.main import dbtRunner

    from couponseg import dbt_overhead

    dbt_overhead.apply()
    _released_tests_do_not_hold_up_models()
    _longest_chain_first()
    _one_node_per_free_thread()
    return dbtRunner().invoke(args)


# The first argument of a dbt child started before its build (couponseg/dbt_early.py).
EARLY_FLAG = "--wait-for-build"
# Exit code of a dbt that stopped on an error (failed nodes give 1, success 0).
DBT_ERROR = 2
# Set (to "1") by the application when this build will train a segment model: the training
# child (TRAINING_MODULE) is then started before dbt, and training takes it from there.
TRAIN_EARLY_ENV = "COUPONSEG_TRAIN_EARLY"
# models_py.segmentation.training_process, named here rather than imported: importing it
# imports pandas and pyarrow, which would hold up dbt's start by a few tenths of a second.
TRAINING_MODULE = "models_py.segmentation.training_process"


def main(args: list[str]) -> tuple[int, bool]:
    """Run dbt; return its exit code (0 ok, 1 failures, 2 error) and whether DuckDB closed."""
    from models_py import processes

    if os.environ.get(TRAIN_EARLY_ENV) == "1":
        with contextlib.suppress(OSError):  # a head start only: training starts its own
            processes.start_early(TRAINING_MODULE)
    try:
        result = _run_dbt(args)
    finally:
        processes.stop_started()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        print(f"dbt failed: {result.exception}", file=sys.stderr)
    code = 0 if result.success else (DBT_ERROR if result.exception is not None else 1)
    return code, _close_duckdb()


def _arguments(argv: list[str]) -> list[str] | None:
    """dbt's arguments: the command line's, or for a child started early
    (couponseg/dbt_early.py) those its build hands over once it is ready; None when the build
    ended before it needed dbt."""
    if argv[:1] != [EARLY_FLAG]:
        return argv
    from couponseg.dbt_early import wait_for_build

    return wait_for_build(int(argv[1]))


if __name__ == "__main__":
    dbt_args = _arguments(sys.argv[1:])
    if dbt_args is None:
        os._exit(0)
    exit_code, closed = main(dbt_args)
    sys.stdout.flush()
    sys.stderr.flush()
    if closed:
        os._exit(exit_code)
    sys.exit(exit_code)
