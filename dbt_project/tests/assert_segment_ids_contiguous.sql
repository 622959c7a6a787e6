-- Segment ids are 0..n-1 with no gaps, every id in use.
select
    count(distinct segment_id) as segments,
    min(segment_id) as first_id,
    max(segment_id) as last_id
from {{ ref('customer_segments') }}
having min(segment_id) != 0 or max(segment_id) != count(distinct segment_id) - 1
