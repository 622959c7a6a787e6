-- Recommended offers per segment with their lift and 95 % interval (the offers table of the
-- recommendations page); the basis says whether a lift was proven or the fallback applied.
select
    segment_id,
    segment_name,
    recommendation_rank,
    offer_level,
    offer_name,
    claims,
    matured_claims,
    matured_burn_rate,
    burn_rate_low,
    burn_rate_high,
    segment_burn_rate,
    lift,
    lift_low,
    lift_high,
    recommendation_basis,
    case recommendation_basis
        when 'significant_lift' then 'Proven lift: interval above the segment''s rate'
        else 'Fallback: most claimed, no proven lift'
    end as basis_label
from {{ ref('segment_offer_affinity') }}
where is_recommended
