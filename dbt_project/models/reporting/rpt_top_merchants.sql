-- Every merchant, including those that own no branch: they cannot receive burns, which the
-- dashboard says instead of showing them as merchants that sold nothing.
select
    merchants.merchant_id,
    merchants.merchant_name,
    merchants.branch_count,
    merchants.has_branch,
    count(tx.transaction_id) as claims,
    coalesce(sum(case when tx.is_burnt then 1 else 0 end), 0) as burns,
    cast(sum(case when tx.is_burnt and tx.is_matured then 1 else 0 end) as double)
    / nullif(sum(case when tx.is_matured then 1 else 0 end), 0) as matured_burn_rate,
    row_number() over (
        order by
            coalesce(sum(case when tx.is_burnt then 1 else 0 end), 0) desc,
            merchants.merchant_name
    ) as burn_rank
from {{ ref('dim_merchants') }} as merchants
left join {{ ref('fct_coupon_transactions') }} as tx
    on merchants.merchant_id = tx.merchant_id
group by
    merchants.merchant_id, merchants.merchant_name, merchants.branch_count, merchants.has_branch
