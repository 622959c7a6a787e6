"""Is this code slower than an earlier commit? Both, on one machine, in one run.

A promise such as "the 50M build is not slower than 122.6 s" was measured on a machine that
may be gone: these shared machines differ by more than most changes (bench/machine.py
records how much). Seconds from two machines cannot answer it; the earlier commit's code and
this checkout's, run on the same input on the same machine, can. Both sides are exported
with ``git archive`` into folders of their own (head from this checkout's tracked files as
they are, uncommitted changes included, via ``git stash create``), so editing the checkout
during a run changes neither side. Each side runs through its own CLI module with this
checkout's installed packages (a warning names the base's pins they do not satisfy), with
the project's settings (COUPONSEG_*, DBT_*) cleared so that both run on their own defaults.
Runs alternate base, head, head, base, ... so that a machine that slows down or speeds up
during the run charges both sides alike. Each run is a build into a fresh warehouse (training
the segment model, as a first build does) then the report, each stage timed in a fresh
process by bench/measure.py. Before the timed runs each side builds the shipped sample once,
so that dbt's parse of its project is warm, as in `make bench`, where the small sizes run
first.

    python -m bench.compare --base 1e37af5 --size 50M [--rounds 2] [--format csv] [--out FILE]

Prints each run and a summary, and writes bench/compare.json (the calibration of the
machine, both commits, every run). Figures are printed, never asserted; the exit status is
1 when a side has no good run (the file is then left as it was).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from bench.rounding import half_up
from bench.run import REPO, SIZES, WORK, counts, input_path, prepare

OUTPUT = REPO / "bench" / "compare.json"
# Settings of the project (profiles.yml, the CLI) and of dbt: cleared for both sides.
CLEARED_PREFIXES = ("COUPONSEG_", "DBT_")


class CompareError(Exception):
    """A comparison that cannot start or has nothing to compare; the message says why."""


@dataclass(frozen=True)
class Side:
    """One version of the code: where its files are and how its CLI is started."""

    name: str
    commit: str
    root: Path
    cli_module: str


def cli_module(pyproject: str) -> str:
    """The module behind the ``couponseg`` command ("couponseg.cli:main" -> "couponseg.cli"):
    it moved between releases (models_py.cli before the CLI had a package of its own)."""
    try:
        entry = tomllib.loads(pyproject)["project"]["scripts"]["couponseg"]
    except KeyError as missing:
        raise CompareError("its pyproject.toml declares no `couponseg` command") from missing
    return entry.split(":", 1)[0]


def git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
    if result.returncode != 0:
        raise CompareError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout.strip()


def resolve(commit: str) -> str:
    """The full sha of ``commit``, or a CompareError that says what to do."""
    if commit.startswith("-"):
        raise CompareError(f"{commit!r} is not a commit")
    try:
        return git("rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}")
    except CompareError:
        shallow = git("rev-parse", "--is-shallow-repository") == "true"
        hint = " (this clone is shallow: `git fetch --unshallow`)" if shallow else ""
        raise CompareError(f"no commit {commit!r} in this repository{hint}") from None


def export(name: str, commit: str, dest: Path, label: str | None = None) -> Side:
    """The commit's files (no .git) in ``dest``, via ``git archive``; ``label`` names it in
    the results (default: the short sha)."""
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=REPO,
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    pyproject = dest / "pyproject.toml"
    if not pyproject.exists():
        raise CompareError(f"{commit[:7]} has no pyproject.toml: not a couponseg release")
    return Side(name, label or commit[:7], dest, cli_module(pyproject.read_text()))


def head_commit() -> tuple[str, str]:
    """(commit to export, label): HEAD, or a stash commit of the uncommitted changes to
    tracked files (``-dirty``; untracked files are left out and a warning says so)."""
    stash = git("stash", "create")
    if git("status", "--porcelain", "--untracked-files=normal").count("?? "):
        print("warning: untracked files are not part of the head side", flush=True)
    described = git("describe", "--always", "HEAD")
    return (stash, f"{described}-dirty") if stash else (resolve("HEAD"), described)


def schedule(rounds: int) -> list[str]:
    """base, head, head, base, base, head, ...: over an even number of rounds each side runs
    as often early as late."""
    if rounds < 1:
        raise CompareError("--rounds must be at least 1")
    pairs = [("base", "head") if i % 2 == 0 else ("head", "base") for i in range(rounds)]
    return [name for pair in pairs for name in pair]


def side_env(side: Side, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment ``side``'s commands run in: its own files first on the import path,
    its own dbt profile, and none of the project's or dbt's settings from this shell."""
    base = os.environ if environ is None else environ
    env = {key: value for key, value in base.items() if not key.startswith(CLEARED_PREFIXES)}
    return {**env, "PYTHONPATH": str(side.root), "DBT_PROFILES_DIR": str(side.root),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}


def cleared_settings() -> list[str]:
    return sorted(key for key in os.environ if key.startswith(CLEARED_PREFIXES))


def _stage(side: Side, *args: str) -> dict:
    """One CLI command of ``side`` in a fresh process, timed by bench/measure.py; its whole
    process group is killed if this one is interrupted, so no build runs on orphaned."""
    measure = [sys.executable, str(REPO / "bench" / "measure.py"), "--",
               sys.executable, "-m", side.cli_module, *args]
    proc = subprocess.Popen(measure, cwd=side.root, env=side_env(side), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate()
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    lines = stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"wall_s": None, "peak_rss_mb": None,
                "status": f"measure failed: {(stderr.strip().splitlines() or ['?'])[-1][:200]}"}
    return json.loads(lines[-1])


def input_folder(size: str, fmt: str = "parquet") -> Path:
    """The bench's input of ``size``: generated by `make bench` (generated here if missing)."""
    folder = input_path(size, fmt)
    if SIZES[size] is None or not folder.exists():
        folder = prepare(size, fmt)[0]
    return folder


def build_and_report(side: Side, folder: Path, work: Path) -> dict:
    """A first build of ``folder`` into a fresh warehouse in ``work``, then the report."""
    warehouse = work / "warehouse.duckdb"
    build = _stage(side, "build", "--input", str(folder), "--warehouse", str(warehouse))
    report = (_stage(side, "report", "--warehouse", str(warehouse), "--out", str(work / "out"))
              if build["status"] == "ok" else {"wall_s": None, "status": "not run"})
    ok = build["status"] == "ok" and report["status"] == "ok"
    return {"side": side.name, "commit": side.commit, "build_s": build["wall_s"],
            "report_s": report["wall_s"],
            "total_s": round(build["wall_s"] + report["wall_s"], 2) if ok else None,
            "peak_rss_mb": build["peak_rss_mb"],
            "status": "ok" if ok else f"build {build['status']}; report {report['status']}"}


def summary(runs: list[dict]) -> dict:
    """Median total of each side's good runs, how many were good, and head / base (below 1:
    head is faster) of the exact medians."""
    result: dict[str, object] = {}
    exact: dict[str, float | None] = {}
    for name in ("base", "head"):
        mine = [run for run in runs if run["side"] == name]
        totals = [run["total_s"] for run in mine if run["status"] == "ok"]
        exact[name] = statistics.median(totals) if totals else None
        result[f"{name}_median_s"] = half_up(exact[name], 1) if totals else None
        result[f"{name}_ok_runs"] = f"{len(totals)}/{len(mine)}"
    base, head = exact["base"], exact["head"]
    result["head_over_base"] = half_up(head / base, 2) if base and head else None
    return result


def unmet_pins(pyproject: str) -> list[str]:
    """The runtime requirements of a pyproject.toml that the installed packages do not
    satisfy (requirements whose markers do not apply here are skipped)."""
    unmet = []
    for text in tomllib.loads(pyproject)["project"].get("dependencies", []):
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            unmet.append(f"{text} (not understood)")
            continue
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed is None or not requirement.specifier.contains(installed, prereleases=True):
            unmet.append(f"{text} (installed: {installed or 'none'})")
    return unmet


def _sides(base: str, tmp: Path) -> dict[str, Side]:
    head_sha, head_label = head_commit()
    sides = {"base": export("base", resolve(base), tmp / "base"),
             "head": export("head", head_sha, tmp / "head", head_label)}
    unmet = unmet_pins((sides["base"].root / "pyproject.toml").read_text())
    if unmet:
        print(f"warning: {sides['base'].commit} runs with this checkout's packages, not its "
              f"own pins: {', '.join(unmet)}", flush=True)
    return sides


def _warm_up(sides: dict[str, Side], tmp: Path) -> None:
    for side in sides.values():
        warm = build_and_report(side, input_folder("sample"), tmp / f"warm-{side.name}")
        if warm["status"] != "ok":
            raise CompareError(f"{side.name} ({side.commit}) cannot build the sample: "
                               f"{warm['status']}")


def compare(base: str, size: str, rounds: int, warm_up: bool = True,
            fmt: str = "parquet") -> dict:
    """Every run of both sides and their summary; warehouses go to a folder under the
    bench's work folder (not /tmp, which may be memory) and are removed as each run ends."""
    order = schedule(rounds)
    folder = input_folder(size, fmt)
    customers, transactions = counts(folder)
    result = {"size": size, "format": fmt, "transactions": transactions, "customers": customers,
              "cleared_settings": cleared_settings()}
    WORK.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="compare-", dir=WORK) as tmp:
        sides = _sides(base, Path(tmp))
        result.update(base=sides["base"].commit, head=sides["head"].commit)
        if warm_up:
            _warm_up(sides, Path(tmp))
        runs = []
        for i, name in enumerate(order):
            runs.append(build_and_report(sides[name], folder, Path(tmp) / f"run-{i}"))
            shutil.rmtree(Path(tmp) / f"run-{i}", ignore_errors=True)
            print(json.dumps(runs[-1]), flush=True)
    return {**result, "runs": runs, **summary(runs)}


def _stop_on_sigterm() -> None:
    """A killed `make` or CI timeout sends SIGTERM: unwind, so the running build's process
    group is killed and the temporary warehouses are removed."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the earlier commit to compare against")
    parser.add_argument("--size", default="50M", choices=[s for s in SIZES if s != "workbook"])
    parser.add_argument("--rounds", type=int, default=2, help="base+head pairs (default 2)")
    parser.add_argument("--out", type=Path, default=OUTPUT, help="default bench/compare.json")
    parser.add_argument("--format", default="parquet", choices=("parquet", "csv"),
                        help="the generated input's format (default parquet, as make bench)")
    parser.add_argument("--no-warm-up", action="store_true",
                        help="skip the sample build that warms each side's dbt parse")
    args = parser.parse_args(argv)
    _stop_on_sigterm()
    from bench.machine import calibrate, cpu_clock, steal_share

    try:
        clock = cpu_clock()
        machine = calibrate()
        result = {**compare(args.base, args.size, args.rounds, not args.no_warm_up,
                            args.format),
                  "machine": {**machine, "steal_share": steal_share(clock, cpu_clock())}}
    except CompareError as error:
        print(f"bench.compare: {error}", file=sys.stderr)
        return 2
    print(json.dumps({key: result[key] for key in (
        "size", "base", "head", "base_median_s", "base_ok_runs", "head_median_s",
        "head_ok_runs", "head_over_base")}))
    if result["head_over_base"] is None:
        print(f"bench.compare: a side has no good run; {args.out} left as it was",
              file=sys.stderr)
        return 1
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
