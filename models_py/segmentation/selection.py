"""Model selection: score every candidate, then pick one by a documented rule.

Scores come from a fixed-size random sample (silhouette is quadratic in rows), so selection
costs the same at 1,000 or 5,000,000 customers. Stability is the mean adjusted Rand index
between the candidate's labels on the sample and its refits on bootstrap subsamples
(80 % of the sample, drawn without replacement).

Rule (``choose``):
1. Eligible: between ``ACTIONABLE_K`` segments (a marketing team can run 3-8 distinct coupon
   programmes, not 2 and not 10), every segment at least 2 % of customers, under 10 % noise.
2. Among eligible candidates with stability >= ``MIN_STABILITY``, the highest silhouette wins;
   silhouettes within ``SILHOUETTE_TIE`` count as equal and the fewer segments win, then the
   more stable. 3. If none is stable enough, the most stable eligible candidate wins.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

from models_py.cores import usable_cores
from models_py.processes import die_with
from models_py.segmentation.candidates import Candidate, candidate_grid, ward_tree
from models_py.segmentation.metrics import distance_matrix, quality

ACTIONABLE_K = (3, 8)
MIN_STABILITY = 0.8
SILHOUETTE_TIE = 0.01
MIN_SEGMENT_SHARE = 0.02
MAX_NOISE_SHARE = 0.10
BOOTSTRAPS = 5
SUBSAMPLE = 0.8
MAX_SCORING_WORKERS = 4


def _stability(candidate: Candidate, x: np.ndarray, labels: np.ndarray, seed: int) -> float:
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(BOOTSTRAPS):
        idx = np.sort(rng.choice(len(x), size=int(SUBSAMPLE * len(x)), replace=False))
        refit = clone(candidate)
        scores.append(adjusted_rand_score(labels[idx], refit.fit_predict(x[idx])))
    return float(np.mean(scores))


def score_candidate(candidate: Candidate, x: np.ndarray, seed: int,
                    distances: np.ndarray | None = None) -> dict[str, object]:
    """Fit one candidate on the sample and record every metric (NaN when it cannot fit,
    e.g. fewer distinct customers than k: it then simply is not eligible). ``distances``:
    the sample's ``distance_matrix``, shared by every candidate."""
    try:
        labels = candidate.fit_predict(x)
    except (ValueError, np.linalg.LinAlgError):
        labels = np.full(len(x), -1)
    found = labels[labels >= 0]
    sizes = np.bincount(found) if len(found) else np.array([0])
    row = {
        "algorithm": candidate.algorithm,
        "k": candidate.k,
        "params": candidate.params,
        "n_segments": int((sizes > 0).sum()),
        "noise_share": float((labels < 0).mean()),
        "smallest_segment_share": float(sizes.min() / len(x)) if len(found) else 0.0,
        **quality(x, labels, seed, distances),
    }
    row["stability_ari"] = _stability(candidate, x, labels, seed) if row["n_segments"] else np.nan
    return row


def eligible_mask(table: pd.DataFrame) -> pd.Series:
    """Rule 1 of the module docstring: an actionable number of usable segments."""
    return (
        table["n_segments"].between(*ACTIONABLE_K)
        & (table["smallest_segment_share"] >= MIN_SEGMENT_SHARE)
        & (table["noise_share"] <= MAX_NOISE_SHARE)
    )


# What the rule did, stored with the model so the report says it from data:
# eligible_stable      the rule as written (rule 2)
# eligible_most_stable no eligible candidate was stable enough: the most stable eligible one
# ineligible_stable    no candidate was eligible: the best silhouette among all stable ones
# ineligible_most_stable  neither eligible nor stable: the most stable of all
# single_segment       customers do not differ in behaviour: everyone in one segment
OUTCOMES = ("eligible_stable", "eligible_most_stable", "ineligible_stable",
            "ineligible_most_stable", "single_segment")


def rule_parameters() -> dict[str, float]:
    """The rule's constants as stored with each model (the report quotes these)."""
    return {
        "rule_min_segments": ACTIONABLE_K[0], "rule_max_segments": ACTIONABLE_K[1],
        "rule_min_segment_share": MIN_SEGMENT_SHARE, "rule_max_noise_share": MAX_NOISE_SHARE,
        "rule_min_stability": MIN_STABILITY, "rule_silhouette_tie": SILHOUETTE_TIE,
    }


def choose(table: pd.DataFrame) -> tuple[int, str]:
    """Index of the chosen row in a table of scored candidates (the rule in the docstring)
    and which branch of the rule chose it (one of ``OUTCOMES``)."""
    scored = table[table["silhouette"].notna()]
    if scored.empty:
        raise ValueError("no candidate produced two or more segments")
    eligible = scored[eligible_mask(scored)]
    prefix = "eligible" if not eligible.empty else "ineligible"
    if eligible.empty:
        eligible = scored
    stable = eligible[eligible["stability_ari"] >= MIN_STABILITY]
    if stable.empty:
        return int(eligible["stability_ari"].idxmax()), f"{prefix}_most_stable"
    best = stable["silhouette"].max()
    tied = stable[stable["silhouette"] >= best - SILHOUETTE_TIE]
    chosen = tied.sort_values(["n_segments", "stability_ari"], ascending=[True, False]).index[0]
    return int(chosen), f"{prefix}_stable"


def shuffled_silhouette(candidate: Candidate, x: np.ndarray, seed: int) -> float:
    """Silhouette of the same model on the features shuffled column by column.

    Shuffling keeps every feature's distribution but destroys how features go together, so
    this is what the silhouette looks like when there is no real segment structure: the
    honest baseline to read the chosen model's silhouette against.
    """
    rng = np.random.default_rng(seed + 1)
    shuffled = np.column_stack([rng.permutation(column) for column in x.T])
    refit = clone(candidate)
    return quality(shuffled, refit.fit_predict(shuffled), seed)["silhouette"]


def select_model(x: np.ndarray, k_min: int, k_max: int, seed: int
                 ) -> tuple[pd.DataFrame, Candidate, str]:
    """Score the grid on x; return the selection table (with eligibility), the winner
    (fitted on x) and the rule's outcome.

    The sample is small (a few thousand rows), where starting OpenMP/BLAS thread teams for
    each of ~180 fits costs more than it gains: one thread each. Candidates are scored in
    forked worker processes instead (``scoring_workers``), which share the sample and its
    distance matrix with this process and do not share its interpreter lock: training 1,000
    customers on the 2-core bench machine took 2.1 s so, 2.9 s one by one and 4.0 s with two
    threads, which took turns on the lock (one-off timings). Every candidate is seeded on its
    own, so the table is the same whichever way it is scored.
    """
    with threadpool_limits(limits=1):
        grid = candidate_grid(x, k_min, k_max, seed)
        distances = distance_matrix(x)
        scored = _score_grid(grid, x, seed, distances)
        table = pd.DataFrame([row for row, _ in scored])
        chosen, outcome = choose(table)
        table["is_chosen"] = table.index == chosen
        table["is_eligible"] = eligible_mask(table)
        winner = scored[chosen][1]
        table["shuffled_silhouette"] = np.where(
            table["is_chosen"], shuffled_silhouette(winner, x, seed), np.nan
        )
    return table, winner, outcome


def scoring_workers() -> int:
    """Worker processes for scoring: the cores this process may use (its affinity, capped by
    a cgroup CPU quota), at most ``MAX_SCORING_WORKERS``; 1 (score here, one by one) where
    processes cannot be forked."""
    if "fork" not in mp.get_all_start_methods():
        return 1
    return min(MAX_SCORING_WORKERS, usable_cores())


def _score_grid(grid: list[Candidate], x: np.ndarray, seed: int,
                distances: np.ndarray | None) -> list[tuple[dict, Candidate]]:
    """(metrics row, fitted candidate) for every candidate, in grid order."""
    workers = scoring_workers()
    if workers == 1:
        return [_score(candidate, x, seed, distances) for candidate in grid]
    if any(candidate.algorithm == "ward" for candidate in grid):
        ward_tree(x)  # built once here and inherited, not once per worker
    # Forked, so the workers read grid, x and the distances from this process's memory
    # (initargs are not pickled under fork); only each result travels back. An executor,
    # not a Pool: a worker that dies (out of memory, a crash) fails the map with
    # BrokenProcessPool instead of leaving it waiting for ever.
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork"), initializer=_share,
                             initargs=(os.getpid(), grid, x, seed, distances)) as pool:
        return list(pool.map(_score_shared, range(len(grid))))


_SHARED: tuple = ()


def _share(parent: int, grid: list[Candidate], x: np.ndarray, seed: int,
           distances: np.ndarray | None) -> None:
    """Worker start: die with the training process (a fork does not inherit that), one
    thread per numeric library, and the shared inputs."""
    global _SHARED
    die_with(parent)
    threadpool_limits(limits=1)
    _SHARED = (grid, x, seed, distances)


def _score_shared(index: int) -> tuple[dict, Candidate]:
    grid, x, seed, distances = _SHARED
    return _score(grid[index], x, seed, distances)


def _score(candidate: Candidate, x: np.ndarray, seed: int,
           distances: np.ndarray | None) -> tuple[dict, Candidate]:
    return score_candidate(candidate, x, seed, distances), candidate
