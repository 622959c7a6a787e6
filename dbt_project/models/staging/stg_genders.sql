{{ config(materialized='view') }}

select
    gender_id,
    gender_name,
    source_row
from {{ ref('validated_genders') }}
where reject_reason is null
