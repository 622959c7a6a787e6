"""Segmentation: planted archetypes recovered, canonical and repeatable labels, the rule,
the stored model scoring exactly as the warehouse did."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import processes_with, query, sigkill_and_wait
from sklearn.metrics import adjusted_rand_score, silhouette_score

from models_py import processes
from models_py.segmentation import selection, training_process
from models_py.segmentation.features import feature_specs, source_columns, transform_columns
from models_py.segmentation.metrics import distance_matrix, quality
from models_py.segmentation.scoring import OUTPUT_COLUMNS, SegmentModel, score_batch
from models_py.segmentation.selection import choose
from models_py.segmentation.store import TrainingSettings
from models_py.segmentation.training import _standardise, train
from models_py.segmentation.training_process import TrainingFailed, train_in_child

SETTINGS = TrainingSettings(seed=42, k_min=2, k_max=10, sample_size=3000, burn_window_days=90)


def _stored_model(warehouse) -> SegmentModel:
    return SegmentModel.from_frames(query(warehouse, "select * from segments.segment_model"),
                                    query(warehouse, "select * from segments.segment_centroids"),
                                    query(warehouse, "select as_of_date from marts.run_context")
                                    .iloc[0, 0])


def _features(warehouse, columns: list[str]) -> pd.DataFrame:
    return query(warehouse, f"select {', '.join(columns)} from marts.customer_features")


def test_planted_archetypes_recovered(built):
    truth = pd.read_csv(built.input / "archetypes.csv")
    seg = query(built.warehouse, "select customer_id, segment_id from segments.customer_segments")
    merged = truth.merge(seg, on="customer_id")
    assert len(merged) == len(truth) == len(seg)
    assert adjusted_rand_score(merged["archetype"], merged["segment_id"]) >= 0.9


def test_segment_names_describe_archetypes(built):
    truth = pd.read_csv(built.input / "archetypes.csv")
    seg = query(built.warehouse, "select customer_id, segment_name from segments.customer_segments")
    majority = truth.merge(seg).groupby("archetype")["segment_name"].agg(lambda s: s.mode()[0])
    assert majority["loyal_frequent_burner"].startswith("Loyal burners")
    assert majority["claim_and_forget"].startswith("Claim-and-forget")
    assert majority["recent_joiner"].startswith("New joiners")


def test_stored_model_scores_exactly_as_the_warehouse(built):
    """score_batch with the stored model, in any row order and batch split, gives the labels
    the build wrote (the function Spark calls per partition)."""
    model = _stored_model(built.warehouse)
    features = _features(built.warehouse, model.source_columns)
    shuffled = features.sample(frac=1, random_state=1)
    parts = [shuffled.iloc[i::7] for i in range(7)]
    scored = pd.concat([score_batch(part, model) for part in parts])
    assert list(scored.columns) == list(OUTPUT_COLUMNS)
    stored = query(built.warehouse, "select * from segments.customer_segments")
    both = stored.merge(scored, on="customer_id", suffixes=("", "_py"))
    assert len(both) == len(stored) == len(features)
    for column in ("segment_id", "segment_name", "model_version"):
        assert (both[column] == both[f"{column}_py"]).all(), column
    for column in ("distance_to_centroid", "confidence", "projection_x", "projection_y"):
        np.testing.assert_allclose(both[column], both[f"{column}_py"], atol=1e-9)


def test_training_is_repeatable_and_order_free(built):
    """Same model in any row order, and the same in the child process dbt trains in as in
    this one."""
    features = _features(built.warehouse, source_columns(SETTINGS.specs))
    as_of = dt.date(2024, 1, 1)
    first = train(features, SETTINGS, 1, as_of, "x", "first build").to_pylist()[0]
    second = train_in_child(features.sample(frac=1, random_state=3), SETTINGS, 1, as_of, "x",
                            "first build").to_pylist()[0]
    assert first == second
    stored = query(built.warehouse, "select centroids, algorithm from segments.segment_model")
    np.testing.assert_allclose(np.array(first["centroids"]),
                               np.array(stored["centroids"].iloc[0].tolist()), atol=1e-9)


def test_training_child_started_early_trains_the_same_model(built):
    """A build that will train starts the child before dbt (``processes.start_early``, the
    module dbt_runner names): training then uses that child, once, and gets the model
    training in a new child gives; a child started early and never used is killed."""
    from couponseg.dbt_runner import TRAINING_MODULE

    assert training_process.__name__ == TRAINING_MODULE
    features = _features(built.warehouse, source_columns(SETTINGS.specs))
    as_of = dt.date(2024, 1, 1)
    processes.start_early(TRAINING_MODULE)
    early = processes._started[TRAINING_MODULE]
    assert early.poll() is None
    warm = train_in_child(features, SETTINGS, 1, as_of, "x", "first build").to_pylist()[0]
    assert early.returncode == 0 and TRAINING_MODULE not in processes._started  # used once
    cold = train_in_child(features, SETTINGS, 1, as_of, "x", "first build").to_pylist()[0]
    assert warm == cold
    processes.start_early(TRAINING_MODULE)
    unused = processes._started[TRAINING_MODULE]
    processes.stop_started()
    assert unused.returncode is not None and not processes._started
    processes.stop_started()  # nothing started: nothing to do


def test_training_child_started_early_dies_with_the_process_that_started_it():
    """A child started early waits for a sample that may never come: SIGKILL of its parent
    (dbt, in a build) ends it too, whether it is still importing or already waiting (the
    kernel's parent-death signal, or the end of its stdin, whichever comes first; a child
    already training: test_training_process_and_its_workers_die_with_the_process_that_
    started_it)."""
    from couponseg.dbt_runner import TRAINING_MODULE

    for settle in (0.0, 3.0):
        script = ("import time\nfrom models_py import processes\n"
                  f"processes.start_early({TRAINING_MODULE!r})\ntime.sleep(120)\n")
        parent = subprocess.Popen([sys.executable, "-c", script])
        early = (TRAINING_MODULE, f"\0{parent.pid}\0")
        deadline = time.monotonic() + 30
        while not processes_with(*early):
            assert parent.poll() is None and time.monotonic() < deadline, "no early child"
            time.sleep(0.02)
        time.sleep(settle)
        assert sigkill_and_wait(parent, lambda marker=early: processes_with(*marker)) == []


def test_a_build_sure_to_train_asks_dbt_to_start_training_early(tmp_path, monkeypatch):
    """The wiring: a first build passes TRAIN_EARLY_ENV to dbt, a build carrying a stored
    model does not, and dbt's process starts the training child before dbt runs and ends
    it after (here with dbt replaced by a stand-in that looks, in another process)."""
    from couponseg import build
    from couponseg.dbt_runner import TRAIN_EARLY_ENV, TRAINING_MODULE

    seen: list[dict[str, str]] = []
    monkeypatch.setattr(build, "_run_dbt", lambda paths, dbt_vars, report, extra_env, *_:
                        seen.append(extra_env) or build.BuildResult(False, paths.warehouse))
    warehouse = tmp_path / "w" / "warehouse.duckdb"
    build.dbt_build(warehouse, {}, report=lambda _: None)
    warehouse.parent.mkdir(exist_ok=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema segments; create table segments.segment_model (v int)")
    build.dbt_build(warehouse, {}, report=lambda _: None)
    build.dbt_build(warehouse, {"segment_retrain": True}, report=lambda _: None)
    assert [env.get(TRAIN_EARLY_ENV) for env in seen] == ["1", None, "1"]
    stand_in = (
        "import sys\nimport dbt.cli.main\nfrom couponseg import dbt_runner\n"
        "from models_py import processes\n"
        "class Result:\n    success, exception = True, None\n"
        "class Runner:\n    def invoke(self, args):\n"
        "        print(sorted(processes._started), flush=True)\n        return Result()\n"
        "dbt.cli.main.dbtRunner = Runner\n"
        "code, _ = dbt_runner.main([])\nprint(sorted(processes._started), code)\n")
    for flag, during in (("1", [TRAINING_MODULE]), ("0", [])):
        ran = subprocess.run([sys.executable, "-c", stand_in], capture_output=True, text=True,
                             env={**os.environ, TRAIN_EARLY_ENV: flag}, timeout=120)
        assert ran.stdout.splitlines() == [str(during), "[] 0"], ran.stdout + ran.stderr


def test_training_starts_early_only_in_builds_sure_to_train():
    from couponseg.build import will_train

    assert will_train([], {})  # first build: no stored model came along
    assert will_train(["segment_runs", "segment_history"], {})
    assert not will_train(["segment_model", "segment_names"], {})
    assert will_train(["segment_model"], {"segment_retrain": True})
    assert will_train(["segment_model"], {"segment_retrain": "true"})
    assert not will_train(["segment_model"], {"segment_retrain": False})


def test_scoring_in_worker_processes_equals_scoring_one_by_one(built, monkeypatch):
    """Model selection scores candidates in forked workers; the table and the winner are the
    ones scoring each candidate here, in order, gives."""
    features = _features(built.warehouse, source_columns(SETTINGS.specs))
    x, _, _ = _standardise(transform_columns(
        {c: features[c].to_numpy(dtype=float, na_value=np.nan) for c in features.columns},
        SETTINGS.specs))
    monkeypatch.setattr(selection, "scoring_workers", lambda: 2)  # whatever the cores
    table, winner, outcome = selection.select_model(x, 2, 10, 42)
    monkeypatch.setattr(selection, "scoring_workers", lambda: 1)
    alone, alone_winner, alone_outcome = selection.select_model(x, 2, 10, 42)
    pd.testing.assert_frame_equal(table, alone, check_exact=True)
    assert outcome == alone_outcome
    np.testing.assert_array_equal(winner.centres_, alone_winner.centres_)


def test_segment_zero_has_highest_value(built):
    profiles = query(built.warehouse, "select * from segments.segment_profiles order by segment_id")
    value = (np.log1p(profiles["mean_claims"]) + profiles["mean_burn_rate"]
             - np.log1p(profiles["mean_recency_days"]))
    assert value.idxmax() == 0


def test_model_selection_table_complete(built):
    sel = query(built.warehouse, "select * from segments.segment_model_selection")
    assert set(sel["model_version"]) == {1}
    assert set(sel["algorithm"]) == {"kmeans", "gmm", "ward", "dbscan"}
    assert sel["is_chosen"].sum() == 1
    for k_alg in ("kmeans", "gmm", "ward"):
        assert sorted(sel.loc[sel["algorithm"] == k_alg, "k"]) == list(range(2, 11))
    metrics = ["inertia", "silhouette", "davies_bouldin", "calinski_harabasz", "stability_ari"]
    assert sel.loc[sel["algorithm"] != "dbscan", metrics].notna().all().all()


def test_selection_silhouette_equals_scikit_learns():
    """Model selection computes the sample's distances once and each silhouette from them;
    the numbers must be scikit-learn's, including singleton clusters and DBSCAN noise."""
    rng = np.random.default_rng(7)
    x = np.vstack([rng.normal(loc=3 * i, size=(150, 4)) for i in range(4)])
    distances = distance_matrix(x)
    assert distances is not None
    labelings = [np.repeat(np.arange(4), 150), rng.integers(0, 6, size=len(x)),
                 np.r_[np.zeros(len(x) - 2, dtype=int), 1, 2],  # two singleton clusters
                 np.where(rng.random(len(x)) < 0.1, -1, np.repeat(np.arange(4), 150))]
    for labels in labelings:
        keep = labels >= 0
        fast = quality(x, labels, seed=0, distances=distances)["silhouette"]
        assert fast == pytest.approx(silhouette_score(x[keep], labels[keep]), abs=1e-12)
        assert quality(x, labels, seed=0)["silhouette"] == pytest.approx(fast, abs=1e-12)
    assert distance_matrix(np.zeros((10_000, 2))) is None  # 800 MB: scored the slow way


def test_silhouette_with_noise_makes_no_copy_of_the_distances():
    """Noise is left out of the silhouette without a copy of the distance matrix (the
    sample's matrix is 72 MB and two candidates are scored at a time). Measured in a child
    process: tracemalloc counts every thread's allocations, and a test worker's other
    threads once added 54 MB to this one's peak."""
    code = """
import tracemalloc
import numpy as np
from models_py.segmentation.metrics import distance_matrix, quality
x = np.random.default_rng(3).normal(size=(2_000, 4))
distances = distance_matrix(x)
labels = np.where(np.arange(len(x)) % 10 == 0, -1, np.arange(len(x)) % 3)
tracemalloc.start()
quality(x, labels, seed=0, distances=distances)
print(tracemalloc.get_traced_memory()[1], distances.nbytes)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120, cwd=Path(__file__).parent.parent).stdout
    peak, matrix = map(int, out.split())
    assert matrix == 2_000 * 2_000 * 8
    assert peak < matrix / 4, f"{peak:,} bytes for a {matrix:,}-byte matrix"


def _table(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"noise_share": [0.0] * n, "smallest_segment_share": [0.2] * n}
    return pd.DataFrame({**base, **columns})


def test_choose_prefers_fewer_segments_on_ties():
    table = _table(n_segments=[2, 4, 6, 5], smallest_segment_share=[0.3, 0.2, 0.1, 0.1],
                   silhouette=[0.9, 0.60, 0.605, 0.7], stability_ari=[1.0, 0.95, 0.9, 0.5])
    # k=2 is not actionable, k=5 is unstable; 0.60 and 0.605 tie, so 4 segments win.
    assert choose(table) == (1, "eligible_stable")


def test_choose_says_which_fallback_it_took():
    unstable = _table(n_segments=[3, 4], silhouette=[0.5, 0.6], stability_ari=[0.7, 0.6])
    assert choose(unstable) == (0, "eligible_most_stable")
    tiny = _table(n_segments=[2, 4], smallest_segment_share=[0.4, 0.001],
                  silhouette=[0.5, 0.6], stability_ari=[0.9, 0.95])
    assert choose(tiny) == (1, "ineligible_stable")
    none_stable = _table(n_segments=[2, 9], silhouette=[0.5, 0.6], stability_ari=[0.5, 0.6])
    assert choose(none_stable) == (1, "ineligible_most_stable")


def test_fills_come_from_the_burn_window():
    columns = {"customer_id": np.array([1]), "claims": np.array([0.0]),
               "burn_rate": np.array([np.nan]), "recency_days": np.array([np.nan]),
               "tenure_days": np.array([100.0]), "mean_days_to_burn": np.array([np.nan])}
    row = transform_columns(columns, feature_specs(60))[0]
    names = [s.name for s in feature_specs(60)]
    assert row[names.index("burn_rate")] == 0
    assert row[names.index("mean_days_to_burn")] == 60
    assert row[names.index("log_recency_days")] == np.log1p(100)


def test_recommendations_quote_numbers(built):
    recs = query(built.warehouse, "select * from segments.segment_recommendations")
    profiles = query(built.warehouse, "select segment_id, customers from segments.segment_profiles")
    merged = recs.merge(profiles, on=["segment_id", "customers"])
    assert len(merged) == len(profiles) == len(recs) >= 3
    for rec in merged.itertuples():
        assert f"{rec.customers:,}" in rec.rationale or str(rec.customers) in rec.rationale
        assert "%" in rec.rationale


def test_playbook_drives_recommendations(built):
    recs = query(built.warehouse, """
        select recs.segment_type, recs.priority, recs.coupon_strategy,
               playbooks.priority as playbook_priority, playbooks.coupon_approach
        from segments.segment_recommendations as recs
        inner join reference.segment_playbooks as playbooks using (segment_type)""")
    assert len(recs) == query(built.warehouse, "select count(*) as n from "
                              "segments.segment_recommendations")["n"].iloc[0]
    assert (recs["priority"] == recs["playbook_priority"]).all()
    assert (recs["coupon_strategy"] == recs["coupon_approach"]).all()


def test_identical_customers_get_one_segment_not_an_error():
    frame = pd.DataFrame({"customer_id": range(30), "claims": 0, "burns": 0, "burn_rate": None,
                          "recency_days": None, "tenure_days": 100, "mean_days_to_burn": None})
    row = train(frame, SETTINGS, 1, dt.date(2024, 1, 1), "x", "first build").to_pylist()[0]
    assert row["n_segments"] == 1 and row["selection_outcome"] == "single_segment"
    centroids = pd.DataFrame({"model_version": 1, "segment_id": 0, "segment_name": "Everyone",
                              "feature": row["feature_names"], "value": row["centroids"][0]})
    model = SegmentModel.from_frames(pd.DataFrame([row]), centroids, dt.date(2024, 1, 1))
    scored = score_batch(frame, model)
    assert set(scored["segment_id"]) == {0} and (scored["confidence"] == 1).all()


def test_too_few_customers_is_a_clear_error():
    frame = pd.DataFrame({"customer_id": range(5), "claims": 1, "burn_rate": 0.5,
                          "recency_days": 3, "tenure_days": 100, "mean_days_to_burn": 10})
    with pytest.raises(ValueError, match="at least 20 customers"):
        train(frame, SETTINGS, 1, dt.date(2024, 1, 1), "x", "first build")


def test_training_child_says_why_it_stopped():
    """The child's reason reaches dbt: bad data as the same ValueError, anything else as
    TrainingFailed naming the error (here a column the sample lacks)."""
    frame = pd.DataFrame({"customer_id": range(5), "claims": 1, "burns": 0, "burn_rate": 0.5,
                          "recency_days": 3, "tenure_days": 100, "mean_days_to_burn": 10})
    with pytest.raises(ValueError, match="at least 20 customers, got 5"):
        train_in_child(frame, SETTINGS, 1, dt.date(2024, 1, 1), "x", "first build")
    bigger = pd.concat([frame] * 10, ignore_index=True).drop(columns="tenure_days")
    bigger["customer_id"] = range(len(bigger))
    with pytest.raises(TrainingFailed, match="KeyError: 'tenure_days'"):
        train_in_child(bigger, SETTINGS, 1, dt.date(2024, 1, 1), "x", "first build")


def test_training_child_killed_or_losing_a_worker_fails_the_build_not_hangs(monkeypatch):
    """A child killed by a signal is named as such; a scoring worker that dies (out of
    memory, a crash) fails the selection instead of leaving it waiting for ever."""
    with pytest.raises(TrainingFailed, match="killed by SIGKILL"):
        training_process._raise_childs_error(-9, b"", "")
    said = json.dumps({"bad_data": True, "type": "ValueError", "message": "X has NaN.\nSee",
                       "traceback": ""}).encode()
    with pytest.raises(ValueError, match="^X has NaN.\nSee$"):  # every line of it
        training_process._raise_childs_error(1, said, "warning: printed after")
    x = np.random.default_rng(0).normal(size=(200, 3))
    monkeypatch.setattr(selection, "scoring_workers", lambda: 2)
    monkeypatch.setattr(selection, "_score", lambda *args: os._exit(1))
    with pytest.raises(BrokenProcessPool):
        selection.select_model(x, 2, 3, 42)


def test_training_process_and_its_workers_die_with_the_process_that_started_it(built,
                                                                             tmp_path):
    """SIGKILL of the process training (dbt, in a build) leaves nothing training on: neither
    its child nor the child's scoring workers, even stopped mid-training (so none can finish
    and exit by itself)."""
    features = tmp_path / "features.parquet"
    _features(built.warehouse, source_columns(SETTINGS.specs)).to_parquet(features)
    script = (
        "import datetime as dt, pandas as pd\n"
        "from models_py.segmentation.store import TrainingSettings\n"
        "from models_py.segmentation.training_process import train_in_child\n"
        f"settings = TrainingSettings(**{asdict(SETTINGS)!r})\n"
        f"train_in_child(pd.read_parquet({str(features)!r}), settings, 1, "
        "dt.date(2024, 1, 1), 'x', 'first build')\n")
    parent = subprocess.Popen([sys.executable, "-c", script])
    # The child's command line ends with its parent's pid; forked workers share it.
    training = ("models_py.segmentation.training_process", f"\0{parent.pid}\0")
    workers = selection.scoring_workers()
    expected = 1 + (workers if workers > 1 else 0)
    deadline = time.monotonic() + 60
    while len(pids := processes_with(*training)) < expected or not all(map(_training, pids)):
        assert parent.poll() is None and time.monotonic() < deadline, "no training processes"
        time.sleep(0.05)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # a worker done with the last candidate
            os.kill(pid, signal.SIGSTOP)
    try:
        assert sigkill_and_wait(parent, lambda: processes_with(*training)) == []
    finally:
        for pid in processes_with(*training):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _training(pid: int) -> bool:
    """Past its start (where it asks to die with its parent) and into training:
    scikit-learn's compiled code is loaded."""
    try:
        return "sklearn" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def _run_row(**overrides) -> pd.DataFrame:
    row = {"run_id": 3, "as_of_date": pd.Timestamp("2024-10-08"), "customers": 1000,
           "model_version": 2, "trained_as_of": pd.Timestamp("2024-06-30"),
           "model_trained": False, "training_reason": None,
           "model_training_reason": "retrain requested", "algorithm": "ward",
           "params": "k=2", "n_segments": 2, "sample_rows": 1000, "silhouette": 0.36,
           "davies_bouldin": 1.1, "calinski_harabasz": 300.0, "stability_ari": 0.93,
           "shuffled_silhouette": 0.2, "selection_outcome": "ineligible_stable",
           "rule_min_segments": 3, "rule_max_segments": 8, "rule_min_segment_share": 0.02,
           "rule_max_noise_share": 0.1, "rule_min_stability": 0.8, "rule_silhouette_tie": 0.01,
           "candidates": 30, "eligible_candidates": 0, "stable_eligible_candidates": 0,
           "stored_versions": 2, "previous_run_id": 2,
           "previous_as_of_date": pd.Timestamp("2024-09-30"), "previous_model_version": 2}
    return pd.DataFrame([{**row, **overrides}])


@pytest.mark.parametrize(("outcome", "expected"), [
    ("eligible_stable", "the best silhouette among the 12 candidates with 4 to 8 segments of "
                        "at least 3% of customers each and at most 10% noise and stability "
                        "of at least 0.80"),
    ("eligible_most_stable", "none reached a stability of at least 0.80; the rule fell back "
                             "to the most stable of them: ward (k=2)"),
    ("ineligible_stable", "No candidate had 4 to 8 segments of at least 3% of customers each"),
    ("ineligible_most_stable", "chose the most stable of them: ward (k=2) with 2 segments"),
    ("single_segment", "no model was selected: everyone is in one segment"),
])
def test_selection_sentence_says_what_the_rule_did(outcome, expected):
    """The report's sentence comes from the stored outcome and rule parameters (here not
    the code's defaults, to prove they are read, not written in the report)."""
    from dashboards.data import ReportData
    from dashboards.insights import model_selection

    run = _run_row(selection_outcome=outcome, rule_min_segments=4, rule_min_segment_share=0.03,
                   eligible_candidates=12, stable_eligible_candidates=12)
    text = " ".join(model_selection(ReportData({}, {"rpt_segment_run": run})))
    assert expected in text
    assert "Segment model version 2 scored run 3 (as of 2024-10-08): reused, not retrained" in text
    assert "trained in an earlier build (retrain requested)" in text
