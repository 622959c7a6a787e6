{{ config(materialized='view') }}

select
    branch_id,
    merchant_id,
    source_row
from {{ ref('validated_branches') }}
where reject_reason is null
