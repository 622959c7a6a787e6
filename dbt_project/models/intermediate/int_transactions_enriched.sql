-- Every staged transaction with the names of its merchant, city and gender. Staging resolved
-- the keys (merchant via branch, city and gender via customer) and guarantees each exists, so
-- only the small lookup tables are joined here, never the customers table.
select
    transactions.transaction_id,
    transactions.customer_id,
    transactions.coupon_name,
    transactions.status,
    transactions.is_burnt,
    transactions.claim_date,
    transactions.burn_date,
    transactions.branch_id,
    transactions.merchant_id,
    merchants.merchant_name,
    transactions.city_id,
    cities.city_name,
    transactions.gender_id,
    genders.gender_name
from {{ ref('stg_transactions') }} as transactions
inner join {{ ref('stg_merchants') }} as merchants
    on transactions.merchant_id = merchants.merchant_id
inner join {{ ref('stg_cities') }} as cities
    on transactions.city_id = cities.city_id
inner join {{ ref('stg_genders') }} as genders
    on transactions.gender_id = genders.gender_id
