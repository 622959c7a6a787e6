-- One row per segment of this run: size, share, the mean and z-score of every feature against
-- all customers, the gender and city mix, and the segment's type and name (given by the
-- model version that scored the run, see segment_names).
{%- set features = segment_profile_features() %}

with members as (
    select
        segments.segment_id,
        segments.segment_name,
        segments.model_version,
        features.*,
        cast(case when features.has_transactions then 0 else 1 end as double) as no_transaction_share
    from {{ ref('customer_segments') }} as segments
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
        any_value(segment_name) as segment_name,
        any_value(model_version) as model_version,
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
        per_segment.segment_name,
        per_segment.model_version,
        per_segment.customers,
        cast(per_segment.customers as double) / population.customers as share,
        cast(per_segment.female_customers as double) / per_segment.customers as female_share,
        cast(per_segment.male_customers as double) / per_segment.customers as male_share,
        per_segment.cities,
        top_city.top_city,
        cast(top_city.top_city_customers as double) / per_segment.customers as top_city_share
        {#- Means and z-scores rounded to 10 decimals: their sums run in parallel, in an order
            (so last bits) that varies between runs over many customers; rounded, the same
            input gives the same table. #}
        {%- for feature in features %}
            ,
            round(per_segment.mean_{{ feature }}, 10) as mean_{{ feature }},
            round(
                (per_segment.mean_{{ feature }} - population.pop_mean_{{ feature }})
                / nullif(population.pop_sd_{{ feature }}, 0), 10
            ) as z_{{ feature }},
            round(population.pop_mean_{{ feature }}, 10) as pop_mean_{{ feature }}
    
            {%- endfor %}
    from per_segment
    cross join population
    inner join top_city on per_segment.segment_id = top_city.segment_id
),

named as (
    select
        profiled.*,
        names.segment_type
    from profiled
    left join {{ ref('segment_names') }} as names
        on
            profiled.model_version = names.model_version
            and profiled.segment_id = names.segment_id
)

select
    segment_id,
    segment_name,
    coalesce(segment_type, 'Unnamed') as segment_type,
    model_version,
    {{ star_except(['segment_id', 'segment_name', 'segment_type', 'model_version']) }}
from named
