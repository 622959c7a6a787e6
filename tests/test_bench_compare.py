"""The same-machine comparison with an earlier commit (bench/compare.py): the base's code is
exported as committed and started through its own CLI module; runs alternate so that drift
in a shared machine's speed falls on both sides; the summary compares medians of good runs.
The timed runs themselves are `make bench-compare` (minutes at 50M), never a unit test."""

from __future__ import annotations

import subprocess
from importlib import metadata

from conftest import REPO

from bench.compare import cli_module, export, head, schedule, summary, unmet_pins

OLD_PYPROJECT = '[project]\nname = "x"\n[project.scripts]\ncouponseg = "models_py.cli:main"\n'


def test_each_commit_starts_through_its_own_cli_module(tmp_path):
    """The CLI moved from models_py.cli to couponseg.cli; a base from before the move must
    still be started through the module its pyproject.toml names."""
    assert cli_module(OLD_PYPROJECT) == "models_py.cli"
    assert head().cli_module == "couponseg.cli"
    base = export("HEAD", tmp_path / "base")
    assert base.cli_module == "couponseg.cli"
    committed = subprocess.run(["git", "ls-tree", "-r", "--name-only", "HEAD"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.split()
    exported = sorted(str(p.relative_to(base.root)) for p in base.root.rglob("*") if p.is_file())
    assert exported == sorted(committed)
    assert not (base.root / ".git").exists()


def test_runs_alternate_so_each_side_runs_as_often_early_as_late():
    assert schedule(1) == ["base", "head"]
    assert schedule(2) == ["base", "head", "head", "base"]
    order = schedule(4)
    for side in ("base", "head"):
        positions = [i for i, name in enumerate(order) if name == side]
        assert sum(positions) == sum(range(len(order))) / 2


def _run(side: str, total: float, status: str = "ok") -> dict:
    return {"side": side, "total_s": total, "status": status}


def test_summary_compares_medians_of_good_runs_only():
    runs = [_run("base", 340.0), _run("head", 258.9), _run("head", 262.0),
            _run("base", 336.0), _run("head", 1.0, "build failed (exit 1)")]
    assert summary(runs) == {"base_median_s": 338.0, "head_median_s": 260.4,
                             "head_over_base": 0.77}
    assert summary([_run("base", 10.0)])["head_over_base"] is None


def test_only_pins_the_installed_packages_miss_are_named():
    """The base runs with this checkout's packages: a pin they satisfy is no news."""
    duckdb = metadata.version("duckdb")
    pyproject = ('[project]\nname = "x"\ndependencies = [\n'
                 f'  "duckdb=={duckdb}",\n  "duckdb==0.0.1",\n  "no-such-package==1.0",\n'
                 '  "pandas>=1",\n]\n')
    assert unmet_pins(pyproject) == ["duckdb==0.0.1 (installed: " + duckdb + ")",
                                     "no-such-package==1.0 (installed: none)"]
