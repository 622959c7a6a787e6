"""How many cores this process may really use: its CPU affinity, capped by a cgroup CPU quota.

A container limited to one CPU on a 32-core host still sees 32 cores in ``os.cpu_count()``
and in its affinity mask; only the cgroup's quota (``cpu.max`` in cgroup v2,
``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` in v1) says that it gets one core's time. Forking
a worker per visible core there makes the workers take turns on that one core, slower than
one process. The quota of every cgroup from this one up to the root counts: the smallest wins.

Where each hierarchy is mounted comes from ``/proc/self/mountinfo``, as the JVM and Go's
runtime find it: a hybrid host mounts cgroup v2 at ``/sys/fs/cgroup/unified`` and each v1
controller in a folder of its own, and a container's mount may show only a subtree of the
hierarchy (its "root" field), which ``/proc/self/cgroup`` names from the top. Without
mountinfo, the conventional folders under ``/sys/fs/cgroup`` are tried.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

PROC_CGROUP = Path("/proc/self/cgroup")
PROC_MOUNTINFO = Path("/proc/self/mountinfo")
CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Mount:
    """A cgroup hierarchy's mount: its folder, the part of the hierarchy it shows (``root``),
    and for v1 the controllers it carries."""

    folder: Path
    root: str
    version: int
    controllers: frozenset[str] = frozenset()


def usable_cores(proc_cgroup: Path = PROC_CGROUP, cgroup_root: Path = CGROUP_ROOT,
                 mountinfo: Path = PROC_MOUNTINFO) -> int:
    """The cores of the affinity mask, at most the cgroup CPU quota rounded up (at least 1)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    quota = cgroup_cpu_quota(proc_cgroup, cgroup_root, mountinfo)
    if quota is not None:
        cores = min(cores or 1, math.ceil(quota))
    return max(1, cores or 1)


def cgroup_cpu_quota(proc_cgroup: Path = PROC_CGROUP, cgroup_root: Path = CGROUP_ROOT,
                     mountinfo: Path = PROC_MOUNTINFO) -> float | None:
    """The CPU quota in cores (1.5 = one and a half cores' time), None when there is none
    or it cannot be read (no cgroups, not Linux)."""
    text = _text(proc_cgroup)
    if text is None:
        return None
    lines = text.splitlines()
    mounts = cgroup_mounts(mountinfo) or conventional_mounts(cgroup_root)
    quotas = []
    for line in lines:
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        if controllers == "":  # cgroup v2: one hierarchy, cpu.max holds "quota period"
            quotas += [_v2_quota(folder) for mount in mounts if mount.version == 2
                       for folder in _folders(mount, path)]
        elif "cpu" in controllers.split(","):  # cgroup v1: the cpu controller's hierarchy
            quotas += [_v1_quota(folder) for mount in mounts
                       if mount.version == 1 and "cpu" in mount.controllers
                       for folder in _folders(mount, path)]
    found = [quota for quota in quotas if quota is not None]
    return min(found) if found else None


def cgroup_mounts(mountinfo: Path = PROC_MOUNTINFO) -> list[Mount]:
    """The cgroup mounts ``mountinfo`` lists (empty when it cannot be read). A line is
    "id parent dev root mount-point options [optional fields] - fstype source super-options"."""
    mounts = []
    for line in (_text(mountinfo) or "").splitlines():
        before, _, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if len(fields) < 5 or len(tail) < 3 or tail[0] not in ("cgroup", "cgroup2"):
            continue
        root, folder = _unescape(fields[3]), Path(_unescape(fields[4]))
        if tail[0] == "cgroup2":
            mounts.append(Mount(folder, root, 2))
        else:
            mounts.append(Mount(folder, root, 1, frozenset(tail[2].split(","))))
    return mounts


def _unescape(field: str) -> str:
    """mountinfo writes a space, tab, newline and backslash in a path as \\040, \\011, \\012
    and \\134; /proc/self/cgroup does not escape them."""
    return re.sub(r"\\([0-7]{3})", lambda octal: chr(int(octal.group(1), 8)), field)


def conventional_mounts(cgroup_root: Path = CGROUP_ROOT) -> list[Mount]:
    """Where cgroups are usually mounted, for when mountinfo cannot be read: v2 at the root,
    the v1 cpu controller in a folder named for it (alone or with cpuacct)."""
    v1 = [Mount(cgroup_root / name, "/", 1, frozenset(name.split(",")))
          for name in ("cpu", "cpu,cpuacct") if _is_dir(cgroup_root / name)]
    return [Mount(cgroup_root, "/", 2), *v1[:1]]


def _folders(mount: Mount, path: str) -> list[Path]:
    """The folders of cgroup ``path`` (named from the top of its hierarchy) under ``mount``,
    which shows the hierarchy from ``mount.root`` down; none when the mount shows another
    part of the hierarchy than the one ``path`` is in (its folders are other cgroups')."""
    root = mount.root.rstrip("/")
    if root:
        if path != root and not path.startswith(root + "/"):
            return []
        path = path[len(root):]
    return _up_from(mount.folder, path)


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
    return (_text(path) or "").strip()


def _text(path: Path) -> str | None:
    """The file's text, None when it cannot be read; bytes that are not UTF-8 (a mount path
    may hold any) are kept as surrogates rather than failing the build over a core count."""
    try:
        return path.read_bytes().decode("utf-8", "surrogateescape")
    except OSError:
        return None


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False
