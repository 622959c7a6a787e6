-- The report models that regroup fct_transaction_counts lose and duplicate nothing: each
-- one's claims (or burns, or matured claims) add up to the counts' own total (a join
-- fan-out would inflate them, a dropped group would shrink them). The counts themselves
-- add up to the fact (assert_aggregates_reconcile); this reads no transaction.
{%- set report_totals = [
    ('rpt_monthly_usage', 'claims'),
    ('rpt_monthly_usage', 'burns'),
    ('rpt_top_branches', 'claims'),
    ('rpt_top_merchants', 'claims'),
    ('rpt_top_cities', 'claims'),
    ('rpt_city_month_burn_rate', 'matured_claims'),
    ('rpt_time_to_burn', 'burns'),
] %}

with counts as (
    select
        coalesce(sum(transactions), 0) as claims,
        coalesce(sum(case when is_burnt then transactions else 0 end), 0) as burns,
        coalesce(sum(case when is_matured then transactions else 0 end), 0) as matured_claims
    from {{ ref('fct_transaction_counts') }}
),

reports as (
    {%- for report, measure in report_totals %}
        {{ "union all" if not loop.first }}
        select
            '{{ report }}' as report,
            '{{ measure }}' as measure,
            coalesce(sum({{ measure }}), 0) as report_total
        from {{ ref(report) }}
    {%- endfor %}
),

compared as (
    select
        reports.report,
        reports.measure,
        reports.report_total,
        case reports.measure
            when 'claims' then counts.claims
            when 'burns' then counts.burns
            else counts.matured_claims
        end as counts_total
    from reports
    cross join counts
)

select
    report,
    measure,
    report_total,
    counts_total
from compared
where report_total <> counts_total
