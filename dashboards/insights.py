"""Two to four sentences per page, written from the views' rows with their numbers.

Every number quoted here is read from a rpt_ view row; the sentences only choose words.
"""

from __future__ import annotations

import pandas as pd

from dashboards.data import ReportData
from dashboards.numbers import one_decimal, setting_percent


def _pct(value: float | None) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:.0%}"


def _kpi(data: ReportData, kpi: str) -> pd.Series:
    rows = data["rpt_kpis"]
    return rows[rows["kpi"] == kpi].iloc[0]


def _tied(frame: pd.DataFrame, value: str, label: str, target: object) -> list[str]:
    """Every label whose value equals ``target``, in the frame's order: a first place (or a
    last) shared by several is said of all of them, never of whichever sorted first."""
    return [str(v) for v in frame.loc[frame[value] == target, label]]


def _names(labels: list[str], most: int = 3) -> str:
    """'A', 'A and B', 'A, B and C', 'A, B, C and 2 more'."""
    if len(labels) > most:
        return f"{', '.join(labels[:most])} and {len(labels) - most} more"
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def _each(labels: list[str]) -> str:
    return " each" if len(labels) > 1 else ""


def _plural(count: int, word: str, words: str | None = None) -> str:
    """'1 claim', '2 claims', '0 claims'."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


def _at_least(count: float, word: str) -> str:
    """' with at least 30 claims'; nothing when the threshold is 0 (every row counts)."""
    return f" with at least {_plural(int(count), word)}" if count > 0 else ""


def _rate_range(rows: pd.DataFrame, rate: str, label: str, low: float, high: float,
                kind: str, at: str) -> str:
    """'ranges from 0% in A to 90% in B and C' over the rows the view's figure was taken
    from. Rates are compared as shown (whole percents): every row that reads as the lowest
    or highest is named, and one shown rate for all is said as such, never as a range from
    a value to itself."""
    shown = rows[rate].map(_pct)
    worst, best = ([str(v) for v in rows.loc[shown == _pct(value), label]]
                   for value in (low, high))
    if len(rows) == 1:
        return f"is {_pct(high)} in {best[0]}, the only {kind}{at}"
    if _pct(low) == _pct(high):
        return f"is {_pct(high)} in every {kind}{at}"
    return f"ranges from {_pct(low)} in {_names(worst)} to {_pct(high)} in {_names(best)}{at}"


def _facts(data: ReportData) -> pd.Series:
    return data["rpt_insight_facts"].iloc[0]


def demographics(data: ReportData) -> list[str]:
    gender, city, f = data["rpt_customers_by_gender"], data["rpt_customers_by_city"], _facts(data)
    top = city.iloc[0]
    customers = int(_kpi(data, "customers")["value"])
    mix = " and ".join(f"{r.share:.0%} {r.gender_name.lower()}" for r in gender.itertuples())
    most = _tied(city, "customers", "city_name", top.customers)
    fewest = _tied(city, "customers", "city_name", f.smallest_city_customers)
    shared = ([f"{int(f.shared_city_names)} city name"
               f"{' is' if f.shared_city_names == 1 else 's are'} carried by more than one city "
               f"id ({f.shared_city_name_ids}): the report counts each name as one city "
               "(marts.dim_customers keeps the ids apart)."] if f.shared_city_names else [])
    return [
        f"The {customers:,} customers are {mix}.",
        *shared,
        f"{_names(most)} {'has' if len(most) == 1 else 'have'} the most customers "
        f"({int(top.customers):,}{_each(most)}, {top.share:.0%}); "
        f"{_names(fewest)} the fewest ({int(f.smallest_city_customers):,}{_each(fewest)}). "
        f"The top three cities hold {f.top3_city_share:.0%} of the base across "
        f"{int(f.city_count)} cities.",
        "A coupon plan that works in one city can be tested city by city: no single city "
        "dominates the base." if top.share < 0.25 else
        f"Results are driven by {top.city_name}: test new coupons there first.",
    ]


def usage(data: ReportData) -> list[str]:
    ctx, f = data["rpt_run_context"].iloc[0], _facts(data)
    if pd.isna(f.peak_claim_month):
        return ["No transactions in this input."]
    rate = _kpi(data, "matured_burn_rate")["value"]
    monthly = data["rpt_monthly_usage"]
    peaks = [f"{m:%B %Y}" for m in monthly.loc[monthly["claims"] == f.peak_claims, "month"]]
    lines = [
        f"Claims peaked in {_names(peaks)} with {int(f.peak_claims):,}{_each(peaks)}; "
        f"{int(f.total_claims):,} coupons were claimed and {int(f.total_burns):,} burnt in all.",
        f"{_pct(rate)} of claims old enough to have run their {int(ctx.burn_window_days)}-day "
        "burn window were burnt.",
    ]
    if pd.notna(f.best_matured_month):
        # the months rpt_insight_facts chose from, to name each that shares an extreme
        months = monthly[monthly["is_insight_month"]]
        months = months.assign(label=[f"{m:%b %Y}" for m in months["month"]])
        lines.append(
            "The monthly burn rate of matured claims "
            + _rate_range(months, "burn_rate", "label", f.worst_matured_month_rate,
                          f.best_matured_month_rate, "month",
                          _at_least(f.insight_min_month_claims, "claim"))
            + "; months whose claims are still inside the burn window are left out, since "
            "those claims may yet be burnt."
        )
    if ctx.last_claim_date is not None and ctx.as_of_date > ctx.last_claim_date:
        gap = (pd.Timestamp(ctx.as_of_date) - pd.Timestamp(ctx.last_claim_date)).days
        lines.append(
            f"The last claim is dated {ctx.last_claim_date:%d %b %Y}, {gap} days before the "
            f"as-of date: the feed of new claims stops there, so the claim KPIs count the "
            f"{int(ctx.kpi_period_days)} days up to it, not a fall to zero."
        )
    return lines[:4]


def performers(data: ReportData) -> list[str]:
    cities, branches, f = data["rpt_top_cities"], data["rpt_top_branches"], _facts(data)
    lines = []
    if not cities.empty and cities.iloc[0].burns == 0:
        lines.append("No coupon has been burnt yet, so no city, branch or merchant leads.")
    elif not cities.empty:
        c = cities.iloc[0]
        leaders = _tied(cities, "burns", "city_name", c.burns)
        if len(leaders) == 1:
            lines.append(f"{c.city_name} leads burns with {int(c.burns):,} "
                         f"(matured burn rate {_pct(c.matured_burn_rate)}).")
        else:
            lines.append(f"{_names(leaders)} lead burns with {int(c.burns):,} each.")
    if not branches.empty and pd.notna(f.top_branch_burn_share):
        b = branches.iloc[0]
        busiest = [f"{r.branch_label} ({r.merchant_name})"
                   for r in branches[branches["burns"] == b.burns].itertuples()]
        verb = "is the busiest branch" if len(busiest) == 1 else "are the busiest branches"
        lines.append(f"{_names(busiest)} {verb}: {int(b.burns):,} burns{_each(busiest)}, "
                     f"{f.top_branch_burn_share:.0%} of all burns{_each(busiest)} over "
                     f"{int(f.branch_count)} branches.")
    if f.merchants_without_branch:
        lines.append(f"{int(f.merchants_without_branch)} of {int(f.merchant_count)} merchants "
                     "own no branch, so they cannot receive burns: they are listed, not ranked "
                     "as zero sellers.")
    return lines


def city_months(data: ReportData) -> list[str]:
    f = _facts(data)
    lines = ["Share of each month's matured claims that were burnt, per city. Months whose "
             "claims are still inside the burn window are left out rather than shown as low."]
    if pd.notna(f.best_burn_rate_city):
        # the cities rpt_insight_facts chose from, to name each that shares an extreme
        cities = data["rpt_top_cities"]
        cities = cities[cities["is_insight_city"]]
        at = _at_least(f.insight_min_city_claims, "matured claim")
        lines.append("Over the whole period the matured burn rate "
                     + _rate_range(cities, "matured_burn_rate", "city_name",
                                   f.worst_city_burn_rate, f.best_city_burn_rate, "city", at)
                     + ".")
    if pd.notna(f.thin_city_month_share):
        lines.append(f"{f.thin_city_month_share:.0%} of the city-months rest on fewer than "
                     f"{int(f.thin_cell_claims)} claims; their very dark or very light cells "
                     "are noise, not a trend.")
    return lines


def loyalty(data: ReportData) -> list[str]:
    s, f = data["rpt_loyalty_summary"].iloc[0], _facts(data)
    lines = [
        f"{s.repeat_share:.0%} of customers claimed more than once "
        f"({int(s.repeat_customers):,} of {int(s.customers):,}); "
        f"{int(s.customers_without_claims):,} never claimed.",
    ]
    if pd.notna(f.most_common_claim_count):
        frequency = data["rpt_usage_frequency"]
        counts = [int(c) for c in frequency.loc[
            frequency["customers"] == frequency["customers"].max(), "claims_per_customer"]]
        common = (f"{_plural(counts[0], 'claim')} is the most common count"
                  if len(counts) == 1 else
                  f"{_names([str(c) for c in counts])} claims are equally the most common "
                  "counts")
        lines.append(f"The typical customer claims {s.median_claims:.0f} coupons (median; "
                     f"mean {s.mean_claims:.1f}); {common}.")
    if pd.notna(s.median_days_to_burn):
        lines.append(f"Burnt coupons are used a median {s.median_days_to_burn:.0f} days after "
                     f"claiming (mean {s.mean_days_to_burn:.0f}); reminders belong inside that "
                     "window.")
    return lines


def campaign_offers(data: ReportData) -> list[str]:
    """What the recommended offers rest on: a proven lift or the most-claimed fallback."""
    f = data["rpt_campaign_facts"].iloc[0]
    if f.lift_segments == 0:
        return [
            "No merchant or coupon burns significantly better than its segment's own rate (95 % "
            f"interval, at least {int(f.offer_min_claims)} matured claims), as expected when "
            "merchants make no difference: the offers shown are each segment's most-claimed "
            "merchants, labelled as a fallback."]
    return [
        f"{_plural(int(f.lift_segments), 'segment')} "
        f"{'has' if f.lift_segments == 1 else 'have'} offers whose burn rate clears the segment's "
        f"own (95 % interval, at least {int(f.offer_min_claims)} matured claims); "
        f"{int(f.fallback_segments)} "
        f"{'falls back to its' if f.fallback_segments == 1 else 'fall back to their'} "
        "most-claimed merchants. With several "
        "offers tested per segment, some clear it by chance: the holdout proves it."]


def campaign_plan(data: ReportData) -> list[str]:
    """Who gets a campaign, who is held out, and the largest expected gain."""
    f = data["rpt_campaign_facts"].iloc[0]
    lines = [
        f"{int(f.targeted_segments)} of {int(f.segments)} segments get a campaign (priority "
        f"1 to {int(f.campaign_max_priority)}): {int(f.treatment_customers):,} customers receive "
        f"offers and {int(f.holdout_customers):,} are held out (each customer whose draw from "
        f"the customer id and seed {f.campaign_seed} falls in the lowest "
        f"{setting_percent(f.holdout_share)}: "
        "the same customers every week) to measure the effect"
        + (f"; {int(f.no_campaign_customers):,} stay in the regular programme."
           if f.no_campaign_customers else "."),
    ]
    if pd.notna(f.top_gain_burns_per_month) and f.top_gain_burns_per_month > 0:
        lines.append(
            f"Largest expected gain: {f.top_gain_segment}, "
            f"{one_decimal(f.top_gain_burns_per_month)} more burns a month from its "
            f"{int(f.top_gain_treatment_customers):,} treated customers at its target rate "
            f"({one_decimal(f.top_gain_segment_burns_per_month)} if the whole segment were "
            "treated: the holdout keeps today's rate); "
            f"{one_decimal(f.targeted_burns_per_month_gained)} a month "
            "over all targeted segments (each assumption is in the table).")
    else:
        lines.append("No targeted segment is below its target rate, so no gain is assumed.")
    return lines


def _structure_strength(silhouette: float, shuffled: float) -> str:
    """Kaufman & Rousseeuw's silhouette bands, downgraded when shuffled features (no real
    structure) score almost as well."""
    bands = ((0.7, "strong"), (0.5, "reasonable"), (0.25, "weak"))
    strength = next((name for floor, name in bands if silhouette > floor), "no substantial")
    if pd.notna(shuffled) and silhouette - shuffled < 0.05:
        strength = "no substantial"
    return strength


def _run(data: ReportData) -> pd.Series:
    return data["rpt_segment_run"].iloc[0]


def model_version(data: ReportData) -> str:
    """Which stored model scored the run, when it was trained, and whether this build did."""
    run = _run(data)
    head = (f"Segment model version {int(run.model_version)} scored run {int(run.run_id)} "
            f"(as of {run.as_of_date:%Y-%m-%d})")
    trained = (f"on data as of {run.trained_as_of:%Y-%m-%d}, on a sample of "
               f"{int(run.sample_rows):,} customers")
    if run.model_trained:
        return f"{head}: trained in this build ({run.training_reason}) {trained}."
    return (f"{head}: reused, not retrained; it was trained in an earlier build "
            f"({run.model_training_reason}) {trained}.")


def segments(data: ReportData) -> list[str]:
    if not data.has_segments:
        return []
    run = _run(data)
    sizes = data["rpt_segment_sizes"]
    if run.selection_outcome == "single_segment":
        return [f"All {int(run.customers):,} customers behave identically in this model's "
                "training sample (for example: no valid transactions), so there is nothing to "
                "cluster: everyone is in one segment."]
    biggest = sizes.sort_values(["customers", "segment_id"], ascending=[False, True]).iloc[0]
    strength = _structure_strength(run.silhouette, run.shuffled_silhouette)
    holding = int((sizes["customers"] > 0).sum())
    # A reused model may leave a segment empty in this run (its customers moved elsewhere).
    empty = (f"; {holding} of them hold customers in this run"
             if holding < int(run.n_segments) else "")
    return [
        f"{int(run.candidates)} candidate models were compared; the rule chose {run.algorithm} "
        f"with {int(run.n_segments)} segments{empty} (silhouette {run.silhouette:.2f}, "
        f"Davies-Bouldin {run.davies_bouldin:.2f}, stability {run.stability_ari:.2f}, on the "
        f"training sample of the model's build as of {run.trained_as_of:%Y-%m-%d}).",
        f"A silhouette of {run.silhouette:.2f} means {strength} separation between segments "
        f"(the same model on shuffled features scores {run.shuffled_silhouette:.2f})"
        + ("; treat the segments as tendencies, not hard types."
           if strength in ("weak", "no substantial") else "."),
        f"The largest segment is {biggest.segment_name} with {int(biggest.customers):,} "
        f"customers ({biggest.share:.0%}).",
    ]


def _rule(run: pd.Series) -> str:
    return (f"{int(run.rule_min_segments)} to {int(run.rule_max_segments)} segments of at "
            f"least {run.rule_min_segment_share:.0%} of customers each and at most "
            f"{run.rule_max_noise_share:.0%} noise")


def model_selection(data: ReportData) -> list[str]:
    """What the selection rule did for the scoring model, fallbacks included, quoting the
    rule's parameters as stored with the model."""
    run = _run(data)
    intro = ("Each algorithm was fitted for every k and scored on the same training sample "
             f"({int(run.sample_rows):,} customers). Silhouette (higher is better) and "
             "Davies-Bouldin (lower is better) measure separation; inertia always falls as k "
             "grows, so look for its elbow; stability is the mean adjusted Rand index over "
             "bootstrap refits (1 = identical segments every time).")
    chosen = f"{run.algorithm} ({run.params}) with {int(run.n_segments)} segments"
    stable = f"stability of at least {run.rule_min_stability:.2f}"
    tie = (f"silhouettes within {run.rule_silhouette_tie:.2f} count as equal and then fewer "
           "segments win")
    outcome = run.selection_outcome
    if outcome == "single_segment":
        return ["Customers in the training sample do not differ in behaviour, so no model was "
                "selected: everyone is in one segment.", model_version(data)]
    if outcome == "eligible_stable":
        among = (f"the best silhouette among the {int(run.stable_eligible_candidates)} "
                 f"candidates" if run.stable_eligible_candidates != 1 else "the only candidate")
        why = f"Chosen: {chosen}, {among} with {_rule(run)} and {stable} ({tie})."
    elif outcome == "eligible_most_stable":
        one = run.eligible_candidates == 1
        why = (f"{int(run.eligible_candidates)} {'candidate' if one else 'candidates'} had "
               f"{_rule(run)}, but {'it did not reach' if one else 'none reached'} a {stable}; "
               f"the rule fell back to {'it' if one else 'the most stable of them'}: {chosen} "
               f"(stability {run.stability_ari:.2f}).")
    else:
        branch = (f"the best silhouette among those with a {stable} ({tie})"
                  if outcome == "ineligible_stable" else "the most stable of them")
        why = (f"No candidate had {_rule(run)}, so the rule fell back to all "
               f"{int(run.candidates)} candidates and chose {branch}: {chosen} "
               f"(stability {run.stability_ari:.2f}); these segments are not an actionable "
               "split.")
    return [intro, why, model_version(data)]


def labels_pruned(run: pd.Series) -> bool:
    """Whether the run this one is compared with has no labels left in segment_history
    (deleted by the history's retention, segment_history_keep_runs, in this build or an
    earlier one with its own setting), which leaves nothing to compare."""
    kept = run.previous_run_labels_kept
    return bool(pd.notna(run.previous_run_id) and pd.notna(kept) and not kept)


def corrected_join_dates(run: pd.Series) -> list[str]:
    """Customers whose join date differs from the one the checked run saw: a value changed in
    the feed, which the history still counts as the same customer, said rather than hidden
    (segment_feed_check stops the build only when most customers differ)."""
    other = run.feed_other_join_date
    if pd.isna(run.feed_checked_run_id) or pd.isna(other) or not int(other):
        return []
    return [f"{int(other):,} of the {int(run.feed_previous_customers):,} customers run "
            f"{int(run.feed_checked_run_id)} labelled have another join date in this input "
            "than that run saw (corrected in the feed, or other people under the same ids); "
            "the segment history matches customers by id, so it takes them for the same "
            "customers."]


def transitions(data: ReportData) -> list[str]:
    """The largest movements between the previous run and this one, in numbers."""
    rows = data["rpt_segment_transitions"]
    run = _run(data)
    if rows.empty and labels_pruned(run):
        return [f"Run {int(run.previous_run_id)} (as of {run.previous_as_of_date:%Y-%m-%d}) is "
                f"the run before this one (run {int(run.run_id)}) in time, but its segment "
                "labels are no longer in segment_history (the dbt var "
                "segment_history_keep_runs bounds how many runs' labels are kept), so there "
                "is nothing to compare with.", *corrected_join_dates(run), model_version(data)]
    if rows.empty and int(run.run_id) > 1:  # a backfill: every earlier run is of a later date
        return [f"No earlier run in this warehouse is as of {run.as_of_date:%Y-%m-%d} or "
                f"before (this is run {int(run.run_id)}, a backfill of an earlier date): there "
                "is nothing before it to compare with.", *corrected_join_dates(run),
                model_version(data)]
    if rows.empty:
        return [f"This is the first run in this warehouse (run {int(run.run_id)}, as of "
                f"{run.as_of_date:%Y-%m-%d}): there is no earlier run to compare with.",
                model_version(data)]
    first = rows.iloc[0]
    lines = [
        f"Since run {int(first.previous_run_id)} (as of {first.previous_as_of_date:%Y-%m-%d}), "
        f"{int(run.customers_in_both_runs):,} customers were present in both runs; "
        f"{int(run.customers_moved):,} of them ({run.moved_share:.0%}) changed segment."
        if run.customers_in_both_runs else "No customer was present in both runs.",
    ]
    for row in rows[rows["transition"] == "moved"].head(3).itertuples():
        lines.append(f"{int(row.customers):,} {row.previous_segment_name} became "
                     f"{row.current_segment_name} ({row.share_of_previous_segment:.0%} of "
                     f"{row.previous_segment_name}).")
    new, gone = int(run.customers_new), int(run.customers_gone)
    if new or gone:
        lines.append(f"{new:,} customers are new since the last run; {gone:,} are no longer "
                     "present.")
    if int(run.previous_model_version) != int(run.model_version):
        lines.append(f"The previous run was scored by model version "
                     f"{int(run.previous_model_version)}, this one by version "
                     f"{int(run.model_version)}: a customer whose segment has the same "
                     "type in both stayed.")
    return [*lines, *corrected_join_dates(run), model_version(data)]
