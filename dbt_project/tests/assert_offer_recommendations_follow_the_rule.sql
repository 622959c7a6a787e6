-- The recommendation rule of segment_offer_affinity: a significant-lift pick rests on enough
-- matured claims and clears the segment's rate; a fallback only where nothing clears it; one
-- basis per segment; at most offer_max_recommendations picks, ranked 1..n.
with picks as (
    select
        segment_id,
        count(*) as picks,
        count(distinct recommendation_basis) as bases,
        max(recommendation_rank) as last_rank,
        sum(
            case
                when recommendation_basis = 'significant_lift'
                    and not (has_enough_claims and clears_baseline) then 1 else 0
            end
        ) as unfounded_lifts
    from {{ ref('segment_offer_affinity') }}
    where is_recommended
    group by segment_id
),

fallback_despite_lift as (
    select affinity.segment_id
    from {{ ref('segment_offer_affinity') }} as affinity
    where affinity.recommendation_basis = 'most_claimed_fallback'
        and exists (
            select 1 from {{ ref('segment_offer_affinity') }} as other
            where other.segment_id = affinity.segment_id
                and other.has_enough_claims and other.clears_baseline
        )
)

select segment_id from picks
where
    bases != 1 or unfounded_lifts > 0 or picks > {{ var('offer_max_recommendations') }}
    or last_rank != picks
union all
select segment_id from fallback_despite_lift
