-- Model selection chose exactly one candidate, and it produced the segments in use.
with chosen as (
    select
        count(*) as chosen_rows,
        max(n_segments) as chosen_segments
    from {{ ref('segment_model_selection') }}
    where is_chosen
)

select
    chosen.chosen_rows,
    chosen.chosen_segments,
    (select count(*) from {{ ref('segment_profiles') }}) as segments_in_use
from chosen
where chosen.chosen_rows != 1
