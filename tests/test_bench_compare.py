"""The same-machine comparison with an earlier commit (bench/compare.py): each side is
exported as committed and runs its own code through its own CLI module, on its own defaults;
runs alternate so that drift in a shared machine's speed falls on both sides; the summary
compares medians of good runs only. The timed runs themselves are `make bench-compare`
(minutes at 50M), never a unit test."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import pytest
from conftest import REPO

from bench.compare import (
    CompareError,
    cli_module,
    export,
    resolve,
    schedule,
    side_env,
    summary,
    unmet_pins,
)

OLD_PYPROJECT = '[project]\nname = "x"\n[project.scripts]\ncouponseg = "models_py.cli:main"\n'


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    return export("base", resolve("HEAD"), tmp_path_factory.mktemp("compare") / "base")


def test_each_commit_starts_through_its_own_cli_module(exported):
    """The CLI moved from models_py.cli to couponseg.cli; a base from before the move must
    still be started through the module its pyproject.toml names."""
    assert cli_module(OLD_PYPROJECT) == "models_py.cli"
    assert exported.cli_module == "couponseg.cli"
    with pytest.raises(CompareError, match="no `couponseg` command"):
        cli_module('[project]\nname = "x"\n')
    committed = subprocess.run(["git", "ls-tree", "-r", "--name-only", "HEAD"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.split()
    files = sorted(str(p.relative_to(exported.root)) for p in exported.root.rglob("*")
                   if p.is_file())
    assert files == sorted(committed)


def test_a_side_imports_its_own_code_and_none_of_this_shells_settings(exported):
    """This checkout is installed (editable) in the interpreter both sides share: the
    exported side's processes, wherever they start (dbt's children do not all start in the
    side's folder), must still import its own files, and settings exported in the shell
    (a memory limit, a dbt target) must not reach either side."""
    environ = {"PATH": "/usr/bin:/bin", "COUPONSEG_MEMORY_LIMIT": "1GB", "DBT_TARGET": "spark",
               "HOME": "/root"}
    env = side_env(exported, environ)
    assert not {"COUPONSEG_MEMORY_LIMIT", "DBT_TARGET"} & set(env)
    assert env["DBT_PROFILES_DIR"] == str(exported.root)
    where = subprocess.run(
        [sys.executable, "-c", "import couponseg.cli, models_py.cores as m, dashboards as d; "
         "print(couponseg.cli.__file__); print(m.__file__); print(d.__path__[0])"],
        cwd="/", env=env, capture_output=True, text=True, check=True).stdout.split()
    assert len(where) == 3
    assert all(path.startswith(str(exported.root)) for path in where), where


def test_a_commit_that_is_not_there_is_named():
    with pytest.raises(CompareError, match="no commit 'no-such-commit'"):
        resolve("no-such-commit")
    with pytest.raises(CompareError, match="is not a commit"):
        resolve("--all")


def test_runs_alternate_so_each_side_runs_as_often_early_as_late():
    assert schedule(1) == ["base", "head"]
    assert schedule(2) == ["base", "head", "head", "base"]
    order = schedule(4)
    for side in ("base", "head"):
        positions = [i for i, name in enumerate(order) if name == side]
        assert sum(positions) == sum(range(len(order))) / 2
    with pytest.raises(CompareError):
        schedule(0)


def _run(side: str, total: float | None, status: str = "ok") -> dict:
    return {"side": side, "total_s": total, "status": status}


def test_summary_compares_medians_of_good_runs_only():
    runs = [_run("base", 340.0), _run("head", 258.9), _run("head", 262.0),
            _run("base", 336.0), _run("head", None, "build failed (exit 1); report not run")]
    assert summary(runs) == {"base_median_s": 338.0, "base_ok_runs": "2/2",
                             "head_median_s": 260.5, "head_ok_runs": "2/3",  # 260.45: half up
                             "head_over_base": 0.77}
    failed = summary([_run("base", 10.0), _run("head", None, "build failed")])
    assert failed["head_over_base"] is None and failed["head_ok_runs"] == "0/1"


def test_only_requirements_the_installed_packages_miss_are_named():
    """The base runs with this checkout's packages: a requirement they meet is no news, one
    whose marker does not apply here is skipped."""
    duckdb = metadata.version("duckdb")
    pyproject = ('[project]\nname = "x"\ndependencies = [\n'
                 f'  "duckdb=={duckdb}",\n  "duckdb~=0.1.0",\n  "no-such-package==1.0",\n'
                 '  "pandas>=1",\n  "duckdb==0.0.1; python_version < \'3.0\'",\n]\n')
    assert unmet_pins(pyproject) == ["duckdb~=0.1.0 (installed: " + duckdb + ")",
                                     "no-such-package==1.0 (installed: none)"]
