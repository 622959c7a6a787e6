-- Per customer: burns <= claims, matured claims <= claims, open claims = claims - burns.
select customer_id, claims, burns, matured_claims, open_claims
from {{ ref('customer_features') }}
where burns > claims or matured_claims > claims or matured_burns > burns
    or open_claims != claims - burns
