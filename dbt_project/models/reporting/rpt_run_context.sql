-- The run's context for the title page, with the KPI period and whether the feeds (claims,
-- burns, joins) end more than stale_feed_days apart, in which case the page lists each one.
select
    context.*,
    (select count(*) from {{ ref('dim_customers') }}) as customers,
    (select count(*) from {{ ref('fct_coupon_transactions') }}) as transactions,
    (select sum(rejected_rows) from {{ ref('audit_row_reconciliation') }}) as rejected_rows,
    {{ var('kpi_period_days') }} as kpi_period_days,
    {{ var('stale_feed_days') }} as stale_feed_days,
    coalesce(
        {{ dbt.datediff(
            'least(context.last_claim_date, context.last_burn_date, context.last_join_date)',
            'greatest(context.last_claim_date, context.last_burn_date, context.last_join_date)',
            'day') }} > {{ var('stale_feed_days') }},
        false
    ) as feeds_out_of_step
from {{ ref('run_context') }} as context
