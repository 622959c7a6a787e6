"""Benchmark: couponseg against the pandas-notebook baseline at several sizes.

For each size it generates Parquet input with planted archetypes, then measures, each stage
in a fresh process (wall time, peak RSS of the process tree): couponseg generate, build
(dbt: load, stage, marts, tests, segmentation), report; and the baseline on the same files.
Writes bench/results.json, bench/RESULTS.md and bench/results.png (time and memory against
transactions). Figures are printed, never asserted: these machines are shared and noisy.

    python -m bench.run --sizes workbook,sample,100k,1M,10M[,50M] [--baseline-timeout 600]
        [--engines couponseg,baseline,careful,spark] [--spark-sizes sample,1M,10M]

Engines: couponseg (DuckDB), baseline (the notebook, silhouette on all rows), careful (the
same notebook with the silhouette on a 20,000-customer sample), spark (couponseg build and
report with --engine spark, local master, at --spark-sizes only). A run of some engines or
sizes replaces those rows in bench/results.json and keeps the others.

"workbook" is the real-size workbook (the real one when it is beside the repository): it is
built fresh, then as the weekly rerun of the same warehouse (build, then report), once more
as `couponseg run` (build and report in one command, the stored model reused: the weekly job
as issue #12 measures it), and last with --retrain (new dbt vars: the first build with them
parses the whole project; couponseg/build.py keeps a parse cache per set of vars)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = REPO / "data" / "bench"
# size name -> (customers, claims multiplier): about 5 claims per customer at x1, 10 at x2.
SIZES = {
    "workbook": None,  # the real workbook beside the repository, else the sample as .xlsx
    "sample": None,  # the shipped data/sample (CSV)
    "100k": (20_000, 1),
    "1M": (200_000, 1),
    "10M": (1_000_000, 2),
    "50M": (5_000_000, 2),
}


def measure(command: list[str], timeout: float | None = None,
            env: dict[str, str] | None = None) -> dict:
    """``env``: variables for this command alone (the bench's own environment is left as it
    is, so one engine's settings never reach the next stage's command)."""
    wrapper = [sys.executable, "-m", "bench.measure"]
    if timeout:
        wrapper.append(f"--timeout={timeout}")
    out = subprocess.run([*wrapper, "--", *command], capture_output=True, text=True, cwd=REPO,
                         check=True, env={**os.environ, **(env or {})})
    return json.loads(out.stdout.strip().splitlines()[-1])


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "couponseg.cli", *args]


def _spans(warehouse: Path) -> list[tuple[str, str, float, float]]:
    """(node unique_id, timing step, start, end) of every timed step of the last build of
    ``warehouse``, from dbt's run_results.json; times in seconds since the epoch."""
    from datetime import datetime

    from couponseg.build import run_results_path

    def at(text: str) -> float:
        return datetime.fromisoformat(text.rstrip("Z")).timestamp()

    results = json.loads(run_results_path(warehouse).read_text())["results"]
    return [(r["unique_id"], t["name"], at(t["started_at"]), at(t["completed_at"]))
            for r in results for t in r["timing"] if t.get("started_at")]


def segment_seconds(warehouse: Path) -> float:
    """Wall time of the segmentation Python models in the last build (training or reusing
    the model, scoring every customer): from the first one's start to the last one's end."""
    spans = [(start, end) for node, _, start, end in _spans(warehouse)
             if node.split(".")[-1] in ("segment_model", "customer_segments")]
    if not spans:
        return 0.0
    return round(max(end for _, end in spans) - min(start for start, _ in spans), 2)


def node_seconds(warehouse: Path) -> dict[str, float]:
    """Seconds per dbt node of the last build, grouped as the README quotes them: each model
    by name, every data test together ("data tests")."""
    seconds: dict[str, float] = {}
    for node, step, start, end in _spans(warehouse):
        if step != "execute":
            continue
        kind, _, name = node.split(".")[:3]
        key = "data tests" if kind == "test" else name
        seconds[key] = round(seconds.get(key, 0.0) + end - start, 2)
    return dict(sorted(seconds.items(), key=lambda item: -item[1]))


def write_breakdown(size: str, warehouse: Path) -> None:
    """bench/breakdown.json: where each size's first build spent its dbt time, so the
    per-model figures the README quotes come from a committed file."""
    path = BENCH / "breakdown.json"
    kept = json.loads(path.read_text()) if path.exists() else {}
    kept[size] = node_seconds(warehouse)
    path.write_text(json.dumps(kept, indent=1))


def costliest_tests(warehouse: Path, top: int = 10) -> dict[str, float]:
    """Seconds of the ``top`` slowest data tests of the last build, by dbt's test name (with
    the hash dbt adds to a generic test's: two long names can share their start), where
    breakdown.json keeps only their sum."""
    seconds: dict[str, float] = {}
    for node, step, start, end in _spans(warehouse):
        if step == "execute" and node.startswith("test."):
            name = node.split(".", 2)[2]
            seconds[name] = round(seconds.get(name, 0.0) + end - start, 2)
    return dict(sorted(seconds.items(), key=lambda item: -item[1])[:top])


def write_first_build(size: str, warehouse: Path) -> None:
    """bench/first_builds.json: each size's first build's warehouse file size and its
    costliest data tests, so the README's figures of them come from a committed file rather
    than from reading the bench's (uncommitted) files by hand."""
    path = BENCH / "first_builds.json"
    kept = json.loads(path.read_text()) if path.exists() else {}
    kept[size] = {"warehouse_mib": round(warehouse.stat().st_size / 2**20, 1),
                  "costliest_tests_s": costliest_tests(warehouse)}
    path.write_text(json.dumps(kept, indent=1))


REAL_WORKBOOK = REPO.parent / "shared" / "data" / "E-commerce_data.xlsx"


def counts(folder: Path) -> tuple[int, int]:
    import duckdb

    if folder.suffix == ".xlsx":
        import pandas as pd

        return tuple(len(pd.read_excel(folder, sheet_name=t, engine="calamine"))
                     for t in ("customers", "transactions"))

    def rows(table: str) -> int:
        path = next(folder.glob(f"{table}.*"))
        reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
        return duckdb.execute(f"select count(*) from {reader}('{path}')").fetchone()[0]

    return rows("customers"), rows("transactions")


# This run: its id (start time) and the machine's calibration (bench/machine.py), stored in
# bench/machine.json so every row says which run, on which machine, measured it.
RUN: dict[str, object] = {}
RUN_CLOCK: list[int] = []  # the CPU counters when the run started (bench/machine.py)


def start_run() -> None:
    from datetime import datetime

    from bench.machine import calibrate, cpu_clock

    RUN["run"] = datetime.now().strftime("%Y-%m-%dT%H:%M")
    RUN_CLOCK[:] = cpu_clock() or []
    RUN.update(calibrate())
    print(f"machine: {RUN}", flush=True)


def record(engine: str, stage: str, size: str, tx: int, customers: int, m: dict) -> dict:
    row = {"engine": engine, "stage": stage, "size": size, "transactions": tx,
           "customers": customers, "wall_s": m.get("wall_s"),
           "peak_rss_mb": m.get("peak_rss_mb"), "status": m.get("status", "ok"),
           "run": RUN.get("run")}
    print(f"  {engine:<9} {stage:<9} {size:>6} {row['wall_s']!s:>8} s "
          f"{row['peak_rss_mb']!s:>8} MB  {row['status']}", flush=True)
    return row


def run_couponseg(size: str, folder: Path, work: Path, tx: int, cust: int) -> list[dict]:
    warehouse, out = work / "warehouse.duckdb", work / "output"
    # A first build starts from nothing: a warehouse left by an earlier run would hand its
    # stored segment model to this build, which would then skip training.
    for stale in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        stale.unlink(missing_ok=True)
    rows = build_and_report(size, folder, warehouse, out, tx, cust)
    if size == "workbook":  # the weekly case: the same warehouse rebuilt, dbt's parse reused
        rows += build_and_report(size, folder, warehouse, out, tx, cust, suffix="_rerun")
        # Issue #12's measure: `couponseg run` (build and report in one process), stored model.
        run = measure(cli("run", "--input", str(folder), "--warehouse", str(warehouse),
                          "--out", str(out)))
        rows.append(record("couponseg", "run_rerun", size, tx, cust, run))
        rows += build_and_report(size, folder, warehouse, out, tx, cust, suffix="_retrain",
                                 extra=("--retrain",))
    return rows


def build_and_report(size: str, folder: Path, warehouse: Path, out: Path, tx: int, cust: int,
                     suffix: str = "", extra: tuple[str, ...] = ()) -> list[dict]:
    """build, segment (inside the build), report and total records; stages named + suffix."""
    build = measure(cli("build", "--input", str(folder), "--warehouse", str(warehouse),
                        *extra))
    rows = [record("couponseg", f"build{suffix}", size, tx, cust, build)]
    if build["status"] == "ok" and not suffix:
        write_breakdown(size, warehouse)
        write_first_build(size, warehouse)
        rows.append(record("couponseg", "segment", size, tx, cust,
                           {"wall_s": segment_seconds(warehouse), "peak_rss_mb": None,
                            "status": "ok (inside build)"}))
    report = measure(cli("report", "--warehouse", str(warehouse), "--out", str(out)))
    rows.append(record("couponseg", f"report{suffix}", size, tx, cust, report))
    ok = build["status"] == "ok" and report["status"] == "ok"
    total = {"wall_s": round(build["wall_s"] + report["wall_s"], 2),
             "peak_rss_mb": max(build["peak_rss_mb"], report["peak_rss_mb"]),
             "status": "ok" if ok else "failed"}
    rows.append(record("couponseg", f"total{suffix}", size, tx, cust, total))
    return rows


CAREFUL_SILHOUETTE_SAMPLE = 20_000


def run_baseline(size: str, folder: Path, tx: int, cust: int, timeout: float,
                 skip: str | None, engine: str = "baseline") -> list[dict]:
    if skip:
        return [record(engine, "total", size, tx, cust,
                       {"wall_s": None, "peak_rss_mb": None, "status": skip})]
    command = [sys.executable, "-m", "bench.baseline", str(folder)]
    if engine == "careful":
        command.insert(3, f"--silhouette-sample={CAREFUL_SILHOUETTE_SAMPLE}")
    m = measure(command, timeout)
    rows = []
    if m["status"] == "ok":
        detail = json.loads(m["stdout_tail"][-1])
        for stage, seconds in detail["stages"].items():
            rows.append(record(engine, stage, size, tx, cust,
                               {"wall_s": round(seconds, 2), "peak_rss_mb": None}))
    rows.append(record(engine, "total", size, tx, cust, m))
    return rows


def run_spark(size: str, folder: Path, work: Path, tx: int, cust: int) -> list[dict]:
    """couponseg build + report with --engine spark (local master), tables under work/.
    The folder is set for these two commands only: set in the bench's own environment (as it
    was until 2026-12-06) it reached every later DuckDB build too, whose parse cache it then
    keyed, so the first builds after a Spark run parsed the whole project afresh."""
    env = {"COUPONSEG_SPARK_DIR": str(work / "spark")}
    shutil.rmtree(work / "spark", ignore_errors=True)
    build = measure(cli("build", "--engine", "spark", "--input", str(folder)), env=env)
    report = measure(cli("report", "--engine", "spark", "--out", str(work / "spark_output")),
                     env=env)
    ok = build["status"] == "ok" and report["status"] == "ok"
    total = {"wall_s": round(build["wall_s"] + report["wall_s"], 2),
             "peak_rss_mb": max(build["peak_rss_mb"], report["peak_rss_mb"]),
             "status": "ok" if ok else "failed"}
    return [record("spark", "build", size, tx, cust, build),
            record("spark", "report", size, tx, cust, report),
            record("spark", "total", size, tx, cust, total)]


def prepare(size: str, fmt: str = "parquet") -> tuple[Path, list[dict]]:
    """The generated input of ``size`` (Parquet, as `make bench` measures; ``fmt="csv"``
    for the CSV files most feeds arrive as, in a folder of its own)."""
    if size == "workbook":
        return workbook_input(), []
    if SIZES[size] is None:
        return REPO / "data" / "sample", []
    customers, multiplier = SIZES[size]
    folder = input_path(size, fmt)
    shutil.rmtree(folder, ignore_errors=True)
    m = measure(cli("generate", "--customers", str(customers), "--claims-multiplier",
                    str(multiplier), "--format", fmt, "--out", str(folder)))
    return folder, [m]


def input_path(size: str, fmt: str = "parquet") -> Path:
    return WORK / size / ("input" if fmt == "parquet" else f"input-{fmt}")


def workbook_input() -> Path:
    """The real workbook when it is there (it is not shipped); otherwise the shipped sample
    (same size: 1,000 customers, ~5,000 transactions) written as one .xlsx, sheet per table."""
    if REAL_WORKBOOK.exists():
        return REAL_WORKBOOK
    import pandas as pd

    path = WORK / "workbook" / "input.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    sample = REPO / "data" / "sample"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for csv in sorted(sample.glob("*.csv")):
            if csv.stem != "archetypes":
                pd.read_csv(csv, dtype=str).to_excel(writer, sheet_name=csv.stem, index=False)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="workbook,sample,100k,1M,10M")
    parser.add_argument("--baseline-timeout", type=float, default=600)
    parser.add_argument("--engines", default="couponseg,baseline,careful,spark")
    parser.add_argument("--spark-sizes", default="sample,1M,10M")
    args = parser.parse_args(argv)
    engines = set(args.engines.split(","))
    sizes = args.sizes.split(",")
    results = _kept_results(engines, sizes)
    start_run()
    dead: dict[str, str] = {}
    for size in sizes:
        print(f"== {size}", flush=True)
        folder, generated = prepare(size)
        cust, tx = counts(folder)
        for m in generated:
            results.append(record("couponseg", "generate", size, tx, cust, m))
        work = WORK / size
        work.mkdir(parents=True, exist_ok=True)
        if "couponseg" in engines:
            results += run_couponseg(size, folder, work, tx, cust)
        if "spark" in engines and size in args.spark_sizes.split(","):
            results += run_spark(size, folder, work, tx, cust)
        for engine in ("baseline", "careful"):
            if engine not in engines:
                continue
            rows = run_baseline(size, folder, tx, cust, args.baseline_timeout, dead.get(engine),
                                engine)
            results += rows
            if rows[-1]["status"] != "ok" and engine not in dead:
                dead[engine] = f"not run: {engine} already failed at {size} ({rows[-1]['status']})"
        write_outputs(results)
    steal = RUN.get("steal_share")
    print(f"CPU stolen by the hypervisor during the run: "
          f"{'not measured' if steal is None else f'{steal:.1%}'}", flush=True)
    return 0


def _kept_results(engines: set[str], sizes: list[str]) -> list[dict]:
    """The committed rows this run does not redo (other engines, or other sizes)."""
    path = BENCH / "results.json"
    old = json.loads(path.read_text()) if path.exists() else []
    return [r for r in old if not (r["size"] in sizes and (
        r["engine"] in engines or r["stage"] == "generate"))]


def write_outputs(results: list[dict]) -> None:
    from bench.machine import cpu_clock, steal_share
    from bench.report import write_markdown, write_plot

    RUN["steal_share"] = steal_share(RUN_CLOCK, cpu_clock())  # so far: the run's, at its end

    (BENCH / "results.json").write_text(json.dumps(results, indent=1))
    machines_path = BENCH / "machine.json"
    machines = json.loads(machines_path.read_text()) if machines_path.exists() else {}
    machines[str(RUN["run"])] = {k: v for k, v in RUN.items() if k != "run"}
    used = {r.get("run") for r in results}
    machines_path.write_text(json.dumps({k: v for k, v in machines.items() if k in used},
                                        indent=1))
    write_markdown(results, BENCH / "RESULTS.md")
    write_plot(results, BENCH / "results.png")


if __name__ == "__main__":
    sys.exit(main())
