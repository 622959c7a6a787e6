"""Benchmark: couponseg against the pandas-notebook baseline at several sizes.

For each size it generates Parquet input with planted archetypes, then measures, each stage
in a fresh process (wall time, peak RSS of the process tree): couponseg generate, build
(dbt: load, stage, marts, tests, segmentation), report; and the baseline on the same files.
Writes bench/results.json, bench/RESULTS.md and bench/results.png (time and memory against
transactions). Figures are printed, never asserted: these machines are shared and noisy.

    python -m bench.run --sizes workbook,sample,100k,1M,10M[,50M] [--baseline-timeout 600]

"workbook" is the real-size workbook (the real one when it is beside the repository): it is
built twice, once fresh and once as the weekly rerun of the same warehouse.
"""

from __future__ import annotations

import argparse
import json
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


def measure(command: list[str], timeout: float | None = None) -> dict:
    wrapper = [sys.executable, "-m", "bench.measure"]
    if timeout:
        wrapper.append(f"--timeout={timeout}")
    out = subprocess.run([*wrapper, "--", *command], capture_output=True, text=True, cwd=REPO,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "couponseg.cli", *args]


def segment_seconds(warehouse: Path) -> float:
    """Wall time of the segmentation Python models in the last build (training or reusing
    the model, scoring every customer): from the first one's start to the last one's end."""
    from datetime import datetime

    from couponseg.build import run_results_path

    results = json.loads(run_results_path(warehouse).read_text())
    spans = [t for r in results["results"]
             if r["unique_id"].split(".")[-1] in ("segment_model", "customer_segments")
             for t in r["timing"]]
    if not spans:
        return 0.0
    start = min(datetime.fromisoformat(t["started_at"].rstrip("Z")) for t in spans)
    end = max(datetime.fromisoformat(t["completed_at"].rstrip("Z")) for t in spans)
    return round((end - start).total_seconds(), 2)


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


def record(engine: str, stage: str, size: str, tx: int, customers: int, m: dict) -> dict:
    row = {"engine": engine, "stage": stage, "size": size, "transactions": tx,
           "customers": customers, "wall_s": m.get("wall_s"),
           "peak_rss_mb": m.get("peak_rss_mb"), "status": m.get("status", "ok")}
    print(f"  {engine:<9} {stage:<9} {size:>6} {row['wall_s']!s:>8} s "
          f"{row['peak_rss_mb']!s:>8} MB  {row['status']}", flush=True)
    return row


def run_couponseg(size: str, folder: Path, work: Path, tx: int, cust: int) -> list[dict]:
    warehouse, out = work / "warehouse.duckdb", work / "output"
    rows = build_and_report(size, folder, warehouse, out, tx, cust)
    if size == "workbook":  # the weekly case: the same warehouse rebuilt, dbt's parse reused
        rows += build_and_report(size, folder, warehouse, out, tx, cust, suffix="_rerun")
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


def run_baseline(size: str, folder: Path, tx: int, cust: int, timeout: float,
                 skip: str | None) -> list[dict]:
    if skip:
        return [record("baseline", "total", size, tx, cust,
                       {"wall_s": None, "peak_rss_mb": None, "status": skip})]
    m = measure([sys.executable, "-m", "bench.baseline", str(folder)], timeout)
    rows = []
    if m["status"] == "ok":
        detail = json.loads(m["stdout_tail"][-1])
        for stage, seconds in detail["stages"].items():
            rows.append(record("baseline", stage, size, tx, cust,
                               {"wall_s": round(seconds, 2), "peak_rss_mb": None}))
    rows.append(record("baseline", "total", size, tx, cust, m))
    return rows


def prepare(size: str) -> tuple[Path, list[dict]]:
    if size == "workbook":
        return workbook_input(), []
    if SIZES[size] is None:
        return REPO / "data" / "sample", []
    customers, multiplier = SIZES[size]
    folder = WORK / size / "input"
    shutil.rmtree(folder, ignore_errors=True)
    m = measure(cli("generate", "--customers", str(customers), "--claims-multiplier",
                    str(multiplier), "--format", "parquet", "--out", str(folder)))
    return folder, [m]


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
    args = parser.parse_args(argv)
    results: list[dict] = []
    baseline_dead: str | None = None
    for size in args.sizes.split(","):
        print(f"== {size}", flush=True)
        folder, generated = prepare(size)
        cust, tx = counts(folder)
        for m in generated:
            results.append(record("couponseg", "generate", size, tx, cust, m))
        work = WORK / size
        work.mkdir(parents=True, exist_ok=True)
        results += run_couponseg(size, folder, work, tx, cust)
        rows = run_baseline(size, folder, tx, cust, args.baseline_timeout, baseline_dead)
        results += rows
        if rows[-1]["status"] != "ok" and not baseline_dead:
            baseline_dead = f"not run: baseline already failed at {size} ({rows[-1]['status']})"
        write_outputs(results)
    return 0


def write_outputs(results: list[dict]) -> None:
    from bench.report import write_markdown, write_plot

    (BENCH / "results.json").write_text(json.dumps(results, indent=1))
    write_markdown(results, BENCH / "RESULTS.md")
    write_plot(results, BENCH / "results.png")


if __name__ == "__main__":
    sys.exit(main())
