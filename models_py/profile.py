"""profiles.yml rendered as dbt renders it, for the Python that opens a warehouse without dbt.

The CLI creates a DuckDB file before dbt opens it, and the Spark engine starts the Spark
session dbt-spark then reuses. Both must use the settings dbt would use, or the two disagree
without anyone noticing (a session started with other SQL semantics than a hand-run
`dbt build --target spark`). So profiles.yml stays the one place these settings are written,
and this module reads them from there, with the same ``env_var`` defaults.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

import jinja2
import yaml

from models_py.paths import PROFILES_DIR

PROFILE = "couponseg"
ENV_VAR_CALL = re.compile(r"""env_var\(\s*['"](\w+)""")


class MissingEnvVar(KeyError):
    """profiles.yml reads an environment variable that is not set and has no default."""


def target_settings(target: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``target`` output of the profile, its ``env_var(...)`` calls read from ``env``
    (default: this process's environment) as dbt reads them: the YAML parsed first, then
    each text value rendered, so a value may hold any character (a quote, a backslash)."""
    values = dict(os.environ if env is None else env)

    def env_var(name: str, default: str | None = None) -> str:
        if name in values:
            return values[name]
        if default is None:
            raise MissingEnvVar(f"profiles.yml reads {name}, which is not set")
        return default

    templates = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    # dbt's as_number turns the rendered text into a number; here values stay text (what
    # duckdb.connect and Spark's config take).
    templates.filters["as_number"] = str
    output = _profile()["outputs"]
    return _rendered(output[target], lambda text: templates.from_string(text).render(
        env_var=env_var))


def env_vars_read(target: str | None = None) -> tuple[str, ...]:
    """The environment variables the ``target`` output reads (default: the profile's own
    target, the one dbt runs without --target). dbt renders only the output it runs, so the
    others' variables do not change what it does. A profile whose output cannot be found
    that way (a target chosen by a template, a renamed profile, a file that is not YAML)
    gives every variable the file reads: more than needed, never fewer."""
    text = (PROFILES_DIR / "profiles.yml").read_text()
    try:
        profile = yaml.safe_load(text)[PROFILE]
        text = json.dumps(profile["outputs"][target or profile["target"]])
    except (yaml.YAMLError, KeyError, TypeError):
        pass
    return tuple(sorted(set(ENV_VAR_CALL.findall(text))))


def _profile() -> dict[str, Any]:
    return yaml.safe_load((PROFILES_DIR / "profiles.yml").read_text())[PROFILE]


def _rendered(value: Any, render: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        return {key: _rendered(item, render) for key, item in value.items()}
    if isinstance(value, list):
        return [_rendered(item, render) for item in value]
    return render(value) if isinstance(value, str) else value
