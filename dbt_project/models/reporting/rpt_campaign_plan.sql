-- One row per segment: strategy, what to offer, expected impact and audience sizes (the
-- campaign table of the recommendations page).
-- Two gains: segment_impact's is the segment's potential, as if every member were treated;
-- this campaign's is the treatment group's share of it (the same rates applied to the
-- treatment customers' own claims), since the holdout gets no offer and keeps today's rate.
with groups as (
    select
        audience.segment_id,
        max(case when audience.is_targeted then 1 else 0 end) = 1 as is_targeted,
        cast(sum(case when audience.campaign_group = 'treatment' then 1 else 0 end) as bigint)
        as treatment_customers,
        cast(sum(case when audience.campaign_group = 'holdout' then 1 else 0 end) as bigint)
        as holdout_customers,
        cast(sum(case when audience.campaign_group = 'no_campaign' then 1 else 0 end) as bigint)
        as no_campaign_customers,
        cast(sum(
            case when audience.campaign_group = 'treatment' then features.recent_claims else 0 end
        ) as bigint) as treatment_window_claims
    from {{ ref('campaign_audience') }} as audience
    inner join {{ ref('customer_features') }} as features
        on audience.customer_id = features.customer_id
    group by audience.segment_id
)

select
    recs.segment_id,
    recs.segment_name,
    recs.priority,
    recs.coupon_strategy,
    recs.customers,
    groups.is_targeted,
    groups.treatment_customers,
    groups.holdout_customers,
    groups.no_campaign_customers,
    impact.recommendation_basis,
    impact.recommendation_label,
    impact.recommended_offers,
    impact.claims_per_month,
    impact.matured_burn_rate,
    impact.platform_burn_rate,
    impact.target_basis,
    impact.target_burn_rate,
    impact.burns_per_month,
    impact.burns_per_month_gained,
    groups.treatment_window_claims,
    cast(groups.treatment_window_claims as double) / {{ var('impact_window_months') }}
    * (impact.target_burn_rate - impact.matured_burn_rate) as treatment_burns_per_month_gained,
    impact.impact_assumption
from {{ ref('segment_recommendations') }} as recs
inner join {{ ref('segment_impact') }} as impact on recs.segment_id = impact.segment_id
inner join groups on recs.segment_id = groups.segment_id
