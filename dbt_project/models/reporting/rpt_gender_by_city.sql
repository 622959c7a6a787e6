select
    city_name,
    gender_name,
    count(*) as customers,
    cast(count(*) as double) / sum(count(*)) over (partition by city_name) as share_of_city
from {{ ref('dim_customers') }}
group by city_name, gender_name
