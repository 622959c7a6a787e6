"""The dbt child's overhead patches (couponseg/dbt_overhead.py) apply to the installed dbt and
change nothing a user reads: dbt.log keeps every node's start and result by default (and gets
every SQL statement back with dbt's own DBT_LOG_LEVEL_FILE=debug: tests/test_review_findings.py,
on its hostile build)."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO, Built

from couponseg.build import dbt_log_path


def test_every_patch_applies_to_the_installed_dbt():
    """Each patch replaces a dbt internal and quietly does nothing when it is gone: this fails
    instead when a dbt upgrade takes one away."""
    code = ("from dbt.cli.main import dbtRunner\n"
            "from couponseg import dbt_overhead\n"
            "from dbt_common.events.base_types import EventLevel\n"
            "from dbt_common.events.logger import _log_level_map\n"
            "assert _log_level_map[EventLevel.DEBUG] == dbt_overhead.DEBUG_RANK\n"
            "print(dbt_overhead.apply())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, check=True)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


EVENTS_CHECK = """
import io
from dbt.cli.main import dbtRunner
from couponseg import dbt_overhead
from dbt_common.events.base_types import EventLevel
from dbt_common.events.event_manager import EventManager
from dbt_common.events.logger import LineFormat, LoggerConfig
from dbt_common.events.types import Note

dbt_overhead.apply()
out = io.StringIO()
manager = EventManager()
manager.add_logger(LoggerConfig(name="quiet", level=EventLevel.ERROR,
                                line_format=LineFormat.Json, output_stream=out))
manager.fire_event(Note(msg="a debug line"), level=EventLevel.DEBUG)
print("debug written:", "a debug line" in out.getvalue())
manager.warn_error = True
manager.require_warn_or_error_handling = True
try:
    manager.fire_event(Note(msg="a warning"), level=EventLevel.WARN)
    print("warning raised: False")
except Exception as exc:
    print("warning raised:", type(exc).__name__ == "EventCompilationError")
"""


def test_only_debug_events_nobody_logs_are_dropped():
    """A warning no logger writes must still fail a --warn-error run (dbt raises it from the
    event manager); only debug events (SQL statements, connections) are skipped."""
    result = subprocess.run([sys.executable, "-c", EVENTS_CHECK], capture_output=True,
                            text=True, cwd=REPO, check=True)
    assert result.stdout.split("\n")[:2] == ["debug written: False", "warning raised: True"], \
        result.stdout + result.stderr


def _log(warehouse) -> str:
    return dbt_log_path(warehouse).read_text()


def test_dbt_log_has_every_node_but_no_sql_by_default(built: Built):
    log = _log(built.warehouse)
    assert "START sql table model marts.customer_features" in log
    assert "OK created sql table model marts.customer_features" in log
    assert "PASS unique_customer_features_customer_id" in log
    assert "Completed successfully" in log
    assert "[debug]" not in log
    assert "On model.couponseg.customer_features:" not in log


NAMESPACE_CHECK = """
from types import SimpleNamespace
from dbt.cli.main import dbtRunner
from dbt.clients.jinja import MacroGenerator, MacroStack
from dbt.context.macros import MacroNamespaceBuilder
from couponseg import dbt_overhead

def macro(package, name):
    return SimpleNamespace(package_name=package, name=name, unique_id=f"macro.{package}.{name}")

# Names shared between packages decide precedence: the node's package, the root project,
# other packages, then the internal ones (dbt_duckdb before dbt).
by_package = {
    "dbt": {n: macro("dbt", n) for n in ("a", "b", "c", "d", "other")},
    "dbt_duckdb": {n: macro("dbt_duckdb", n) for n in ("b", "c")},
    "couponseg": {n: macro("couponseg", n) for n in ("c", "e")},
    "other": {n: macro("other", n) for n in ("c", "d", "f")},
}

def describe(value, ctx, stack):
    if isinstance(value, dict):
        return {k: describe(v, ctx, stack) for k, v in value.items()}
    assert type(value) is MacroGenerator and value.context is ctx and value.stack is stack
    return (value.macro.package_name, value.macro.name, value.node)

def namespaces(search):
    ctx, stack = {}, MacroStack()
    ns = MacroNamespaceBuilder("couponseg", search, stack, ["dbt_duckdb", "dbt"], "node"
                               ).build_namespace(by_package, ctx)
    parts = [describe(getattr(ns, part), ctx, stack) for part in
             ("local_namespace", "global_namespace", "packages", "global_project_namespace")]
    flat = describe({key: ns[key] for key in ns}, ctx, stack)
    return parts, flat, describe(dbt_overhead._flattened(ns), ctx, stack)

before = {search: namespaces(search)[:2] for search in ("couponseg", "other")}
assert dbt_overhead.build_macro_namespaces_in_one_pass()
for search in ("couponseg", "other"):
    parts, flat, merged = namespaces(search)
    assert parts == before[search][0], (search, parts, before[search][0])
    assert flat == merged == before[search][1], (search, flat, merged, before[search][1])
print("same")
"""


def test_macro_namespaces_are_the_same_as_dbts():
    """The one-pass macro namespace gives every name the same macro, bound the same way, as
    dbt's own builder, with the same precedence between packages."""
    result = subprocess.run([sys.executable, "-c", NAMESPACE_CHECK], capture_output=True,
                            text=True, cwd=REPO, check=False)
    assert result.stdout.strip() == "same", result.stdout + result.stderr


TEMPLATE_CACHE_CHECK = """
import json, sys
from pathlib import Path
from jinja2 import Environment
from dbt_common.clients.jinja import MacroFuzzEnvironment
from couponseg import dbt_overhead

folder = Path(sys.argv[1])
assert dbt_overhead.cache_compiled_templates(folder)
source = "{% for x in xs %}\\n  {{ x | upper }}{% if not loop.last %},{% endif %}\\n{% endfor %}"
plain = MacroFuzzEnvironment()
trimmed = MacroFuzzEnvironment(trim_blocks=True, lstrip_blocks=True)
files = lambda: len(list(folder.iterdir()))
out = {"first": plain.from_string(source).render({"xs": ["a", "b"]}), "files": files()}
out["again"] = plain.from_string(source).render({"xs": ["a", "b"]})
out["trimmed"] = trimmed.from_string(source).render({"xs": ["a", "b"]})
out["files_after_trimmed"] = files()
# Jinja folds constants by calling filters while it compiles: another filter of the same
# name must not be served the first one's code.
dollars, euros = MacroFuzzEnvironment(), MacroFuzzEnvironment()
dollars.filters["money"] = lambda x: f"${x}"
euros.filters["money"] = lambda x: f"EUR {x}"
out["money"] = [env.from_string("{{ 5 | money }}").render({}) for env in (dollars, euros)]
before = files()
out["foreign"] = Environment().from_string("{{ 1 + 1 }}").render()
out["foreign_cached"] = files() - before
for path in folder.iterdir():
    path.write_bytes(b"not a code object")
out["after_damage"] = plain.from_string(source).render({"xs": ["a", "b"]})
print(json.dumps(out))
"""


def test_compiled_templates_are_reused_only_for_the_same_source_and_settings(tmp_path):
    """The template cache gives what Jinja itself renders: the same template of a dbt
    environment again comes from the cache; other whitespace settings, or a filter of the same
    name with other code, compile their own; a Jinja environment that is not dbt's is not
    cached; a damaged cache file is compiled afresh rather than trusted."""
    import json

    from dbt_common.clients.jinja import MacroFuzzEnvironment

    source = "{% for x in xs %}\n  {{ x | upper }}{% if not loop.last %},{% endif %}\n{% endfor %}"
    expected = MacroFuzzEnvironment().from_string(source).render({"xs": ["a", "b"]})
    expected_trimmed = MacroFuzzEnvironment(trim_blocks=True, lstrip_blocks=True).from_string(
        source).render({"xs": ["a", "b"]})
    assert expected != expected_trimmed
    result = subprocess.run([sys.executable, "-c", TEMPLATE_CACHE_CHECK, str(tmp_path)],
                            capture_output=True, text=True, cwd=REPO, check=True)
    out = json.loads(result.stdout)
    assert out["first"] == out["again"] == out["after_damage"] == expected
    assert out["trimmed"] == expected_trimmed
    assert out["files"] == 1 and out["files_after_trimmed"] == 2
    assert out["money"] == ["$5", "EUR 5"]
    assert out["foreign"] == "2" and out["foreign_cached"] == 0
