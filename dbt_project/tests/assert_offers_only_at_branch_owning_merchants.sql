-- A merchant without a branch cannot receive burns, so it never appears among a segment's
-- offers, let alone as a recommendation.
select
    segment_id,
    offer_key,
    is_recommended
from {{ ref('segment_offer_affinity') }} as affinity
where not exists (
    select 1
    from {{ ref('dim_merchants') }} as merchants
    where merchants.merchant_id = affinity.merchant_id and merchants.has_branch
)
