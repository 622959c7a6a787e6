-- One row per customer of customer_segments: the campaign they are in (or none), what to
-- offer them and whether they get it.
-- Targeted: the segment's priority (segment_recommendations) is at most campaign_max_priority;
-- everyone else is kept, with group 'no_campaign'.
-- Holdout: within each targeted segment, customers are ordered by their campaign draw (an
-- md5 of customer id and campaign_seed, macro campaign_draw) and the first
-- round(holdout_share x segment size) are held out. Ordering by the draw rather than
-- thresholding it gives every segment its share exactly (a 124-customer segment would miss
-- 10 % by more than 2 points about half the time with a coin per customer). The same input
-- and seed give the same groups; when a segment's membership changes, only customers whose
-- draw sits at the segment's cut-off can change group. The exported file is the record of
-- who was treated: measure against it (analyses/campaign_readout.sql), not a later rebuild.
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
        row_number() over (
            partition by segment_id order by campaign_draw, customer_id
        ) as draw_rank,
        count(*) over (partition by segment_id) as segment_customers
    from members
)

select
    cast(drawn.customer_id as bigint) as customer_id,
    cast(drawn.segment_id as integer) as segment_id,
    cast(drawn.segment_name as {{ dbt.type_string() }}) as segment_name,
    cast(drawn.priority as integer) as priority,
    cast(drawn.coupon_strategy as {{ dbt.type_string() }}) as coupon_strategy,
    cast(impact.recommended_offers as {{ dbt.type_string() }}) as recommended_offers,
    cast(impact.recommendation_basis as {{ dbt.type_string() }}) as recommendation_basis,
    drawn.is_targeted,
    cast(case
        when not drawn.is_targeted then 'no_campaign'
        when drawn.draw_rank <= floor(drawn.segment_customers * settings.holdout_share + 0.5)
            then 'holdout'
        else 'treatment'
    end as {{ dbt.type_string() }}) as campaign_group,
    cast(drawn.campaign_draw as {{ dbt.type_string() }}) as campaign_draw,
    settings.campaign_seed,
    settings.as_of_date
from drawn
cross join settings
inner join {{ ref('segment_impact') }} as impact
    on drawn.segment_id = impact.segment_id
