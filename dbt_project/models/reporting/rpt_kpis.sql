-- A table, not a view: it scans every transaction, so it is computed once per build instead of
-- on every read (the report, rpt_insight_facts and analysts all read it).
{{ config(materialized='table') }}

-- Headline figures for the title page: the last 90 days against the 90 before, ending at the
-- run's as-of date. burn_rate uses matured claims only (claims old enough to have had the
-- whole burn window), so recent claims do not drag it down.
with context as (
    select * from {{ ref('int_run_context') }}
),

tx as (
    select
        tx.*,
        {{ dbt.datediff('tx.claim_date', 'context.as_of_date', 'day') }} as claim_days_ago,
        {{ dbt.datediff('tx.burn_date', 'context.as_of_date', 'day') }} as burn_days_ago
    from {{ ref('fct_coupon_transactions') }} as tx
    cross join context
),

periods as (
    select 'current' as period, 0 as start_days_ago, 89 as end_days_ago
    union all
    select 'previous' as period, 90 as start_days_ago, 179 as end_days_ago
),

-- One pass over the transactions for both periods (each row meets the two period rows).
per_period_activity as (
    select
        periods.period,
        sum(
            case when tx.claim_days_ago between periods.start_days_ago and periods.end_days_ago
                then 1 else 0 end
        ) as claims,
        sum(
            case when tx.burn_days_ago between periods.start_days_ago and periods.end_days_ago
                then 1 else 0 end
        ) as burns,
        count(distinct case
            when tx.claim_days_ago between periods.start_days_ago and periods.end_days_ago
                or tx.burn_days_ago between periods.start_days_ago and periods.end_days_ago
                then tx.customer_id
        end) as active_customers
    from periods
    cross join tx
    group by periods.period
),

per_period_joins as (
    select
        periods.period,
        count(customers.customer_id) as new_customers
    from periods
    cross join context
    left join {{ ref('dim_customers') }} as customers
        on {{ dbt.datediff('customers.join_date', 'context.as_of_date', 'day') }}
        between periods.start_days_ago and periods.end_days_ago
    group by periods.period
),

per_period as (
    select
        periods.period,
        coalesce(activity.claims, 0) as claims,
        coalesce(activity.burns, 0) as burns,
        coalesce(activity.active_customers, 0) as active_customers,
        joins.new_customers
    from periods
    left join per_period_activity as activity on periods.period = activity.period
    inner join per_period_joins as joins on periods.period = joins.period
),

kpis as (
    select
        'customers' as kpi,
        'Customers' as label,
        1 as sort_order,
        cast((select count(*) from {{ ref('dim_customers') }}) as double) as value,
        cast(null as double) as previous_value,
        'count' as unit
    union all
    select
        'claims_all_time' as kpi,
        'Coupons claimed (all time)' as label,
        2 as sort_order,
        cast((select count(*) from tx) as double) as value,
        null as previous_value,
        'count' as unit
    union all
    select
        'burns_all_time' as kpi,
        'Coupons burnt (all time)' as label,
        3 as sort_order,
        cast((select count(*) from tx where is_burnt) as double) as value,
        null as previous_value,
        'count' as unit
    union all
    select
        'matured_burn_rate' as kpi,
        'Burn rate (matured claims)' as label,
        4 as sort_order,
        (
            select cast(sum(case when is_burnt then 1 else 0 end) as double) / nullif(count(*), 0)
            from tx
            where is_matured
        ) as value,
        null as previous_value,
        'share' as unit
    {%- for metric, label, order in [
        ('claims', 'Claims, last 90 days', 5),
        ('burns', 'Burns, last 90 days', 6),
        ('active_customers', 'Active customers, last 90 days', 7),
        ('new_customers', 'New customers, last 90 days', 8),
    ] %}
    union all
    select
        '{{ metric }}_90d' as kpi,
        '{{ label }}' as label,
        {{ order }} as sort_order,
        cast((select {{ metric }} from per_period where period = 'current') as double) as value,
        cast(
            (select {{ metric }} from per_period where period = 'previous') as double
        ) as previous_value,
        'count' as unit
    {%- endfor %}
)

select
    kpi,
    label,
    sort_order,
    value,
    previous_value,
    unit,
    case
        when previous_value > 0 then (value - previous_value) / previous_value
    end as delta_share
from kpis
