-- Days from claim to burn, in weeks (0-6 days = week 0), for burnt coupons.
select
    cast(floor(tx.days_to_burn / 7.0) as integer) as weeks_to_burn,
    cast(sum(tx.transactions) as bigint) as burns,
    cast(sum(tx.transactions) as double)
    / cast(sum(sum(tx.transactions)) over () as double) as share,
    min(tx.days_to_burn) as min_days,
    max(tx.days_to_burn) as max_days
from {{ ref('fct_transaction_counts') }} as tx
where tx.is_burnt
group by cast(floor(tx.days_to_burn / 7.0) as integer)
