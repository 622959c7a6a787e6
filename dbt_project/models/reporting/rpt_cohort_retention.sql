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

activity as (
    select distinct
        tx.customer_id,
        customers.join_month,
        activity.month
    from {{ ref('fct_coupon_transactions') }} as tx
    inner join {{ ref('dim_customers') }} as customers
        on tx.customer_id = customers.customer_id
    cross join lateral (
        select tx.claim_month as month
        union all
        select tx.burn_month as month
    ) as activity
    where activity.month is not null
),

offsets as (
    select
        cohorts.join_month,
        cohorts.cohort_customers,
        cast(generate_series as integer) as months_since_join
    from cohorts
    cross join context
    cross join generate_series(
        0, cast({{ dbt.datediff('cohorts.join_month', 'context.as_of_date', 'month') }} as bigint)
    )
),

active as (
    select
        join_month,
        {{ dbt.datediff('join_month', 'month', 'month') }} as months_since_join,
        count(distinct customer_id) as active_customers
    from activity
    group by join_month, {{ dbt.datediff('join_month', 'month', 'month') }}
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
