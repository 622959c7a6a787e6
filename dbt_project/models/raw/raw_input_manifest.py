"""One row naming the input and its sha256 fingerprint, for the report's title page."""

from models_py.loader import input_manifest


def model(dbt, session):
    return input_manifest(dbt.config.get("input_path"))
