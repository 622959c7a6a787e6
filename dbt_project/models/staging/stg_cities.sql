{{ config(materialized='view') }}

select
    city_id,
    city_name,
    source_row
from {{ ref('validated_cities') }}
where reject_reason is null
