{{ config(materialized='view') }}

select
    merchant_id,
    merchant_name,
    source_row
from {{ ref('validated_merchants') }}
where reject_reason is null
