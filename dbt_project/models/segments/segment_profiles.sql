-- One row per segment: size, share, the mean and z-score of every feature, the gender and
-- city mix, and a name derived from the profile by the rules below (first match wins):
--   Never activated     half or more of the segment has no transaction
--   New joiners         z(tenure) <= -1 (joined far more recently than most)
--   Lapsed customers    z(recency) >= 0.75 (long since their last activity)
--   Loyal burners       z(burn rate) >= 0.5 and z(claims) >= 0
--   Selective burners   z(burn rate) >= 0.5 and fewer claims than average
--   Claim-and-forget    z(burn rate) <= -0.5 and z(claims) >= 0
--   Low converters      z(burn rate) <= -0.5
--   Frequent claimers   z(claims) >= 0.5
--   Average users       otherwise
-- A name used by several segments gets a suffix (2, 3, ...) in segment-id order.
{%- set features = segment_profile_features() %}

with members as (
    select
        segments.segment_id,
        features.*,
        cast(case when features.has_transactions then 0 else 1 end as double) as no_transaction_share
    from {{ ref('segment_assignments') }} as segments
    inner join {{ ref('customer_features') }} as features
        on segments.customer_id = features.customer_id
),

population as (
    select
        count(*) as customers
        {%- for feature in features %}
            ,
            avg({{ feature }}) as pop_mean_{{ feature }},
            stddev_pop({{ feature }}) as pop_sd_{{ feature }}
    
            {%- endfor %}
    from members
),

per_segment as (
    select
        segment_id,
        count(*) as customers,
        sum(case when gender_name = 'Female' then 1 else 0 end) as female_customers,
        sum(case when gender_name = 'Male' then 1 else 0 end) as male_customers,
        count(distinct city_name) as cities
        {%- for feature in features %}
            ,
            avg({{ feature }}) as mean_{{ feature }}
    
            {%- endfor %}
    from members
    group by segment_id
),

top_city as (
    select
        segment_id,
        city_name as top_city,
        customers as top_city_customers
    from (
        select
            segment_id,
            city_name,
            count(*) as customers,
            row_number() over (
                partition by segment_id order by count(*) desc, city_name
            ) as city_rank
        from members
        group by segment_id, city_name
    ) as ranked
    where city_rank = 1
),

profiled as (
    select
        per_segment.segment_id,
        per_segment.customers,
        cast(per_segment.customers as double) / population.customers as share,
        cast(per_segment.female_customers as double) / per_segment.customers as female_share,
        cast(per_segment.male_customers as double) / per_segment.customers as male_share,
        per_segment.cities,
        top_city.top_city,
        cast(top_city.top_city_customers as double) / per_segment.customers as top_city_share
        {%- for feature in features %}
            ,
            per_segment.mean_{{ feature }},
            (per_segment.mean_{{ feature }} - population.pop_mean_{{ feature }})
            / nullif(population.pop_sd_{{ feature }}, 0) as z_{{ feature }},
            population.pop_mean_{{ feature }}
    
            {%- endfor %}
    from per_segment
    cross join population
    inner join top_city on per_segment.segment_id = top_city.segment_id
),

named as (
    select
        *,
        case
            when mean_no_transaction_share >= 0.5 then 'Never activated'
            when z_tenure_days <= -1 then 'New joiners'
            when z_recency_days >= 0.75 then 'Lapsed customers'
            when z_burn_rate >= 0.5 and z_claims >= 0 then 'Loyal burners'
            when z_burn_rate >= 0.5 then 'Selective burners'
            when z_burn_rate <= -0.5 and z_claims >= 0 then 'Claim-and-forget'
            when z_burn_rate <= -0.5 then 'Low converters'
            when z_claims >= 0.5 then 'Frequent claimers'
            else 'Average users'
        end as base_name
    from profiled
)

select
    segment_id,
    base_name
    || case
        when count(*) over (partition by base_name) > 1
            then ' ' || cast(row_number() over (
                partition by base_name order by segment_id
            ) as {{ text_type() }})
        else ''
    end as segment_name,
    {{ star_except(['segment_id', 'base_name']) }}
from named
