-- The transactions counted by every attribute the transaction-grain report models group by:
-- claim month, burn month, branch (and its merchant), city, days to burn, burnt and matured.
-- One scan of the transactions serves them all, where each used to scan them again (seven
-- scans of every transaction per build). Its size follows months x days to burn x branches x
-- cities (never more than one row per transaction): about 415,000 rows at 10M transactions.
-- The city's name is looked up per group, not per transaction (int_transactions_as_of has
-- keys, not names).
with counts as (
    select
        claim_month,
        burn_month,
        branch_id,
        merchant_id,
        city_id,
        days_to_burn,
        is_burnt,
        is_matured,
        count(*) as transactions
    from {{ ref('int_transactions_as_of') }}
    group by
        claim_month, burn_month, branch_id, merchant_id, city_id, days_to_burn, is_burnt,
        is_matured
)

select
    counts.claim_month,
    counts.burn_month,
    counts.branch_id,
    counts.merchant_id,
    counts.city_id,
    cities.city_name,
    counts.days_to_burn,
    counts.is_burnt,
    counts.is_matured,
    counts.transactions
from counts
inner join {{ ref('stg_cities') }} as cities
    on counts.city_id = cities.city_id
