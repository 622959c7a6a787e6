"""Facts written in two languages must say the same: where Python and dbt each need the
input's schema, a test ties the two copies together, so neither drifts alone."""

from __future__ import annotations

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
