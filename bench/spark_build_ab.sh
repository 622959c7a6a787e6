#!/bin/bash
# The Spark build of two codes, alternated, each in a fresh Spark folder, on one machine.
# Usage: bench/spark_build_ab.sh OLD_TREE NEW_TREE [INPUT] [WORK] [ROUNDS]
#   OLD_TREE, NEW_TREE: checkouts of the two codes (e.g. `git worktree add ../old eaee39a`),
#   both run with this repository's .venv; INPUT defaults to data/sample, WORK to a new
#   temporary folder (logs: WORK/<side>_<round>.log). Prints one line per build.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
old=$(cd "$1" && pwd); new=$(cd "$2" && pwd)
input=$(cd "${3:-$repo/data/sample}" && pwd)
work=${4:-$(mktemp -d)}; rounds=${5:-2}
for round in $(seq "$rounds"); do
  for side in old new; do
    if [ "$side" = old ]; then code=$old; else code=$new; fi
    rm -rf "$work/$side"; mkdir -p "$work/$side"
    start=$(date +%s.%N)
    ( cd "$code" && PYTHONPATH=$code DBT_PROFILES_DIR=$code COUPONSEG_SPARK_DIR=$work/$side/spark \
      COUPONSEG_WAREHOUSE=$work/$side/w.duckdb "$repo/.venv/bin/python" -m couponseg.cli build \
      --engine spark --input "$input" > "$work/${side}_$round.log" 2>&1 )
    rc=$?
    end=$(date +%s.%N)
    echo "$round $side rc=$rc $(echo "$end - $start" | bc) s"
  done
done
