-- Join-month cohorts: the share of each cohort active (claimed or burnt) n months after the
-- month they joined. Every calendar month from the first to the last join is a cohort, even
-- one nobody joined in (0 customers, no share), so the chart shows gaps as gaps. Only months
-- up to the end of the activity feeds are shown (the month of the earlier of the last claim
-- and the last burn, as for the active-customers KPI; the as-of date when there are none),
-- so young cohorts have fewer cells, and months after a feed stopped have none, rather than
-- zeros that never had a chance (a cohort that joined after the feeds ended keeps its row,
-- month 0, with no share). Month numbers come from dbt's portable generate_series (up
-- to 100 years).
with context as (
    select
        coalesce(
            least(last_claim_date, last_burn_date), as_of_date
        ) as activity_end
    from {{ ref('int_run_context') }}
),

numbers as (
    select cast(generated_number - 1 as integer) as n
    from ({{ dbt.generate_series(1200) }}) as series
),

bounds as (
    select
        min(join_month) as first_month,
        max(join_month) as last_month
    from {{ ref('dim_customers') }}
),

cohort_months as (
    select cast({{ dbt.dateadd('month', 'numbers.n', 'bounds.first_month') }} as date) as join_month
    from bounds
    cross join numbers
    where numbers.n <= {{ dbt.datediff('bounds.first_month', 'bounds.last_month', 'month') }}
),

cohorts as (
    select
        cohort_months.join_month,
        count(customers.customer_id) as cohort_customers,
        -- months of activity feed this cohort had after joining; negative for a cohort that
        -- joined after the feeds ended, which keeps one row (month 0) with no share
        any_value(
            {{ dbt.datediff('cohort_months.join_month', 'context.activity_end', 'month') }}
        ) as months_with_activity
    from cohort_months
    cross join context
    left join {{ ref('dim_customers') }} as customers
        on cohort_months.join_month = customers.join_month
    group by cohort_months.join_month
),

offsets as (
    select
        cohorts.join_month,
        cohorts.cohort_customers,
        cohorts.months_with_activity >= 0 as had_activity_feed,
        cast(series.month_offset as integer) as months_since_join
    from cohorts
    {{ integer_series_join(
        'month_offset', 0, 'greatest(cast(cohorts.months_with_activity as bigint), 0)'
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
    case
        when offsets.had_activity_feed
            then cast(coalesce(active.active_customers, 0) as double)
            / nullif(offsets.cohort_customers, 0)
    end as retention_share
from offsets
left join active
    on
        offsets.join_month = active.join_month
        and offsets.months_since_join = active.months_since_join
