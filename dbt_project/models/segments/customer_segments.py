"""Segment per customer, scored with the stored model of the run's as-of date
(models_py.segmentation.scoring), reading customer_features in Arrow batches."""

from models_py.segmentation.dbt_adapter import customer_segments


def model(dbt, session):
    dbt.config(materialized="table")
    return customer_segments(dbt.ref("customer_features"), dbt.ref("segment_model"),
                             dbt.ref("segment_centroids"), dbt.ref("run_context"))
