-- Open claims still inside the burn window, by segment: the audience for a burn reminder.
select
    segments.segment_name,
    tx.merchant_name,
    count(*) as open_claims,
    min(tx.claim_age_days) as youngest_claim_days,
    max(tx.claim_age_days) as oldest_claim_days
from {{ ref('fct_coupon_transactions') }} as tx
inner join {{ ref('customer_segments') }} as segments
    on tx.customer_id = segments.customer_id
where not tx.is_burnt and not tx.is_matured
group by segments.segment_name, tx.merchant_name
order by open_claims desc
