"""Build the dashboard: one HTML document (the interactive twin) printed once to PDF.

Page order and which rpt_ view feeds which chart are defined in ``pages()``; charts come
from ``dashboards.charts``, sentences from ``dashboards.insights``.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from dashboards import charts, insights
from dashboards.browser import print_to_pdf
from dashboards.data import ReportData, load_report_data
from dashboards.numbers import one_decimal
from dashboards.plotlyjs import plotlyjs_for

TITLE = "Coupon analytics dashboard"
SECTION_TITLES = (
    "Demographics", "Coupon usage over time", "Top cities, branches and merchants",
    "Burn rate by city and month", "Retention and loyalty", "Customer segments",
    "What changed since the last run", "Segment model selection", "Coupon recommendations",
    "Campaign plan and expected impact",
    "Definitions and data quality",
)
SEGMENT_TITLES = SECTION_TITLES[5:10]


@dataclass
class Page:
    """A titled page: insight sentences and blocks (rows of charts or HTML fragments)."""

    title: str
    sentences: list[str]
    blocks: list[list[go.Figure | str | list[go.Figure | str]]]


def _esc(value: object) -> str:
    return html.escape(str(value))


def _fmt(value: float, unit: str) -> str:
    if pd.isna(value):
        return "n/a"
    return f"{value:.0%}" if unit == "share" else f"{value:,.0f}"


def _day(value: object) -> str:
    return "none" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def _cell(value: object) -> str:
    """Table cell text: whole numbers with thousands separators, the rest as given."""
    if isinstance(value, int | float) and not isinstance(value, bool) and pd.notna(value) \
            and float(value).is_integer():
        return f"{int(value):,}"
    return str(value)


def _tile(row: pd.Series) -> str:
    """A KPI tile; a period KPI says which days it covers when its feed ended early."""
    delta = ""
    if pd.notna(row.previous_value):
        days = int(row.period_days)
        if pd.notna(row.delta_share):
            css = "up" if row.delta_share > 0 else "down" if row.delta_share < 0 else ""
            delta = (f'<div class="delta {css}">{row.delta_share:+.0%} vs previous {days} days '
                     f"({_fmt(row.previous_value, row.unit)})</div>")
        else:
            delta = f'<div class="delta">no activity in the previous {days} days</div>'
    window = ""
    if pd.notna(row.period_end_date):
        window = (f'<div class="period">{_day(row.period_start_date)} to '
                  f"{_day(row.period_end_date)} ({_esc(row.feed)} feed)</div>")
    if row.is_stale:
        window += (f'<div class="stale">Stale: the {_esc(row.feed)} feed ends '
                   f"{int(row.end_days_before_as_of)} days before the as-of date</div>")
    return (f'<div class="tile"><div class="label">{_esc(row.label)}</div>'
            f'<div class="value">{_fmt(row.value, row.unit)}</div>{delta}{window}</div>')


def _feed_dates(ctx: pd.Series) -> str:
    """The feeds' last dates; a warning when they end more than stale_feed_days apart."""
    dates = (f"last claim {_day(ctx.last_claim_date)}, last burn {_day(ctx.last_burn_date)}, "
             f"last join {_day(ctx.last_join_date)}")
    period = int(ctx.kpi_period_days)
    if not ctx.feeds_out_of_step:
        return f'"Last {period} days" ends on each feed\'s last date: {dates}.'
    # Burns after the last claim can only be of earlier claims: a real fall, but the feed's.
    burns_outlast_claims = (
        pd.notna(ctx.last_claim_date) and pd.notna(ctx.last_burn_date)
        and (pd.Timestamp(ctx.last_burn_date) - pd.Timestamp(ctx.last_claim_date)).days
        > int(ctx.stale_feed_days))
    return (f'<div class="feeds">The feeds end on different dates: {dates}. Each "last '
            f'{period} days" tile counts the {period} days up to the last date of its own feed, '
            "so a feed that stopped early is not read as a fall; tiles marked stale show a "
            f"window ending more than {int(ctx.stale_feed_days)} days before the as-of "
            "date."
            + (" Burns after the last claim can only be of claims made before it, so the "
               "burns tile falls once new claims stop arriving: read it with the claims feed's "
               "end in mind." if burns_outlast_claims else "")
            + "</div>")


def _table(df: pd.DataFrame, columns: dict[str, str], numeric: tuple[str, ...] = ()) -> str:
    head = "".join(f"<th>{_esc(label)}</th>" for label in columns.values())
    body = "".join(
        "<tr>" + "".join(
            f'<td class="{"num" if c in numeric else ""}">{_esc(_cell(row[c]))}</td>'
            for c in columns
        ) + "</tr>"
        for _, row in df.iterrows()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def title_page(data: ReportData, generated_at: dt.datetime) -> str:
    ctx = data["rpt_run_context"].iloc[0]
    tiles = "".join(_tile(r) for _, r in data["rpt_kpis"].iterrows())
    contents = "".join(f"<li>{_esc(t)}</li>" for t in SECTION_TITLES)
    as_of_note = "given" if ctx.as_of_given else "latest date in the data"
    warnings = _date_warnings(ctx)
    return f"""
<section class="page" id="title">
  <h1>{TITLE}</h1>
  <div class="subtitle">Customers, coupon usage, loyalty and segments, as of
    {ctx.as_of_date:%d %B %Y}</div>
  {warnings}<div class="tiles">{tiles}</div>
  <div class="meta">
    As-of date: <b>{ctx.as_of_date:%Y-%m-%d}</b> ({as_of_note}). {_feed_dates(ctx)}<br>
    Input: <b>{_esc(ctx.input_name)}</b> ({_esc(ctx.input_kind)}: {_esc(ctx.input_files)})<br>
    Input fingerprint (sha256): <code>{_esc(ctx.input_fingerprint)}</code><br>
    Rows: {int(ctx.customers):,} customers, {int(ctx.transactions):,} transactions;
    {int(ctx.rejected_rows):,} input rows kept out (see the last page).<br>
    Generated: {generated_at:%Y-%m-%d %H:%M UTC}
  </div>
  <h3>Contents</h3><ol class="contents">{contents}</ol>
</section>"""


def _date_warnings(ctx: pd.Series) -> str:
    """Say up front when the feed's dates look implausible or an as-of date cut activity off,
    since either changes what every number on the following pages means."""
    notes = []
    if int(ctx.implausible_date_rows):
        notes.append(
            f"Warning: the feed's dates look implausible. {int(ctx.implausible_date_rows):,} "
            f"rows have a date outside {_day(ctx.earliest_plausible_date)} .. "
            f"{_day(ctx.latest_plausible_date)} (or an infinite one) and are left out; see the "
            "data-quality page.")
    if int(ctx.after_as_of_rows):
        notes.append(
            f"{int(ctx.after_as_of_rows):,} customers and transactions dated after the as-of "
            "date are left out as not yet happened.")
    return "".join(f'<p class="note">{_esc(n)}</p>' for n in notes)


def _segment_pages(data: ReportData) -> list[Page]:
    if not data.has_segments:
        note = ('<p class="note">This warehouse has no segments (the segmentation step was '
                "not run). Run <code>couponseg build</code> to add them.</p>")
        return [Page(t, [], [[note]]) for t in SEGMENT_TITLES]
    sel = data["rpt_model_selection"]
    recs = data["rpt_segment_recommendations"].copy()
    recs["share"] = recs["share"].map("{:.0%}".format)
    recs["segment"] = recs["segment_id"].astype(str) + ": " + recs["segment_name"]
    transitions = data["rpt_segment_transitions"]
    return [
        Page(SEGMENT_TITLES[0], insights.segments(data), [
            [charts.segment_sizes(data["rpt_segment_sizes"]),
             charts.projection(data["rpt_segment_projection"])],
            [charts.profile_heatmap(data["rpt_segment_profiles"])],
        ]),
        Page(SEGMENT_TITLES[1], insights.transitions(data), [
            [charts.transition_matrix(transitions)] if not transitions.empty else
            [_no_transitions_note(data)],
        ]),
        Page(SEGMENT_TITLES[2], insights.model_selection(data), [
            [charts.selection_curves(sel, "silhouette", "Silhouette by k", "Silhouette"),
             charts.selection_curves(sel, "inertia", "Inertia by k (elbow)", "Inertia")],
            [charts.selection_curves(sel, "davies_bouldin", "Davies-Bouldin by k",
                                     "Davies-Bouldin"),
             charts.selection_curves(sel, "stability_ari", "Stability by k",
                                     "Mean ARI over bootstraps")],
        ]),
        *_recommendation_pages(data, recs),
    ]


def _no_transitions_note(data: ReportData) -> str:
    if insights.labels_pruned(data["rpt_segment_run"].iloc[0]):
        return ('<p class="note">The previous run\'s labels are no longer in segment_history '
                "(segment_history_keep_runs): no matrix of who moved.</p>")
    return ('<p class="note">No earlier run in this warehouse as of this date or before: the '
            "next build into it will show who moved between segments.</p>")


def _rate_interval(rate: float, low: float, high: float) -> str:
    return "n/a" if pd.isna(rate) else f"{rate:.0%} ({low:.0%}-{high:.0%})"


def _lift_interval(lift: float, low: float, high: float) -> str:
    return "n/a" if pd.isna(lift) else f"{lift:.2f} ({low:.2f}-{high:.2f})"


RECOMMENDATIONS_TITLE = "Coupon recommendations"
CAMPAIGN_TITLE = "Campaign plan and expected impact"


def _recommendation_pages(data: ReportData, recs: pd.DataFrame) -> list[Page]:
    """Strategy and recommended offers per segment (lift and interval, or the fallback
    label); then the campaign: audience and holdout sizes, expected impact with its
    assumption."""
    offers = data["rpt_campaign_offers"].copy()
    offers["rate"] = [_rate_interval(*v) for v in zip(
        offers["matured_burn_rate"], offers["burn_rate_low"], offers["burn_rate_high"],
        strict=True)]
    offers["lift_ci"] = [_lift_interval(*v) for v in zip(
        offers["lift"], offers["lift_low"], offers["lift_high"], strict=True)]
    offers["baseline"] = offers["segment_burn_rate"].map(
        lambda v: "n/a" if pd.isna(v) else f"{v:.0%}")
    plan = data["rpt_campaign_plan"].copy()
    plan["segment"] = plan["segment_id"].astype(str) + ": " + plan["segment_name"]
    plan["offers"] = plan["recommended_offers"].fillna("none")
    plan["rate"] = [
        "n/a" if pd.isna(r) or pd.isna(t)
        else f"{r:.0%} now, too few matured claims for a target"
        if basis == "too_few_matured_claims" else f"{r:.0%} now, target {t:.0%}"
        for r, t, basis in zip(plan["matured_burn_rate"], plan["target_burn_rate"],
                               plan["target_basis"], strict=True)]
    plan["per_month"] = plan["claims_per_month"].map(one_decimal)
    plan["gained"] = [
        "n/a" if pd.isna(treated) else one_decimal(treated) if targeted
        else f"none (potential {one_decimal(whole)})" if pd.notna(whole) else "none"
        for treated, whole, targeted in zip(
            plan["treatment_burns_per_month_gained"], plan["burns_per_month_gained"],
            plan["is_targeted"], strict=True)]
    plan["audience"] = [f"{t:,} / {h:,}" if targeted else f"no campaign ({n:,})"
                        for t, h, n, targeted in zip(
                            plan["treatment_customers"], plan["holdout_customers"],
                            plan["no_campaign_customers"], plan["is_targeted"], strict=True)]
    return [
        Page(RECOMMENDATIONS_TITLE, [
            "Priority 1 segments are where a coupon moves behaviour most per coupon spent: "
            "customers who already claim but do not burn, and new joiners deciding whether to "
            "stay. Rationales quote each segment's own numbers against all customers.",
            *insights.campaign_offers(data),
        ], [
            [_table(recs, {"priority": "Priority", "segment": "Segment",
                           "customers": "Customers", "share": "Share",
                           "coupon_strategy": "Coupon strategy", "rationale": "Why"},
                    numeric=("priority", "customers", "share"))],
            ["<h3>Recommended merchants and coupons</h3>"],
            [_table(offers, {"segment_name": "Segment", "offer_name": "Offer",
                             "matured_claims": "n (matured claims)",
                             "rate": "Burn rate (95 % interval)", "baseline": "Segment rate",
                             "lift_ci": "Lift (95 % interval)", "basis_label": "Basis"},
                    numeric=("matured_claims",))],
        ]),
        Page(CAMPAIGN_TITLE, insights.campaign_plan(data), [
            [_table(plan, {"segment": "Segment", "offers": "Offers",
                           "audience": "Treatment / holdout",
                           "per_month": "Claims a month", "rate": "Matured burn rate",
                           "gained": "Burns a month gained (treated)",
                           "impact_assumption": "Assumption (whole segment)"},
                    numeric=("per_month", "gained", "audience"))],
            ['<p class="note">Send offers to the treatment group only (<code>couponseg export'
             "</code>); the holdout measures the effect: "
             "<code>dbt_project/analyses/campaign_readout.sql</code> compares their burn rates "
             "once the campaign has run.</p>"],
        ]),
    ]


def _definitions(data: ReportData) -> Page:
    ctx = data["rpt_run_context"].iloc[0]
    window, period = int(ctx.burn_window_days), int(ctx.kpi_period_days)
    terms = {
        "Claimed": "A customer took a coupon (source status 'subscribed'). Every transaction "
                   "is a claim; its transaction date is the claim date.",
        "Burnt": "The coupon was used at a branch (source status 'burned'); it has a burn date.",
        "Burn rate": f"Burnt claims / claims. 'Matured' burn rates count only claims at least "
                     f"{window} days old at the as-of date, so recent claims that may still be "
                     "burnt do not lower it. A segment's 'average customer burn rate' is the "
                     "mean of its customers' own rates.",
        "Active": "A customer is active in a period if they claimed or burnt a coupon in it.",
        "Cohort": "Customers who joined in the same calendar month; retention is the share of "
                  "a cohort active n months after that month.",
        f"Last {period} days": f"The {period} days up to the last date of the feed a KPI "
                               "counts (claims, burns or joins; both claims and burns for "
                               f"active customers), compared with the {period} days before.",
        "Segment": "A group found by clustering customers' behaviour (claims, burn rate, "
                   "recency, tenure, time to burn); gender and city only describe segments.",
    }
    dl = "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in terms.items())
    dq = data["rpt_data_quality"].copy()
    dq["reason"] = dq["reason"].fillna("none rejected")
    rejected = int(ctx.rejected_rows)
    after = int(ctx.after_as_of_rows)
    sentence = (f"{rejected:,} input rows were kept out of the analysis; each is listed with its "
                "reason in audit.audit_rejected_rows, and raw rows = kept + rejected for every "
                "table." if rejected else
                "Every input row passed the checks: raw rows = kept rows for every table.")
    if after:
        sentence += (f" {after:,} valid rows are dated after the as-of date and left out as not "
                     "yet happened (raw = kept + after as-of + rejected).")
    dq["reason_description"] = dq["reason_description"].fillna("")
    columns = {"source_table": "Table", "raw_rows": "Raw rows", "kept_rows": "Kept",
               "rejected_rows": "Rejected", "reason": "Reason", "reason_rows": "Rows",
               "reason_description": "What it means"}
    if dq["after_as_of_rows"].any():
        columns = {**dict(list(columns.items())[:3]), "after_as_of_rows": "After as-of",
                   **dict(list(columns.items())[3:])}
    table = _table(dq, columns, numeric=("raw_rows", "kept_rows", "after_as_of_rows",
                                         "rejected_rows", "reason_rows"))
    return Page(SECTION_TITLES[10], [sentence], [[f"<dl>{dl}</dl>"], ["<h3>Data quality</h3>"],
                                                 [table]])


def pages(data: ReportData) -> list[Page]:
    """The dashboard's pages in order, each naming the rpt_ views it shows."""
    city_order = list(data["rpt_customers_by_city"]["city_name"])
    merchants = data["rpt_top_merchants"]
    no_branch = merchants[~merchants["has_branch"]]["merchant_name"]
    merchant_note = (f'<p class="note">Merchants without a branch (no burns possible): '
                     f'{_esc(", ".join(no_branch))}.</p>' if len(no_branch) else "")
    return [
        Page(SECTION_TITLES[0], insights.demographics(data), [
            [charts.gender_split(data["rpt_customers_by_gender"]),
             charts.customers_by_city(data["rpt_customers_by_city"])],
            [charts.gender_by_city(data["rpt_gender_by_city"], city_order)],
        ]),
        Page(SECTION_TITLES[1], insights.usage(data),
             [[charts.monthly_usage(data["rpt_monthly_usage"])]]),
        Page(SECTION_TITLES[2], insights.performers(data), [
            [charts.ranked_bars(data["rpt_top_cities"], "city_name", "Top 10 cities by burns"),
             charts.ranked_bars(data["rpt_top_branches"].assign(
                 label=lambda d: d["branch_label"] + " · " + d["merchant_name"]),
                 "label", "Branches by burns (with merchant)")],
            [charts.ranked_bars(merchants[merchants["has_branch"]], "merchant_name",
                                "Merchants by burns", width=charts.FULL, height=250)],
            [merchant_note],
        ]),
        Page(SECTION_TITLES[3], insights.city_months(data), [
            [charts.heatmap(data["rpt_city_month_burn_rate"], "claim_month", "city_name",
                            "burn_rate", "Burn rate by city and claim month", "Claim month",
                            520, 1)],
        ]),
        Page(SECTION_TITLES[4], insights.loyalty(data), [
            # The cohort chart takes the page's height (one readable row per join month);
            # the two histograms stand in a column beside it.
            [charts.cohort_retention(data["rpt_cohort_retention"]),
             [charts.histogram(data["rpt_usage_frequency"], "claims_per_customer", "customers",
                               "Usage frequency: claims per customer", "Claims",
                               charts.STATUS_COLOURS["claimed"], width=380, height=270),
              charts.histogram(data["rpt_time_to_burn"], "weeks_to_burn", "burns",
                               "Time to burn", "Weeks from claim to burn",
                               charts.STATUS_COLOURS["burnt"], width=380, height=270)]],
        ]),
        *_segment_pages(data),
        _definitions(data),
    ]


def _block_html(block: go.Figure | str | list, chart_id: str) -> str:
    if isinstance(block, str):
        return f"<div>{block}</div>"
    if isinstance(block, list):  # a column of blocks inside a row
        cells = "".join(_block_html(b, f"{chart_id}-{i}") for i, b in enumerate(block))
        return f'<div class="col">{cells}</div>'
    fig_html = block.to_html(full_html=False, include_plotlyjs=False, div_id=chart_id,
                             config={"staticPlot": True, "responsive": False})
    return f'<div class="chart">{fig_html}</div>'


def _figures(report_pages: list[Page]) -> list[go.Figure]:
    """Every chart of the report (blocks may nest one level, a column inside a row)."""
    def flat(blocks: list) -> list:
        return [f for b in blocks for f in (flat(b) if isinstance(b, list) else [b])]
    return [b for page in report_pages for row in page.blocks for b in flat(row)
            if isinstance(b, go.Figure)]


def render_html(data: ReportData, generated_at: dt.datetime) -> str:
    """The whole report as one self-contained HTML document."""
    css = (Path(__file__).parent / "report.css").read_text()
    parts, n, report_pages = [title_page(data, generated_at)], 0, pages(data)
    for page in report_pages:
        rows = []
        for row in page.blocks:
            cells = []
            for block in row:
                n += 1
                cells.append(_block_html(block, f"chart-{n}"))
            rows.append(f'<div class="row">{"".join(cells)}</div>')
        text = "".join(f"<p>{_esc(s)}</p>" for s in page.sentences)
        insight = f'<div class="insights">{text}</div>' if text else ""
        parts.append(f'<section class="page"><h2>{_esc(page.title)}</h2>{insight}'
                     f'{"".join(rows)}</section>')
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{TITLE}</title>'
            f"<style>{css}</style><script>{plotlyjs_for(_figures(report_pages))}</script></head>"
            f'<body>{"".join(parts)}</body></html>')


def build_report(warehouse: Path, out_dir: Path,
                 generated_at: dt.datetime | None = None) -> tuple[Path, Path]:
    """Write dashboard.html and dashboard.pdf into ``out_dir``, each replaced atomically."""
    generated_at = generated_at or dt.datetime.now(dt.UTC)
    data = load_report_data(Path(warehouse))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, pdf_path = out_dir / "dashboard.html", out_dir / "dashboard.pdf"
    tmp_html = out_dir / f".dashboard.{os.getpid()}.html"
    tmp_pdf = out_dir / f".dashboard.{os.getpid()}.pdf"
    try:
        tmp_html.write_text(render_html(data, generated_at), encoding="utf-8")
        print_to_pdf(tmp_html, tmp_pdf)
        os.replace(tmp_html, html_path)
        os.replace(tmp_pdf, pdf_path)
    finally:
        tmp_html.unlink(missing_ok=True)
        tmp_pdf.unlink(missing_ok=True)
    return pdf_path, html_path
