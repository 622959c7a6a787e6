"""dbt settings left in the shell that would change what a build writes.

dbt reads many of its command-line options from ``DBT_*`` environment variables as well, and a
build's dbt process inherits the user's environment (its profile reads variables from it).
Most of them only change dbt's logging or speed, but a few change the data: with
``DBT_FULL_REFRESH`` set, the stored segment models and the segment history are rebuilt from
nothing, ``DBT_EMPTY`` builds every model without rows, ``DBT_SAMPLE`` from a sample of the
input, ``DBT_RESOURCE_TYPES`` leaves out the data tests, and the build still reports success.
An orchestrator or an analyst's shell can hold any of them from an earlier hand-run dbt, so a
build refuses to start while one is set, naming it, rather than ignore it or obey it silently.
"""

from __future__ import annotations

from collections.abc import Mapping

# dbt 1.11's variable (and its DBT_ENGINE_ twin) -> what it would do to a couponseg build.
CHANGES_THE_DATA = {
    "FULL_REFRESH": "rebuild the stored segment models and the segment history from nothing "
                    "(dbt's --full-refresh)",
    "EMPTY": "build every model without rows (dbt's --empty)",
    "SAMPLE": "build from a sample of the input (dbt's --sample)",
    "EVENT_TIME_START": "build only part of the input's time (dbt's --event-time-start)",
    "EVENT_TIME_END": "build only part of the input's time (dbt's --event-time-end)",
    "RESOURCE_TYPES": "build only some kinds of node, leaving out data tests (dbt's "
                      "--resource-type)",
}
# How dbt (click) reads a boolean variable as off; any other value turns the option on.
OFF = {"", "0", "false", "f", "no", "n", "off"}
BOOLEAN = {"FULL_REFRESH", "EMPTY"}


def data_changing_settings(env: Mapping[str, str]) -> list[str]:
    """``NAME=value: what it would do`` for each such variable ``env`` sets."""
    found = []
    for option, effect in CHANGES_THE_DATA.items():
        # dbt reads the first of the two names that is set and not empty.
        name = next((n for n in (f"DBT_ENGINE_{option}", f"DBT_{option}") if env.get(n)), None)
        if name is None:
            continue
        value = env[name]
        if value.strip() and not (option in BOOLEAN and value.strip().lower() in OFF):
            found.append(f"{name}={value}: dbt would {effect}")
    return found


def refusal(env: Mapping[str, str]) -> str | None:
    """The error a build stops with when ``env`` sets any of them, else None."""
    found = data_changing_settings(env)
    if not found:
        return None
    return ("the environment sets dbt options a couponseg build does not take: "
            + "; ".join(found) + ". Unset them (`unset NAME`) and build again; nothing was "
            "built, the previous warehouse is unchanged")
