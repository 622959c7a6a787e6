"""The dbt docs site is the catalogue: it generates offline and shows the marts."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
from conftest import REPO, dbt_on_copy

from dashboards.browser import dump_dom


def test_docs_site_lists_the_marts(built, tmp_path):
    target = tmp_path / "target"
    shutil.copy(built.warehouse, tmp_path / "warehouse.duckdb")
    # As `make docs` runs it: through the read-only target, beside an open SQL shell.
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True):
        result = dbt_on_copy(tmp_path / "warehouse.duckdb", "docs", "generate", "--static",
                             "--target", "reader", input_path=built.input, target=target,
                             timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    catalog = (target / "catalog.json").read_text()
    for model in ("customer_features", "fct_coupon_transactions", "customer_segments"):
        assert model in catalog
    dom = dump_dom(target / "static_index.html")
    for model in ("customer_features", "dim_customers", "fct_coupon_transactions",
                  "segment_recommendations"):
        assert model in dom, f"{model} not shown in the docs site"
    assert "How to read the catalogue" in dom  # the project's own overview page
    _assert_everything_described(target)


def _assert_everything_described(target: Path) -> None:
    """Every model, every column of every built table, every macro: described, and every
    model in a group with an owner (README: "The catalogue")."""
    import json

    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())["nodes"]
    models = {k: v for k, v in manifest["nodes"].items() if v["resource_type"] == "model"}
    assert "model.couponseg.raw_input_manifest" in models
    groups = {g["name"]: g for g in manifest["groups"].values()}
    for key, node in models.items():
        assert node["description"].strip(), f"{key} has no description"
        assert node["group"] in groups and groups[node["group"]]["owner"], f"{key}: no owner"
        columns = catalog.get(key, {}).get("columns", {})
        described = {c.lower() for c, v in node["columns"].items() if v["description"].strip()}
        missing = sorted(set(map(str.lower, columns)) - described)
        assert not missing, f"{key}: columns without description {missing}"
    macros = [m for m in manifest["macros"].values() if m["package_name"] == "couponseg"]
    undocumented = [m["name"] for m in macros if not m["description"].strip()]
    assert not undocumented, f"macros without description in macros/_macros.yml: {undocumented}"


def _exposure_refs() -> set[str]:
    """Models the dashboard exposure says it depends on."""
    import re

    import yaml

    path = REPO / "dbt_project" / "models" / "reporting" / "_reporting__exposures.yml"
    exposures = yaml.safe_load(path.read_text())["exposures"]
    dashboard = next(e for e in exposures if e["name"] == "stakeholder_dashboard")
    return {re.fullmatch(r"ref\('(\w+)'\)", ref).group(1) for ref in dashboard["depends_on"]}


def test_exposure_lists_exactly_what_the_report_reads():
    """The lineage in the catalogue is the report's: every relation dashboards/data.py reads
    is a dependency of the exposure, and the exposure lists nothing the report does not read."""
    from dashboards.data import SEGMENT_VIEWS, VIEWS

    read = set(VIEWS) | set(SEGMENT_VIEWS)
    listed = _exposure_refs()
    assert not read - listed, f"read by the report but missing from the exposure: {read - listed}"
    assert not listed - read, f"in the exposure but not read by the report: {listed - read}"
