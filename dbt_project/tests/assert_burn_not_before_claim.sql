-- A coupon cannot be burnt before it was claimed.
select transaction_id, claim_date, burn_date
from {{ ref('fct_coupon_transactions') }}
where burn_date < claim_date
