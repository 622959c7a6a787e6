-- How many customers claimed 0, 1, 2, ... coupons (customers without any claim included).
select
    claims as claims_per_customer,
    count(*) as customers,
    cast(count(*) as double) / sum(count(*)) over () as share,
    sum(burns) as burns
from {{ ref('customer_features') }}
group by claims
