"""The couponseg application: CLI, dbt invocation, sample generator.

Import graph: ``couponseg`` -> (the dbt project, ``models_py``, ``dashboards``). Nothing in
``models_py`` (what dbt's Python models import) or ``dashboards`` imports this package.
"""
