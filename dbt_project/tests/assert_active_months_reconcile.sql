-- fct_customer_active_months loses and duplicates nothing: its claims and burns add up to the
-- transaction fact's (a join fan-out would inflate them, a lost row would shrink them).
with months as (
    select
        coalesce(sum(claims), 0) as claims,
        coalesce(sum(burns), 0) as burns
    from {{ ref('fct_customer_active_months') }}
),

transactions as (
    select
        count(*) as claims,
        count(burn_month) as burns
    from {{ ref('fct_coupon_transactions') }}
)

select
    months.claims as month_claims,
    transactions.claims as fact_claims,
    months.burns as month_burns,
    transactions.burns as fact_burns
from months
cross join transactions
where months.claims <> transactions.claims or months.burns <> transactions.burns
