select
    branches.branch_id,
    branches.branch_label,
    branches.merchant_name,
    count(tx.transaction_id) as claims,
    coalesce(sum(case when tx.is_burnt then 1 else 0 end), 0) as burns,
    cast(sum(case when tx.is_burnt and tx.is_matured then 1 else 0 end) as double)
    / nullif(sum(case when tx.is_matured then 1 else 0 end), 0) as matured_burn_rate,
    row_number() over (
        order by
            coalesce(sum(case when tx.is_burnt then 1 else 0 end), 0) desc,
            branches.branch_id
    ) as burn_rank
from {{ ref('dim_branches') }} as branches
left join {{ ref('fct_coupon_transactions') }} as tx
    on branches.branch_id = tx.branch_id
group by branches.branch_id, branches.branch_label, branches.merchant_name
