-- Burn rate of the claims made in each city and claim month (heatmap). Only matured claims
-- count, so the last months are left out rather than shown as low.
select
    city_name,
    claim_month,
    count(*) as matured_claims,
    cast(sum(case when is_burnt then 1 else 0 end) as double) / count(*) as burn_rate
from {{ ref('fct_coupon_transactions') }}
where is_matured
group by city_name, claim_month
