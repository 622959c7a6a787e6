-- Every customer in customer_features has exactly one segment, and nobody else has one.
select
    coalesce(features.customer_id, segments.customer_id) as customer_id,
    count(segments.customer_id) as segment_rows
from {{ ref('customer_features') }} as features
full outer join {{ ref('customer_segments') }} as segments
    on features.customer_id = segments.customer_id
group by coalesce(features.customer_id, segments.customer_id)
having count(segments.customer_id) != 1 or count(features.customer_id) != 1
