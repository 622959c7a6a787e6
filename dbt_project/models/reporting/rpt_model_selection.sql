-- The candidates of the model version that scored this run (the one it was trained with).
select
    model_version,
    algorithm,
    k,
    params,
    n_segments,
    inertia,
    silhouette,
    davies_bouldin,
    calinski_harabasz,
    stability_ari,
    noise_share,
    smallest_segment_share,
    is_eligible,
    shuffled_silhouette,
    is_chosen
from {{ ref('segment_model_selection') }}
where model_version = (select model_version from {{ ref('segment_runs') }} order by run_id desc limit 1)
