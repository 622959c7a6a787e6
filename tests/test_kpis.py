"""KPIs that respect each feed's freshness: every period KPI's window ends at the last date of
the feed it counts, a feed that stopped early is flagged stale instead of read as a fall, and
the title page states each feed's last date. The cohort chart shows every join month."""

from __future__ import annotations

import pandas as pd
import pypdf
from conftest import query

FEED_END = {"claims": "last_claim_date", "burns": "last_burn_date", "joins": "last_join_date"}


def _title(built) -> str:
    return pypdf.PdfReader(built.out / "dashboard.pdf").pages[0].extract_text()


def _kpis_and_context(built) -> tuple[pd.DataFrame, pd.Series]:
    kpis = query(built.warehouse, "select * from reporting.rpt_kpis order by sort_order")
    ctx = query(built.warehouse, "select * from reporting.rpt_run_context").iloc[0]
    return kpis, ctx


def _check_windows(kpis: pd.DataFrame, ctx: pd.Series) -> None:
    periods = kpis[kpis["feed"].notna()]
    assert len(periods) == 4
    for row in periods.itertuples():
        end = (min(ctx.last_claim_date, ctx.last_burn_date) if row.feed == "claims and burns"
               else ctx[FEED_END[row.feed]])
        assert pd.Timestamp(row.period_end_date) == pd.Timestamp(end), row.kpi
        days = (pd.Timestamp(row.period_end_date) - pd.Timestamp(row.period_start_date)).days
        assert days + 1 == row.period_days == ctx.kpi_period_days
        lag = (pd.Timestamp(ctx.as_of_date) - pd.Timestamp(row.period_end_date)).days
        assert row.end_days_before_as_of == lag
        assert row.is_stale == (lag > ctx.stale_feed_days)


def test_real_workbook_tiles_show_no_fall_that_is_only_a_feed_ending(real_built):
    kpis, ctx = _kpis_and_context(real_built)
    _check_windows(kpis, ctx)
    deltas = kpis["delta_share"].dropna()
    assert len(deltas) == 4 and (deltas > -0.5).all(), kpis[["kpi", "delta_share"]]
    # claims and joins stop in July 2024, burns run to October: those tiles are stale
    stale = set(kpis.loc[kpis["is_stale"], "kpi"])
    assert stale == {"claims_period", "active_customers_period", "new_customers_period"}
    title = _title(real_built)
    for date in ("2024-07-14", "2024-10-08", "2024-07-13"):
        assert date in title
    assert "The feeds end on different dates" in title
    assert title.count("Stale:") == 3
    for row in kpis[kpis["delta_share"].notna()].itertuples():
        assert f"{row.delta_share:+.0%} vs previous {int(row.period_days)} days" in title


def test_generated_data_windows_end_at_their_feeds(built):
    kpis, ctx = _kpis_and_context(built)
    _check_windows(kpis, ctx)
    title = _title(built)
    assert f"last claim {pd.Timestamp(ctx.last_claim_date):%Y-%m-%d}" in title
    assert title.count("Stale:") == int(kpis["is_stale"].sum())


def test_cohort_chart_has_every_join_month_with_its_size(built):
    cohorts = query(built.warehouse, """
        select join_month, max(cohort_customers) as customers
        from reporting.rpt_cohort_retention group by join_month order by join_month""")
    joins = query(built.warehouse, """
        select min(join_month) as first, max(join_month) as last, count(*) as customers
        from marts.dim_customers""").iloc[0]
    months = pd.date_range(joins["first"], joins["last"], freq="MS")
    assert list(pd.to_datetime(cohorts["join_month"])) == list(months)
    assert cohorts["customers"].sum() == joins["customers"]
    page = next(p.extract_text() for p in pypdf.PdfReader(built.out / "dashboard.pdf").pages
                if "Cohort retention" in p.extract_text())
    for row in cohorts.itertuples():
        size = f"{int(row.customers):,}" if row.customers else "none"
        assert f"{pd.Timestamp(row.join_month):%Y-%m} · {size}" in page
