-- A mart is the state on the as-of date: nothing in it is dated later (no join, claim, burn
-- or activity month after the as-of date).
with context as (
    select as_of_date from {{ ref('int_run_context') }}
),

dated as (
    select
        'dim_customers' as model,
        max(join_date) as latest
    from {{ ref('dim_customers') }}
    union all
    select
        'fct_coupon_transactions' as model,
        greatest(max(claim_date), max(burn_date)) as latest
    from {{ ref('fct_coupon_transactions') }}
    union all
    select
        'customer_features' as model,
        max(last_activity_date) as latest
    from {{ ref('customer_features') }}
    union all
    select
        'fct_customer_active_months' as model,
        max(activity_month) as latest
    from {{ ref('fct_customer_active_months') }}
)

select
    dated.model,
    dated.latest,
    context.as_of_date
from dated
cross join context
where dated.latest > context.as_of_date
