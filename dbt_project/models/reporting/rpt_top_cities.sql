select
    tx.city_name,
    {{ burn_summary() }},
    cast(sum(case when tx.is_matured then tx.transactions else 0 end) as bigint) as matured_claims,
    {{ burn_rank('tx.city_name') }}
from {{ ref('fct_transaction_counts') }} as tx
group by tx.city_name
