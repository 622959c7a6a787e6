-- 2-D projection of customers coloured by segment; at most about 4,000 points (a
-- deterministic every-n-th customer) so the chart stays legible and light at any size.
with numbered as (
    select
        *,
        row_number() over (order by customer_id) as row_no,
        count(*) over () as total
    from {{ ref('customer_segments') }}
)

select
    customer_id,
    segment_id,
    segment_name,
    projection_x,
    projection_y,
    confidence
from numbered
where (row_no - 1) % greatest(1, cast(ceil(total / 4000.0) as integer)) = 0
