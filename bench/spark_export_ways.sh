#!/bin/bash
# `couponseg export --engine spark` from Spark's files against through Spark, on a Spark folder
# a build left (bench/spark_export_from_files.md). Usage, from the repository:
#   bench/spark_export_ways.sh SPARK_FOLDER SCRATCH_FOLDER
set -euo pipefail
export DBT_PROFILES_DIR=$PWD COUPONSEG_SPARK_DIR=$1
S=$1/snapshot.duckdb.state.json
M=$2; rm -rf "$M"; mkdir -p "$M"
echo "code: $(git rev-parse --short HEAD) $(git status --short | wc -l) changed files; $(date -u +%FT%T)"
rm -f "$S"  # the report copies again, with this code's records
.venv/bin/couponseg report --engine spark --out "$M/report" >"$M/report.out" 2>/dev/null
head -1 "$M/report.out"
for round in 1 2; do
  for fmt in csv parquet; do
    /usr/bin/time -f "files  $fmt round $round: %e s wall, %M KB peak" .venv/bin/couponseg export \
      --engine spark --out "$M/files_$fmt" --format $fmt 2>&1 >"$M/files_$fmt.out" | grep "s wall"
    head -1 "$M/files_$fmt.out"
    mv "$S" "$M/state.bak"  # no record: the export goes through Spark
    /usr/bin/time -f "spark  $fmt round $round: %e s wall, %M KB peak" .venv/bin/couponseg export \
      --engine spark --out "$M/spark_$fmt" --format $fmt 2>&1 >"$M/spark_$fmt.out" | grep "s wall"
    head -1 "$M/spark_$fmt.out"
    mv "$M/state.bak" "$S"
  done
done
for f in campaign_audience.csv campaign_offers.csv campaign_audience.manifest.json; do
  cmp "$M/files_csv/$f" "$M/spark_csv/$f" && echo "same bytes: csv/$f"
done
cmp "$M/files_parquet/campaign_audience.manifest.json" \
  "$M/spark_parquet/campaign_audience.manifest.json" \
  && echo "same bytes: parquet/campaign_audience.manifest.json"
.venv/bin/python - "$M" <<'PY'
import sys

import pyarrow.parquet as pq

for name in ("campaign_audience.parquet", "campaign_offers.parquet"):
    a, b = (pq.read_table(f"{sys.argv[1]}/{way}_parquet/{name}") for way in ("files", "spark"))
    same = a.equals(b) and a.schema.equals(b.schema)
    print(f"parquet/{name}", "equal tables" if same else "DIFFERENT", a.num_rows, "rows")
PY
