# Two commands do everything on a fresh clone: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DBT_PROFILES_DIR := $(CURDIR)
export COUPONSEG_WAREHOUSE ?= $(CURDIR)/data/warehouse.duckdb
# Spark engine (--engine spark, dbt target spark): where its tables and metastore live.
export COUPONSEG_SPARK_DIR ?= $(CURDIR)/data/spark
DOCS_PORT ?= 8080
BENCH_SIZES ?= workbook,sample,100k,1M,10M
# Sizes the Spark engine is benchmarked at (a JVM and ~176 dbt nodes on Spark: minutes each).
SPARK_BENCH_SIZES ?= sample,1M,10M

.PHONY: setup demo test lint docs docs-serve bench bench-full clean sample spark-cluster \
	spark-cluster-stop test-spark

setup: $(STAMP)
	@scripts/ensure-system-deps.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,spark]'
	@touch $(STAMP)

## Build the warehouse from the shipped sample, segment it and render the dashboard.
demo: setup
	$(BIN)/couponseg run --input data/sample --warehouse $(COUPONSEG_WAREHOUSE) --out data/output
	@echo "Dashboard PDF: $(CURDIR)/data/output/dashboard.pdf"

## Lint (ruff + sqlfluff), then the test suite (real dbt builds, real PDFs).
test: setup lint
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check .
	COUPONSEG_WAREHOUSE=$$(mktemp -d)/lint.duckdb $(BIN)/sqlfluff lint dbt_project/models dbt_project/tests --disable-progress-bar

## dbt docs: the data catalogue, served on http://localhost:$(DOCS_PORT)
docs: setup
	@test -f $(COUPONSEG_WAREHOUSE) || $(MAKE) demo
	cd dbt_project && ../$(BIN)/dbt docs generate --static --vars '{input: ../data/sample}'
	@echo "Catalogue: http://localhost:$(DOCS_PORT)/static_index.html"
	cd dbt_project/target && ../../$(BIN)/python -m http.server $(DOCS_PORT) --bind 127.0.0.1

## The full Spark parity check (both engines on the sample, local master and a standalone
## cluster); `make test` runs the shorter Spark test.
test-spark: setup
	COUPONSEG_SPARK_FULL=1 $(BIN)/pytest -q tests/test_spark_parity.py

## A standalone Spark master + worker on 127.0.0.1:7077 (from pyspark's spark-class); then
## `export COUPONSEG_SPARK_MASTER=spark://127.0.0.1:7077`. Stop with `make spark-cluster-stop`.
spark-cluster: setup
	$(BIN)/python -m couponseg.spark_cluster start

spark-cluster-stop:
	$(BIN)/python -m couponseg.spark_cluster stop

## Benchmark: couponseg vs the pandas-notebook baseline at several sizes.
bench: setup
	$(BIN)/python -m bench.run --sizes $(BENCH_SIZES) --spark-sizes $(SPARK_BENCH_SIZES)

bench-full: setup
	$(BIN)/python -m bench.run --sizes $(BENCH_SIZES),50M --spark-sizes $(SPARK_BENCH_SIZES)

## Regenerate the committed sample (1,000 customers, seed 42).
sample: setup
	$(BIN)/couponseg generate --customers 1000 --seed 42 --out data/sample

clean:
	rm -rf data/output data/warehouse.duckdb* data/spark dbt_project/target dbt_project/logs
