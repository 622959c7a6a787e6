select
    branches.branch_id,
    'Branch ' || cast(branches.branch_id as {{ text_type() }}) as branch_label,
    branches.merchant_id,
    merchants.merchant_name
from {{ ref('stg_branches') }} as branches
inner join {{ ref('stg_merchants') }} as merchants
    on branches.merchant_id = merchants.merchant_id
