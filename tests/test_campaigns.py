"""Campaign marts on the real workbook: offers per segment with intervals, expected impact,
the audience with its holdout, and the readout analysis run on a real export."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pypdf
from conftest import REAL_WORKBOOK, couponseg, query

from models_py.loader import INPUT_ENV
from models_py.paths import DBT_PROJECT_DIR, PROFILES_DIR, WAREHOUSE_ENV


def _dbt(*args: str, warehouse: Path, target: Path) -> subprocess.CompletedProcess:
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run(
        [str(dbt), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
         str(PROFILES_DIR), "--target-path", str(target)],
        env={**os.environ, WAREHOUSE_ENV: str(warehouse), INPUT_ENV: str(REAL_WORKBOOK)},
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    return result


def test_affinity_covers_every_segment_and_only_branch_owners(real_built):
    w = real_built.warehouse
    segments = set(query(w, "select segment_id from segments.segment_profiles")["segment_id"])
    affinity = query(w, "select * from segments.segment_offer_affinity")
    assert set(affinity["segment_id"]) == segments
    owners = set(query(w, "select merchant_id from marts.dim_merchants where has_branch")
                 ["merchant_id"])
    assert len(owners) == 8  # fact of the real workbook: 12 of 20 merchants own no branch
    assert set(affinity["merchant_id"]) == owners
    assert (affinity["offer_level"] == "merchant").all()  # every coupon name is unique
    assert len(affinity) == len(segments) * len(owners)
    # the interval and the lift are consistent with their counts
    row = affinity[affinity["matured_claims"] > 0].iloc[0]
    p, n = row["matured_burns"] / row["matured_claims"], row["matured_claims"]
    assert row["burn_rate_low"] < p < row["burn_rate_high"]
    assert abs(row["lift"] - p / row["segment_burn_rate"]) < 1e-9
    # 95 % Wilson, checked against the formula
    z = 1.96
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5
    assert abs(row["burn_rate_low"] - (centre - half)) < 1e-9


def test_recommendations_labelled_and_fallback_on_random_data(real_built):
    impact = query(real_built.warehouse, "select * from segments.segment_impact")
    affinity = query(real_built.warehouse, "select * from segments.segment_offer_affinity")
    for seg in impact.itertuples():
        picks = affinity[(affinity.segment_id == seg.segment_id) & affinity.is_recommended]
        picks = picks.sort_values("recommendation_rank")
        assert seg.recommended_offers == "; ".join(picks["offer_name"])
        assert set(picks["recommendation_basis"]) == {seg.recommendation_basis}
        if seg.recommendation_basis == "most_claimed_fallback":
            assert "most-claimed merchants instead" in seg.recommendation_label
            seg_rows = affinity[affinity.segment_id == seg.segment_id]
            top = seg_rows.sort_values(["claims", "merchant_name"], ascending=[False, True])
            assert list(picks["offer_name"]) == list(top["offer_name"][:len(picks)])
    # the faker's data has no real merchant effect: expect the fallback somewhere
    assert (impact["recommendation_basis"] == "most_claimed_fallback").any()


def test_impact_numbers_and_assumption(real_built):
    w = real_built.warehouse
    impact = query(w, "select * from segments.segment_impact")
    platform = query(w, "select avg(case when is_burnt then 1.0 else 0 end) as r "
                        "from marts.fct_coupon_transactions where is_matured")["r"][0]
    for seg in impact.itertuples():
        assert abs(seg.platform_burn_rate - platform) < 1e-9
        gained = seg.claims_per_month * (seg.target_burn_rate - seg.matured_burn_rate)
        assert abs(seg.burns_per_month_gained - gained) < 1e-9
        assert seg.claims_per_month == seg.window_claims / 12
        if seg.target_basis == "platform_rate" and seg.window_claims > 0:
            assert seg.target_burn_rate == seg.platform_burn_rate
            assert f"{seg.burns_per_month_gained:.1f} more burns a month" in seg.impact_assumption
        elif seg.target_basis == "already_at_platform_rate":
            assert seg.burns_per_month_gained == 0 and "no gain assumed" in seg.impact_assumption


def test_audience_one_row_per_customer_with_holdout(real_built):
    w = real_built.warehouse
    audience = query(w, "select * from segments.campaign_audience")
    customers = query(w, "select customer_id from segments.customer_segments")
    assert len(audience) == len(customers) == 1000
    assert set(audience["customer_id"]) == set(customers["customer_id"])
    targeted = audience[audience["is_targeted"]]
    assert not targeted.empty
    # Held out exactly when the customer's own draw (md5 of "<id>|<seed>", first 8 hex
    # digits over 16^8) is below the share: recomputed here, not read from the SQL.
    seed = audience["campaign_seed"].iloc[0]
    fraction = targeted["customer_id"].map(
        lambda c: int(hashlib.md5(f"{c}|{seed}".encode()).hexdigest()[:8], 16) / 16**8)
    assert ((fraction < 0.10) == (targeted["campaign_group"] == "holdout")).all()
    assert set(targeted["campaign_group"]) == {"holdout", "treatment"}
    # About a tenth overall (a binomial draw: within 3 standard deviations).
    share = (targeted["campaign_group"] == "holdout").mean()
    assert abs(share - 0.10) <= 3 * (0.09 / len(targeted)) ** 0.5, share
    assert set(audience.loc[~audience["is_targeted"], "campaign_group"]) <= {"no_campaign"}


def test_other_seed_other_groups_same_targeting(real_built, tmp_path):
    """Another campaign_seed draws other holdouts from the same targeted customers, and a
    seed with an apostrophe and a backslash is the seed as written, in the settings and in
    every draw. (The same seed draws the same groups: tests/test_reliability.py,
    test_rerun_is_idempotent.)"""
    again = tmp_path / "again.duckdb"
    shutil.copy(real_built.warehouse, again)
    sql = ("select customer_id, campaign_group, is_targeted from segments.campaign_audience "
           "order by 1")
    first = query(real_built.warehouse, sql)
    seed = "o'brien\\7"
    _dbt("run", "-s", "campaign_settings", "campaign_audience", "--vars",
         json.dumps({"campaign_seed": seed}), warehouse=again, target=tmp_path / "target")
    reseeded = query(again, sql)
    assert not first.equals(reseeded)
    assert (first["campaign_group"] == "no_campaign").equals(
        reseeded["campaign_group"] == "no_campaign")
    assert query(again, "select campaign_seed from segments.campaign_settings")[
        "campaign_seed"].tolist() == [seed]
    targeted = reseeded[reseeded["is_targeted"]]
    fraction = targeted["customer_id"].map(
        lambda c: int(hashlib.md5(f"{c}|{seed}".encode()).hexdigest()[:8], 16) / 16**8)
    assert ((fraction < 0.10) == (targeted["campaign_group"] == "holdout")).all()


def test_readout_compiles_and_runs_on_a_real_export(real_built, real_as_of, tmp_path):
    """The audience of a build as of 2024-04-30 (a point in time), measured on the full
    warehouse: the claims and burns after that date are the campaign's outcome."""
    early = real_as_of.warehouse  # real_built skips this test without the real workbook
    couponseg("export", "--warehouse", early, "--out", tmp_path / "export")
    audience = tmp_path / "export" / "campaign_audience.csv"
    warehouse = tmp_path / "later.duckdb"  # the compiled SQL names the warehouse by its stem
    shutil.copy(real_built.warehouse, warehouse)
    _dbt("compile", "-s", "campaign_readout", "--vars",
         json.dumps({"audience_path": str(audience)}),
         warehouse=warehouse, target=tmp_path / "target")
    sql = (tmp_path / "target" / "compiled" / "couponseg" / "analyses"
           / "campaign_readout.sql").read_text()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        readout = con.execute(sql).df()
    mart = query(early, "select segment_name, campaign_group, count(*) as n "
                        "from segments.campaign_audience where is_targeted group by all")
    assert set(readout["segment_name"]) == set(mart["segment_name"])
    for row in readout.itertuples():
        sizes = mart[mart.segment_name == row.segment_name].set_index("campaign_group")["n"]
        assert row.treatment_customers == sizes["treatment"]
        assert row.holdout_customers == sizes["holdout"]
        assert row.treatment_matured_claims > 0 and row.holdout_matured_claims > 0
        for name in ("burn_rate_difference", "burner_share_difference"):
            low, mid, high = (getattr(row, f"{name}_low"), getattr(row, name),
                              getattr(row, f"{name}_high"))
            assert -1 <= low <= mid <= high <= 1
    assert readout["readout_note"].isna().all()
    # A segment whose holdout came out empty stays in the readout and says why.
    emptied = readout["segment_name"].iloc[0]
    rows = pd.read_csv(audience, dtype=str, keep_default_na=False)
    rows = rows[~((rows.segment_name == emptied) & (rows.campaign_group == "holdout"))]
    rows.to_csv(audience, index=False)
    _dbt("compile", "-s", "campaign_readout", "--vars",
         json.dumps({"audience_path": str(audience)}),
         warehouse=warehouse, target=tmp_path / "target")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        again = con.execute((tmp_path / "target" / "compiled" / "couponseg" / "analyses"
                             / "campaign_readout.sql").read_text()).df().set_index("segment_name")
    assert list(again.index) == list(readout["segment_name"])
    assert again.loc[emptied, "holdout_customers"] == 0
    assert again.loc[emptied, "readout_note"].startswith("no holdout customers")
    assert pd.isna(again.loc[emptied, "burn_rate_difference"])


def _squeeze(text: str) -> str:
    """Text without whitespace: table cells wrap at different places in the PDF."""
    return "".join(text.split())


def test_pdf_recommendation_pages_quote_the_marts(real_built):
    w = real_built.warehouse
    pages = [p.extract_text() for p in pypdf.PdfReader(real_built.out / "dashboard.pdf").pages]
    offers_page = _squeeze(next(p for p in pages[1:] if "Recommended merchants and coupons" in p))
    plan_page = _squeeze(next(p for p in pages[1:] if "Campaign plan and expected impact" in p))
    picks = query(w, "select * from segments.segment_offer_affinity where is_recommended")
    assert not picks.empty
    for r in picks.itertuples():
        basis = ("Fallback: most claimed" if r.recommendation_basis == "most_claimed_fallback"
                 else "Proven lift")
        shown = (f"{r.segment_name}{r.offer_name}{r.matured_claims}"
                 f"{r.matured_burn_rate:.0%}({r.burn_rate_low:.0%}-{r.burn_rate_high:.0%})"
                 f"{r.segment_burn_rate:.0%}{r.lift:.2f}({r.lift_low:.2f}-{r.lift_high:.2f})"
                 f"{basis}")
        assert _squeeze(shown) in offers_page, shown
    impact = query(w, "select * from segments.segment_impact")
    audience = query(w, "select segment_id, campaign_group, count(*) as n "
                        "from segments.campaign_audience group by all")
    for seg in impact.itertuples():
        groups = audience[audience.segment_id == seg.segment_id].set_index("campaign_group")["n"]
        assert _squeeze(seg.recommended_offers) in plan_page
        assert _squeeze(seg.impact_assumption) in plan_page
        assert f"{seg.claims_per_month:.1f}" in plan_page
        if "treatment" in groups:
            assert f"{groups['treatment']:,}/{groups['holdout']:,}" in plan_page
        else:
            assert f"nocampaign({groups['no_campaign']:,})" in plan_page
    gains = _treatment_gains(w)
    targeted = gains[gains.is_targeted].sort_values(["gained", "segment_id"],
                                                    ascending=[False, True])
    top = targeted.iloc[0]
    if top.gained > 0:
        assert _squeeze(f"Largest expected gain: {top.segment_name}, {top.gained:.1f} more "
                        f"burns a month from its {top.treated:,} treated customers at its "
                        f"target rate ({top.whole:.1f} if the whole segment were treated"
                        ) in plan_page
        assert f"{targeted.gained.sum():.1f}amonthoveralltargetedsegments" in plan_page


def _treatment_gains(warehouse: Path) -> pd.DataFrame:
    """Each segment's expected gain from its treatment group, computed here from the
    customers' own claims in the window: the holdout gets no offer, so it gains nothing."""
    return query(warehouse, """
        select
            impact.segment_id, impact.segment_name,
            bool_or(audience.is_targeted) as is_targeted,
            count(*) filter (where audience.campaign_group = 'treatment') as treated,
            coalesce(sum(features.recent_claims)
                filter (where audience.campaign_group = 'treatment'), 0) / 12.0
                * any_value(impact.target_burn_rate - impact.matured_burn_rate) as gained,
            any_value(impact.burns_per_month_gained) as whole
        from segments.campaign_audience as audience
        join marts.customer_features as features using (customer_id)
        join segments.segment_impact as impact using (segment_id)
        group by all""")


def test_campaign_gain_counts_the_treatment_group_only(real_built):
    w = real_built.warehouse
    plan = query(w, "select * from reporting.rpt_campaign_plan").set_index("segment_id")
    gains = _treatment_gains(w).set_index("segment_id")
    assert (gains.treated < plan.customers.loc[gains.index]).any()  # a holdout: they differ
    for segment_id, row in gains.iterrows():
        got = plan.loc[segment_id, "treatment_burns_per_month_gained"]
        assert abs(got - row.gained) < 1e-9, (segment_id, got, row.gained)
        assert got <= plan.loc[segment_id, "burns_per_month_gained"] + 1e-9
    facts = query(w, "select * from reporting.rpt_campaign_facts").iloc[0]
    assert abs(facts.targeted_burns_per_month_gained
               - gains[gains.is_targeted].gained.sum()) < 1e-9
