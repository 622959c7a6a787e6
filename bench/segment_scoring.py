"""Benchmark of segment scoring alone: a stored model labels N customers of a synthetic
``customer_features`` table in DuckDB, read in Arrow batches and written back, exactly the
path of the ``customer_segments`` dbt Python model (``models_py.segmentation.dbt_adapter``).

    python -m bench.segment_scoring [--customers 1000000,5000000]

Each size runs in a fresh process; wall time, CPU time (user + system, both cores) and the
peak RSS of that process are recorded in ``bench/segment_scoring.json`` and rendered as a
section of ``bench/RESULTS.md`` (``section()``, called by bench/report.py).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "segment_scoring.json"
FEATURES_SQL = """
create or replace table customer_features as
select
    i as customer_id,
    cast(hash(i, 1) % 20 as integer) as claims,
    case when hash(i, 1) % 20 > 0 then (hash(i, 2) % 1000) / 1000.0 end as burn_rate,
    case when hash(i, 1) % 20 > 0 then cast(hash(i, 3) % 900 as integer) end as recency_days,
    cast(hash(i, 4) % 1200 as integer) as tenure_days,
    case when hash(i, 1) % 20 > 0 then (hash(i, 5) % 900) / 10.0 end as mean_days_to_burn
from range({n}) as t(i)
"""


def _prepare(path: Path, customers: int) -> None:
    """Synthetic features (about 5 % of customers without a transaction) and a stored model
    trained on the usual fixed-size sample."""
    import duckdb

    from models_py.segmentation.dbt_adapter import segment_model

    with duckdb.connect(str(path)) as con:
        con.execute(FEATURES_SQL.format(n=customers))
        con.execute("create table run_context as select date '2024-10-01' as as_of_date, "
                    "'bench' as input_fingerprint, 90 as burn_window_days")
        context = con.table("run_context")
        config = {"seed": 42, "k_min": 2, "k_max": 10, "sample_size": 3000, "retrain": False}
        # any fixed-size sample will do here (the product's is segment_training_sample)
        sample = con.sql("select customer_id from customer_features "
                         "using sample reservoir(3000 rows) repeatable (42)")
        model = segment_model(con.table("customer_features"), sample, context, None, config)
        con.register("new_model", model)
        con.execute("create table segment_model as select * from new_model")
        con.execute("""
            create table segment_centroids as
            with per_segment as (
                select model_version, feature_names, unnest(centroids) as centroid,
                       generate_subscripts(centroids, 1) - 1 as segment_id
                from segment_model)
            select model_version, segment_id, 'Segment ' || segment_id as segment_name,
                   unnest(feature_names) as feature, unnest(centroid) as value
            from per_segment""")


def _score(path: Path) -> dict:
    """Score and write back in this process; the measured part only."""
    import tracemalloc

    import duckdb
    import pyarrow as pa

    from models_py.segmentation.dbt_adapter import customer_segments

    tracemalloc.start()  # numpy's buffers; Arrow's come from its own pool (max_memory)
    with duckdb.connect(str(path)) as con:
        before, start = os.times(), time.perf_counter()
        reader = customer_segments(con.table("customer_features"), con.table("segment_model"),
                                   con.table("segment_centroids"), con.table("run_context"))
        cursor = con.cursor()
        cursor.register("scored", reader)
        cursor.execute("create table customer_segments as select * from scored")
        wall = time.perf_counter() - start
        after = os.times()
        rows = cursor.execute("select count(*) from customer_segments").fetchone()[0]
    return {"customers": rows, "wall_s": round(wall, 2),
            "cpu_s": round(after.user - before.user + after.system - before.system, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "python_peak_mb": round((tracemalloc.get_traced_memory()[1]
                                     + pa.default_memory_pool().max_memory()) / 2**20, 1),
            "load_average": round(os.getloadavg()[0], 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", default="1000000,5000000")
    parser.add_argument("--score-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.score_only:
        print(json.dumps(_score(args.score_only)))
        return 0
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(c) for c in args.customers.split(",")):
            path = Path(tmp) / f"features_{n}.duckdb"
            _prepare(path, n)
            out = subprocess.run([sys.executable, "-m", "bench.segment_scoring",
                                  "--score-only", str(path)], capture_output=True, text=True,
                                 check=True, cwd=BENCH.parent)
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(results[-1], flush=True)
    RESULTS.write_text(json.dumps(results, indent=1))
    return 0


def section() -> list[str]:
    """The RESULTS.md lines for the last scoring benchmark (none if it was not run)."""
    if not RESULTS.exists():
        return []
    lines = ["", "## Segment scoring alone (stored model, Arrow batches, written back)", "",
             "`python -m bench.segment_scoring`: a synthetic customer_features table in DuckDB, "
             "a model trained on the 3,000-customer sample, then every customer scored and "
             "written to a table in a fresh process (the path of the customer_segments dbt "
             "model). CPU is user + system time over both cores; Python MB is the peak of the "
             "scoring's own buffers (numpy, traced, plus Arrow's pool), which depends on the "
             "batch size, not on the customer count; the process peak includes DuckDB's "
             "buffers; the load average says how busy the shared machine was.", "",
             "| customers | wall s | CPU s | Python MB | process peak MB | load average |",
             "|---|---|---|---|---|---|"]
    for r in json.loads(RESULTS.read_text()):
        lines.append(f"| {r['customers']:,} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | "
                     f"{r['python_peak_mb']:.0f} | {r['peak_rss_mb']:.0f} | "
                     f"{r['load_average']:.1f} |")
    return lines


if __name__ == "__main__":
    sys.exit(main())
