-- Every staged city with its customers, ranked; a city nobody lives in is listed with 0, not
-- left out (the demographics page counts the cities and names the smallest).
with cities as (
    select distinct city_name
    from {{ ref('stg_cities') }}
),

counts as (
    select
        city_name,
        count(*) as customers
    from {{ ref('dim_customers') }}
    group by city_name
),

joined as (
    select
        cities.city_name,
        coalesce(counts.customers, 0) as customers
    from cities
    left join counts on cities.city_name = counts.city_name
)

select
    city_name,
    customers,
    cast(customers as double) / nullif(sum(customers) over (), 0) as share,
    row_number() over (order by customers desc, city_name asc) as city_rank
from joined
