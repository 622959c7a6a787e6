-- Every candidate clustering of every stored model version with its metrics, eligibility
-- and the chosen flag (unnested from segment_model, where the training step stored them).
with candidates as (
    select
        model_version,
        sample_rows,
        {{ unnest_lists([('candidates', 'candidate')]) }}
    from {{ ref('segment_model') }}
)

select
    model_version,
    candidate.algorithm,
    candidate.k,
    candidate.params,
    candidate.n_segments,
    candidate.noise_share,
    candidate.smallest_segment_share,
    candidate.inertia,
    candidate.silhouette,
    candidate.davies_bouldin,
    candidate.calinski_harabasz,
    candidate.stability_ari,
    candidate.is_chosen,
    candidate.is_eligible,
    candidate.shuffled_silhouette,
    sample_rows
from candidates
