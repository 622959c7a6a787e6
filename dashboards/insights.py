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


def demographics(data: ReportData) -> list[str]:
    gender, city = data["rpt_customers_by_gender"], data["rpt_customers_by_city"]
    top, bottom = city.iloc[0], city.iloc[-1]
    top3 = city.head(3)["share"].sum()
    mix = " and ".join(f"{r.share:.0%} {r.gender_name.lower()}" for r in gender.itertuples())
    return [
        f"The {int(gender['customers'].sum()):,} customers are {mix}.",
        f"{top.city_name} has the most customers ({int(top.customers):,}, {top.share:.0%}); "
        f"{bottom.city_name} the fewest ({int(bottom.customers):,}). "
        f"The top three cities hold {top3:.0%} of the base across {len(city)} cities.",
        "A coupon plan that works in one city can be tested city by city: no single city "
        "dominates the base." if top.share < 0.25 else
        f"Results are driven by {top.city_name}: test new coupons there first.",
    ]


def usage(data: ReportData) -> list[str]:
    monthly, ctx = data["rpt_monthly_usage"], data["rpt_run_context"].iloc[0]
    if monthly.empty:
        return ["No transactions in this input."]
    peak = monthly.loc[monthly["claims"].idxmax()]
    matured = monthly[monthly["is_matured"]]
    rate = _kpi(data, "matured_burn_rate")["value"]
    lines = [
        f"Claims peaked in {peak.month:%B %Y} with {int(peak.claims):,}; "
        f"{int(monthly['claims'].sum()):,} coupons were claimed and "
        f"{int(monthly['burns'].sum()):,} burnt in all.",
        f"{_pct(rate)} of claims old enough to have run their {int(ctx.burn_window_days)}-day "
        "burn window were burnt.",
    ]
    if not matured.empty:
        best = matured.loc[matured["burn_rate"].idxmax()]
        worst = matured.loc[matured["burn_rate"].idxmin()]
        lines.append(
            f"Monthly burn rates of matured claims range from {_pct(worst.burn_rate)} "
            f"({worst.month:%b %Y}) to {_pct(best.burn_rate)} ({best.month:%b %Y}); the last "
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
    cities, branches = data["rpt_top_cities"], data["rpt_top_branches"]
    merchants = data["rpt_top_merchants"]
    lines = []
    if not cities.empty:
        c = cities.iloc[0]
        lines.append(f"{c.city_name} leads burns with {int(c.burns):,} "
                     f"(matured burn rate {_pct(c.matured_burn_rate)}).")
    if not branches.empty:
        b = branches.iloc[0]
        share = b.burns / max(branches["burns"].sum(), 1)
        lines.append(f"{b.branch_label} ({b.merchant_name}) is the busiest branch: "
                     f"{int(b.burns):,} burns, {share:.0%} of all burns over "
                     f"{len(branches)} branches.")
    without = merchants[~merchants["has_branch"]]
    if not without.empty:
        lines.append(f"{len(without)} of {len(merchants)} merchants own no branch, so they "
                     "cannot receive burns: they are listed, not ranked as zero sellers.")
    return lines


def city_months(data: ReportData) -> list[str]:
    cities = data["rpt_top_cities"].dropna(subset=["matured_burn_rate"])
    cells = data["rpt_city_month_burn_rate"]
    lines = ["Share of each month's matured claims that were burnt, per city. Months whose "
             "claims are still inside the burn window are left out rather than shown as low."]
    if not cities.empty:
        best = cities.loc[cities["matured_burn_rate"].idxmax()]
        worst = cities.loc[cities["matured_burn_rate"].idxmin()]
        lines.append(f"Over the whole period the matured burn rate ranges from "
                     f"{_pct(worst.matured_burn_rate)} in {worst.city_name} to "
                     f"{_pct(best.matured_burn_rate)} in {best.city_name}.")
    if not cells.empty:
        small = (cells["matured_claims"] < 5).mean()
        lines.append(f"{small:.0%} of the city-months rest on fewer than 5 claims; their very "
                     "dark or very light cells are noise, not a trend.")
    return lines


def loyalty(data: ReportData) -> list[str]:
    s = data["rpt_loyalty_summary"].iloc[0]
    freq = data["rpt_usage_frequency"]
    mode = freq.loc[freq["customers"].idxmax()] if not freq.empty else None
    lines = [
        f"{s.repeat_share:.0%} of customers claimed more than once "
        f"({int(s.repeat_customers):,} of {int(s.customers):,}); "
        f"{int(s.customers_without_claims):,} never claimed.",
    ]
    if mode is not None:
        lines.append(f"The typical customer claims {s.median_claims:.0f} coupons (median; "
                     f"mean {s.mean_claims:.1f}); {int(mode.claims_per_customer)} claims is the "
                     "most common count.")
    if pd.notna(s.median_days_to_burn):
        lines.append(f"Burnt coupons are used a median {s.median_days_to_burn:.0f} days after "
                     f"claiming (mean {s.mean_days_to_burn:.0f}); reminders belong inside that "
                     "window.")
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
        return [f"All {int(sizes['customers'].sum()):,} customers behave identically in this "
                "input (for example: no valid transactions), so there is nothing to cluster: "
                "everyone is in one segment."]
    biggest = sizes.loc[sizes["customers"].idxmax()]
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
