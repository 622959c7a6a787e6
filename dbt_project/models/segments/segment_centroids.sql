-- One row per model version, segment and feature: the stored centroids in the standardised
-- feature space, with the segment's name. With segment_model this is everything scoring
-- needs (models_py.segmentation.scoring.SegmentModel.from_frames).
with per_segment as (
    select
        model_version,
        feature_names,
        {{ unnest_lists([('centroids', 'centroid')], 'segment_id', -1) }}
    from {{ ref('segment_model') }}
),

per_feature as (
    select
        model_version,
        segment_id,
        {{ unnest_lists([('feature_names', 'feature'), ('centroid', 'value')], 'feature_order') }}
    from per_segment
)

select
    per_feature.model_version,
    cast(per_feature.segment_id as integer) as segment_id,
    coalesce(names.segment_type, 'Unnamed') as segment_type,
    coalesce(
        names.segment_name, 'Segment ' || cast(per_feature.segment_id as {{ text_type() }})
    ) as segment_name,
    per_feature.feature,
    cast(per_feature.feature_order as integer) as feature_order,
    per_feature.value
from per_feature
left join {{ ref('segment_names') }} as names
    on
        per_feature.model_version = names.model_version
        and per_feature.segment_id = names.segment_id
