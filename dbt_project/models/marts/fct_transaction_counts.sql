-- The transactions counted by every attribute the transaction-grain report models group by:
-- claim month, burn month, branch (and its merchant), city, days to burn, burnt and matured.
-- One scan of the fact serves them all, where each used to scan it again (seven scans of
-- every transaction per build). Its size follows months x days to burn x branches x cities
-- (never more than one row per transaction): about 415,000 rows at 10M transactions.
select
    claim_month,
    burn_month,
    branch_id,
    merchant_id,
    city_id,
    city_name,
    days_to_burn,
    is_burnt,
    is_matured,
    count(*) as transactions
from {{ ref('fct_coupon_transactions') }}
group by
    claim_month, burn_month, branch_id, merchant_id, city_id, city_name, days_to_burn,
    is_burnt, is_matured
