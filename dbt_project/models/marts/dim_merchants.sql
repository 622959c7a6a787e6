select
    merchants.merchant_id,
    merchants.merchant_name,
    count(branches.branch_id) as branch_count,
    count(branches.branch_id) > 0 as has_branch
from {{ ref('stg_merchants') }} as merchants
left join {{ ref('stg_branches') }} as branches
    on merchants.merchant_id = branches.merchant_id
group by merchants.merchant_id, merchants.merchant_name
