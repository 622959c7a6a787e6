"""Read the dashboard's data: one SQL query per rpt_ model (view or table),
nothing reshaped in Python.

The warehouse is opened read-only, so reports never block (or wait on) a running build.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

# view name -> ORDER BY applied when reading it (the views are unordered sets). The dbt
# exposure stakeholder_dashboard lists the same relations as its dependencies, so the catalogue
# shows the report's real lineage; tests/test_docs.py fails when the two lists differ.
VIEWS: dict[str, str] = {
    "rpt_run_context": "1",
    "rpt_kpis": "sort_order",
    "rpt_customers_by_gender": "customers desc, gender_name",
    "rpt_customers_by_city": "city_rank",
    "rpt_gender_by_city": "city_name, gender_name",
    "rpt_monthly_usage": "month",
    "rpt_top_cities": "burn_rank",
    "rpt_top_branches": "burn_rank",
    "rpt_top_merchants": "burn_rank",
    "rpt_city_month_burn_rate": "city_name, claim_month",
    "rpt_cohort_retention": "join_month, months_since_join",
    "rpt_usage_frequency": "claims_per_customer",
    "rpt_time_to_burn": "weeks_to_burn",
    "rpt_loyalty_summary": "1",
    "rpt_data_quality": "source_table, reason",
    "rpt_insight_facts": "1",
}
SEGMENT_VIEWS: dict[str, str] = {
    "rpt_campaign_plan": "priority, segment_id",
    "rpt_campaign_offers": "segment_id, recommendation_rank",
    "rpt_campaign_facts": "1",
    "rpt_segment_sizes": "segment_id",
    "rpt_segment_profiles": "segment_id, feature_order",
    "rpt_model_selection": "algorithm, k, params",
    "rpt_segment_projection": "customer_id",
    "rpt_segment_recommendations": "priority, segment_id",
    "rpt_segment_run": "1",
    "rpt_segment_transitions": "movement_rank",
}


@dataclass
class ReportData:
    """Every view the report shows; ``segments`` is empty when the warehouse has none."""

    views: dict[str, pd.DataFrame]
    segments: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.segments[name] if name in SEGMENT_VIEWS else self.views[name]

    @property
    def has_segments(self) -> bool:
        return bool(self.segments) and not self.segments["rpt_segment_sizes"].empty


def _existing_views(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.sql(
        "select table_name from information_schema.tables where table_schema = 'reporting'"
    ).fetchall()
    return {r[0] for r in rows}


def declared_columns() -> dict[str, list[str]]:
    """Each rpt_ model's columns as the dbt project declares them (its yml): the one list
    of what the report may read."""
    import yaml

    from models_py.paths import DBT_PROJECT_DIR

    path = DBT_PROJECT_DIR / "models" / "reporting" / "_reporting__models.yml"
    models = yaml.safe_load(path.read_text())["models"]
    return {m["name"]: [c["name"] for c in m.get("columns", [])] for m in models}


def _lacking_columns(con: duckdb.DuckDBPyConnection, views: list[str]) -> str:
    """'reporting.X lacks column(s) a, b' for each view missing a declared column: a
    warehouse from an earlier release would otherwise fail deep inside the report."""
    found: dict[str, set[str]] = {}
    for view, column in con.sql("select table_name, column_name from information_schema."
                                "columns where table_schema = 'reporting'").fetchall():
        found.setdefault(view, set()).add(column)
    declared = declared_columns()
    lacking = {v: [c for c in declared.get(v, []) if c not in found.get(v, set())]
               for v in views}
    return "; ".join(f"reporting.{v} lacks column(s) {', '.join(cols)}"
                     for v, cols in lacking.items() if cols)


def load_report_data(warehouse: Path) -> ReportData:
    """Query every rpt_ model once from a read-only connection."""
    if not Path(warehouse).exists():
        raise FileNotFoundError(
            f"Warehouse {warehouse} does not exist: run `couponseg build` first"
        )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        existing = _existing_views(con)
        missing = [v for v in VIEWS if v not in existing]
        if missing:
            raise RuntimeError(
                f"Warehouse {warehouse} lacks reporting models {', '.join(missing)}: "
                "rebuild it with `couponseg build`"
            )
        if lacking := _lacking_columns(con, [v for v in {**VIEWS, **SEGMENT_VIEWS}
                                             if v in existing]):
            raise RuntimeError(
                f"Warehouse {warehouse} was built by another version of couponseg: "
                f"{lacking}; rebuild it with `couponseg build`"
            )

        def read(view: str, order: str) -> pd.DataFrame:
            return con.sql(f"select * from reporting.{view} order by {order}").df()

        views = {v: read(v, o) for v, o in VIEWS.items()}
        segments = {}
        if all(v in existing for v in SEGMENT_VIEWS):
            try:
                segments = {v: read(v, o) for v, o in SEGMENT_VIEWS.items()}
            except duckdb.CatalogException:  # views exist but their segment tables do not
                segments = {}
    return ReportData(views, segments)
