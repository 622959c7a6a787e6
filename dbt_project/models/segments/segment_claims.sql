-- Every claim with its customer's current segment: what the campaign models count per
-- segment. A view, so each reader's query plans the join with its own filters and columns.
{{ config(materialized='view') }}

select
    tx.transaction_id,
    members.segment_id,
    tx.merchant_id,
    tx.coupon_name,
    tx.claim_date,
    tx.is_burnt,
    tx.is_matured
from {{ ref('int_transactions_as_of') }} as tx
inner join {{ ref('customer_segments') }} as members
    on tx.customer_id = members.customer_id
