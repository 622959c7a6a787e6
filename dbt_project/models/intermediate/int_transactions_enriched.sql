-- Every staged transaction claimed by the as-of date, as it stood on that date, with the
-- names of its merchant, city and gender. A claim after the as-of date has not happened yet
-- and is left out; a burn after it has not happened yet either, so its claim is still open
-- (status claimed, no burn date). Without an explicit as-of date nothing is after it.
-- Staging resolved the keys (merchant via branch, city and gender via customer) and
-- guarantees each exists, so only the small lookup tables are joined here, never the
-- customers table.
with context as (
    select * from {{ ref('int_run_context') }}
)

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
    transactions.branch_id,
    transactions.merchant_id,
    merchants.merchant_name,
    transactions.city_id,
    cities.city_name,
    transactions.gender_id,
    genders.gender_name
from {{ ref('stg_transactions') }} as transactions
cross join context
inner join {{ ref('stg_merchants') }} as merchants
    on transactions.merchant_id = merchants.merchant_id
inner join {{ ref('stg_cities') }} as cities
    on transactions.city_id = cities.city_id
inner join {{ ref('stg_genders') }} as genders
    on transactions.gender_id = genders.gender_id
where transactions.claim_date <= context.as_of_date
