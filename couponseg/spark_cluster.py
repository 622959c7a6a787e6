"""A real standalone Spark cluster on this machine: one master and one worker on 127.0.0.1,
started from the pyspark package's own ``spark-class`` (no separate Spark download).

Used by ``make spark-cluster`` / ``make spark-cluster-stop`` and by the parity test, so the
distributed path (executors in other JVMs, shuffles between them, the Python step's
partitions on executors) is exercised, not only ``local[*]``. Loopback addresses only; the
processes started are recorded in a state folder and stopped by their ids.

    python -m couponseg.spark_cluster start [--port 7077]   # prints the master URL
    python -m couponseg.spark_cluster stop
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from models_py.paths import REPO_ROOT

LOOPBACK = "127.0.0.1"
DEFAULT_STATE = REPO_ROOT / "data" / "spark-cluster"


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


@dataclass
class Cluster:
    """A running master + worker: their process ids and the master's URL."""

    master_url: str
    pids: list[int]
    state: Path


def _environment(state: Path) -> dict[str, str]:
    return {**os.environ, "SPARK_HOME": str(spark_home()), "SPARK_LOCAL_IP": LOOPBACK,
            "SPARK_LOG_DIR": str(state / "logs"), "SPARK_WORKER_DIR": str(state / "work"),
            # executors run the Python step's functions with this interpreter (same packages)
            "PYSPARK_PYTHON": sys.executable}


def _spawn(args: list[str], log: Path, env: dict[str, str]) -> int:
    command = [str(spark_home() / "bin" / "spark-class"), *args]
    with open(log, "ab") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    return proc.pid


def _wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex((LOOPBACK, port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"Spark master did not open {LOOPBACK}:{port} in {timeout:.0f} s")


def _wait_for_worker(state: Path, timeout: float) -> None:
    """The worker has registered with the master (its log says so)."""
    deadline = time.monotonic() + timeout
    log = state / "worker.log"
    while time.monotonic() < deadline:
        if log.exists() and "Successfully registered with master" in log.read_text(
                errors="replace"):
            return
        time.sleep(0.5)
    raise TimeoutError(f"Spark worker did not register in {timeout:.0f} s (see {log})")


def start(state: Path = DEFAULT_STATE, port: int = 7077, cores: int = 1,
          memory: str = "2g", timeout: float = 120) -> Cluster:
    """Start a master and a worker on loopback; return once the worker has registered."""
    state = Path(state).resolve()
    (state / "work").mkdir(parents=True, exist_ok=True)
    (state / "logs").mkdir(exist_ok=True)
    env = _environment(state)
    url = f"spark://{LOOPBACK}:{port}"
    pids = [_spawn(["org.apache.spark.deploy.master.Master", "--host", LOOPBACK,
                    "--port", str(port), "--webui-port", str(free_port())],
                   state / "master.log", env)]
    cluster = Cluster(url, pids, state)
    _save(cluster)
    try:
        _wait_for_port(port, timeout)
        pids.append(_spawn(["org.apache.spark.deploy.worker.Worker", url, "--host", LOOPBACK,
                            "--cores", str(cores), "--memory", memory,
                            "--webui-port", str(free_port()),
                            "--work-dir", str(state / "work")],
                           state / "worker.log", env))
        _save(cluster)
        _wait_for_worker(state, timeout)
    except BaseException:
        stop(state)
        raise
    return cluster


def _save(cluster: Cluster) -> None:
    (cluster.state / "cluster.json").write_text(
        json.dumps({"master_url": cluster.master_url, "pids": cluster.pids}))


def stop(state: Path = DEFAULT_STATE) -> list[int]:
    """Stop the processes this module started for ``state`` (by their recorded ids)."""
    record = Path(state).resolve() / "cluster.json"
    if not record.exists():
        return []
    pids = json.loads(record.read_text())["pids"]
    for pid in reversed(pids):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)  # the process group: spark-class and its JVM
    deadline = time.monotonic() + 20
    for pid in pids:
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.2)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
    record.unlink()
    return pids


def _alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


@contextmanager
def running_cluster(state: Path, port: int | None = None) -> Iterator[Cluster]:
    """A cluster for the duration of a block (tests): started, then stopped."""
    cluster = start(state, port or free_port())
    try:
        yield cluster
    finally:
        stop(state)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m couponseg.spark_cluster",
                                description="standalone Spark master + worker on 127.0.0.1")
    p.add_argument("action", choices=("start", "stop"))
    p.add_argument("--port", type=int, default=7077)
    p.add_argument("--state", type=Path, default=DEFAULT_STATE)
    args = p.parse_args(argv)
    if args.action == "start":
        cluster = start(args.state, args.port)
        print(f"Spark master {cluster.master_url} (pids {cluster.pids}); use it with\n"
              f"  export COUPONSEG_SPARK_MASTER={cluster.master_url}")
    else:
        print(f"stopped {stop(args.state) or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
