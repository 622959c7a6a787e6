"""models_py.flags: the CLI and the segment model read a yes/no dbt var the same way."""

from __future__ import annotations

import pytest

from couponseg.build import will_train
from models_py.flags import is_true
from models_py.segmentation.dbt_adapter import settings


@pytest.mark.parametrize("value", [True, 1, "true", "TRUE", " yes ", "1", "True"])
def test_yes_values(value: object) -> None:
    assert is_true(value)
    assert will_train(["segment_model"], {"segment_retrain": value})
    assert _model_retrains(value)


@pytest.mark.parametrize("value", [False, 0, None, "", "false", "no", "0", "off", "yes please"])
def test_no_values(value: object) -> None:
    assert not is_true(value)
    assert not will_train(["segment_model"], {"segment_retrain": value})
    assert not _model_retrains(value)


def test_first_build_trains_whatever_the_var() -> None:
    assert will_train([], {})
    assert will_train([], {"segment_retrain": "no"})
    assert not will_train(["segment_model"], {})


def _model_retrains(value: object) -> bool:
    config = {"seed": 7, "k_min": 2, "k_max": 8, "sample_size": 3000, "retrain": value}
    return settings(config, {"burn_window_days": 60}).retrain


@pytest.mark.parametrize(("flags", "passed"), [
    ([], None), (["--retrain"], True), (["--no-retrain"], False)])
def test_retrain_flag_passes_the_var_only_when_given(flags: list[str], passed: bool | None) -> None:
    """Without the flag dbt_project.yml's segment_retrain decides; --no-retrain overrides a
    `segment_retrain: true` kept there (before, nothing on the command line could)."""
    from couponseg.cli import build_vars, parser
    for command in ("build", "run"):
        dbt_vars = build_vars(parser().parse_args([command, *flags]))
        assert dbt_vars.get("segment_retrain") == passed
        assert ("segment_retrain" in dbt_vars) == (passed is not None)


def test_no_retrain_with_a_seed_is_refused_before_anything_runs(tmp_path):
    """A new seed is a training setting, so the build would train despite --no-retrain, and
    the next weekly build (default seed) would train again."""
    from conftest import couponseg

    result = couponseg("build", "--no-retrain", "--seed", "7", "--warehouse",
                       tmp_path / "w.duckdb", check=False)
    assert result.returncode == 2
    assert "--no-retrain and --seed 7 contradict each other" in result.stderr
    assert not (tmp_path / "w.duckdb").exists()
    # the weekly seed itself is no change: not refused (it fails later, on the missing input)
    import yaml

    from models_py.paths import DBT_PROJECT_DIR
    weekly = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"][
        "segment_seed"]
    same = couponseg("build", "--no-retrain", "--seed", str(weekly), "--input",
                     tmp_path / "missing", "--warehouse", tmp_path / "w.duckdb", check=False)
    assert same.returncode == 2 and "contradict" not in same.stderr, same.stderr
