#!/bin/bash
# Spark sample build, eaee39a (before session 36) vs 7169016 (after), alternated, fresh folders.
cd /work/b37
for round in 1 2; do
  for side in old new; do
    if [ $side = old ]; then code=/work/b37/old; else code=/work/main; fi
    rm -rf /work/b37/ab_$side; mkdir -p /work/b37/ab_$side
    start=$(date +%s.%N)
    ( cd $code && PYTHONPATH=$code DBT_PROFILES_DIR=$code COUPONSEG_SPARK_DIR=/work/b37/ab_$side/spark \
      COUPONSEG_WAREHOUSE=/work/b37/ab_$side/w.duckdb /work/main/.venv/bin/python -m couponseg.cli build --engine spark \
      --input /work/main/data/sample > /work/b37/ab_${side}_$round.log 2>&1 )
    rc=$?
    end=$(date +%s.%N)
    echo "$round $side rc=$rc $(echo "$end - $start" | bc) s"
  done
done
