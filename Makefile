# Two commands do everything on a fresh clone: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# BIN as seen from dbt_project/ and dbt_project/target/ (targets that cd there); an absolute
# VENV (make VENV=/opt/venv) is used as given. Relative, not abspath: a clone path with
# spaces stays one word.
DBT_BIN := $(if $(filter /%,$(VENV)),$(BIN),../$(BIN))
TARGET_BIN := $(if $(filter /%,$(VENV)),$(BIN),../../$(BIN))
STAMP := $(VENV)/.installed
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DBT_PROFILES_DIR := $(CURDIR)
export COUPONSEG_WAREHOUSE ?= $(CURDIR)/data/warehouse.duckdb
# Spark engine (--engine spark, dbt target spark): where its tables and metastore live.
export COUPONSEG_SPARK_DIR ?= $(CURDIR)/data/spark
DOCS_PORT ?= 8080
# pytest workers of `make test`: a dbt build keeps about one core busy, so one per core. Each
# worker takes whole test files (their module fixtures are built once), the longest first
# (tests/conftest.py); the warehouses many files share are built once for all workers.
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
BENCH_SIZES ?= workbook,sample,100k,1M,10M
# Sizes the Spark engine is benchmarked at (a JVM and ~300 dbt nodes on Spark: 2.5-5 minutes each).
SPARK_BENCH_SIZES ?= sample,1M,10M
# `make bench-compare`: this code against an earlier commit on this machine. 1e37af5's bench
# run measured the 50M build at 122.6 s, the figure later releases promise not to be slower than.
COMPARE_BASE ?= 1e37af5
COMPARE_SIZE ?= 50M

.PHONY: setup demo test lint docs bench bench-full clean sample catalogue sql metrics spark-cluster \
	spark-cluster-stop test-spark bench-compare
CATALOGUE := dbt_project/target/catalogue
METRICS ?= burn_rate,claims
GROUP_BY ?= metric_time__month,customer__city_name
comma := ,

setup: $(STAMP)
	@scripts/ensure-system-deps.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,spark]'
	@touch $(STAMP)

## Build the warehouse from the shipped sample, segment it and render the dashboard
## (into DEMO_OUT: `make demo DEMO_OUT=/some/folder` puts the PDF there).
DEMO_OUT ?= $(CURDIR)/data/output
demo: setup
	$(BIN)/couponseg run --input data/sample --warehouse $(COUPONSEG_WAREHOUSE) --out "$(DEMO_OUT)"
	@echo "Dashboard PDF: $(abspath $(DEMO_OUT))/dashboard.pdf"

## Lint (ruff + sqlfluff), then the test suite (real dbt builds, real PDFs).
test: setup lint
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

lint: setup
	$(BIN)/ruff check .
	COUPONSEG_WAREHOUSE=$$(mktemp -d)/lint.duckdb $(BIN)/sqlfluff lint dbt_project/models dbt_project/tests --disable-progress-bar \
		--processes 0
	@$(MAKE) --no-print-directory catalogue

## Catalogue quality: dbt-score over every model, macro and seed (fails under the score in
## pyproject.toml), then dbt-coverage's share of documented and tested columns (of the
## warehouse at $(COUPONSEG_WAREHOUSE), read from a copy, when one has been built).
catalogue: setup
	@mkdir -p $(CATALOGUE)
	@rm -f $(CATALOGUE)/catalog.json $(CATALOGUE)/catalogue.duckdb
	@if [ -f "$(COUPONSEG_WAREHOUSE)" ]; then cp "$(COUPONSEG_WAREHOUSE)" $(CATALOGUE)/catalogue.duckdb; fi
	cd dbt_project && COUPONSEG_WAREHOUSE=$(CURDIR)/$(CATALOGUE)/catalogue.duckdb \
		$(DBT_BIN)/dbt parse -q --target-path target/catalogue
	$(BIN)/dbt-score lint --manifest $(CATALOGUE)/manifest.json --show failing-items
	@if [ -f "$(CATALOGUE)/catalogue.duckdb" ]; then \
		cd dbt_project && COUPONSEG_WAREHOUSE=$(CURDIR)/$(CATALOGUE)/catalogue.duckdb \
			$(DBT_BIN)/dbt docs generate -q --no-compile --target-path target/catalogue && cd .. && \
		$(BIN)/dbt-coverage compute doc --run-artifacts-dir $(CATALOGUE) --cov-report $(CATALOGUE)/coverage-doc.json | grep '^Total' | sed 's/^Total */Documented columns: /' && \
		$(BIN)/dbt-coverage compute test --run-artifacts-dir $(CATALOGUE) --cov-report $(CATALOGUE)/coverage-test.json | grep '^Total' | sed 's/^Total */Tested columns: /'; \
	else echo "dbt-coverage: no warehouse at $(COUPONSEG_WAREHOUSE) (make demo builds one)"; fi
	@rm -f $(CATALOGUE)/catalogue.duckdb

## Read-only DuckDB shell (duckdb-cli) on the warehouse; `make sql Q="select ..."` runs one query.
sql: setup
	$(BIN)/couponseg sql --warehouse $(COUPONSEG_WAREHOUSE) $(if $(Q),-c "$(Q)")

## Semantic layer: a MetricFlow query on the warehouse (METRICS, GROUP_BY as above), opened
## read-only (profiles.yml's reader target), so it runs beside an open SQL shell.
metrics: setup
	@test -f $(COUPONSEG_WAREHOUSE) || $(MAKE) demo
	cd dbt_project && $(DBT_BIN)/dbt parse -q && \
		DBT_TARGET=reader $(DBT_BIN)/mf query --metrics $(METRICS) --group-by $(GROUP_BY) --order $(firstword $(subst $(comma), ,$(GROUP_BY)))

## dbt docs: the data catalogue, served on http://localhost:$(DOCS_PORT); the warehouse is read
## through the reader target (read-only), as for metrics.
docs: setup
	@test -f $(COUPONSEG_WAREHOUSE) || $(MAKE) demo
	cd dbt_project && $(DBT_BIN)/dbt docs generate --static --target reader --vars '{input: ../data/sample}'
	@echo "Catalogue: http://localhost:$(DOCS_PORT)/static_index.html"
	cd dbt_project/target && $(TARGET_BIN)/python -m http.server $(DOCS_PORT) --bind 127.0.0.1

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

## This working tree against COMPARE_BASE on this machine, runs alternating (bench/compare.py):
## seconds from two machines cannot say whether a change made the build slower.
bench-compare: setup
	$(BIN)/python -m bench.compare --base $(COMPARE_BASE) --size $(COMPARE_SIZE)

## Regenerate the committed sample (1,000 customers, seed 42).
sample: setup
	$(BIN)/couponseg generate --customers 1000 --seed 42 --out data/sample

clean:
	rm -rf data/output data/warehouse.duckdb* data/spark dbt_project/target dbt_project/logs
