-- A table, not a view: it scans every transaction, so it is computed once per build instead of
-- on every read (the report, rpt_insight_facts and analysts all read it).
{{ config(materialized='table') }}

-- Join-month cohorts: the share of each cohort active (claimed or burnt) n months after the
-- month they joined. Only months up to the as-of date are shown, so young cohorts have
-- fewer cells rather than zeros that never had a chance.
with context as (
    select * from {{ ref('int_run_context') }}
),

cohorts as (
    select
        join_month,
        count(*) as cohort_customers
    from {{ ref('dim_customers') }}
    group by join_month
),

offsets as (
    select
        cohorts.join_month,
        cohorts.cohort_customers,
        cast(series.month_offset as integer) as months_since_join
    from cohorts
    cross join context
    {{ integer_series_join(
        'month_offset', 0,
        'cast(' ~ dbt.datediff('cohorts.join_month', 'context.as_of_date', 'month') ~ ' as bigint)'
    ) }}
),

active as (
    -- a customer has one row per active month, so counting rows counts distinct customers
    select
        join_month,
        months_since_join,
        count(*) as active_customers
    from {{ ref('fct_customer_active_months') }}
    group by join_month, months_since_join
)

select
    offsets.join_month,
    offsets.months_since_join,
    offsets.cohort_customers,
    coalesce(active.active_customers, 0) as active_customers,
    cast(coalesce(active.active_customers, 0) as double) / offsets.cohort_customers
    as retention_share
from offsets
left join active
    on
        offsets.join_month = active.join_month
        and offsets.months_since_join = active.months_since_join
