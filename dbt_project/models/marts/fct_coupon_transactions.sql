-- A view, not a table: validated_transactions already holds every transaction once with its
-- resolved keys, so a second 50M-row copy would cost more to write (25 s at 50M) than the
-- joins to the small name lookups and the date arithmetic cost on each read.
{{ config(materialized='view') }}

with context as (
    select * from {{ ref('int_run_context') }}
)

select
    tx.transaction_id,
    tx.customer_id,
    tx.coupon_name,
    tx.status,
    tx.is_burnt,
    tx.claim_date,
    tx.burn_date,
    {{ dbt.datediff('tx.claim_date', 'tx.burn_date', 'day') }}         as days_to_burn,
    cast({{ dbt.date_trunc('month', 'tx.claim_date') }} as date) as claim_month,
    cast({{ dbt.date_trunc('month', 'tx.burn_date') }} as date) as burn_month,
    {{ dbt.datediff('tx.claim_date', 'context.as_of_date', 'day') }}         as claim_age_days,
    {{ dbt.datediff('tx.claim_date', 'context.as_of_date', 'day') }}
    >= context.burn_window_days as is_matured,
    tx.branch_id,
    tx.merchant_id,
    tx.merchant_name,
    tx.city_id,
    tx.city_name,
    tx.gender_id,
    tx.gender_name
from {{ ref('int_transactions_enriched') }} as tx
cross join context
