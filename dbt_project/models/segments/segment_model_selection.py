"""Every candidate clustering with its metrics and the chosen flag (models_py.segmentation)."""

from models_py.segmentation.dbt_adapter import model_selection


def model(dbt, session):
    dbt.config(materialized="table")
    return model_selection(dbt.ref("customer_features"), dbt.config.get("segment_params"))
