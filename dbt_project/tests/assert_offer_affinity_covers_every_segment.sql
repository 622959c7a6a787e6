-- Every segment has a row for every branch-owning merchant (zero claims included).
select
    profiles.segment_id,
    merchants.merchant_id
from {{ ref('segment_profiles') }} as profiles
cross join {{ ref('dim_merchants') }} as merchants
left join {{ ref('segment_offer_affinity') }} as affinity
    on
        profiles.segment_id = affinity.segment_id
        and merchants.merchant_id = affinity.merchant_id
        and affinity.offer_level = 'merchant'
where merchants.has_branch and affinity.segment_id is null
