"""dbt's parse caches, one per set of dbt vars and profile settings (couponseg/build.py): the
key, and which caches are kept. The builds that use them are in test_segment_model (an
--as-of build does not spoil the weekly build's parse) and test_review_findings (a build
with no cache for its settings)."""

from __future__ import annotations

import os
import re
import shutil

from conftest import REPO

from couponseg import build
from couponseg.build import DBT_DATABASE_NAME, parse_cache_for
from couponseg.cli import build_vars, parser
from models_py import profile
from models_py.loader import INPUT_ENV
from models_py.paths import DBT_PROJECT_DIR, WAREHOUSE_ENV

ENV = {WAREHOUSE_ENV: DBT_DATABASE_NAME, "HOME": "/root"}


def test_the_key_is_the_vars_and_what_the_profile_reads():
    weekly = parse_cache_for({"as_of": ""}, ENV)
    assert parse_cache_for({"as_of": ""}, dict(ENV)) == weekly
    assert parse_cache_for({"as_of": "2024-06-30"}, ENV) != weekly
    assert parse_cache_for({"as_of": "", "segment_retrain": True}, ENV) != weekly
    assert parse_cache_for({"as_of": ""}, {**ENV, "COUPONSEG_MEMORY_LIMIT": "4GB"}) != weekly
    assert parse_cache_for({"as_of": ""}, {**ENV, WAREHOUSE_ENV: "/x.building"}) \
        != weekly  # the fallback where the disk takes no symbolic links
    assert parse_cache_for({"as_of": ""}, {**ENV, "HOME": "/home/x"}) == weekly
    # Every variable the DuckDB output reads, and none of the Spark output's: dbt renders
    # only the output it runs, so a Spark build's folder or master set in the shell must
    # not cost the next DuckDB build a full parse.
    settings = "\n".join(line for line in (REPO / "profiles.yml").read_text().splitlines()
                         if not line.lstrip().startswith("#"))
    local, spark = settings.split("\n    spark:\n")
    named = set(re.findall(r"COUPONSEG_\w+", local))
    assert len(named) >= 4 and set(build.PROFILE_ENV) == named
    for name in set(re.findall(r"COUPONSEG_SPARK_\w+", spark)):
        assert parse_cache_for({"as_of": ""}, {**ENV, name: "/elsewhere"}) == weekly, name


def test_only_the_most_recently_used_caches_stay(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "KEPT_PARSE_CACHES", 3)
    for age in range(5):
        cache = tmp_path / f"partial_parse.{age}.msgpack"
        cache.write_bytes(b"x")
        os.utime(cache, (1_000_000 - age, 1_000_000 - age))
    (tmp_path / "other.txt").write_text("not a cache")
    for name, age in ((".partial_parse.0.msgpack.killed", 4000),
                      (".partial_parse.0.msgpack.now", 5)):
        (tmp_path / name).write_bytes(b"half")  # copies being published; one a kill left
        os.utime(tmp_path / name, (1_000_000 - age, 1_000_000 - age))
    build._remove_old_parse_caches(tmp_path, now=1_000_000)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".partial_parse.0.msgpack.now", "other.txt", "partial_parse.0.msgpack",
        "partial_parse.1.msgpack", "partial_parse.2.msgpack"]


def test_a_parse_cache_dbt_cannot_start_from_is_replaced_not_fatal(tmp_path, monkeypatch):
    """dbt 1.11's partial parsing keeps the unit tests of a model deleted together with them,
    then refuses to start, from that cache, every build after. The build parses afresh once
    instead, succeeds, and keeps the fresh parse for the next build."""
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target"))
    # A model added with its properties, a data test and a unit test in a file that holds
    # others' too (the combination dbt's partial parsing gets wrong when it is taken out).
    properties = project / "models" / "segments" / "_segments__campaigns.yml"
    original = properties.read_text()
    model = project / "models" / "segments" / "extra_model.sql"
    model.write_text("select merchant_id from {{ ref('dim_merchants') }}\n")
    properties.write_text(original.replace(
        "  - name: segment_impact\n",
        "  - name: extra_model\n    description: Removed below.\n    columns:\n"
        "      - name: merchant_id\n        data_tests: [not_null]\n\n"
        "  - name: segment_impact\n", 1)
        + "\n  - name: extra_model_says_one\n    model: extra_model\n    given:\n"
        "      - input: ref('dim_merchants')\n        rows:\n          - {merchant_id: 1}\n"
        "    expect:\n      rows:\n        - {merchant_id: 1}\n")
    monkeypatch.setattr(build, "DBT_PROJECT_DIR", project)
    monkeypatch.setattr(build, "PARSE_CACHES", project / "target" / "parse_caches")
    warehouse = tmp_path / "w" / "warehouse.duckdb"
    dbt_vars = build_vars(parser().parse_args(["build"]))
    env = {INPUT_ENV: str(REPO / "data" / "sample")}

    def run() -> tuple[bool, list[str]]:
        said: list[str] = []
        result = build.dbt_build(warehouse, dbt_vars, report=said.append, env=env)
        return result.success, said

    assert run()[0]
    model.unlink()  # the model, its properties and its unit test go
    properties.write_text(original)
    ok, said = run()
    assert ok, said
    assert any("parsing it afresh" in line and "Unable to find model 'couponseg.extra_model'"
               in line for line in said), said
    ok, said = run()  # the fresh parse was kept: no second fresh start
    assert ok and not any("parsing it afresh" in line for line in said)
    # a real error in the project: tried afresh once, then reported from the fresh parse
    properties.write_text(original + "\n  - name: nowhere_says_one\n    model: nowhere\n"
                          "    given: []\n    expect:\n      rows: []\n")
    result = build.dbt_build(warehouse, dbt_vars, report=(said := []).append, env=env)
    assert not result.success
    assert sum("parsing it afresh" in line for line in said) == 1, said
    assert any("Unable to find model 'couponseg.nowhere'" in f for f in result.failures), \
        result.failures


def test_dbt_runs_once_more_only_when_it_stopped_before_any_node(tmp_path):
    """The retry's rules, with dbt stood in for: only with a cache, only on dbt's error exit,
    only when no node started and no results were written, never after an abort; the line
    it prints names dbt's error without dbt's "Encountered an error:" opening."""
    paths = build.BuildPaths.of(tmp_path / "warehouse.duckdb")
    paths.target.mkdir(parents=True)
    error = "Encountered an error:\nParsing Error\n  Unable to find model 'x.y'"

    def attempts(first: tuple[int, list[str], bool], has_cache: bool = True,
                 aborted: bool = False) -> tuple[list[bool], list[str]]:
        calls: list[bool] = []
        said: list[str] = []

        def run(cached: bool) -> tuple[int, list[str], bool]:
            calls.append(cached)
            return first if len(calls) == 1 else (0, [], True)

        build._dbt_once_more_if_its_parse_cache_fails(run, has_cache, paths, said.append,
                                                      lambda: aborted)
        return calls, said

    calls, said = attempts((2, [error], False))
    assert calls == [True, False]
    assert said == ["dbt stopped while reusing its saved parse of the project (Parsing Error "
                    "Unable to find model 'x.y'); parsing it afresh"]
    assert attempts((2, [error], True))[0] == [True]  # a node had started
    assert attempts((1, [], False))[0] == [True]  # failed nodes, not an error
    assert attempts((2, [error], False), has_cache=False)[0] == [False]
    assert attempts((2, [error], False), aborted=True)[0] == [True]
    paths.run_results.write_text("{}")
    assert attempts((2, [error], False))[0] == [True]  # dbt got as far as writing results


def test_a_bad_var_is_reported_once_and_keeps_the_parse_cache(built, tmp_path):
    """A bad var stops dbt before any node, as a spoilt parse cache does; the build must not
    take it for one (re-parse, delete the shared cache, say "parsing it afresh")."""
    from conftest import couponseg

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse, warehouse)
    before = warehouse.read_bytes()
    for attempt in range(2):  # the second finds the first one's parse cache
        result = couponseg("build", "-v", "--input", built.input, "--warehouse", warehouse,
                           "--seed", "-1", check=False)
        assert result.returncode == 1, result.stdout
        assert "afresh" not in result.stdout + result.stderr, attempt
        assert "segment_seed = -1: must be from 0 to 2147483647" in result.stderr
    assert warehouse.read_bytes() == before
    dbt_vars = build_vars(parser().parse_args(["build", "--seed", "-1"]))
    env = {**os.environ, WAREHOUSE_ENV: DBT_DATABASE_NAME}
    assert parse_cache_for(dbt_vars, env).exists()


def test_the_build_knows_how_the_vars_check_words_its_error():
    settings = (DBT_PROJECT_DIR / "macros" / "settings.sql").read_text()
    assert f"'{build.INVALID_VARS} (set in dbt_project.yml" in settings


def test_a_profile_whose_target_is_a_template_keys_on_every_variable(tmp_path, monkeypatch):
    """A target chosen by a template cannot be read without dbt's rendering: the key falls
    back to every variable of the file (a cache too many, never a wrong one) instead of the
    CLI failing as it imports."""
    text = (REPO / "profiles.yml").read_text().replace(
        "  target: local", "  target: \"{{ env_var('DBT_TARGET', 'local') }}\"")
    assert "DBT_TARGET" in text
    (tmp_path / "profiles.yml").write_text(text)
    monkeypatch.setattr(profile, "PROFILES_DIR", tmp_path)
    named = set(re.findall(r"""env_var\(\s*['"](\w+)""", text))
    assert "COUPONSEG_SPARK_DIR" in named and set(profile.env_vars_read()) == named
    (tmp_path / "profiles.yml").write_text("couponseg: [not, a, profile")  # not even YAML
    assert profile.env_vars_read() == ()
