-- Model selection chose exactly one candidate, and it produced the segments in use.
select
    (select count(*) from {{ ref('segment_model_selection') }} where is_chosen) as chosen,
    (
        select max(n_segments) from {{ ref('segment_model_selection') }} where is_chosen
    ) as chosen_segments,
    (select count(*) from {{ ref('segment_profiles') }}) as segments_in_use
having
    (select count(*) from {{ ref('segment_model_selection') }} where is_chosen) != 1
