"""How many cores this process may really use: its CPU affinity, capped by a cgroup CPU quota.

A container limited to one CPU on a 32-core host still sees 32 cores in ``os.cpu_count()``
and in its affinity mask; only the cgroup's quota (``cpu.max`` in cgroup v2,
``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` in v1) says that it gets one core's time. Forking
a worker per visible core there makes the workers take turns on that one core, slower than
one process. The quota of every cgroup from this one up to the root counts: the smallest wins.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

PROC_CGROUP = Path("/proc/self/cgroup")
CGROUP_ROOT = Path("/sys/fs/cgroup")


def usable_cores(proc_cgroup: Path = PROC_CGROUP, cgroup_root: Path = CGROUP_ROOT) -> int:
    """The cores of the affinity mask, at most the cgroup CPU quota rounded up (at least 1)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    quota = cgroup_cpu_quota(proc_cgroup, cgroup_root)
    if quota is not None:
        cores = min(cores or 1, math.ceil(quota))
    return max(1, cores or 1)


def cgroup_cpu_quota(proc_cgroup: Path = PROC_CGROUP,
                     cgroup_root: Path = CGROUP_ROOT) -> float | None:
    """The CPU quota in cores (1.5 = one and a half cores' time), None when there is none
    or it cannot be read (no cgroups, not Linux)."""
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return None
    quotas = []
    for line in lines:
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        if controllers == "":  # cgroup v2: one hierarchy, cpu.max holds "quota period"
            quotas += [_v2_quota(folder) for folder in _up_from(cgroup_root, path)]
        elif "cpu" in controllers.split(","):  # cgroup v1: the cpu controller's own mount
            mount = next((cgroup_root / name for name in (controllers, "cpu", "cpu,cpuacct")
                          if (cgroup_root / name).is_dir()), None)
            if mount is not None:
                quotas += [_v1_quota(folder) for folder in _up_from(mount, path)]
    found = [quota for quota in quotas if quota is not None]
    return min(found) if found else None


def _up_from(mount: Path, path: str) -> list[Path]:
    """The cgroup folder of ``path`` under ``mount`` and each of its parents up to the mount
    (inside a container the path may name folders the container's mount does not have)."""
    parts = [part for part in path.strip().split("/") if part and part != ".."]
    return [mount.joinpath(*parts[:depth]) for depth in range(len(parts), -1, -1)]


def _v2_quota(folder: Path) -> float | None:
    fields = _read(folder / "cpu.max").split()
    if len(fields) != 2 or fields[0] == "max":
        return None
    return _ratio(fields[0], fields[1])


def _v1_quota(folder: Path) -> float | None:
    return _ratio(_read(folder / "cpu.cfs_quota_us"), _read(folder / "cpu.cfs_period_us"))


def _ratio(quota: str, period: str) -> float | None:
    try:
        quota_us, period_us = int(quota), int(period)
    except ValueError:
        return None
    return quota_us / period_us if quota_us > 0 and period_us > 0 else None


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""
