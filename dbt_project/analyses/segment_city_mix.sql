-- Which cities over- or under-index in each segment (share of segment vs share of all
-- customers). Compile with `dbt compile -s segment_city_mix` or paste into a DuckDB shell.
with segment_city as (
    select
        segments.segment_id,
        segments.segment_name,
        features.city_name,
        count(*) as customers
    from {{ ref('customer_segments') }} as segments
    inner join {{ ref('customer_features') }} as features
        on segments.customer_id = features.customer_id
    group by segments.segment_id, segments.segment_name, features.city_name
),

shares as (
    select
        *,
        cast(customers as double) / sum(customers) over (partition by segment_id)
        as share_of_segment,
        cast(sum(customers) over (partition by city_name) as double)
        / sum(customers) over () as share_of_all
    from segment_city
)

select
    segment_id,
    segment_name,
    city_name,
    customers,
    share_of_segment,
    share_of_all,
    share_of_segment / share_of_all as index_vs_all
from shares
order by segment_id, index_vs_all desc
