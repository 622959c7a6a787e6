select
    segment_id,
    segment_name,
    customers,
    share
from {{ ref('segment_profiles') }}
