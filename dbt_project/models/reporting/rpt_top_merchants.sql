-- Every merchant, including those that own no branch: they cannot receive burns, which the
-- dashboard says instead of showing them as merchants that sold nothing.
select
    merchants.merchant_id,
    merchants.merchant_name,
    merchants.branch_count,
    merchants.has_branch,
    {{ burn_summary() }},
    {{ burn_rank('merchants.merchant_name') }}
from {{ ref('dim_merchants') }} as merchants
left join {{ ref('fct_transaction_counts') }} as tx
    on merchants.merchant_id = tx.merchant_id
group by
    merchants.merchant_id, merchants.merchant_name, merchants.branch_count, merchants.has_branch
