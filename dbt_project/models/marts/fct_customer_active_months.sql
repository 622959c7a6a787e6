-- One row per customer and calendar month in which they claimed or burnt a coupon. Built once
-- (a grouping of every transaction) and shared: customer_features counts active months from
-- it and rpt_cohort_retention counts active customers per cohort and month from it.
with activity as (
    select
        customer_id,
        claim_month as activity_month,
        1 as claims,
        0 as burns
    from {{ ref('fct_coupon_transactions') }}
    union all
    select
        customer_id,
        burn_month as activity_month,
        0 as claims,
        1 as burns
    from {{ ref('fct_coupon_transactions') }}
    where burn_month is not null
),

per_month as (
    select
        customer_id,
        activity_month,
        cast(sum(claims) as bigint) as claims,
        cast(sum(burns) as bigint) as burns
    from activity
    group by customer_id, activity_month
)

select
    per_month.customer_id,
    per_month.activity_month,
    customers.join_month,
    {{ dbt.datediff('customers.join_month', 'per_month.activity_month', 'month') }}
    as months_since_join,
    per_month.claims,
    per_month.burns
from per_month
inner join {{ ref('dim_customers') }} as customers
    on per_month.customer_id = customers.customer_id
