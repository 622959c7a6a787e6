-- Every staged transaction with its customer's city and gender and its branch's merchant.
-- Staging already guarantees each key resolves, so inner joins lose nothing.
select
    transactions.transaction_id,
    transactions.customer_id,
    transactions.coupon_name,
    transactions.status,
    transactions.is_burnt,
    transactions.claim_date,
    transactions.burn_date,
    transactions.branch_id,
    branches.merchant_id,
    merchants.merchant_name,
    customers.city_id,
    cities.city_name,
    customers.gender_id,
    genders.gender_name,
    customers.join_date
from {{ ref('stg_transactions') }} as transactions
inner join {{ ref('stg_customers') }} as customers
    on transactions.customer_id = customers.customer_id
inner join {{ ref('stg_cities') }} as cities
    on customers.city_id = cities.city_id
inner join {{ ref('stg_genders') }} as genders
    on customers.gender_id = genders.gender_id
inner join {{ ref('stg_branches') }} as branches
    on transactions.branch_id = branches.branch_id
inner join {{ ref('stg_merchants') }} as merchants
    on branches.merchant_id = merchants.merchant_id
