select
    customers.customer_id,
    customers.join_date,
    cast({{ dbt.date_trunc('month', 'customers.join_date') }} as date) as join_month,
    customers.city_id,
    cities.city_name,
    customers.gender_id,
    genders.gender_name
from {{ ref('stg_customers') }} as customers
inner join {{ ref('stg_cities') }} as cities
    on customers.city_id = cities.city_id
inner join {{ ref('stg_genders') }} as genders
    on customers.gender_id = genders.gender_id
