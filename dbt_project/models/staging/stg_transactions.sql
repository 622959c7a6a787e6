{{ config(materialized='view') }}

select
    transaction_id,
    customer_id,
    claim_date,
    status,
    status = 'burnt' as is_burnt,
    coupon_name,
    burn_date,
    branch_id,
    merchant_id,
    city_id,
    gender_id,
    source_row
from {{ ref('validated_transactions') }}
where reject_reason is null
