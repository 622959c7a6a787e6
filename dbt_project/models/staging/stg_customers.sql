{{ config(materialized='view') }}

select
    customer_id,
    join_date,
    city_id,
    gender_id,
    source_row
from {{ ref('validated_customers') }}
where reject_reason is null
