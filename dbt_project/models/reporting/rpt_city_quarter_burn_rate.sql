-- Burn rate of the claims made in each city and quarter (quarters keep 20 cities x 3 years
-- readable); only matured claims count, so the last quarters are not censored.
select
    city_name,
    cast({{ dbt.date_trunc('quarter', 'claim_date') }} as date) as claim_quarter,
    count(*) as matured_claims,
    cast(sum(case when is_burnt then 1 else 0 end) as double) / count(*) as burn_rate
from {{ ref('fct_coupon_transactions') }}
where is_matured
group by city_name, cast({{ dbt.date_trunc('quarter', 'claim_date') }} as date)
