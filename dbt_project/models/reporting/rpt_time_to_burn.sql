-- Days from claim to burn, in weeks (0-6 days = week 0), for burnt coupons.
select
    cast(floor(days_to_burn / 7.0) as integer) as weeks_to_burn,
    count(*) as burns,
    cast(count(*) as double) / sum(count(*)) over () as share,
    min(days_to_burn) as min_days,
    max(days_to_burn) as max_days
from {{ ref('fct_coupon_transactions') }}
where is_burnt
group by cast(floor(days_to_burn / 7.0) as integer)
