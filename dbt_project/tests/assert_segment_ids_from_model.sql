-- Every customer's segment is a segment of the model version that scored them, and every
-- stored model's segment ids are 0..n-1 with no gaps.
with model_segments as (
    select distinct
        model_version,
        segment_id
    from {{ ref('segment_centroids') }}
),

unknown as (
    select
        segments.model_version,
        segments.segment_id,
        'not a segment of the model' as problem
    from {{ ref('customer_segments') }} as segments
    left join model_segments
        on
            segments.model_version = model_segments.model_version
            and segments.segment_id = model_segments.segment_id
    where model_segments.segment_id is null
),

gaps as (
    select
        model_version,
        max(segment_id) as segment_id,
        'segment ids not contiguous' as problem
    from model_segments
    group by model_version
    having min(segment_id) != 0 or max(segment_id) != count(*) - 1
)

select * from unknown
union all
select * from gaps
