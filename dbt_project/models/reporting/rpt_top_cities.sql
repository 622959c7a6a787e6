select
    tx.city_name,
    {{ burn_summary() }},
    {{ burn_rank('tx.city_name') }}
from {{ ref('fct_transaction_counts') }} as tx
group by tx.city_name
