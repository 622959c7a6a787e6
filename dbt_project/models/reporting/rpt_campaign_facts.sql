-- One row of the figures the recommendations page's sentences quote, so the renderer only
-- formats numbers and never derives them.
with plan as (
    select * from {{ ref('rpt_campaign_plan') }}
),

targeted as (
    select * from plan where is_targeted
),

settings as (
    select * from {{ ref('campaign_settings') }}
),

top_gain as (
    select
        segment_name,
        treatment_burns_per_month_gained,
        treatment_customers,
        burns_per_month_gained
    from targeted
    order by treatment_burns_per_month_gained desc nulls last, segment_id asc
    limit 1
)

select
    (select count(*) from plan) as segments,
    (select count(*) from targeted) as targeted_segments,
    (select cast(sum(treatment_customers) as bigint) from plan) as treatment_customers,
    (select cast(sum(holdout_customers) as bigint) from plan) as holdout_customers,
    (select cast(sum(no_campaign_customers) as bigint) from plan) as no_campaign_customers,
    (
        select count(*) from plan where recommendation_basis = 'significant_lift'
    ) as lift_segments,
    (
        select count(*) from plan where recommendation_basis = 'most_claimed_fallback'
    ) as fallback_segments,
    (select sum(treatment_burns_per_month_gained) from targeted)
    as targeted_burns_per_month_gained,
    top_gain.segment_name as top_gain_segment,
    top_gain.treatment_burns_per_month_gained as top_gain_burns_per_month,
    top_gain.treatment_customers as top_gain_treatment_customers,
    top_gain.burns_per_month_gained as top_gain_segment_burns_per_month,
    (select max(platform_burn_rate) from plan) as platform_burn_rate,
    settings.holdout_share,
    settings.campaign_seed,
    settings.campaign_max_priority,
    settings.offer_min_claims
from settings
left join top_gain on true
