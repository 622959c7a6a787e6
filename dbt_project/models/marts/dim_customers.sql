-- Customers who had joined by the as-of date (a later join has not happened yet).
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
cross join {{ ref('int_run_context') }} as context
where customers.join_date <= context.as_of_date
