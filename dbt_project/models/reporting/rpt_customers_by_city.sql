select
    city_name,
    count(*) as customers,
    cast(count(*) as double) / sum(count(*)) over () as share,
    row_number() over (order by count(*) desc, city_name) as city_rank
from {{ ref('dim_customers') }}
group by city_name
