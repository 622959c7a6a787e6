-- One row per customer of customer_segments: the campaign they are in (or none), what to
-- offer them and whether they get it.
-- Targeted: the segment's priority (segment_recommendations) is at most campaign_max_priority;
-- everyone else is kept, with group 'no_campaign'.
-- Holdout: a targeted customer is held out when their campaign draw (an md5 of customer id
-- and campaign_seed, macro campaign_draw, read as a number in [0, 1)) is below holdout_share.
-- A threshold of each customer's own, not a share of each segment: the same customer is in
-- the same group every week, whoever else joins or leaves their segment and across
-- retrains, as long as the seed is the same (a persistent holdout, which a weekly programme
-- needs: a held-out customer who is treated next week spoils both weeks). Each segment's
-- holdout is then holdout_share of it on average, not exactly (campaign_plan shows the
-- sizes). The exported file is the record of who was treated: measure against it
-- (analyses/campaign_readout.sql).
with settings as (
    select * from {{ ref('campaign_settings') }}
),

members as (
    select
        segments.customer_id,
        segments.segment_id,
        segments.segment_name,
        recs.coupon_strategy,
        recs.priority,
        recs.priority <= settings.campaign_max_priority as is_targeted,
        {{ campaign_draw('segments.customer_id') }} as campaign_draw
    from {{ ref('customer_segments') }} as segments
    inner join {{ ref('segment_recommendations') }} as recs
        on segments.segment_id = recs.segment_id
    cross join settings
),

drawn as (
    select
        *,
        {{ campaign_draw_fraction('campaign_draw') }} as draw_fraction
    from members
)

select
    cast(drawn.customer_id as bigint) as customer_id,
    cast(drawn.segment_id as integer) as segment_id,
    cast(drawn.segment_name as {{ dbt.type_string() }}) as segment_name,
    cast(drawn.priority as integer) as priority,
    cast(drawn.coupon_strategy as {{ dbt.type_string() }}) as coupon_strategy,
    -- Only the treatment group's rows name offers: a CRM that sends every row with an offer
    -- then cannot reach the holdout or a segment without a campaign by mistake (the offers
    -- of every segment stay in segment_impact and the export's campaign_offers file).
    cast(case
        when drawn.is_targeted and drawn.draw_fraction >= settings.holdout_share
            then impact.recommended_offers
    end as {{ dbt.type_string() }}) as recommended_offers,
    cast(impact.recommendation_basis as {{ dbt.type_string() }}) as recommendation_basis,
    drawn.is_targeted,
    cast(case
        when not drawn.is_targeted then 'no_campaign'
        when drawn.draw_fraction < settings.holdout_share then 'holdout'
        else 'treatment'
    end as {{ dbt.type_string() }}) as campaign_group,
    cast(drawn.campaign_draw as {{ dbt.type_string() }}) as campaign_draw,
    settings.campaign_seed,
    settings.as_of_date
from drawn
cross join settings
inner join {{ ref('segment_impact') }} as impact
    on drawn.segment_id = impact.segment_id
