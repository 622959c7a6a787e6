"""How fast is the machine the benchmark ran on: a fixed workload, timed, stored with the run.

These machines are shared and not all alike (the same code has taken 26.3 s at 10M end to
end on one and 78.3 s on another: bench/results.json of 2234dd9 and of the run after it).
Absolute seconds from two runs compare only when the machines do, so every run records
this calibration beside its figures: a fixed single-thread Python loop and a fixed DuckDB
grouping on two threads, best of three. Ratios within one run need no correction;
figures from two runs can be read through the ratio of their calibrations.

A calibration is taken before a run; the hypervisor of a shared virtual machine can take
CPU away during it. ``steal_share`` says how much it took over the whole run (the kernel's
steal counter), so a slow run can be told from a slow change.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path


def _python_loop() -> None:
    total = 0
    for i in range(5_000_000):
        total += i


def _duckdb_grouping() -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("set threads = 2")
    con.execute("create table t as select i % 1000003 as k, i as v "
                "from range(20000000) as r(i)")
    con.execute("select k, sum(v), count(*) from t group by k").fetchall()
    con.close()


def _best_of(work: Callable[[], None], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return round(min(times), 3)


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def cpu_clock() -> list[int] | None:
    """The machine's CPU time counters since boot (the first line of /proc/stat: user, nice,
    system, idle, iowait, irq, softirq, steal, ...); None where there is no /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    return [int(value) for value in fields[1:]] if fields and fields[0] == "cpu" else None


def steal_share(start: list[int] | None, end: list[int] | None) -> float | None:
    """The share of the machine's CPU time between two ``cpu_clock`` readings that the
    hypervisor gave to other guests (0.25: a quarter of the time this machine's cores were
    not ours); None when either reading is missing, no time passed, or the counters went
    backwards (a steal clock reset after a migration). A core is robbed only while it wants
    to run, so idle time dilutes the share: a bench run keeps both cores busy most of the
    time, where it is close to the share of busy time lost."""
    if not start or not end or len(start) < 8 or len(end) < 8:
        return None
    spent = [max(after - before, 0) for before, after in zip(start, end, strict=False)]
    total = sum(spent[:8])  # guest time (fields 9-10) is already inside user time
    if total <= 0 or end[7] < start[7]:
        return None
    return round(spent[7] / total, 3)


def calibrate(runs: int = 3) -> dict[str, object]:
    """The machine and its calibration seconds, best of ``runs`` (smaller is faster)."""
    return {
        "date": date.today().isoformat(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python_loop_s": _best_of(_python_loop, runs),
        "duckdb_grouping_s": _best_of(_duckdb_grouping, runs),
    }


if __name__ == "__main__":
    clock = cpu_clock()
    print({**calibrate(), "steal_share": steal_share(clock, cpu_clock())})
