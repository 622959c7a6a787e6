"""The benchmark's report says which run, on which machine, measured each row.

Figures from two machines differ by more than most changes being measured (the same code
has taken 26.3 s and 78.3 s at 10M on two of these shared machines), so RESULTS.md must never
let rows kept from an earlier run pass for this run's.
"""

import json

import pytest

from bench.machine import calibrate, cpu_clock, steal_share
from bench.report import machines_section, write_markdown


def _row(run: str | None) -> dict:
    return {"engine": "couponseg", "stage": "total", "size": "1M", "transactions": 1,
            "customers": 1, "wall_s": 1.0, "peak_rss_mb": 1.0, "status": "ok", "run": run}


def test_each_run_is_listed_with_its_machine_and_row_count() -> None:
    machines = {"2026-12-02T19:13": {"cpu": "AMD EPYC", "cores": 2, "python_loop_s": 0.31,
                                     "duckdb_grouping_s": 3.2},
                "2026-12-06T01:13": {"cpu": "Xeon", "cores": 2, "python_loop_s": 0.22,
                                     "duckdb_grouping_s": 2.0, "steal_share": 0.042}}
    lines = machines_section([_row("2026-12-02T19:13"), _row("2026-12-02T19:13"),
                              _row("2026-12-06T01:13"), _row(None)], machines)
    assert "| 2026-12-02T19:13 | 2 | AMD EPYC | 2 | 0.31 | 3.2 | - |" in lines
    assert "| 2026-12-06T01:13 | 1 | Xeon | 2 | 0.22 | 2.0 | 4.2% |" in lines
    assert "| before calibration | 1 | - | - | - | - | - |" in lines


def test_calibration_times_a_fixed_workload() -> None:
    figures = calibrate(runs=1)
    assert figures["cores"] >= 1
    # Times are printed, never judged (shared machines): only that they were taken.
    assert figures["python_loop_s"] > 0
    assert figures["duckdb_grouping_s"] > 0


def test_stolen_cpu_is_the_steal_counters_share_of_the_time_between_two_readings() -> None:
    """/proc/stat's first line: user nice system idle iowait irq softirq steal guest ..."""
    start = [100, 0, 10, 80, 0, 0, 0, 10, 5, 0]
    end = [160, 0, 20, 90, 0, 0, 0, 30, 9, 0]  # 60 + 10 + 10 + 20 = 100 jiffies, 20 stolen
    assert steal_share(start, end) == 0.2
    assert steal_share(None, end) is None
    assert steal_share(start, start) is None  # no time passed
    assert steal_share(end, start) is None  # every counter went backwards
    reset = [*end[:7], 5, *end[8:]]  # time went on, the steal clock was reset (a migration)
    assert steal_share(start, reset) is None
    clock = cpu_clock()  # Linux, as every machine this project runs on
    assert clock is not None and len(clock) >= 8
    calibrate(runs=1)  # some CPU time between the two readings
    assert 0 <= steal_share(clock, cpu_clock()) <= 1


@pytest.mark.parametrize(("engine", "seconds", "row_start"), [
    ("baseline", 4.0, "| 1M | 1 | 1 | 1.0 | 1 | 4.0 | 1 |"),  # the notebook baseline's table
    ("careful", 2.0, "| 1M | 1 | 1.0 | 2.0 | 1 |"),  # the careful baseline's and Spark's
])
def test_no_ratio_between_rows_of_two_runs(tmp_path, engine, seconds, row_start) -> None:
    """A baseline row kept from an earlier run is shown, never divided by this run's row."""
    other = {**_row("2026-12-02T19:13"), "engine": engine, "wall_s": seconds}
    path = tmp_path / "RESULTS.md"
    write_markdown([_row("2026-12-03T08:50"), other], path)
    assert f"{row_start} n/a (two runs) |" in path.read_text()
    write_markdown([_row("2026-12-03T08:50"), {**other, "run": "2026-12-03T08:50"}], path)
    assert f"{row_start} {seconds:.1f}x |" in path.read_text()


def test_first_build_facts_come_from_the_build(built, tmp_path, monkeypatch) -> None:
    """bench/first_builds.json records the warehouse file's size and the slowest data tests
    of a build, read from that build's own files (dbt's run_results.json), so the README can
    quote them from a committed file."""
    from bench import run

    monkeypatch.setattr(run, "BENCH", tmp_path)
    run.write_first_build("1M", built.warehouse)
    facts = json.loads((tmp_path / "first_builds.json").read_text())["1M"]
    assert facts["warehouse_mib"] == round(built.warehouse.stat().st_size / 2**20, 1) > 0
    tests = facts["costliest_tests_s"]
    assert len(tests) == 10 and list(tests.values()) == sorted(tests.values(), reverse=True)
    every_test = run.costliest_tests(built.warehouse, top=10_000)
    test_nodes = {node for node, *_ in run._spans(built.warehouse) if node.startswith("test.")}
    assert len(every_test) == len(test_nodes) > 200 and all(name in every_test for name in tests)
    assert min(tests.values()) >= max(v for k, v in every_test.items() if k not in tests)
    assert sum(every_test.values()) == pytest.approx(run.node_seconds(built.warehouse)
                                                     ["data tests"], abs=0.01 * len(test_nodes))


def test_bench_figures_round_half_away_from_zero():
    """As the README quotes them: Python's format wrote 12.45 s as 12.4 and 216.5 MB as 216."""
    from bench.rounding import fixed, half_up

    assert [fixed(12.45, 1), fixed(216.5, 0), fixed(1306.5, 0), fixed(2.675, 2)] == [
        "12.5", "217", "1307", "2.68"]
    assert half_up(108.35, 1) == 108.4 and half_up(11.17 / 10.8, 2) == 1.03


def test_segment_scoring_bench_runs_end_to_end(tmp_path) -> None:
    """The scoring benchmark calls the product's own scoring function: a change of its
    signature must break this test, not the next person who runs the benchmark."""
    from bench.segment_scoring import _prepare, _score

    path = tmp_path / "scoring.duckdb"
    _prepare(path, 4_000)
    result = _score(path)
    assert result["customers"] == 4_000 and result["wall_s"] >= 0
