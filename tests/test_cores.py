"""Scoring workers per usable core: the affinity mask capped by a cgroup CPU quota, read from
cgroup v2 and v1 files laid out as the kernel lays them out (in a temporary folder): found
through a mountinfo file as the kernel writes it, or, without one, in the usual folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from models_py.cores import cgroup_cpu_quota, cgroup_mounts, usable_cores

AFFINITY = len(os.sched_getaffinity(0))
NO_MOUNTINFO = Path("/nonexistent/mountinfo")  # the usual folders under the given root


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
    assert cgroup_cpu_quota(proc, root, NO_MOUNTINFO) == 1.5
    assert usable_cores(proc, root, NO_MOUNTINFO) == min(AFFINITY, 2)


def test_v2_the_smallest_quota_on_the_way_to_the_root_wins(tmp_path):
    proc, root = _v2(tmp_path, {"/app/job": "max 100000", "/app": "100000 100000",
                                "/": "400000 100000"})
    assert cgroup_cpu_quota(proc, root, NO_MOUNTINFO) == 1.0
    assert usable_cores(proc, root, NO_MOUNTINFO) == 1


def test_no_quota_leaves_the_affinity(tmp_path):
    proc, root = _v2(tmp_path, {"/app/job": "max 100000"})
    assert cgroup_cpu_quota(proc, root, NO_MOUNTINFO) is None
    assert usable_cores(proc, root, NO_MOUNTINFO) == AFFINITY
    assert cgroup_cpu_quota(tmp_path / "no such file", root, NO_MOUNTINFO) is None


def test_v2_path_the_container_cannot_see_falls_back_to_its_root(tmp_path):
    """Inside a container /proc/self/cgroup may name the host's path; the mount is the
    container's own cgroup, whose cpu.max is at the mount's root."""
    proc, root = _v2(tmp_path, {"/": "50000 100000"}, own="/kubepods/pod1/abc")
    assert usable_cores(proc, root, NO_MOUNTINFO) == 1


@pytest.mark.parametrize("mount", ["cpu,cpuacct", "cpu"])
def test_v1_cfs_quota(tmp_path, mount):
    proc = tmp_path / "cgroup"
    proc.write_text("4:memory:/job\n3:cpu,cpuacct:/job\n0::/\n")
    folder = tmp_path / "fs" / mount / "job"
    _write(folder / "cpu.cfs_quota_us", "200000\n")
    _write(folder / "cpu.cfs_period_us", "100000\n")
    _write(tmp_path / "fs" / mount / "cpu.cfs_quota_us", "-1\n")  # the root: no limit
    assert cgroup_cpu_quota(proc, tmp_path / "fs", NO_MOUNTINFO) == 2.0


def test_unreadable_or_odd_files_mean_no_quota(tmp_path):
    proc, root = _v2(tmp_path, {"/app/job": "garbage"})
    assert cgroup_cpu_quota(proc, root, NO_MOUNTINFO) is None
    _write(root / "app" / "cpu.max", "0 100000")
    assert cgroup_cpu_quota(proc, root, NO_MOUNTINFO) is None


def _mountinfo(tmp_path: Path, mounts: list[tuple[str, str, str, str]]) -> Path:
    """A mountinfo file: (root, mount folder under tmp_path, fstype, super options)."""
    path = tmp_path / "mountinfo"
    path.write_text("".join(
        f"{30 + i} 23 0:{28 + i} {root} {tmp_path / folder} rw,relatime shared:{i} - "
        f"{fstype} {fstype} {options}\n"
        for i, (root, folder, fstype, options) in enumerate(mounts)))
    return path


def test_hybrid_host_v1_cpu_controller_where_mountinfo_puts_it(tmp_path):
    """This machine's layout: v2 at .../unified without the cpu controller, each v1
    controller in a folder of its own; the cpu folder here is named as no convention names it."""
    info = _mountinfo(tmp_path, [("/", "fs", "tmpfs", "rw"),
                                 ("/", "fs/ctl-cpu", "cgroup", "rw,cpu"),
                                 ("/", "fs/memory", "cgroup", "rw,memory"),
                                 ("/", "fs/unified", "cgroup2", "rw")])
    proc = tmp_path / "cgroup"
    proc.write_text("4:memory:/job\n1:cpu:/job\n0::/\n")
    _write(tmp_path / "fs" / "ctl-cpu" / "job" / "cpu.cfs_quota_us", "150000\n")
    _write(tmp_path / "fs" / "ctl-cpu" / "job" / "cpu.cfs_period_us", "100000\n")
    _write(tmp_path / "fs" / "memory" / "job" / "cpu.cfs_quota_us", "50000\n")  # not cpu's
    assert cgroup_cpu_quota(proc, tmp_path / "elsewhere", info) == 1.5
    assert cgroup_cpu_quota(proc, tmp_path / "elsewhere", NO_MOUNTINFO) is None


def test_container_mount_showing_a_subtree(tmp_path):
    """A container's mount shows the hierarchy from its own cgroup (mountinfo's root field)
    while /proc/self/cgroup names the path from the top: the quota of the container's own
    folder must be found, not only the mount's."""
    info = _mountinfo(tmp_path, [("/kubepods/pod1", "fs/cpu", "cgroup", "rw,cpu,cpuacct")])
    proc = tmp_path / "cgroup"
    proc.write_text("3:cpu,cpuacct:/kubepods/pod1/app\n")
    _write(tmp_path / "fs" / "cpu" / "app" / "cpu.cfs_quota_us", "100000\n")
    _write(tmp_path / "fs" / "cpu" / "app" / "cpu.cfs_period_us", "100000\n")
    assert cgroup_cpu_quota(proc, tmp_path / "fs", info) == 1.0
    assert usable_cores(proc, tmp_path / "fs", info) == 1


def test_v2_mounted_elsewhere_with_a_space_in_its_path(tmp_path):
    """mountinfo writes a space in a path as \\040."""
    folder = tmp_path / "cgroup two"
    info = tmp_path / "mountinfo"
    info.write_text(f"41 31 0:38 / {str(folder).replace(' ', chr(92) + '040')} rw - "
                    "cgroup2 cgroup2 rw\n")
    proc = tmp_path / "cgroup"
    proc.write_text("0::/svc\n")
    _write(folder / "svc" / "cpu.max", "250000 100000\n")
    assert cgroup_cpu_quota(proc, tmp_path / "fs", info) == 2.5


def test_escaped_root_and_a_mount_of_another_subtree(tmp_path):
    """systemd names units with backslashes (my\\x2dbox), which mountinfo writes as \\134 in
    the root field; a mount showing another part of the hierarchy holds other cgroups'
    folders, whose quota is not this process's."""
    proc = tmp_path / "cgroup"
    proc.write_text("1:cpu:/machine/my\\x2dbox/app\n")
    info = tmp_path / "mountinfo"
    info.write_text(f"32 31 0:29 /machine/my\\134x2dbox {tmp_path / 'own'} rw - cgroup cg rw,cpu\n"
                    f"33 31 0:29 /other {tmp_path / 'other'} rw - cgroup cg rw,cpu\n")
    for folder, quota in (("own/app", "300000"), ("other", "100000")):
        _write(tmp_path / folder / "cpu.cfs_quota_us", quota + "\n")
        _write(tmp_path / folder / "cpu.cfs_period_us", "100000\n")
    assert cgroup_cpu_quota(proc, tmp_path / "fs", info) == 3.0


def test_a_mount_path_that_is_not_utf8_does_not_fail_the_build(tmp_path):
    info = tmp_path / "mountinfo"
    info.write_bytes(b"50 23 0:40 / /mnt/caf\xe9 rw - ext4 /dev/x rw\n"
                     + f"41 31 0:38 / {tmp_path / 'v2'} rw - cgroup2 cgroup2 rw\n".encode())
    proc = tmp_path / "cgroup"
    proc.write_bytes(b"0::/\xff\n")
    _write(tmp_path / "v2" / "cpu.max", "100000 100000\n")
    assert cgroup_cpu_quota(proc, tmp_path / "fs", info) == 1.0
    assert usable_cores(proc, tmp_path / "fs", info) == 1


def test_this_machines_mountinfo_is_read():
    """The real file parses, and every cgroup mount it names is a folder that exists."""
    mounts = cgroup_mounts()
    if Path("/sys/fs/cgroup").is_dir():
        assert mounts
    assert all(mount.folder.is_dir() and mount.version in (1, 2) for mount in mounts)
