"""The semantic layer agrees with the reporting models: MetricFlow's `mf query` (the command
the README shows) returns the numbers the dashboard's rpt_ models compute in their own SQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import REPO, query

from models_py.paths import WAREHOUSE_ENV

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def mf(built, tmp_path_factory):
    """Run `mf query` as the README does (DBT_TARGET=reader, the profile's read-only target)
    on a copy of the built warehouse, from a copy of the dbt project parsed for that copy
    (mf reads target/ of its project), while an analyst's SQL shell holds the file open."""
    work = tmp_path_factory.mktemp("semantic")
    warehouse = work / "semantic.duckdb"
    shutil.copy(built.warehouse, warehouse)
    project = work / "dbt_project"
    shutil.copytree(REPO / "dbt_project", project,
                    ignore=shutil.ignore_patterns("target", "logs"))
    env = {**os.environ, WAREHOUSE_ENV: str(warehouse), "DBT_PROFILES_DIR": str(REPO),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "False", "DBT_TARGET": "reader"}
    subprocess.run([str(BIN / "dbt"), "parse", "-q"], cwd=project, env=env, check=True,
                   capture_output=True, timeout=300)
    shell = duckdb.connect(str(warehouse), read_only=True)

    def run(metrics: str, group_by: str = "") -> pd.DataFrame:
        out = work / f"{metrics}-{group_by}.csv".replace(",", "_")
        command = [str(BIN / "mf"), "query", "--metrics", metrics, "--csv", str(out)]
        if group_by:
            command += ["--group-by", group_by]
        result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0 and out.exists(), result.stdout + result.stderr
        return pd.read_csv(out)

    yield run
    shell.close()


def _by(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    return frame.set_index(key).sort_index()


def test_burn_rate_claims_and_burns_by_month_match_rpt_monthly_usage(mf, built):
    metrics = mf("burn_rate,claims,burns", "metric_time__month")
    metrics["month"] = pd.to_datetime(metrics["metric_time__month"])
    report = query(built.warehouse, "select * from reporting.rpt_monthly_usage")
    report["month"] = pd.to_datetime(report["month"])
    merged = _by(report, "month").join(_by(metrics, "month"), how="outer", suffixes=("", "_mf"))
    assert len(merged) == len(report) > 12
    with_claims = merged[merged["claims"] > 0]
    pd.testing.assert_series_equal(with_claims["burn_rate"], with_claims["burn_rate_mf"],
                                   check_names=False)
    assert (merged["claims"] == merged["claims_mf"].fillna(0)).all()
    assert (merged["burns"] == merged["burns_mf"].fillna(0)).all()


def test_totals_match_rpt_kpis(mf, built):
    metrics = mf("customers,claims,burns,matured_burn_rate").iloc[0]
    kpis = query(built.warehouse, "select kpi, value from reporting.rpt_kpis").set_index("kpi")
    assert metrics["customers"] == kpis.value["customers"]
    assert metrics["claims"] == kpis.value["claims_all_time"]
    assert metrics["burns"] == kpis.value["burns_all_time"]
    assert metrics["matured_burn_rate"] == pytest.approx(kpis.value["matured_burn_rate"])


def test_city_and_segment_dimensions_match_the_reporting_models(mf, built):
    cities = _by(mf("burns,matured_burn_rate", "customer__city_name"), "customer__city_name")
    report = _by(query(built.warehouse, "select * from reporting.rpt_top_cities"), "city_name")
    assert (cities["burns"] == report["burns"]).all()
    assert cities["matured_burn_rate"].to_numpy() == pytest.approx(
        report["matured_burn_rate"].to_numpy())
    segments = _by(mf("new_customers", "customer__segment_name"), "customer__segment_name")
    sizes = _by(query(built.warehouse, "select * from reporting.rpt_segment_sizes"),
                "segment_name")
    assert (segments["new_customers"] == sizes["customers"]).all()


def test_active_customers_by_month_match_the_cohort_model(mf, built):
    """Up to the month the activity feeds end, where the cohort chart stops (the metric goes
    on counting the burns after the claim feed stopped)."""
    metrics = mf("active_customers", "metric_time__month")
    metrics["month"] = pd.to_datetime(metrics["metric_time__month"])
    end = query(built.warehouse, "select date_trunc('month', least(last_claim_date, "
                "last_burn_date)) as m from marts.run_context")["m"][0]
    assert (metrics["month"] > pd.Timestamp(end)).any()  # the sample's claims stop early
    metrics = metrics[metrics["month"] <= pd.Timestamp(end)]
    cohorts = query(built.warehouse, """
        select cast(join_month + to_months(cast(months_since_join as integer)) as date) as month,
               sum(active_customers) as active_customers
        from reporting.rpt_cohort_retention group by all having sum(active_customers) > 0""")
    cohorts["month"] = pd.to_datetime(cohorts["month"])
    merged = _by(cohorts, "month").join(_by(metrics, "month"), how="outer", suffixes=("", "_mf"))
    assert (merged["active_customers"] == merged["active_customers_mf"]).all()
