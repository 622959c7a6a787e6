-- Model selection chose exactly one candidate for every stored model version, and it has
-- as many segments as the stored model has centroids.
with chosen as (
    select
        model_version,
        count_if(is_chosen) as chosen_rows,
        max(case when is_chosen then n_segments end) as chosen_segments
    from {{ ref('segment_model_selection') }}
    group by model_version
)

select
    models.model_version,
    chosen.chosen_rows,
    chosen.chosen_segments,
    models.n_segments
from {{ ref('segment_model') }} as models
left join chosen on models.model_version = chosen.model_version
where
    coalesce(chosen.chosen_rows, 0) != 1
    or (models.algorithm != 'dbscan' and chosen.chosen_segments != models.n_segments)
