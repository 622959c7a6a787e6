-- Burnt exactly when a burn date exists (and days_to_burn with it).
select transaction_id, status, burn_date, days_to_burn
from {{ ref('fct_coupon_transactions') }}
where
    (is_burnt and burn_date is null)
    or (not is_burnt and burn_date is not null)
    or ((burn_date is null) != (days_to_burn is null))
