"""Scoring workers per usable core: the affinity mask capped by a cgroup CPU quota, read from
cgroup v2 and v1 files laid out as the kernel lays them out (in a temporary folder)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from models_py.cores import cgroup_cpu_quota, usable_cores

AFFINITY = len(os.sched_getaffinity(0))


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _v2(tmp_path: Path, limits: dict[str, str], own: str = "/app/job") -> tuple[Path, Path]:
    proc = tmp_path / "cgroup"
    proc.write_text(f"0::{own}\n")
    for folder, cpu_max in limits.items():
        _write(tmp_path / "fs" / folder.strip("/") / "cpu.max", cpu_max + "\n")
    return proc, tmp_path / "fs"


def test_v2_quota_of_one_and_a_half_cores(tmp_path):
    proc, root = _v2(tmp_path, {"/app/job": "150000 100000"})
    assert cgroup_cpu_quota(proc, root) == 1.5
    assert usable_cores(proc, root) == min(AFFINITY, 2)


def test_v2_the_smallest_quota_on_the_way_to_the_root_wins(tmp_path):
    proc, root = _v2(tmp_path, {"/app/job": "max 100000", "/app": "100000 100000",
                                "/": "400000 100000"})
    assert cgroup_cpu_quota(proc, root) == 1.0
    assert usable_cores(proc, root) == 1


def test_no_quota_leaves_the_affinity(tmp_path):
    proc, root = _v2(tmp_path, {"/app/job": "max 100000"})
    assert cgroup_cpu_quota(proc, root) is None
    assert usable_cores(proc, root) == AFFINITY
    assert cgroup_cpu_quota(tmp_path / "no such file", root) is None


def test_v2_path_the_container_cannot_see_falls_back_to_its_root(tmp_path):
    """Inside a container /proc/self/cgroup may name the host's path; the mount is the
    container's own cgroup, whose cpu.max is at the mount's root."""
    proc, root = _v2(tmp_path, {"/": "50000 100000"}, own="/kubepods/pod1/abc")
    assert usable_cores(proc, root) == 1


@pytest.mark.parametrize("mount", ["cpu,cpuacct", "cpu"])
def test_v1_cfs_quota(tmp_path, mount):
    proc = tmp_path / "cgroup"
    proc.write_text("4:memory:/job\n3:cpu,cpuacct:/job\n0::/\n")
    folder = tmp_path / "fs" / mount / "job"
    _write(folder / "cpu.cfs_quota_us", "200000\n")
    _write(folder / "cpu.cfs_period_us", "100000\n")
    _write(tmp_path / "fs" / mount / "cpu.cfs_quota_us", "-1\n")  # the root: no limit
    assert cgroup_cpu_quota(proc, tmp_path / "fs") == 2.0


def test_unreadable_or_odd_files_mean_no_quota(tmp_path):
    proc, root = _v2(tmp_path, {"/app/job": "garbage"})
    assert cgroup_cpu_quota(proc, root) is None
    _write(root / "app" / "cpu.max", "0 100000")
    assert cgroup_cpu_quota(proc, root) is None
