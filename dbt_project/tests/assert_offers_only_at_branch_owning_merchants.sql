-- A merchant without a branch cannot receive burns, so it never appears among a segment's
-- offers, let alone as a recommendation.
select
    affinity.segment_id,
    affinity.offer_key,
    affinity.is_recommended
from {{ ref('segment_offer_affinity') }} as affinity
left join {{ ref('dim_merchants') }} as merchants
    on affinity.merchant_id = merchants.merchant_id
where merchants.merchant_id is null or not merchants.has_branch
