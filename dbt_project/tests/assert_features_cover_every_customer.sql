-- customer_features has exactly one row per customer in dim_customers (with or without
-- transactions), and its counts add up to the fact table.
with counts as (
    select
        (select count(*) from {{ ref('dim_customers') }}) as customers,
        (select count(*) from {{ ref('customer_features') }}) as feature_rows,
        (select count(*) from {{ ref('fct_coupon_transactions') }}) as transactions,
        (select sum(claims) from {{ ref('customer_features') }}) as feature_claims,
        (
            select count(*) from {{ ref('fct_coupon_transactions') }} where is_burnt
        ) as burnt,
        (select sum(burns) from {{ ref('customer_features') }}) as feature_burns
)

select *
from counts
where
    customers != feature_rows
    or transactions != coalesce(feature_claims, 0)
    or burnt != coalesce(feature_burns, 0)
