"""Two to four sentences per page, written from the views' rows with their numbers.

Every number quoted here is read from a rpt_ view row; the sentences only choose words.
"""

from __future__ import annotations

import pandas as pd

from dashboards.data import ReportData


def _pct(value: float | None) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:.0%}"


def _kpi(data: ReportData, kpi: str) -> pd.Series:
    rows = data["rpt_kpis"]
    return rows[rows["kpi"] == kpi].iloc[0]


def _facts(data: ReportData) -> pd.Series:
    return data["rpt_insight_facts"].iloc[0]


def demographics(data: ReportData) -> list[str]:
    gender, city, f = data["rpt_customers_by_gender"], data["rpt_customers_by_city"], _facts(data)
    top = city.iloc[0]
    customers = int(_kpi(data, "customers")["value"])
    mix = " and ".join(f"{r.share:.0%} {r.gender_name.lower()}" for r in gender.itertuples())
    return [
        f"The {customers:,} customers are {mix}.",
        f"{top.city_name} has the most customers ({int(top.customers):,}, {top.share:.0%}); "
        f"{f.smallest_city} the fewest ({int(f.smallest_city_customers):,}). "
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
    lines = [
        f"Claims peaked in {f.peak_claim_month:%B %Y} with {int(f.peak_claims):,}; "
        f"{int(f.total_claims):,} coupons were claimed and {int(f.total_burns):,} burnt in all.",
        f"{_pct(rate)} of claims old enough to have run their {int(ctx.burn_window_days)}-day "
        "burn window were burnt.",
    ]
    if pd.notna(f.best_matured_month):
        lines.append(
            f"Monthly burn rates of matured claims range from "
            f"{_pct(f.worst_matured_month_rate)} ({f.worst_matured_month:%b %Y}) to "
            f"{_pct(f.best_matured_month_rate)} ({f.best_matured_month:%b %Y}); the last "
            "months read low only because their claims have not finished their window."
        )
    if ctx.last_claim_date is not None and ctx.as_of_date > ctx.last_claim_date:
        gap = (pd.Timestamp(ctx.as_of_date) - pd.Timestamp(ctx.last_claim_date)).days
        lines.append(
            f"The last claim is dated {ctx.last_claim_date:%d %b %Y}, {gap} days before the "
            f"as-of date: the feed of new claims stops there, so recent KPIs show no claims."
        )
    return lines[:4]


def performers(data: ReportData) -> list[str]:
    cities, branches, f = data["rpt_top_cities"], data["rpt_top_branches"], _facts(data)
    lines = []
    if not cities.empty:
        c = cities.iloc[0]
        lines.append(f"{c.city_name} leads burns with {int(c.burns):,} "
                     f"(matured burn rate {_pct(c.matured_burn_rate)}).")
    if not branches.empty and pd.notna(f.top_branch_burn_share):
        b = branches.iloc[0]
        lines.append(f"{b.branch_label} ({b.merchant_name}) is the busiest branch: "
                     f"{int(b.burns):,} burns, {f.top_branch_burn_share:.0%} of all burns over "
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
        lines.append(f"Over the whole period the matured burn rate ranges from "
                     f"{_pct(f.worst_city_burn_rate)} in {f.worst_burn_rate_city} to "
                     f"{_pct(f.best_city_burn_rate)} in {f.best_burn_rate_city}.")
    if pd.notna(f.thin_city_month_share):
        lines.append(f"{f.thin_city_month_share:.0%} of the city-months rest on fewer than 5 "
                     "claims; their very dark or very light cells are noise, not a trend.")
    return lines


def loyalty(data: ReportData) -> list[str]:
    s, f = data["rpt_loyalty_summary"].iloc[0], _facts(data)
    lines = [
        f"{s.repeat_share:.0%} of customers claimed more than once "
        f"({int(s.repeat_customers):,} of {int(s.customers):,}); "
        f"{int(s.customers_without_claims):,} never claimed.",
    ]
    if pd.notna(f.most_common_claim_count):
        lines.append(f"The typical customer claims {s.median_claims:.0f} coupons (median; "
                     f"mean {s.mean_claims:.1f}); {int(f.most_common_claim_count)} claims is "
                     "the most common count.")
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
        f"{int(f.lift_segments)} segment(s) have offers whose burn rate clears the segment's "
        f"own (95 % interval, at least {int(f.offer_min_claims)} matured claims); "
        f"{int(f.fallback_segments)} fall back to their most-claimed merchants. With several "
        "offers tested per segment, some clear it by chance: the holdout proves it."]


def campaign_plan(data: ReportData) -> list[str]:
    """Who gets a campaign, who is held out, and the largest expected gain."""
    f = data["rpt_campaign_facts"].iloc[0]
    lines = [
        f"{int(f.targeted_segments)} of {int(f.segments)} segments get a campaign (priority "
        f"1 to {int(f.campaign_max_priority)}): {int(f.treatment_customers):,} customers receive "
        f"offers and {int(f.holdout_customers):,} are held out ({f.holdout_share:.0%} of each "
        f"targeted segment, drawn from the customer id and seed {f.campaign_seed}) to measure "
        "the effect" + (f"; {int(f.no_campaign_customers):,} stay in the regular programme."
                        if f.no_campaign_customers else "."),
    ]
    if pd.notna(f.top_gain_burns_per_month) and f.top_gain_burns_per_month > 0:
        lines.append(
            f"Largest expected gain: {f.top_gain_segment}, {f.top_gain_burns_per_month:.1f} more "
            f"burns a month at its target rate; {f.targeted_burns_per_month_gained:.1f} a month "
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


def segments(data: ReportData) -> list[str]:
    if not data.has_segments:
        return []
    sel = data["rpt_model_selection"]
    chosen = sel[sel["is_chosen"]].iloc[0]
    sizes = data["rpt_segment_sizes"]
    if chosen.algorithm == "none":
        customers = int(_kpi(data, "customers")["value"])
        return [f"All {customers:,} customers behave identically in this input (for example: "
                "no valid transactions), so there is nothing to cluster: everyone is in one "
                "segment."]
    biggest = sizes.sort_values(["customers", "segment_id"], ascending=[False, True]).iloc[0]
    strength = _structure_strength(chosen.silhouette, chosen.shuffled_silhouette)
    return [
        f"{len(sel)} candidate models were compared; the rule chose {chosen.algorithm} with "
        f"{int(chosen.n_segments)} segments (silhouette {chosen.silhouette:.2f}, "
        f"Davies-Bouldin {chosen.davies_bouldin:.2f}, stability {chosen.stability_ari:.2f}).",
        f"A silhouette of {chosen.silhouette:.2f} means {strength} separation between segments "
        f"(the same model on shuffled features scores {chosen.shuffled_silhouette:.2f})"
        + ("; treat the segments as tendencies, not hard types."
           if strength in ("weak", "no substantial") else "."),
        f"The largest segment is {biggest.segment_name} with {int(biggest.customers):,} "
        f"customers ({biggest.share:.0%}).",
    ]

