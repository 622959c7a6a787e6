"""dbt unit tests (status normalisation, reject reasons, duplicates, feature edge cases).

Production builds skip them (dbt's advice: unit tests belong to development and CI, and typed
Parquet raw tables would not take their text fixtures), so they run here, against a copy of a
warehouse built from text input, with the real dbt."""

from __future__ import annotations

import json
import shutil

import yaml
from conftest import dbt_on_copy

from models_py.paths import DBT_PROJECT_DIR


def test_dbt_unit_tests_pass(built, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse, warehouse)
    target = tmp_path / "target"
    result = dbt_on_copy(warehouse, "test", "--select", "test_type:unit",
                         input_path=built.input, target=target)
    assert result.returncode == 0, result.stdout[-3000:]
    results = json.loads((target / "run_results.json").read_text())["results"]
    ran = {r["unique_id"].split(".")[-1]: r["status"] for r in results
           if r["unique_id"].startswith("unit_test.")}
    assert set(ran) == EXPECTED | defined_unit_tests(), ran
    assert set(ran.values()) == {"pass"}, ran


def test_unit_tests_pass_beside_a_hand_run_builds_vars(built, tmp_path):
    """The README's hand-run `dbt build --vars '{as_of: ...}'` failed on the as-of unit test,
    which expected the date its fixture implies: the unit tests pin the vars their models
    read, so any vars a build is given leave them passing."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse, warehouse)
    other = {"as_of": "2024-10-08", "burn_window_days": 30, "impact_window_months": 6,
             "earliest_plausible_date": "2010-01-01", "plausible_feed_share": 0.9,
             "plausible_days_after_feed": 30, "kpi_period_days": 30, "stale_feed_days": 3}
    result = dbt_on_copy(warehouse, "test", "--select", "test_type:unit",
                         input_path=built.input, target=tmp_path / "target", other_vars=other)
    assert result.returncode == 0, result.stdout[-3000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    ran = {r["unique_id"].split(".")[-1]: r["status"] for r in results
           if r["unique_id"].startswith("unit_test.")}
    assert set(ran) == defined_unit_tests() and set(ran.values()) == {"pass"}, ran


# The unit tests this suite relies on; one disappearing (renamed, deleted, disabled) fails here.
EXPECTED = {
    "transaction_status_normalisation_and_reject_reasons",
    "conflicting_duplicate_customers_are_all_rejected",
    "customer_features_edge_cases",
    "active_months_merge_claims_and_burns",
    "impact_window_ends_with_the_claim_feed",
    "transitions_across_a_retrain_match_segment_types",
    "a_type_shared_by_segments_keeps_its_plain_name_first",
    "monthly_usage_keeps_months_without_activity",
    "loyalty_median_days_to_burn_from_counts",
    "loyalty_median_days_to_burn_odd_count",
    "loyalty_median_days_to_burn_without_burns",
    "cohort_cells_end_where_the_activity_feeds_end",
    "impact_sets_no_target_on_too_few_matured_claims",
}


def defined_unit_tests() -> set[str]:
    """Every unit test written in the project's YAML: each must also have run."""
    names = set()
    for path in (DBT_PROJECT_DIR / "models").rglob("*.yml"):
        for test in (yaml.safe_load(path.read_text()) or {}).get("unit_tests") or []:
            names.add(test["name"])
    return names
