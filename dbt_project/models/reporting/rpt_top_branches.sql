select
    branches.branch_id,
    branches.branch_label,
    branches.merchant_name,
    {{ burn_summary() }},
    {{ burn_rank('branches.branch_id') }}
from {{ ref('dim_branches') }} as branches
left join {{ ref('fct_transaction_counts') }} as tx
    on branches.branch_id = tx.branch_id
group by branches.branch_id, branches.branch_label, branches.merchant_name
