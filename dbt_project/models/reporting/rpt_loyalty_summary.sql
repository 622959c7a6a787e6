-- Retention and loyalty figures quoted in the dashboard's text.
select
    count(*) as customers,
    sum(case when claims >= 2 then 1 else 0 end) as repeat_customers,
    cast(sum(case when claims >= 2 then 1 else 0 end) as double) / count(*) as repeat_share,
    sum(case when claims = 0 then 1 else 0 end) as customers_without_claims,
    avg(claims) as mean_claims,
    percentile_cont(0.5) within group (order by claims) as median_claims,
    (
        select avg(days_to_burn) from {{ ref('fct_coupon_transactions') }}
        where is_burnt)
        as mean_days_to_burn,
    (
        select percentile_cont(0.5) within group (order by days_to_burn)
        from {{ ref('fct_coupon_transactions') }}
        where is_burnt
    ) as median_days_to_burn,
    avg(days_to_first_claim) as mean_days_to_first_claim
from {{ ref('customer_features') }}
