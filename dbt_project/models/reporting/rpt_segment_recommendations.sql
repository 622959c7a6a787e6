select
    segment_id,
    segment_name,
    customers,
    share,
    priority,
    coupon_strategy,
    rationale
from {{ ref('segment_recommendations') }}
