select
    city_name,
    count(*) as claims,
    sum(case when is_burnt then 1 else 0 end) as burns,
    cast(sum(case when is_burnt and is_matured then 1 else 0 end) as double)
    / nullif(sum(case when is_matured then 1 else 0 end), 0) as matured_burn_rate,
    row_number() over (
        order by sum(case when is_burnt then 1 else 0 end) desc, city_name
    ) as burn_rank
from {{ ref('fct_coupon_transactions') }}
group by city_name
