select
    segments.customer_id,
    segments.segment_id,
    profiles.segment_name,
    segments.confidence,
    segments.distance_to_centroid,
    segments.projection_x,
    segments.projection_y,
    segments.algorithm,
    segments.model_params
from {{ ref('segment_assignments') }} as segments
inner join {{ ref('segment_profiles') }} as profiles
    on segments.segment_id = profiles.segment_id
