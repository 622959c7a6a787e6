select
    gender_name,
    count(*) as customers,
    cast(count(*) as double) / sum(count(*)) over () as share
from {{ ref('dim_customers') }}
group by gender_name
