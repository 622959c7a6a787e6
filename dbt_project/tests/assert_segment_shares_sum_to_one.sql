-- Segment sizes add up to all customers.
select sum(customers) as customers, sum(share) as share
from {{ ref('segment_profiles') }}
having
    sum(customers) != (select count(*) from {{ ref('customer_features') }})
    or abs(sum(share) - 1) > 1e-9
