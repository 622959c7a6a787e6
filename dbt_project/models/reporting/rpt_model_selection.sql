select
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
    is_eligible,
    shuffled_silhouette,
    is_chosen
from {{ ref('segment_model_selection') }}
