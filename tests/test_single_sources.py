"""Facts written in two languages must say the same: where Python and dbt each need the
input's schema, a test ties the two copies together, so neither drifts alone."""

from __future__ import annotations

from pathlib import Path

import jinja2

from models_py.loader import REQUIRED_COLUMNS
from models_py.paths import DBT_PROJECT_DIR


class _Returned(Exception):
    """dbt's return(): the macro's value, carried out of the template."""


def _macro_value(file: str, name: str) -> object:
    """The value a dbt macro that needs no adapter returns, rendered with plain Jinja."""
    def give_back(value: object) -> None:
        raise _Returned(value)

    templates = jinja2.Environment(extensions=["jinja2.ext.do"])
    module = templates.from_string((DBT_PROJECT_DIR / "macros" / file).read_text(),
                                   globals={"return": give_back}).module
    try:
        getattr(module, name)()
    except _Returned as returned:
        return returned.args[0]
    raise AssertionError(f"macro {name} returned nothing")


def test_the_loader_and_dbt_name_the_same_tables_and_columns():
    """models_py.loader checks the input for these columns; dbt's audit models and staging
    read them from the macro source_columns."""
    in_dbt = _macro_value("parsing.sql", "source_columns")
    assert {table: tuple(columns) for table, columns in in_dbt.items()} == REQUIRED_COLUMNS


def test_the_spark_engine_reads_segment_params_as_dbt_renders_them():
    """On Spark the segment_model Python model is disabled, so the engine renders its
    segment_params itself: the dbt vars' defaults (dbt_project.yml), overridden by the
    build's vars, with their types, as dbt renders a model's config (on DuckDB the
    compiled segment_model holds {'seed': 42, ..., 'retrain': False})."""
    import yaml

    from couponseg.spark_engine import dbt_segment_params

    defaults = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    assert dbt_segment_params({}) == {
        "seed": defaults["segment_seed"], "k_min": defaults["segment_k_min"],
        "k_max": defaults["segment_k_max"], "sample_size": defaults["segment_sample_size"],
        "retrain": defaults["segment_retrain"]}
    assert dbt_segment_params({"segment_seed": 7, "segment_retrain": True})["seed"] == 7


def test_every_dbt_var_has_one_rule():
    """Each var dbt_project.yml sets, and each the project reads (models, macros, tests, the
    dbt Python models), has its kind and range in the macro var_rules, which checks them
    before a build: a new setting cannot skip the check, and a rule cannot outlive its var."""
    import re

    import yaml

    rules = _macro_value("settings.sql", "var_rules")
    defaults = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    read = set()
    files = [DBT_PROJECT_DIR / "dbt_project.yml"] + [
        path for folder in ("models", "macros", "tests", "analyses")
        for path in (DBT_PROJECT_DIR / folder).rglob("*") if path.suffix in (".sql", ".py", ".yml")]
    for path in files:
        read |= set(re.findall(r"""\bvar\(\s*["']([a-z_]+)["']""", path.read_text()))
    # Vars of a hand-run analysis, and the input path (the loader checks it: file, sheets,
    # columns), need no rule.
    unruled = {"audience_path", "readout_start", "input"}
    assert "input" in read  # the scan reads dbt_project.yml too
    assert set(rules) == set(defaults)
    assert read - unruled <= set(rules), read - unruled - set(rules)
    for name, rule in rules.items():
        assert rule["kind"] in {"integer", "number", "text", "date", "boolean"}, name


def test_a_bad_var_stops_the_build_before_anything_is_built(built, tmp_path):
    """dbt by hand with bad vars: one message names each var, its value and what it may be,
    before any model runs (on-run-start), and the warehouse is untouched."""
    import os
    import shutil
    import subprocess
    import sys

    from models_py.loader import INPUT_ENV
    from models_py.paths import PROFILES_DIR, WAREHOUSE_ENV

    warehouse = tmp_path / "copy.duckdb"
    shutil.copy(built.warehouse, warehouse)
    before = warehouse.read_bytes()
    bad = ('{holdout_share: 0.7, thin_cell_claims: 2.5, impact_window_months: 0, '
           'as_of: "2024-02-30", segment_k_min: 5, segment_k_max: 3, segment_retrain: "maybe", '
           'offer_min_claims: "3O", earliest_plausible_date: "2000-13-01", '
           'plausible_feed_share: .nan, segment_seed: 4294967296, kpi_period_days: "9O", '
           'campaign_seed: 2024.0}')
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "build", "--project-dir",
         str(DBT_PROJECT_DIR), "--profiles-dir", str(PROFILES_DIR), "--target-path",
         str(tmp_path / "target"), "--vars", bad],
        env={**os.environ, WAREHOUSE_ENV: str(warehouse), INPUT_ENV: str(built.input)},
        capture_output=True, text=True, timeout=600)
    assert result.returncode != 0
    for line in ("holdout_share = 0.7: must be from 0 to 0.5",
                 "thin_cell_claims = 2.5: must be a whole number",
                 "impact_window_months = 0: must be at least 1",
                 'as_of = "2024-02-30": must be a date written YYYY-MM-DD',
                 "segment_k_max = 3: must be from 2 to 2147483647 and not below segment_k_min (5)",
                 'segment_retrain = "maybe": must be true or false',
                 'offer_min_claims = "3O": must be a whole number, at least 1',
                 'earliest_plausible_date = "2000-13-01": must be a date',
                 "plausible_feed_share = NaN: must be a number",
                 "segment_seed = 4294967296: must be from 0 to 2147483647",
                 'kpi_period_days = "9O": must be a whole number, at least 1',
                 "campaign_seed = 2024.0: a number with a decimal point reads as another "
                 "text than the whole number"):
        assert line in result.stdout, (line, result.stdout[-3000:])
    assert "START" not in result.stdout  # no node ran
    assert warehouse.read_bytes() == before
    # What orchestrators pass as text, and the "off" values, stay valid.
    good = ('{offer_min_claims: "30", segment_retrain: "yes", holdout_share: "0.1", '
            'thin_cell_claims: 0, insight_min_month_claims: 0, campaign_seed: 7, '
            'earliest_plausible_date: 2000-01-01, as_of: ""}')
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "run-operation", "check_vars",
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(PROFILES_DIR),
         "--target-path", str(tmp_path / "target"), "--vars", good],
        env={**os.environ, WAREHOUSE_ENV: str(warehouse), INPUT_ENV: str(built.input)},
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:]


def test_every_number_var_given_as_text_is_its_number(built, tmp_path):
    """Orchestrators pass --vars as text: each number var of dbt_project.yml given as the
    text of its default passes the check and renders the models as the number does (two
    models did arithmetic on kpi_period_days and impact_window_months while dbt parsed, so
    "90" stopped every dbt command with a Jinja error before the check could run)."""
    import json
    import os
    import shutil
    import subprocess
    import sys

    import yaml

    from models_py.loader import INPUT_ENV
    from models_py.paths import PROFILES_DIR, WAREHOUSE_ENV

    warehouse = tmp_path / "copy.duckdb"
    shutil.copy(built.warehouse, warehouse)
    defaults = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    numbers = {name: value for name, value in defaults.items()
               if isinstance(value, int | float) and not isinstance(value, bool)}
    assert {"kpi_period_days", "impact_window_months", "holdout_share"} <= set(numbers)
    compiled = {}
    for given in ("number", "text"):
        dbt_vars = numbers if given == "number" else {k: str(v) for k, v in numbers.items()}
        for command in (["run-operation", "check_vars"],
                        ["compile", "--select", "rpt_kpis", "int_run_context"]):
            result = subprocess.run(
                [str(Path(sys.executable).parent / "dbt"), *command, "--project-dir",
                 str(DBT_PROJECT_DIR), "--profiles-dir", str(PROFILES_DIR), "--target-path",
                 str(tmp_path / given), "--vars", json.dumps(dbt_vars)],
                env={**os.environ, WAREHOUSE_ENV: str(warehouse), INPUT_ENV: str(built.input)},
                capture_output=True, text=True, timeout=600)
            assert result.returncode == 0, (given, command, result.stdout[-3000:])
        compiled[given] = {path.name: path.read_text() for path in
                           (tmp_path / given / "compiled").rglob("*.sql")}
    assert {"int_run_context.sql", "rpt_kpis.sql"} <= set(compiled["text"])
    assert compiled["text"] == compiled["number"]
    assert "89 as end_days_before" in compiled["text"]["rpt_kpis.sql"]
    # dbt compile runs no on-run-start check: a bad value stops it in the check's words.
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "compile", "--select", "rpt_kpis",
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(PROFILES_DIR),
         "--target-path", str(tmp_path / "bad"), "--vars", '{kpi_period_days: "9O"}'],
        env={**os.environ, WAREHOUSE_ENV: str(warehouse), INPUT_ENV: str(built.input)},
        capture_output=True, text=True, timeout=600)
    assert result.returncode != 0
    assert 'couponseg check: kpi_period_days = "9O": must be a whole number, at least 1' in \
        result.stdout, result.stdout[-3000:]
