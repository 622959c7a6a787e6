-- The aggregates of the transaction fact lose and duplicate nothing: the claims and burns of
-- fct_customer_active_months and of fct_transaction_counts add up to the fact's (a join
-- fan-out would inflate them, a lost row would shrink them). The fact is scanned once for both.
with transactions as (
    select
        count(*) as claims,
        count(burn_month) as burns
    from {{ ref('fct_coupon_transactions') }}
),

aggregates as (
    select
        'fct_customer_active_months' as aggregate_name,
        coalesce(sum(claims), 0) as claims,
        coalesce(sum(burns), 0) as burns
    from {{ ref('fct_customer_active_months') }}
    union all
    select
        'fct_transaction_counts' as aggregate_name,
        coalesce(sum(transactions), 0) as claims,
        coalesce(sum(case when is_burnt then transactions else 0 end), 0) as burns
    from {{ ref('fct_transaction_counts') }}
)

select
    aggregates.aggregate_name,
    aggregates.claims as aggregate_claims,
    transactions.claims as fact_claims,
    aggregates.burns as aggregate_burns,
    transactions.burns as fact_burns
from aggregates
cross join transactions
where aggregates.claims <> transactions.claims or aggregates.burns <> transactions.burns
