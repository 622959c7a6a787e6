-- Burn rate of the claims made in each city and claim month (heatmap). Only matured claims
-- count, so the last months are left out rather than shown as low.
select
    city_name,
    claim_month,
    cast(sum(transactions) as bigint) as matured_claims,
    cast(sum(case when is_burnt then transactions else 0 end) as double) / sum(transactions)
    as burn_rate
from {{ ref('fct_transaction_counts') }}
where is_matured
group by city_name, claim_month
