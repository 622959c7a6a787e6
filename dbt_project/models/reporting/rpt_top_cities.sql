select
    tx.city_name,
    {{ burn_summary() }},
    cast(sum(case when tx.is_matured then tx.transactions else 0 end) as bigint) as matured_claims,
    -- the cities the report's best and worst city by burn rate are chosen from
    -- (rpt_insight_facts): one burnt claim is not a 100 % city (var insight_min_city_claims)
    sum(case when tx.is_matured then tx.transactions else 0 end)
    >= greatest({{ var('insight_min_city_claims') }}, 1) as is_insight_city,
    {{ burn_rank('tx.city_name') }}
from {{ ref('fct_transaction_counts') }} as tx
group by tx.city_name
