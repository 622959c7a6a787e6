-- The report models that regroup fct_transaction_counts lose and duplicate nothing: each
-- one's claims (or burns, or matured claims) add up to the counts' own total (a join
-- fan-out would inflate them, a dropped group would shrink them). The counts themselves
-- add up to the fact (assert_aggregates_reconcile); this reads no transaction.
with counts as (
    select
        coalesce(sum(transactions), 0) as claims,
        coalesce(sum(case when is_burnt then transactions else 0 end), 0) as burns,
        coalesce(sum(case when is_matured then transactions else 0 end), 0) as matured_claims
    from {{ ref('fct_transaction_counts') }}
),

reports as (
    select
        'rpt_monthly_usage' as report,
        'claims' as measure,
        coalesce(sum(claims), 0) as total
    from {{ ref('rpt_monthly_usage') }}
    union all
    select
        'rpt_monthly_usage' as report,
        'burns' as measure,
        coalesce(sum(burns), 0) as total
    from {{ ref('rpt_monthly_usage') }}
    union all
    select
        'rpt_top_branches' as report,
        'claims' as measure,
        coalesce(sum(claims), 0) as total
    from {{ ref('rpt_top_branches') }}
    union all
    select
        'rpt_top_merchants' as report,
        'claims' as measure,
        coalesce(sum(claims), 0) as total
    from {{ ref('rpt_top_merchants') }}
    union all
    select
        'rpt_top_cities' as report,
        'claims' as measure,
        coalesce(sum(claims), 0) as total
    from {{ ref('rpt_top_cities') }}
    union all
    select
        'rpt_city_month_burn_rate' as report,
        'matured_claims' as measure,
        coalesce(sum(matured_claims), 0) as total
    from {{ ref('rpt_city_month_burn_rate') }}
    union all
    select
        'rpt_time_to_burn' as report,
        'burns' as measure,
        coalesce(sum(burns), 0) as total
    from {{ ref('rpt_time_to_burn') }}
)

select
    reports.report,
    reports.measure,
    reports.total as report_total,
    case reports.measure
        when 'claims' then counts.claims
        when 'burns' then counts.burns
        else counts.matured_claims
    end as counts_total
from reports
cross join counts
where reports.total <> case reports.measure
    when 'claims' then counts.claims
    when 'burns' then counts.burns
    else counts.matured_claims
end
