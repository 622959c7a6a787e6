"""Segment per customer: reads marts.customer_features, calls models_py.segmentation."""

from models_py.segmentation.dbt_adapter import assignments


def model(dbt, session):
    dbt.config(materialized="table")
    return assignments(dbt.ref("customer_features"), dbt.config.get("segment_params"))
