"""Raw customers exactly as given (all text, plus _source_row): see models_py.loader."""

from models_py.loader import load_table


def model(dbt, session):
    return load_table(session, dbt.config.get("input_path"), "customers", stage=True)
