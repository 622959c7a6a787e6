-- Every staged transaction claimed by the as-of date, as it stood on that date, with its
-- measures (days to burn, months, maturity) and the keys of its branch, merchant, customer,
-- city and gender. A claim after the as-of date has not happened yet and is left out; a burn
-- after it has not happened yet either, so its claim is still open (status claimed, no burn
-- date). Without an explicit as-of date nothing is after it.
-- No names: fct_coupon_transactions adds them. The models that group every transaction
-- (customer features, the customer-month grain, the transaction counts, KPIs, offers) read
-- this view, not the fact, because joining three lookup tables to every row costs as much as
-- their own grouping where they need no name: at 10M transactions 0.6-0.7 CPU-seconds less
-- for each of customer_features and fct_customer_active_months.
with context as (
    select * from {{ ref('int_run_context') }}
),

as_of as (
    select
        transactions.transaction_id,
        transactions.customer_id,
        transactions.coupon_name,
        case
            when transactions.burn_date <= context.as_of_date then transactions.status
            else 'claimed'
        end as status,
        coalesce(transactions.burn_date <= context.as_of_date, false) as is_burnt,
        transactions.claim_date,
        case
            when transactions.burn_date <= context.as_of_date then transactions.burn_date
        end as burn_date,
        context.as_of_date,
        context.burn_window_days,
        transactions.branch_id,
        transactions.merchant_id,
        transactions.city_id,
        transactions.gender_id
    from {{ ref('stg_transactions') }} as transactions
    cross join context
    where transactions.claim_date <= context.as_of_date
)

select
    transaction_id,
    customer_id,
    coupon_name,
    status,
    is_burnt,
    claim_date,
    burn_date,
    {{ dbt.datediff('claim_date', 'burn_date', 'day') }} as days_to_burn,
    cast({{ dbt.date_trunc('month', 'claim_date') }} as date) as claim_month,
    cast({{ dbt.date_trunc('month', 'burn_date') }} as date) as burn_month,
    {{ dbt.datediff('claim_date', 'as_of_date', 'day') }} as claim_age_days,
    {{ dbt.datediff('claim_date', 'as_of_date', 'day') }} >= burn_window_days as is_matured,
    branch_id,
    merchant_id,
    city_id,
    gender_id
from as_of
